"""The reader's view of a .tflite model: frozen, typed objects that the rules read.

Field names follow TFLite's `schema.fbs` (tables Model, SubGraph, Operator, OperatorCode,
Tensor, QuantizationParameters, Buffer, SignatureDef). The records are NamedTuples, not
dataclasses: creating a frozen dataclass costs about 0.8 ms at import, a NamedTuple a tenth of
that, and `check` is a short-lived process (use `_replace` for a changed copy).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, NamedTuple


class TensorType(enum.IntEnum):
    """`enum TensorType` of schema.fbs."""

    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10
    COMPLEX128 = 11
    UINT64 = 12
    RESOURCE = 13
    VARIANT = 14
    UINT32 = 15
    UINT16 = 16
    INT4 = 17
    BFLOAT16 = 18
    INT2 = 19
    UINT4 = 20
    FLOAT8_E4M3FN = 21
    FLOAT8_E5M2 = 22


OPTIONAL_TENSOR = -1
"""An omitted optional input (kTfLiteOptionalTensor)."""


class Quantization(NamedTuple):
    """QuantizationParameters of one tensor."""

    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    quantized_dimension: int = 0
    min: tuple[float, ...] = ()
    max: tuple[float, ...] = ()
    details_type: int = 0
    """QuantizationDetails union type (0: none, 1: CustomQuantization, 2: BlockwiseQuantization)."""

    @property
    def is_affine(self) -> bool:
        """TFLite treats a tensor as affine-quantized when it has scales and zero points."""
        return bool(self.scale) and bool(self.zero_point)

    @property
    def is_per_channel(self) -> bool:
        return len(self.scale) > 1

    @property
    def legacy_scale(self) -> float:
        """`TfLiteTensor.params.scale`: the single scale, or 0 when there is not exactly one."""
        return self.scale[0] if len(self.scale) == 1 and len(self.zero_point) == 1 else 0.0

    @property
    def legacy_zero_point(self) -> int:
        """`TfLiteTensor.params.zero_point`: the single zero point, or 0 otherwise."""
        return self.zero_point[0] if len(self.scale) == 1 and len(self.zero_point) == 1 else 0


class Tensor(NamedTuple):
    """One tensor of a subgraph."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    name: str
    dtype: TensorType | int
    """A TensorType, or the raw value when it is not in the schema enum."""
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    """None when the model stores no signature (then it equals `shape`)."""
    buffer: int
    is_constant: bool
    """Its buffer holds data, inline or outside the flatbuffer at an offset."""
    is_variable: bool
    quantization: Quantization | None
    is_sparse: bool = False
    has_rank: bool = True

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_dynamic_shape(self) -> bool:
        """A dimension is -1 in the shape signature."""
        return self.shape_signature is not None and -1 in self.shape_signature


class Operator(NamedTuple):
    """One operator of a subgraph, in execution order."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    opcode_index: int
    builtin_code: int
    """max(builtin_code, deprecated_builtin_code) of its OperatorCode."""
    op: str
    """Schema enum name (`CONV_2D`), `CUSTOM`, or `UNKNOWN_<code>`."""
    version: int
    custom_code: str | None
    inputs: tuple[int, ...]
    """Tensor indices; OPTIONAL_TENSOR (-1) for an omitted optional input."""
    outputs: tuple[int, ...]
    intermediates: tuple[int, ...] = ()
    options_type: str | None = None
    """Name of the BuiltinOptions (or BuiltinOptions2) union member, e.g. `Conv2DOptions`."""
    options: Mapping[str, Any] = {}  # noqa: RUF012  (shared, read-only like the record)
    """Decoded builtin options, keyed by schema field name, schema defaults filled in."""
    custom_options_size: int = 0
    custom_options_offset: int = 0
    """Position of the inline `custom_options` bytes in the file (0: none inline)."""

    @property
    def display_name(self) -> str:
        """`CONV_2D`, or `CUSTOM:<name>` for custom ops."""
        if self.op == "CUSTOM":
            return f"CUSTOM:{self.custom_code or ''}"
        return self.op


class Subgraph(NamedTuple):
    """One subgraph: its tensors and its operators in execution order."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    name: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


class Buffer(NamedTuple):
    """A buffer; `offset`/`size` are set when its data lies outside the flatbuffer (> 2 GB)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    data_size: int
    offset: int = 0
    size: int = 0
    data_offset: int = 0
    """Position of the inline data in the file (0: no inline data)."""
    has_data: bool = False
    """The buffer has a `data` vector, even an empty one (then TFLite maps the tensor read-only)."""

    @property
    def is_external(self) -> bool:
        return self.offset > 1


class SignatureDef(NamedTuple):
    """A signature: its key, subgraph index, and input/output names mapped to tensor indices."""

    key: str
    subgraph_index: int
    inputs: Mapping[str, int]
    outputs: Mapping[str, int]


class Model:
    """A whole .tflite model. Compared and hashed by what was read of it, never by `_data`
    (comparing the file's bytes would read every weight)."""

    __slots__ = ("version", "description", "subgraphs", "buffers", "metadata_names",
                 "signature_defs", "size", "_data", "_file_stat")
    version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    buffers: tuple[Buffer, ...]
    metadata_names: tuple[str, ...]
    signature_defs: tuple[SignatureDef, ...]
    size: int
    _data: Any
    _file_stat: tuple[int, ...] | None

    def __init__(
        self,
        version: int,
        description: str,
        subgraphs: tuple[Subgraph, ...],
        buffers: tuple[Buffer, ...],
        metadata_names: tuple[str, ...],
        signature_defs: tuple[SignatureDef, ...],
        size: int,
        _data: Any = None,
        _file_stat: tuple[int, ...] | None = None,
    ) -> None:
        init = object.__setattr__  # frozen: __setattr__ refuses
        init(self, "version", version)
        init(self, "description", description)
        init(self, "subgraphs", subgraphs)
        init(self, "buffers", buffers)
        init(self, "metadata_names", metadata_names)
        init(self, "signature_defs", signature_defs)
        init(self, "size", size)  # of the file, in bytes
        init(self, "_data", _data)  # the memoryview it was read from, for `buffer_data` only
        # What os.stat said of the file when it was read (opcompat.digest.fingerprint); None
        # for a model read from bytes.
        init(self, "_file_stat", _file_stat)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Model is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Model is frozen: cannot delete {name!r}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        """For `copy.copy`; the mapping in `_data` itself does not pickle."""
        return (Model, (*self._key(), self._data, self._file_stat))

    def _key(self) -> tuple[Any, ...]:
        return (self.version, self.description, self.subgraphs, self.buffers,
                self.metadata_names, self.signature_defs, self.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Model(version={self.version}, subgraphs={len(self.subgraphs)}, size={self.size})"

    def buffer_data(self, tensor: Tensor) -> memoryview | None:
        """The bytes of a constant tensor, without copying; None when it has none here."""
        from opcompat.model.reader import buffer_data  # the reader owns the bounds checks

        return buffer_data(self, tensor)

    def custom_options(self, op: Operator) -> memoryview | None:
        """The inline `custom_options` bytes of `op`, without copying; None when it has none."""
        from opcompat.model.reader import custom_options

        return custom_options(self, op)
