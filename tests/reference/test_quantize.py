"""IQuantizeLayer / IDequantizeLayer: INT8 and FP8, per tensor and per channel."""

import numpy as np
import pytest
import torch
from harness import check_layer, check_rejected, weights

from trtconv.reference import trt as ref


def const(trt, net, x):
    return net.add_constant(tuple(x.shape), trt.Weights(weights(x))).get_output(0)


def q_int8(x, scale, axis=None):
    """NumPy: float32 division, round half to even, saturate."""
    s = scale.numpy().astype(np.float32)
    if axis is not None:
        s = s.reshape([-1 if d == axis % x.dim() else 1 for d in range(x.dim())])
    y = np.rint(x.float().numpy() / s)
    return torch.from_numpy(np.clip(y, -128, 127).astype(np.int8))


def _build(method, scale, out, axis):
    def build(trt, net, x):
        layer = getattr(net, method)(x, const(trt, net, scale), getattr(trt.DataType, out))
        if axis is not None:
            layer.axis = axis
        return layer.get_output(0)
    return build


def build_q(scale, out="INT8", axis=None):
    return _build("add_quantize", scale, out, axis)


def build_dq(scale, out="FLOAT", axis=None):
    return _build("add_dequantize", scale, out, axis)


def test_int8_rounds_half_to_even_and_saturates():
    scale = torch.tensor(0.5)
    x = torch.tensor([[0.25, 0.75, 1.25, -0.25, -0.75, -1.25],
                      [63.75, 64.0, -64.25, 1e6, -1e6, 0.0]])
    got = check_layer(build_q(scale), [x], lambda t: q_int8(t, scale))[0]
    assert got.tolist() == [[0, 2, 2, 0, -2, -2], [127, 127, -128, 127, -128, 0]]


@pytest.mark.parametrize("axis,shape", [(1, (2, 3)), (-1, (2, 3)), (0, (3, 2)), (1, (2, 3, 4))])
def test_int8_per_channel(axis, shape):
    x = torch.randn(shape) * 50
    scale = torch.rand(shape[axis]) + 0.1
    check_layer(build_q(scale, axis=axis), [x], lambda t: q_int8(t, scale, axis))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_int8_from_half_inputs(dtype):
    x = (torch.randn(4, 8) * 30).to(dtype)
    scale = torch.tensor(0.37)
    check_layer(build_q(scale), [x], lambda t: q_int8(t, scale))


def test_int8_one_element_scale_is_per_tensor():
    x, scale = torch.randn(2, 3) * 10, torch.tensor([0.2])
    check_layer(build_q(scale), [x], lambda t: q_int8(t, scale.reshape(())))


def test_fp8_saturates():
    scale = torch.tensor(2.0)
    x = torch.tensor([1.0, -3.3, 1000.0, -1e5, 0.01, 895.9])
    got = check_layer(build_q(scale, "FP8"), [x],
                      lambda t: (t / 2).clamp(-448, 448).to(torch.float8_e4m3fn),
                      atol=0, rtol=0)[0]
    assert got.float().tolist()[2:4] == [448.0, -448.0]
    assert not torch.isnan(got.float()).any()


def test_fp8_per_channel():
    x, scale = torch.randn(2, 3) * 100, torch.tensor([0.5, 1.0, 2.0])
    check_layer(build_q(scale, "FP8", 1), [x],
                lambda t: (t / scale).clamp(-448, 448).to(torch.float8_e4m3fn), atol=0, rtol=0)


@pytest.mark.parametrize("out", ["FLOAT", "HALF", "BF16"])
def test_dequantize_int8(out):
    x = torch.randint(-128, 128, (3, 4), dtype=torch.int8)
    scale = torch.tensor(0.125)
    dtype = ref.torch_dtype(getattr(ref.DataType, out))
    check_layer(build_dq(scale, out), [x], lambda t: (t.float() * 0.125).to(dtype))


def test_dequantize_per_channel_and_fp8():
    x = torch.randint(-128, 128, (3, 4), dtype=torch.int8)
    scale = torch.tensor([0.5, 0.25, 2.0])
    check_layer(build_dq(scale, axis=0), [x], lambda t: t.float() * scale[:, None])
    f8 = (torch.randn(2, 5) * 10).to(torch.float8_e4m3fn)
    check_layer(build_dq(torch.tensor(3.0), "HALF"), [f8], lambda t: (t.float() * 3).half())


def test_quantize_dequantize_round_trip_dynamic():
    scale = torch.tensor([0.1, 0.2, 0.3])

    def build(trt, net, x):
        s = const(trt, net, scale)
        q = net.add_quantize(x, s, trt.int8)
        q.axis = 1
        dq = net.add_dequantize(q.get_output(0), s, trt.float32)
        dq.axis = 1
        return dq.get_output(0)

    check_layer(build, [torch.randn(4, 3) * 20],
                lambda t: q_int8(t, scale, 1).float() * scale, dynamic={0: [0]})


def test_properties_and_block_shape_match_tensorrt():
    from support.layer_harness import rtx

    def probe(trt):
        net = trt.Builder(trt.Logger()).create_network(0)
        x = net.add_input("x", trt.float32, (2, 3))
        layer = net.add_quantize(x, const(trt, net, torch.tensor(1.0)), trt.fp8)
        seen = [layer.axis, layer.to_type.name, layer.num_inputs]
        try:
            seen.append(layer.block_shape)
        except RuntimeError as e:
            seen.append(str(e))
        return seen

    assert probe(ref) == probe(rtx()) == [-1, "FP8", 2, "Could not get block_shape."]


@pytest.mark.parametrize("out", ["INT32", "HALF"])
def test_quantize_rejects_output_type(out):
    check_rejected(build_q(torch.tensor(1.0), out), [torch.randn(2, 3)], "must have type")


def test_quantize_rejects_int_input():
    check_rejected(build_q(torch.tensor(1.0)), [torch.ones(2, 3, dtype=torch.int32)],
                   "must have type")


def test_dequantize_rejects_float_input():
    check_rejected(build_dq(torch.tensor(1.0)), [torch.randn(2, 3)], "must have type")


@pytest.mark.parametrize("axis", [0, -2])
def test_per_channel_size_must_match_axis(axis):
    check_rejected(build_q(torch.ones(3), axis=axis), [torch.randn(2, 3)], "per-channel")


@pytest.mark.parametrize("scale,axis", [(torch.tensor(1.0), 3), (torch.tensor(1.0), -3),
                                        (torch.ones(3), 2)])
def test_axis_out_of_range(scale, axis):
    check_rejected(build_q(scale, axis=axis), [torch.randn(2, 3)], "out of range")


def test_per_tensor_axis_may_equal_rank():
    """TensorRT ignores the axis of a per-tensor scale but accepts axis == rank."""
    scale = torch.tensor(0.5)
    check_layer(build_q(scale, axis=2), [torch.randn(2, 3)], lambda t: q_int8(t, scale))


def test_per_channel_needs_a_known_dimension():
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (-1, 3))
    layer = net.add_quantize(x, const(ref, net, torch.ones(3)), ref.int8)
    layer.axis = 0
    with pytest.raises(RuntimeError, match="known at build time"):
        _ = layer.get_output(0).shape


def test_zero_point_is_not_modelled():
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (2, 3))
    zero = const(ref, net, torch.tensor(0.0))
    layer = net.add_quantize(x, const(ref, net, torch.tensor(1.0)), ref.int8)
    layer.set_input(2, zero)
    with pytest.raises(RuntimeError, match="zero-point"):
        _ = layer.get_output(0).shape
