"""rnnchaos.models"""
