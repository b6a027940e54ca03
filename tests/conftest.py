"""Shared pytest setup: tests/ on sys.path (for ``support``), seeding, torchvision and rtx fixtures."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

import pytest
import torch

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from support.rtx import rtx_available  # noqa: E402  (needs TESTS_DIR on sys.path)

__all__ = ["rtx_available"]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def torchvision() -> ModuleType:
    """The torchvision module, importable on CPU torch (see support/torchvision_cpu.py)."""
    from support.torchvision_cpu import import_torchvision

    return import_torchvision()


@pytest.fixture(scope="session")
def rtx() -> ModuleType:
    """The ``tensorrt_rtx`` module; skips where it is not installed (CI installs it)."""
    if not rtx_available():
        if os.environ.get("CI"):
            pytest.fail("tensorrt_rtx is not importable, but CI installs it (extra 'rtx')")
        pytest.skip("tensorrt_rtx is not installed")
    return importlib.import_module("tensorrt_rtx")
