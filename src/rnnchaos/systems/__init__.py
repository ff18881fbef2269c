"""rnnchaos.systems"""
