"""opcompat: how a TensorFlow Lite model will run on Android's NNAPI, per API level.

The public API is `check()` and the result types in `opcompat.report`; the model
reader is `opcompat.model.read_model`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from opcompat.report import ModelReport

__all__ = ["__version__", "check"]


def check(path_or_bytes: Any, **kwargs: Any) -> ModelReport:
    """Check one model; see `opcompat.analysis.check` for the arguments."""
    # Imported lazily so that `import opcompat` stays cheap for the CLI.
    from opcompat.analysis import check as _check

    return _check(path_or_bytes, **kwargs)
