"""Target-neutral cost estimates of a model's operators, from shapes and options alone.

`opcompat.cost.ops.operator_cost` gives one operator's multiply-accumulates, output elements
and activation bytes; weight data is never read.
"""
