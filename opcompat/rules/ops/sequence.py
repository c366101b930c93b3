"""Validate rules: sequence ops. (being written)"""
