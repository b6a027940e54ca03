"""IFillLayer: LINSPACE (static and dynamic parameters/shape), RANDOM_UNIFORM, RANDOM_NORMAL."""

import pytest
import torch
from harness import build_network, check_layer, check_on_rtx, check_rejected, weights

from trtconv.reference import execute_plan
from trtconv.reference import trt as ref


def const(trt, net, x):
    return net.add_constant(tuple(x.shape), trt.Weights(weights(x))).get_output(0)


@pytest.mark.parametrize("dtype,alpha,beta", [
    ("FLOAT", 1.5, 0.25), ("INT32", 3, -2), ("INT64", -4, 5), ("FLOAT", 2, 3)])
def test_linspace_static(dtype, alpha, beta):
    def build(trt, net):
        layer = net.add_fill((6,), trt.FillOperation.LINSPACE, getattr(trt.DataType, dtype))
        layer.alpha, layer.beta = alpha, beta
        return layer.get_output(0)

    want = (alpha + beta * torch.arange(6, dtype=torch.float64)).to(
        ref.torch_dtype(getattr(ref.DataType, dtype)))
    check_layer(build, [], [want])


def test_linspace_defaults_and_int64_mode_match_tensorrt():

    def probe(trt):
        net = trt.Builder(trt.Logger()).create_network(0)
        layer = net.add_fill((2,), trt.FillOperation.LINSPACE, trt.float32)
        seen = [layer.alpha, layer.beta, layer.is_alpha_beta_int64()]
        layer.beta = 3  # an int beta while alpha is a double: the double beta is read
        seen += [layer.beta, layer.is_alpha_beta_int64()]
        layer.alpha = 2  # int alpha: int64 mode, the int beta is read
        seen += [layer.alpha, layer.beta, layer.is_alpha_beta_int64()]
        layer.alpha = 2.5
        seen += [layer.alpha, layer.beta, layer.is_alpha_beta_int64()]
        return [(type(v).__name__, v) for v in seen]

    from support.layer_harness import rtx
    assert probe(ref) == probe(rtx())
    assert probe(ref)[:3] == [("float", 0.0), ("float", 1.0), ("bool", False)]


def test_linspace_dynamic_shape_and_parameters():
    """Shape from a shape tensor (dynamic batch), alpha/beta as tensors: alpha + i*b0 + j*b1."""
    alpha = torch.tensor(1.0)
    beta = torch.tensor([100.0, 10.0])

    def build(trt, net, x):
        # (the reference needs set_input tensors made before the layer)
        shape, a, b = net.add_shape(x).get_output(0), const(trt, net, alpha), const(trt, net, beta)
        layer = net.add_fill((1, 1), trt.FillOperation.LINSPACE, trt.float32)
        layer.set_input(0, shape)
        layer.set_input(1, a)
        layer.set_input(2, b)
        return layer.get_output(0)

    def expected(x):
        i = torch.arange(x.shape[0]).reshape(-1, 1)
        j = torch.arange(x.shape[1]).reshape(1, -1)
        return (alpha + beta[0] * i + beta[1] * j).float()

    got = check_layer(build, [torch.randn(3, 4)], expected, dynamic={0: [0]})
    assert got[0][2, 3] == 1 + 200 + 30


def test_linspace_int_tensor_parameters():
    def build(trt, net):
        a = const(trt, net, torch.tensor(7, dtype=torch.int64))
        b = const(trt, net, torch.tensor([-3], dtype=torch.int64))
        layer = net.add_fill((5,), trt.FillOperation.LINSPACE, trt.int64)
        layer.set_input(1, a)
        layer.set_input(2, b)
        return layer.get_output(0)

    check_layer(build, [], [torch.tensor([7, 4, 1, -2, -5])])


def test_linspace_int_output_is_a_host_value():
    net = ref.Builder(ref.Logger()).create_network(0)
    layer = net.add_fill((4,), ref.FillOperation.LINSPACE, ref.int32)
    layer.alpha, layer.beta = 1, 2
    assert layer.get_output(0).info.value == (1, 3, 5, 7)


@pytest.mark.parametrize("op", ["RANDOM_UNIFORM", "RANDOM_NORMAL"])
@pytest.mark.parametrize("dtype", ["FLOAT", "HALF"])
def test_random(op, dtype):
    """Only shapes and dtypes can match TensorRT; the values come from torch's generator."""
    lo, hi = -2.0, 3.0

    def build(trt, net, x):
        shape = net.add_shape(x).get_output(0)
        layer = net.add_fill((1,), getattr(trt.FillOperation, op), getattr(trt.DataType, dtype))
        layer.set_input(0, shape)
        layer.alpha, layer.beta = lo, hi
        return layer.get_output(0)

    builder, network, outs = build_network(ref, build, [torch.randn(4000, 2)])
    assert tuple(outs[0].shape) == (4000, 2)
    plan = builder.build_serialized_network(network, builder.create_builder_config())
    (got,) = execute_plan(bytes(plan), [torch.randn(4000, 2)])
    assert got.dtype == ref.torch_dtype(getattr(ref.DataType, dtype))
    values = got.float()
    if op == "RANDOM_UNIFORM":
        assert lo <= values.min() and values.max() <= hi  # HALF may round up to hi
        assert abs(values.mean() - 0.5) < 0.15
    else:
        assert abs(values.mean() - lo) < 0.25 and abs(values.std() - hi) < 0.25
    check_on_rtx(network, [])


def test_random_dynamic_shape_and_scalar_parameters():
    def build(trt, net, x):
        shape = net.add_shape(x).get_output(0)
        a, b = const(trt, net, torch.tensor(5.0)), const(trt, net, torch.tensor(6.0))
        layer = net.add_fill((1, 1), trt.FillOperation.RANDOM_UNIFORM, trt.float32)
        layer.set_input(0, shape)
        layer.set_input(1, a)
        layer.set_input(2, b)
        return layer.get_output(0)

    builder, network, outs = build_network(ref, build, [torch.randn(3, 2)])
    assert tuple(outs[0].shape) == (3, 2)
    check_on_rtx(network, [])


@pytest.mark.parametrize("op,dtype", [("LINSPACE", "HALF"), ("LINSPACE", "BF16"),
                                      ("RANDOM_UNIFORM", "INT32"), ("RANDOM_NORMAL", "BF16")])
def test_rejects_output_type(op, dtype):
    check_rejected(lambda trt, net: net.add_fill(
        (2, 3), getattr(trt.FillOperation, op), getattr(trt.DataType, dtype)).get_output(0),
        [], "output types")


def test_rejects_delta_length_mismatch():
    def build(trt, net):
        a, b = const(trt, net, torch.tensor(1.0)), const(trt, net, torch.tensor([1.0]))
        layer = net.add_fill((2, 3), trt.FillOperation.LINSPACE, trt.float32)
        layer.set_input(1, a)
        layer.set_input(2, b)
        return layer.get_output(0)

    check_rejected(build, [], "delta")


def test_rejects_only_alpha_dynamic():
    def build(trt, net):
        a = const(trt, net, torch.tensor(1.0))
        layer = net.add_fill((3,), trt.FillOperation.LINSPACE, trt.float32)
        layer.set_input(1, a)
        return layer.get_output(0)

    check_rejected(build, [], "both")


def test_rejects_mixed_parameter_types():
    def build(trt, net):
        a, b = const(trt, net, torch.tensor(1.0)), const(trt, net, torch.tensor([1], dtype=torch.int32))
        layer = net.add_fill((3,), trt.FillOperation.LINSPACE, trt.float32)
        layer.set_input(1, a)
        layer.set_input(2, b)
        return layer.get_output(0)

    check_rejected(build, [], "same type")


def test_reference_refuses_to_guess_static_multi_dim_linspace():
    """TensorRT accepts a static beta for a rank-2 LINSPACE, but documents Beta = [beta] (one
    delta for two dimensions); the reference rejects instead of guessing the values."""
    net = ref.Builder(ref.Logger()).create_network(0)
    out = net.add_fill((2, 3), ref.FillOperation.LINSPACE, ref.float32).get_output(0)
    with pytest.raises(RuntimeError, match="set input 2"):
        _ = out.shape


def test_negative_static_dims_rejected_at_add():
    net = ref.Builder(ref.Logger()).create_network(0)
    with pytest.raises(ValueError, match=">= 0"):
        net.add_fill((-1, 3), ref.FillOperation.LINSPACE, ref.float32)
