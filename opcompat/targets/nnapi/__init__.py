"""TFLite's NNAPI delegate (`tflite/delegates/nnapi/nnapi_delegate.cc`).

Its engine (`engine.py`) is the interface `opcompat.analysis` calls; its rules, levels and
partition policy live today in `opcompat.rules`, `opcompat.levels` and `opcompat.delegation`.
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
)
