"""rnnchaos.dynamics"""
