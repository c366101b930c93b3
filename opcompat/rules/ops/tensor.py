"""Validate rules: tensor ops. (being written)"""
