"""Reading .tflite flatbuffers: `read_model(path_or_bytes) -> Model`."""
from __future__ import annotations

from opcompat.errors import ModelReadError
from opcompat.model.graph import (
    OPTIONAL_TENSOR,
    Buffer,
    Model,
    Operator,
    Quantization,
    SignatureDef,
    Subgraph,
    Tensor,
    TensorType,
)

__all__ = [
    "OPTIONAL_TENSOR",
    "Buffer",
    "Model",
    "ModelReadError",
    "Operator",
    "Quantization",
    "SignatureDef",
    "Subgraph",
    "Tensor",
    "TensorType",
    "read_model",
]


def read_model(source: object) -> Model:
    """Read a model from a path (memory-mapped) or from bytes; see `opcompat.model.reader`."""
    from opcompat.model.reader import read_model as _read

    return _read(source)  # type: ignore[arg-type]
