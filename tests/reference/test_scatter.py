"""IScatterLayer: ELEMENT (ScatterElements, with axis) and ND (ScatterND) modes."""

import pytest
import torch
from harness import check_layer, check_rejected, weights


def const(trt, net, x):
    return net.add_constant(tuple(x.shape), trt.Weights(weights(x))).get_output(0)


def build_scatter(mode, indices, axis=None):
    def build(trt, net, data, updates):
        layer = net.add_scatter(data, const(trt, net, indices), updates,
                                getattr(trt.ScatterMode, mode))
        if axis is not None:
            layer.axis = axis
        return layer.get_output(0)
    return build


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_scatter_element(axis):
    data = torch.randn(3, 4)
    a = axis % 2
    # a permutation along `axis` for each position, so there are no duplicate writes
    size = data.shape[a]
    indices = torch.stack([torch.randperm(size)[:2] for _ in range(4 if a == 0 else 3)], 1 - a)
    indices = indices.to(torch.int32)
    updates = torch.randn(indices.shape)
    check_layer(build_scatter("ELEMENT", indices, axis), [data, updates],
                lambda d, u: d.scatter(a, indices.long(), u))


def test_scatter_element_default_axis_and_negative_indices():
    data, updates = torch.zeros(3, 2), torch.tensor([[1.0, 2.0]])
    indices = torch.tensor([[-1, 0]], dtype=torch.int64)
    check_layer(build_scatter("ELEMENT", indices), [data, updates],
                lambda d, u: d.scatter(0, torch.tensor([[2, 0]]), u))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int32, torch.int64,
                                   torch.int8, torch.bool])
def test_scatter_element_types(dtype):
    data = (torch.randn(3, 4) * 10).to(dtype)
    updates = (torch.randn(1, 4) * 10).to(dtype)
    indices = torch.tensor([[2, 0, 1, 2]], dtype=torch.int32)
    check_layer(build_scatter("ELEMENT", indices), [data, updates],
                lambda d, u: d.scatter(0, indices.long(), u))


@pytest.mark.parametrize("data_shape,indices", [
    ((4, 3), [[1], [3]]),                 # whole rows
    ((4, 3), [[0, 2], [3, 1]]),           # single elements
    ((2, 3, 4), [[[1, 2]], [[0, 0]]]),    # 3-D, k = 2
    ((4, 3), [[-1], [0]]),                # negative index
])
def test_scatter_nd(data_shape, indices):
    indices = torch.tensor(indices, dtype=torch.int64)
    k = indices.shape[-1]
    data = torch.randn(data_shape)
    updates = torch.randn(tuple(indices.shape[:-1]) + tuple(data_shape[k:]))

    def expected(d, u):
        out = d.clone()
        for pos, row in zip(indices.reshape(-1, k).tolist(), u.reshape(-1, *data_shape[k:])):
            out[tuple(pos)] = row
        return out

    check_layer(build_scatter("ND", indices), [data, updates], expected)


def test_scatter_dynamic_batch():
    indices = torch.tensor([[1, 0, 1]], dtype=torch.int32)
    check_layer(build_scatter("ELEMENT", indices), [torch.randn(4, 3), torch.randn(1, 3)],
                lambda d, u: d.scatter(0, indices.long(), u), dynamic={0: [0]})


def test_scatter_layer_properties():
    from trtconv.reference import trt
    net = trt.Builder(trt.Logger()).create_network(0)
    d = net.add_input("d", trt.float32, (3, 4))
    i = net.add_input("i", trt.int32, (2, 4))
    layer = net.add_scatter(d, i, d, trt.ScatterMode.ND)
    assert (layer.mode, layer.axis) == (trt.ScatterMode.ND, 0)


def test_scatter_rejects_rank_mismatch():
    check_rejected(build_scatter("ELEMENT", torch.tensor([0, 1], dtype=torch.int32)),
                   [torch.randn(3, 4), torch.randn(2)], "same rank")


def test_scatter_rejects_update_type():
    check_rejected(build_scatter("ELEMENT", torch.zeros(1, 4, dtype=torch.int32)),
                   [torch.randn(3, 4), torch.randn(1, 4).half()], "identical types")


def test_scatter_rejects_float_indices():
    check_rejected(build_scatter("ELEMENT", torch.zeros(1, 4)),
                   [torch.randn(3, 4), torch.randn(1, 4)], "INT32 or INT64")


@pytest.mark.parametrize("mode,indices,updates,match", [
    ("ELEMENT", torch.zeros(2, 4, dtype=torch.int32), torch.randn(3, 4), "same shape"),
    ("ELEMENT", torch.zeros(5, 4, dtype=torch.int32), torch.randn(5, 4), "larger"),
    ("ND", torch.zeros(2, 1, dtype=torch.int32), torch.randn(2, 3), "updates must have shape"),
    ("ND", torch.zeros(2, 3, dtype=torch.int32), torch.randn(2), "must not exceed"),
])
def test_scatter_rejects_shapes(mode, indices, updates, match):
    check_rejected(build_scatter(mode, indices), [torch.randn(3, 4), updates], match)


def test_scatter_rejects_axis():
    check_rejected(build_scatter("ELEMENT", torch.zeros(1, 4, dtype=torch.int32), axis=2),
                   [torch.randn(3, 4), torch.randn(1, 4)], "out of range")
