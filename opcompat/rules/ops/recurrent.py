"""Validate rules: recurrent ops. (being written)"""
