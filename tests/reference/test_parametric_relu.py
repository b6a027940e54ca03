"""IParametricReLULayer: slopes unidirectionally broadcast to the input."""

import pytest
import torch
from harness import check_layer, check_rejected


def prelu(trt, net, x, slopes):
    return net.add_parametric_relu(x, slopes).get_output(0)


def expected(x, slopes):
    return torch.where(x >= 0, x, x * slopes)


@pytest.mark.parametrize("slopes", [(1, 3, 1), (2, 3, 4), (1, 1, 1), (2, 1, 4)])
def test_parametric_relu(slopes):
    check_layer(prelu, [torch.randn(2, 3, 4), torch.randn(slopes)], expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(dtype):
    check_layer(prelu, [torch.randn(2, 3, 4).to(dtype), torch.randn(1, 3, 1).to(dtype)],
                lambda x, s: expected(x.float(), s.float()).to(dtype), atol=1e-2, rtol=1e-2)


def test_dynamic_batch_and_zero_size():
    check_layer(prelu, [torch.randn(3, 2, 5), torch.randn(1, 2, 1)], expected, dynamic={0: [0]})
    check_layer(prelu, [torch.randn(0, 2, 5), torch.randn(1, 2, 1)], expected)


@pytest.mark.parametrize("x,slopes,match", [
    (torch.ones(2, 3, 4), torch.ones(3, 1), "broadcastable"),  # lower rank
    (torch.ones(2, 1, 4), torch.ones(1, 3, 1), "broadcastable"),  # bidirectional
    (torch.ones(2, 3, 4), torch.ones(1, 2, 1), "broadcastable"),
    (torch.ones(2, 3), torch.ones(2, 3).half(), "same type"),
    (torch.ones(2, 3, dtype=torch.int32), torch.ones(2, 3, dtype=torch.int32), "type"),
])
def test_rejected(x, slopes, match):
    check_rejected(prelu, [x, slopes], match)
