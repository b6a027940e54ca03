"""TensorRT-RTX availability, for fixtures and ``pytest.mark.skipif``."""

from __future__ import annotations

import functools
import importlib


@functools.cache
def rtx_available() -> bool:
    """True when TensorRT-RTX (module ``tensorrt_rtx``) imports."""
    try:
        importlib.import_module("tensorrt_rtx")
    except Exception:
        return False
    return True
