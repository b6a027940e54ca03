"""ICumulativeLayer: SUM, inclusive/exclusive, forward/reverse, axis from a constant."""

import pytest
import torch
from harness import check_layer, check_rejected, weights


def axis_const(trt, net, axis, dtype=torch.int32):
    return net.add_constant((), trt.Weights(weights(torch.tensor(axis, dtype=dtype)))).get_output(0)


def cumsum(x, axis, exclusive, reverse):
    work = x.flip(axis) if reverse else x
    out = torch.cumsum(work, axis, dtype=x.dtype)
    if exclusive:
        out = torch.cat([torch.zeros_like(out.narrow(axis, 0, 1)),
                         out.narrow(axis, 0, out.shape[axis] - 1)], axis)
    return out.flip(axis) if reverse else out


def build_cumulative(axis, exclusive, reverse, axis_dtype=torch.int32):
    def build(trt, net, x):
        a = axis_const(trt, net, axis, axis_dtype)
        return net.add_cumulative(x, a, trt.CumulativeOperation.SUM, exclusive,
                                  reverse).get_output(0)
    return build


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1, -3])
def test_cumulative_sum(axis, exclusive, reverse):
    x = torch.randn(3, 4, 5)
    check_layer(build_cumulative(axis, exclusive, reverse), [x],
                lambda t: cumsum(t, axis, exclusive, reverse), atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_cumulative_integers_exact(dtype):
    x = torch.randint(-100, 100, (4, 6), dtype=dtype)
    check_layer(build_cumulative(1, True, False, torch.int64), [x],
                lambda t: cumsum(t, 1, True, False))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cumulative_half_accumulates_in_float(dtype):
    x = torch.rand(2, 64).to(dtype)
    check_layer(build_cumulative(-1, False, True), [x],
                lambda t: cumsum(t.float(), -1, False, True).to(dtype), atol=0, rtol=0)


def test_cumulative_dynamic_batch():
    check_layer(build_cumulative(0, False, False), [torch.randn(4, 3)],
                lambda t: torch.cumsum(t, 0), dynamic={0: [0]})


def test_cumulative_layer_properties():
    from trtconv.reference import trt
    net = trt.Builder(trt.Logger()).create_network(0)
    x = net.add_input("x", trt.float32, (2, 3))
    layer = net.add_cumulative(x, axis_const(trt, net, 1), trt.CumulativeOperation.SUM, True,
                               False)
    assert (layer.op, layer.exclusive, layer.reverse, layer.num_inputs) == (
        trt.CumulativeOperation.SUM, True, False, 2)
    assert layer.get_input(1).is_shape_tensor


@pytest.mark.parametrize("dtype", [torch.int8, torch.bool])
def test_cumulative_rejects_type(dtype):
    check_rejected(build_cumulative(0, False, False), [torch.ones(2, 3, dtype=dtype)],
                   "must have type")


@pytest.mark.parametrize("axis", [2, -3])
def test_cumulative_rejects_axis_out_of_range(axis):
    check_rejected(build_cumulative(axis, False, False), [torch.ones(2, 3)], "out of range")


def test_cumulative_rejects_float_axis():
    def build(trt, net, x):
        a = net.add_constant((), trt.Weights(weights(torch.tensor(1.0)))).get_output(0)
        return net.add_cumulative(x, a, trt.CumulativeOperation.SUM, False, False).get_output(0)

    check_rejected(build, [torch.ones(2, 3)], "INT32 or INT64")


def test_cumulative_rank0_and_vector_axis_refused():
    """TensorRT's add_cumulative returns None for these; the reference rejects the layer."""
    from support.layer_harness import rtx

    from trtconv.reference import trt as ref
    for trt in (ref, rtx()):
        net = trt.Builder(trt.Logger(trt.Logger.INTERNAL_ERROR)).create_network(0)
        x = net.add_input("x", trt.float32, ())
        layer = net.add_cumulative(x, axis_const(trt, net, 0), trt.CumulativeOperation.SUM,
                                   False, False)
        if trt is ref:
            with pytest.raises(RuntimeError, match="rank >= 1"):
                _ = layer.get_output(0).shape
        else:
            assert layer is None
