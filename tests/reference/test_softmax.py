"""ISoftMaxLayer: default axis per rank, every axis, float types, zero-size, rejections."""

import pytest
import torch
from harness import build_network, check_layer, check_rejected, rtx

from trtconv.reference import trt as ref


def softmax(axes=None):
    def build(trt, net, x):
        layer = net.add_softmax(x)
        if axes is not None:
            layer.axes = axes
        return layer.get_output(0)

    return build


@pytest.mark.parametrize("rank", [2, 3, 4, 5, 6])
def test_default_axis_is_rank_minus_3(rank):
    for trt in (ref, rtx()):
        _, net, _ = build_network(trt, lambda trt, net, x: x, [torch.zeros((2,) * rank)])
        assert net.add_softmax(net.get_input(0)).axes == 1 << max(rank - 3, 0)


@pytest.mark.parametrize("shape", [(2, 5), (2, 3, 4), (2, 3, 4, 5)])
def test_default_axis(shape):
    check_layer(softmax(), [torch.randn(shape)],
                lambda x: torch.softmax(x, max(x.dim() - 3, 0)))


@pytest.mark.parametrize("axis", [0, 1, 2, 3])
def test_every_axis(axis):
    check_layer(softmax(1 << axis), [torch.randn(2, 3, 4, 5) * 4],
                lambda x: torch.softmax(x, axis))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(dtype):
    check_layer(softmax(2), [torch.randn(3, 7).to(dtype)], lambda x: torch.softmax(x, 1),
                atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_zero_size(shape):
    check_layer(softmax(2), [torch.randn(shape)], lambda x: torch.softmax(x, 1))


def test_dynamic_batch():
    check_layer(softmax(2), [torch.randn(4, 6)], lambda x: torch.softmax(x, 1), dynamic={0: [0]})


@pytest.mark.parametrize("shape,axes,dtype,match", [
    ((2, 3), 4, torch.float32, "beyond"),
    ((5,), 1, torch.float32, "at least 2"),
    ((2, 3), 2, torch.int32, "FLOAT"),
])
def test_rejects(shape, axes, dtype, match):
    check_rejected(softmax(axes), [torch.zeros(shape, dtype=dtype)], match)


@pytest.mark.parametrize("axes", [0, 3, 6])
def test_axes_must_name_one_axis(axes):
    _, net, _ = build_network(ref, lambda trt, net, x: x, [torch.zeros(2, 3, 4)])
    with pytest.raises(TypeError, match="exactly one bit"):
        net.add_softmax(net.get_input(0)).axes = axes
