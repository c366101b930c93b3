"""Validate rules: shape ops. (being written)"""
