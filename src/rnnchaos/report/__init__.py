"""rnnchaos.report"""
