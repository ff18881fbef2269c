"""rnnchaos.training"""
