"""torchvision's raft_small (optical flow) converts whole, without fallback, and matches PyTorch.

Random weights (seeded), eval mode, one pair of 1x3x128x128 images in [-1, 1] (what RAFT's
transforms produce). 128 is the smallest size RAFT takes: the feature maps are 1/8 of the
image, and its 4-level correlation pyramid needs them at least 16x16. The model runs its
default 12 flow updates and returns the 12 flow estimates, each [1, 2, 128, 128]; every
update samples the correlation pyramid with `grid_sample` (4 calls per update).
"""

from __future__ import annotations

from types import ModuleType

import pytest
import torch

import trtconv

from .zoo import MAX_REL_ERROR, relative_error

pytestmark = pytest.mark.models
SIZE = 128
UPDATES = 12


def raft_small(torchvision: ModuleType) -> tuple[torch.nn.Module, list[torch.Tensor]]:
    torch.manual_seed(0)
    model = torchvision.models.optical_flow.raft_small(weights=None).eval()
    torch.manual_seed(1)
    images = [torch.rand(1, 3, SIZE, SIZE) * 2 - 1 for _ in range(2)]
    return model, images


def test_raft_small_converts_whole_and_matches(torchvision: ModuleType) -> None:
    model, images = raft_small(torchvision)
    with torch.no_grad():
        want = model(*[x.clone() for x in images])
    converted = trtconv.convert(model, [x.clone() for x in images], backend="reference")
    assert converted.report.unsupported == []
    assert converted.report.converted["torch.nn.functional.grid_sample"] == 4 * UPDATES
    got = converted(*[x.clone() for x in images])
    assert isinstance(got, list) and len(got) == len(want) == UPDATES
    for g, w in zip(got, want):
        assert (g.dtype, tuple(g.shape)) == (w.dtype, tuple(w.shape)) == (
            torch.float32, (1, 2, SIZE, SIZE))
    error = relative_error(got, want)
    assert error <= MAX_REL_ERROR, f"max |trt - torch| / max |torch| = {error:.3g}"


def test_raft_small_builds_on_tensorrt_rtx(torchvision: ModuleType, rtx: ModuleType) -> None:
    model, images = raft_small(torchvision)
    on_rtx = trtconv.convert(model, images, backend="tensorrt_rtx")
    assert on_rtx.engine_bytes, "TensorRT-RTX built an empty plan"
