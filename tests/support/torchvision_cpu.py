"""Import torchvision on a CPU-only torch build (test support only, never part of trtconv).

The torchvision 0.28.0 wheel is a CUDA build: its compiled extension ``torchvision/_C`` does not
load against the CPU torch wheel, and ``import torchvision`` then fails in
``torchvision/_meta_registrations.py`` with "operator torchvision::nms does not exist", because
that module registers fake kernels for ``torchvision::nms`` and ``torchvision::qnms``
unconditionally.

``import_torchvision()`` defines just those two operator schemas with ``torch.library``, and only
when the extension cannot load, then imports torchvision. ``torchvision::nms`` then gets a
pure-PyTorch CPU kernel (``nms_reference``, torchvision's own CPU algorithm), and
``torchvision.ops.nms`` / ``batched_nms`` are let through torchvision's "are the compiled ops
loaded" check, so the detection models run. The other compiled ops (qnms, deform_conv2d,
roi_pool, ...) stay unavailable; ``roi_align`` falls back to torchvision's Python
implementation on its own.
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
_NMS_KERNEL = False  # whether this module registered the nms kernel


def nms_reference(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """torchvision's CPU nms (csrc/ops/cpu/nms_kernel.cpp) in PyTorch: boxes in decreasing
    score order (a stable sort: equal scores keep their index order); each box not yet
    suppressed is kept and suppresses every later box whose IoU with it exceeds
    `iou_threshold`. The IoU is computed in the boxes' dtype with the kernel's formula."""
    if dets.dim() != 2 or dets.size(1) != 4:
        raise RuntimeError(f"boxes should be a 2d tensor of shape [N, 4], got {tuple(dets.shape)}")
    if scores.dim() != 1 or scores.size(0) != dets.size(0):
        raise RuntimeError(f"scores should be a 1d tensor of {dets.size(0)} elements, got "
                           f"{tuple(scores.shape)}")
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.int64)
    order = scores.sort(stable=True, descending=True).indices
    x1, y1, x2, y2 = dets[order].unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    zero = torch.zeros((), dtype=dets.dtype)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        w = torch.maximum(zero, torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1))
        h = torch.maximum(zero, torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1))
        inter = w * h
        suppressed |= inter / (areas[i] + areas - inter) > iou_threshold
    return order[torch.tensor(keep, dtype=torch.int64)]


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


def _add_nms_kernel(torchvision: ModuleType) -> None:
    """The pure-PyTorch CPU kernel for the nms schema defined here, and torchvision.ops'
    check for compiled ops relaxed to "nms has a kernel" (its nms and batched_nms call it)."""
    global _NMS_KERNEL
    if _LIB is None or _NMS_KERNEL:
        return
    _LIB.impl("nms", nms_reference, "CPU")
    _NMS_KERNEL = True
    boxes = importlib.import_module("torchvision.ops.boxes")
    original = boxes._assert_has_ops

    def assert_nms_has_a_kernel() -> None:
        if not _NMS_KERNEL:
            original()

    boxes._assert_has_ops = assert_nms_has_a_kernel


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
        module = importlib.import_module("torchvision")
    except Exception:
        _forget_torchvision()
        raise
    _add_nms_kernel(module)
    return module
