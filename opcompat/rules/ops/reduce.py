"""Validate rules: reduce ops. (being written)"""
