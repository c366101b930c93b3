"""TFLite's NNAPI delegate (`tflite/delegates/nnapi/nnapi_delegate.cc`).

The whole target lives here: `engine.py` (the interface `opcompat.analysis` calls), `cli.py`
(its flags), `rules/` (Validate, per op, and the spec cross-check), `levels.py` (API and
feature levels), `delegation.py` (DoPrepare and its partition cap), `opinfo.py` and `docs.py`
(`ops`, `explain`, `reports/supported_ops.md`).
"""

from __future__ import annotations

from opcompat.targets import TargetInfo

DEFAULT_API_LEVEL = 33
"""API level checked when none is given: Android 13, the lowest level with an updatable NNAPI
module at feature level 8 (so every feature-level-gated rule applies)."""
DEFAULT_MAX_PARTITIONS = 3
"""`StatefulNnApiDelegate::Options::max_number_delegated_partitions` by default."""

TARGET = TargetInfo(
    name="nnapi",
    label="NNAPI",
    delegate="TFLite's NNAPI delegate",
    default_max_partitions=DEFAULT_MAX_PARTITIONS,
    spec_findings=True,
)
