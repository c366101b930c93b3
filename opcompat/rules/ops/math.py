"""Validate rules: math ops. (being written)"""
