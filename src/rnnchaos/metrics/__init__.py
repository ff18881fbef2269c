"""rnnchaos.metrics"""
