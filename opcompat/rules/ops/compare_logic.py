"""Validate rules: compare_logic ops. (being written)"""
