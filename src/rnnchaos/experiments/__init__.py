"""rnnchaos.experiments"""
