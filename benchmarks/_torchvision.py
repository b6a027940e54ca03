"""Import torchvision on a CPU-only torch build (benchmark support; a copy of
tests/support/torchvision_cpu.py, never part of trtconv).

The torchvision 0.28.0 wheel is a CUDA build: its compiled extension ``torchvision/_C`` does not
load against the CPU torch wheel, and ``import torchvision`` then fails in
``torchvision/_meta_registrations.py`` with "operator torchvision::nms does not exist", because
that module registers fake kernels for ``torchvision::nms`` and ``torchvision::qnms``
unconditionally.

``import_torchvision()`` defines just those two operator schemas with ``torch.library``, and only
when the extension cannot load, then imports torchvision. The schemas get no kernels: compiled
ops (``torchvision.ops.nms``, roi_align, deform_conv2d, ...) stay unavailable and raise
torchvision's own "Couldn't load custom C++ ops" error; models that use only torch ops work.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

import torch

_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}

# Kept alive for the whole process: dropping a Library object deregisters what it defined.
_LIB: torch.library.Library | None = None


def _has_op(name: str) -> bool:
    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _extension_loads() -> bool:
    """Try to load torchvision's compiled ``_C`` without importing the torchvision package."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for location in spec.submodule_search_locations:
        loader = (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES)
        ext = importlib.machinery.FileFinder(location, loader).find_spec("_C")
        if ext is None or not ext.origin or not os.path.exists(ext.origin):
            continue
        try:
            torch.ops.load_library(ext.origin)
        except (OSError, ImportError, RuntimeError):
            return False
        return _has_op("nms")
    return False


def _define_missing_schemas() -> None:
    global _LIB
    missing = [name for name in _SCHEMAS if not _has_op(name)]
    if not missing:
        return
    if _LIB is None:
        _LIB = torch.library.Library("torchvision", "FRAGMENT")
    for name in missing:
        _LIB.define(_SCHEMAS[name])


def _forget_torchvision() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def import_torchvision() -> ModuleType:
    """Return the ``torchvision`` module, importable on CPU torch."""
    module = sys.modules.get("torchvision")
    if module is not None and hasattr(module, "models"):
        return module
    if not (_has_op("nms") and _has_op("qnms")) and not _extension_loads():
        _define_missing_schemas()
    try:
        return importlib.import_module("torchvision")
    except Exception:
        _forget_torchvision()
        raise
