"""Validate rules: activation ops. (being written)"""
