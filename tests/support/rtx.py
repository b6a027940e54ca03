"""TensorRT-RTX for the tests: the module, a failure where CI should have installed it, a skip
elsewhere."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require_rtx() -> ModuleType:
    """The ``tensorrt_rtx`` module. CI installs it (extra 'rtx'), so missing there fails the
    test; on other machines the test is skipped."""
    try:
        return importlib.import_module("tensorrt_rtx")
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("tensorrt_rtx is not importable, but CI installs it (extra 'rtx')")
        pytest.skip("tensorrt_rtx is not installed")
