"""Operators TFLite evaluates once rather than per inference.

Source: tflite/kernels/dequantize.cc: Prepare makes the output of a DEQUANTIZE with a
constant input persistent (kTfLiteArenaRwPersistent), and Eval returns at once after the first
run (`float_dequantized_weights_initialized`). So constant weights stored in fp16 or int8 and
dequantized on the CPU cost one dequantization, not one per inference.
"""

from __future__ import annotations

from opcompat.model.graph import Operator, Subgraph
from opcompat.tflite.types import tensor_at


def is_one_time(subgraph: Subgraph, op: Operator) -> bool:
    """A DEQUANTIZE whose input is a constant of the model."""
    if op.op != "DEQUANTIZE" or not op.inputs:
        return False
    t = tensor_at(subgraph, op.inputs[0])
    return t is not None and t.is_constant
