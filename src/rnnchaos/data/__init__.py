"""rnnchaos.data"""
