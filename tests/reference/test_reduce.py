"""IReduceLayer: every ReduceOperation, axes bitmasks, keep_dims, types, empty, shape values."""

import pytest
import torch
from harness import build_network, check_layer, check_rejected, rtx

from trtconv.reference import trt as ref


def reduce(op, axes, keep_dims):
    def build(trt, net, x):
        return net.add_reduce(x, getattr(trt.ReduceOperation, op), axes, keep_dims).get_output(0)

    return build


def prod(x, dims, keepdim):
    for d in sorted(dims, reverse=True):
        x = x.prod(d, keepdim=True)
    return x if keepdim else x.squeeze(tuple(dims))


TORCH = {
    "SUM": lambda x, dims, keep: x.sum(dims, keepdim=keep),
    "PROD": prod,
    "MAX": lambda x, dims, keep: x.amax(dims, keepdim=keep),
    "MIN": lambda x, dims, keep: x.amin(dims, keepdim=keep),
    "AVG": lambda x, dims, keep: x.mean(dims, keepdim=keep),
}


def mask_axes(mask, rank):
    return [i for i in range(rank) if mask >> i & 1]


@pytest.mark.parametrize("op", sorted(TORCH))
@pytest.mark.parametrize("axes", [0b1, 0b110, 0b111])
@pytest.mark.parametrize("keep_dims", [False, True])
def test_reduce(op, axes, keep_dims):
    dims = mask_axes(axes, 3)
    check_layer(reduce(op, axes, keep_dims), [torch.rand(2, 3, 4) + 0.5],
                lambda x: TORCH[op](x, dims, keep_dims), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("op", ["SUM", "PROD", "MAX", "MIN"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8])
def test_reduce_integers(op, dtype):
    x = torch.randint(-3, 4, (3, 4)).to(dtype)
    check_layer(reduce(op, 0b10, False), [x], lambda x: TORCH[op](x, [1], False).to(dtype))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_integer_average_truncates(dtype):
    x = torch.tensor([[7, 0, 0], [-7, 0, 0]], dtype=dtype)
    check_layer(reduce("AVG", 0b10, True), [x], lambda x: torch.tensor([[2], [-2]], dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduce_reduced_precision(dtype):
    check_layer(reduce("SUM", 0b10, False), [torch.rand(2, 8).to(dtype)],
                lambda x: x.sum(1), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("op,value", [("SUM", 0.0), ("PROD", 1.0), ("MAX", -torch.inf),
                                      ("MIN", torch.inf), ("AVG", torch.nan)])
def test_reduce_over_nothing_gives_the_identity(op, value):
    check_layer(reduce(op, 0b1, False), [torch.zeros(0, 3)], lambda x: torch.full((3,), value))


def test_reduce_keeps_zero_size_dims():
    check_layer(reduce("SUM", 0b10, False), [torch.zeros(0, 3)], lambda x: torch.zeros(0))


def test_reduce_dynamic_batch():
    check_layer(reduce("MAX", 0b10, True), [torch.randn(3, 5)],
                lambda x: x.amax(1, keepdim=True), dynamic={0: [0]})


def test_reduced_shape_values_drive_a_reshape():
    """x.view(x.numel()) with numel = PROD of the shape tensor."""
    def build(trt, net, x):
        dims = net.add_shape(x).get_output(0)
        numel = net.add_reduce(dims, trt.ReduceOperation.PROD, 1, True).get_output(0)
        layer = net.add_shuffle(x)
        layer.set_input(1, numel)
        return layer.get_output(0)

    check_layer(build, [torch.randn(2, 3, 4)], lambda x: x.reshape(-1))


@pytest.mark.parametrize("op,axes,dtype,match", [
    ("SUM", 0, torch.float32, "no dimensions"),
    ("SUM", 0b100, torch.float32, "beyond rank"),
    ("SUM", 0b1, torch.bool, "BOOL"),
    ("AVG", 0b1, torch.int8, "INT8"),
])
def test_rejects(op, axes, dtype, match):
    check_rejected(reduce(op, axes, False), [torch.zeros(2, 3, dtype=dtype)], match)


def test_rejects_scalar_input():
    check_rejected(reduce("SUM", 1, False), [torch.tensor(1.0)], "at least 1 dimension")


def test_none_creates_no_layer():
    for trt in (ref, rtx()):
        _, net, _ = build_network(trt, lambda trt, net, x: x, [torch.zeros(2, 3)])
        assert net.add_reduce(net.get_input(0), trt.ReduceOperation.NONE, 1, False) is None


def test_negative_axes_mask_is_a_type_error():
    for trt in (ref, rtx()):
        _, net, _ = build_network(trt, lambda trt, net, x: x, [torch.zeros(2, 3)])
        with pytest.raises(TypeError):
            net.add_reduce(net.get_input(0), trt.ReduceOperation.SUM, -1, False)
