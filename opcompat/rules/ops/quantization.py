"""Validate rules: quantization ops. (being written)"""
