"""Validate rules: arithmetic ops. (being written)"""
