"""Per-builtin Validate rules, one module per op family; importing this registers them all."""
from __future__ import annotations

from opcompat.targets.nnapi.rules.ops import (  # noqa: F401  (imported for their @rule registrations)
    activation,
    arithmetic,
    compare_logic,
    conv_pool,
    math,
    quantization,
    recurrent,
    reduce,
    sequence,
    shape,
    tensor,
)
