"""Validate rules: conv_pool ops. (being written)"""
