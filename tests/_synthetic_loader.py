"""Import `tests/formats/synthetic.py` (the canonical synthetic reports) from tests outside that folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load() -> ModuleType:
    if "synthetic" in sys.modules:
        return sys.modules["synthetic"]
    path = Path(__file__).resolve().parent / "formats" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("synthetic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module
    spec.loader.exec_module(module)
    return module
