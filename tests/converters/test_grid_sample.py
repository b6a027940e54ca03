"""grid_sample in every mode and padding mode, both align_corners, 4-D and 5-D, dtypes and a
dynamic batch and size. Grids reach past [-1, 1] so every padding mode matters."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_op
from support.dynamic_harness import check_dynamic

X4 = torch.randn(2, 3, 6, 7)
GRID4 = torch.rand(2, 4, 5, 2) * 2.4 - 1.2
X5 = torch.randn(1, 2, 3, 4, 5)
GRID5 = torch.rand(1, 2, 3, 4, 3) * 2.4 - 1.2


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_4d(mode, padding_mode, align_corners):
    check_op(lambda x, g: F.grid_sample(x, g, mode, padding_mode, align_corners), X4, GRID4,
             atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_5d(mode, padding_mode):
    check_op(lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                        align_corners=True), X5, GRID5)


def test_grid_sample_defaults_and_keywords():
    check_op(lambda x, g: (F.grid_sample(x, g, align_corners=False),
                           F.grid_sample(input=x, grid=g, padding_mode="border",
                                         align_corners=False)), X4, GRID4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_grid_sample_half(dtype):
    # Coordinates in eighths: torch computes sample positions in the input's dtype, TensorRT
    # (and the reference) in float32; on this grid both are exact in bfloat16 too.
    grid = torch.randint(-10, 11, (2, 4, 5, 2)) / 8
    check_op(lambda x, g: F.grid_sample(x, g, align_corners=False), X4.to(dtype),
             grid.to(dtype), atol=1e-2, rtol=1e-2)


def test_grid_sample_dynamic():
    check_dynamic(lambda x, g: F.grid_sample(x, g, align_corners=False),
                  (X4, GRID4), (torch.randn(1, 3, 9, 4), torch.rand(1, 2, 8, 2) * 2 - 1),
                  (torch.randn(3, 3, 5, 5), torch.rand(3, 6, 3, 2) * 2 - 1))
