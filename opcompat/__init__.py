"""opcompat: how a TensorFlow Lite model will run on Android's NNAPI, per API level.

The public API is `check()` and the frozen result types it returns (`ModelReport`,
`OperatorResult`, `Partition`, `SubgraphResult`, `Reason`, `CheckOptions`, from
`opcompat.report`); the model reader is `opcompat.model.read_model`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from opcompat.report import ModelReport

__all__ = ["__version__", "check"]


def check(
    path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview,
    api_level: int = 33,
    feature_level: int | None = None,
    nnapi_cpu: bool = False,
    max_partitions: int | None = None,
    target: str = "nnapi",
) -> ModelReport:
    """Check one model (a path, or the bytes of a .tflite file) on a device of `api_level`
    (27-35) whose NNAPI runtime reports `feature_level` (1-8; default: the usual one for the
    API level), with the delegate's `disallow_nnapi_cpu=False` when `nnapi_cpu`, keeping at
    most `max_partitions` partitions (0: no limit; None: the delegate's own default, 3 for
    NNAPI), for the delegate `target` (`nnapi`).

    Raises ModelReadError for an unreadable model and UsageError for bad arguments."""
    # Imported lazily so that `import opcompat` stays cheap for the CLI.
    from opcompat.analysis import check as _check

    return _check(
        path_or_bytes,
        api_level=api_level,
        feature_level=feature_level,
        nnapi_cpu=nnapi_cpu,
        max_partitions=max_partitions,
        target=target,
    )
