"""IOneHotLayer: indices, values [off, on], depth (a shape tensor) and axis."""

import pytest
import torch
from harness import check_layer, check_rejected, weights


def const(trt, net, x):
    if x.dtype == torch.bool:  # no BOOL weights: an INT32 constant and a cast
        return net.add_cast(const(trt, net, x.int()), trt.bool).get_output(0)
    return net.add_constant(tuple(x.shape), trt.Weights(weights(x))).get_output(0)


def one_hot(indices, values, depth, axis):
    hot = torch.nn.functional.one_hot(indices.long() % depth, depth).bool()
    out = torch.where(hot, values[1], values[0])
    return out.movedim(-1, axis % out.dim())


def build_one_hot(values, depth, axis, depth_dtype=torch.int32):
    def build(trt, net, x):
        v = const(trt, net, values)
        d = const(trt, net, torch.tensor(depth, dtype=depth_dtype))
        return net.add_one_hot(x, v, d, axis).get_output(0)
    return build


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_one_hot_axes(axis):
    idx = torch.tensor([[0, 3, 1], [2, 2, 0]], dtype=torch.int32)
    values = torch.tensor([-1.0, 5.0])
    check_layer(build_one_hot(values, 4, axis), [idx], lambda i: one_hot(i, values, 4, axis))


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_one_hot_value_types(dtype):
    values = torch.tensor([0, 1]).to(dtype)
    idx = torch.tensor([1, 0, 2], dtype=torch.int64)
    check_layer(build_one_hot(values, 3, -1, torch.int64), [idx],
                lambda i: one_hot(i, values, 3, -1))


def test_one_hot_negative_and_out_of_range_indices():
    """Negative indices count from the end (ONNX); others give all-off rows."""
    from trtconv.reference import trt
    values = torch.tensor([0.0, 1.0])
    net = trt.Builder(trt.Logger()).create_network(0)
    x = net.add_input("x", trt.int32, (4,))
    layer = net.add_one_hot(x, const(trt, net, values), const(trt, net, torch.tensor(3)), -1)
    out = layer.execute([torch.tensor([-1, 3, -4, 0], dtype=torch.int32), values,
                         torch.tensor(3)])[0]
    assert torch.equal(out, torch.tensor([[0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0.]]))


def test_one_hot_scalar_indices_and_dynamic_batch():
    values = torch.tensor([0.0, 1.0])
    check_layer(build_one_hot(values, 5, -1), [torch.tensor(3, dtype=torch.int32)],
                lambda i: one_hot(i, values, 5, -1))
    check_layer(build_one_hot(values, 5, 1), [torch.tensor([[1, 4], [0, 2], [3, 3]],
                                                           dtype=torch.int32)],
                lambda i: one_hot(i, values, 5, 1), dynamic={0: [0]})


def test_one_hot_depth_from_input_is_dynamic():
    from support.layer_harness import rtx

    from trtconv.reference import trt as ref
    shapes = []
    for trt in (ref, rtx()):
        net = trt.Builder(trt.Logger(trt.Logger.INTERNAL_ERROR)).create_network(0)
        x = net.add_input("x", trt.int32, (2, 3))
        d = net.add_input("d", trt.int32, ())
        layer = net.add_one_hot(x, const(trt, net, torch.tensor([0.0, 1.0])), d, -1)
        shapes.append((tuple(layer.get_output(0).shape), layer.axis))
    assert shapes[0] == shapes[1] == ((2, 3, -1), -1)


def test_one_hot_rejects_float_indices():
    check_rejected(build_one_hot(torch.tensor([0.0, 1.0]), 3, -1), [torch.zeros(2, 2)],
                   "INT32 or INT64")


@pytest.mark.parametrize("axis", [3, -4])
def test_one_hot_rejects_axis(axis):
    check_rejected(build_one_hot(torch.tensor([0.0, 1.0]), 3, axis),
                   [torch.zeros(2, 2, dtype=torch.int32)], "valid range")


def test_one_hot_rejects_three_values():
    check_rejected(build_one_hot(torch.tensor([0.0, 1.0, 2.0]), 3, -1),
                   [torch.zeros(2, 2, dtype=torch.int32)], "exactly 2")


def test_one_hot_rejects_vector_depth():
    def build(trt, net, x):
        v = const(trt, net, torch.tensor([0.0, 1.0]))
        d = const(trt, net, torch.tensor([3], dtype=torch.int32))
        return net.add_one_hot(x, v, d, -1).get_output(0)

    check_rejected(build, [torch.zeros(2, 2, dtype=torch.int32)], "scalar")
