"""ITopKLayer: MAX/MIN along each axis, k from a property or a shape tensor, index types."""

import pytest
import torch
from harness import build_network, check_layer, check_rejected, constant, rtx

from trtconv.reference import trt as ref


def topk(op, k, axes, indices_type=None, k_tensor=None):
    def build(trt, net, x):
        k_input = None if k_tensor is None else constant(trt, net, k_tensor)
        args = [] if indices_type is None else [getattr(trt.DataType, indices_type)]
        layer = net.add_topk(x, getattr(trt.TopKOperation, op), k, axes, *args)
        if k_input is not None:
            layer.set_input(1, k_input)
        return [layer.get_output(0), layer.get_output(1)]

    return build


def expected(op, k, dim, index_dtype=torch.int32):
    def fn(x):
        values, indices = torch.topk(x, k, dim, largest=op == "MAX")
        return [values, indices.to(index_dtype)]

    return fn


def distinct(*shape, dtype=torch.float32):
    """Values without ties (TensorRT's order among equal values is unspecified)."""
    return torch.randperm(torch.Size(shape).numel()).reshape(shape).to(dtype)


@pytest.mark.parametrize("op", ["MAX", "MIN"])
@pytest.mark.parametrize("axis,k", [(0, 2), (1, 3), (2, 5), (1, 0)])
def test_topk(op, axis, k):
    check_layer(topk(op, k, 1 << axis), [distinct(3, 4, 5)], expected(op, k, axis))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int32, torch.int64,
                                   torch.int8])
def test_value_types(dtype):
    check_layer(topk("MAX", 2, 2), [distinct(2, 6, dtype=dtype)], expected("MAX", 2, 1))


def test_int64_indices():
    check_layer(topk("MIN", 2, 2, "INT64"), [distinct(2, 6)], expected("MIN", 2, 1, torch.int64))


def test_k_from_shape_tensor():
    for dtype in (torch.int32, torch.int64):
        check_layer(topk("MAX", 1, 2, k_tensor=torch.tensor(3, dtype=dtype)), [distinct(2, 6)],
                    expected("MAX", 3, 1))


def test_zero_size_and_dynamic_batch():
    check_layer(topk("MAX", 2, 2), [torch.zeros(0, 5)], expected("MAX", 2, 1))
    check_layer(topk("MAX", 2, 2), [distinct(3, 5)], expected("MAX", 2, 1), dynamic={0: [0]})


@pytest.mark.parametrize("shape,k,axes,dtype,k_tensor,match", [
    ((2, 5), 6, 2, torch.float32, None, "exceeds"),
    ((2, 5), 1, 3, torch.float32, None, "exactly one"),
    ((2, 5), 1, 4, torch.float32, None, "beyond rank"),
    ((5,), 1, 1, torch.float32, None, "at least 2"),
    ((2, 5), 1, 2, torch.bool, None, "BOOL"),
    ((2, 5), 1, 2, torch.float32, torch.tensor([3]), "0-D"),
])
def test_rejects(shape, k, axes, dtype, k_tensor, match):
    check_rejected(topk("MAX", k, axes, k_tensor=k_tensor), [torch.zeros(shape, dtype=dtype)],
                   match)


@pytest.mark.parametrize("k,axes,indices_type", [(3841, 2, None), (1, 0, None),
                                                 (1, 2, "FLOAT")])
def test_invalid_arguments_create_no_layer(k, axes, indices_type):
    for trt in (ref, rtx()):
        _, net, _ = build_network(trt, lambda trt, net, x: x, [torch.zeros(2, 5)])
        args = [] if indices_type is None else [getattr(trt.DataType, indices_type)]
        assert net.add_topk(net.get_input(0), trt.TopKOperation.MAX, k, axes, *args) is None
