"""rnnchaos.maps1d"""
