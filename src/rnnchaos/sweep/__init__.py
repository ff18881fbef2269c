"""rnnchaos.sweep"""
