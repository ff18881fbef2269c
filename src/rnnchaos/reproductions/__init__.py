"""rnnchaos.reproductions: one recipe per published figure or table (``rnnchaos reproduce NAME``).

The scripts that ran these recipes for the docs, and their committed results, live in the top-level
``experiments/`` folder of the repository; this package holds the library code they call.
"""
