"""Import torchvision on a CPU-only torch build: the benchmarks use the same support code as
the tests and the demo (tests/support/torchvision_cpu.py), never anything inside trtconv."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from support.torchvision_cpu import import_torchvision  # noqa: E402

__all__ = ["import_torchvision"]
