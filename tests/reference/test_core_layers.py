"""Activation, elementwise, constant, shuffle, shape, cast and identity layers."""

import math

import pytest
import torch
from harness import check_layer, check_rejected, weights

ACT = {
    "RELU": (0, 0, torch.relu),
    "SIGMOID": (0, 0, torch.sigmoid),
    "TANH": (0, 0, torch.tanh),
    "LEAKY_RELU": (0.1, 0, lambda x: torch.nn.functional.leaky_relu(x, 0.1)),
    "ELU": (0.7, 0, lambda x: torch.nn.functional.elu(x, 0.7)),
    "SELU": (1.6732632, 1.0507010, torch.selu),
    "SOFTSIGN": (0, 0, torch.nn.functional.softsign),
    "SOFTPLUS": (1.0, 1.0, torch.nn.functional.softplus),
    "CLIP": (-0.5, 0.5, lambda x: x.clamp(-0.5, 0.5)),
    "HARD_SIGMOID": (1 / 6, 0.5, torch.nn.functional.hardsigmoid),
    "SCALED_TANH": (2.0, 0.5, lambda x: 2 * torch.tanh(0.5 * x)),
    "THRESHOLDED_RELU": (0.3, 0, lambda x: torch.where(x > 0.3, x, 0)),
    "GELU_ERF": (0, 0, torch.nn.functional.gelu),
    "GELU_TANH": (0, 0, lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
}


@pytest.mark.parametrize("name", sorted(ACT))
def test_activation(name):
    alpha, beta, fn = ACT[name]

    def build(trt, net, x):
        layer = net.add_activation(x, getattr(trt.ActivationType, name))
        layer.alpha, layer.beta = alpha, beta
        return layer.get_output(0)

    check_layer(build, [torch.randn(2, 3, 5) * 3], fn, dynamic={0: [0]})


def test_activation_relu_accepts_int():
    check_layer(lambda trt, net, x: net.add_activation(x, trt.ActivationType.RELU).get_output(0),
                [torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3)], torch.relu)


def test_activation_rejects_int():
    check_rejected(lambda trt, net, x: net.add_activation(
        x, trt.ActivationType.SIGMOID).get_output(0),
                   [torch.ones(2, 3, dtype=torch.int32)], "float")


ELEMENTWISE = {
    "SUM": torch.add, "PROD": torch.mul, "MAX": torch.maximum, "MIN": torch.minimum,
    "SUB": torch.sub, "DIV": torch.div, "POW": lambda a, b: torch.pow(a.abs(), b),
    "FLOOR_DIV": lambda a, b: torch.div(a, b, rounding_mode="floor"),
    "EQUAL": torch.eq, "GREATER": torch.gt, "LESS": torch.lt,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_broadcast(name):
    a, b = torch.randn(2, 1, 4), torch.randn(1, 3, 4) + 3
    if name == "POW":
        a = a.abs()

    def build(trt, net, x, y):
        return net.add_elementwise(x, y, getattr(trt.ElementWiseOperation, name)).get_output(0)

    check_layer(build, [a, b], ELEMENTWISE[name])


@pytest.mark.parametrize("name,fn", [("AND", torch.logical_and), ("OR", torch.logical_or),
                                     ("XOR", torch.logical_xor)])
def test_elementwise_logical(name, fn):
    a, b = torch.rand(3, 4) > 0.5, torch.rand(3, 4) > 0.5
    check_layer(lambda trt, net, x, y: net.add_elementwise(
        x, y, getattr(trt.ElementWiseOperation, name)).get_output(0), [a, b], fn)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_elementwise_integer_division_truncates(dtype):
    a = torch.tensor([[7, -7, 5, -5]], dtype=dtype)
    b = torch.tensor([[2, 2, -3, -3]], dtype=dtype)
    check_layer(lambda trt, net, x, y: net.add_elementwise(
        x, y, trt.ElementWiseOperation.DIV).get_output(0), [a, b],
        lambda x, y: torch.div(x, y, rounding_mode="trunc"))


def test_elementwise_rejects_mixed_types():
    check_rejected(lambda trt, net, x, y: net.add_elementwise(
        x, y, trt.ElementWiseOperation.SUM).get_output(0),
        [torch.randn(2, 3), torch.randn(2, 3).half()], "same input types")


def test_elementwise_rejects_unequal_rank():
    check_rejected(lambda trt, net, x, y: net.add_elementwise(
        x, y, trt.ElementWiseOperation.SUM).get_output(0),
        [torch.randn(2, 3), torch.randn(3)], "same rank")


def test_elementwise_rejects_incompatible_dims():
    check_rejected(lambda trt, net, x, y: net.add_elementwise(
        x, y, trt.ElementWiseOperation.SUM).get_output(0),
        [torch.randn(2, 3), torch.randn(2, 4)], "broadcast")


def test_elementwise_zero_size():
    check_layer(lambda trt, net, x, y: net.add_elementwise(
        x, y, trt.ElementWiseOperation.SUM).get_output(0),
        [torch.randn(0, 3), torch.randn(1, 3)], torch.add)


def test_constant():
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3)

    def build(trt, net, x):
        c = net.add_constant((2, 3), trt.Weights(weights(w))).get_output(0)
        return net.add_elementwise(x, c, trt.ElementWiseOperation.SUM).get_output(0)

    check_layer(build, [torch.randn(2, 3)], lambda x: x + w)


def test_constant_rejects_wrong_count():
    def build(trt, net, x):
        return net.add_constant((2, 4), trt.Weights(weights(torch.ones(6)))).get_output(0)

    check_rejected(build, [torch.randn(2, 3)], "values")


@pytest.mark.parametrize("first,dims,second", [
    ((1, 0, 2), None, (0, 1, 2)),
    ((0, 1, 2), (0, -1), (1, 0)),
    ((2, 0, 1), (4, -1), (0, 1)),
    ((0, 1, 2), (0, 0, 2, 2), (0, 1, 2, 3)),
])
def test_shuffle(first, dims, second):
    def build(trt, net, x):
        layer = net.add_shuffle(x)
        layer.first_transpose = first
        if dims is not None:
            layer.reshape_dims = dims
        layer.second_transpose = second
        return layer.get_output(0)

    def expected(x):
        y = x.permute(first)
        if dims is not None:
            y = y.reshape([y.shape[i] if d == 0 else d for i, d in enumerate(dims)])
        return y.permute(second)

    check_layer(build, [torch.randn(2, 3, 4)], expected)


def test_shuffle_dynamic_reshape_from_shape_tensor():
    def build(trt, net, x):
        shape = net.add_shape(x).get_output(0)
        first = net.add_slice(shape, (0,), (1,), (1,)).get_output(0)
        minus_one = net.add_constant((1,), trt.Weights(weights(
            torch.tensor([-1], dtype=torch.int64)))).get_output(0)
        target = net.add_concatenation([first, minus_one]).get_output(0)
        layer = net.add_shuffle(x)
        layer.set_input(1, target)
        return layer.get_output(0)

    check_layer(build, [torch.randn(3, 2, 4)], lambda x: x.reshape(3, -1), dynamic={0: [0]})


def test_shuffle_zero_is_not_placeholder():
    def build(trt, net, x):
        layer = net.add_shuffle(x)
        layer.zero_is_placeholder = False
        layer.reshape_dims = (0, 4)
        return layer.get_output(0)

    check_layer(build, [torch.randn(0, 2, 2)], lambda x: x.reshape(0, 4))


def test_shuffle_rejects_bad_volume():
    def build(trt, net, x):
        layer = net.add_shuffle(x)
        layer.reshape_dims = (5, -1)
        return layer.get_output(0)

    check_rejected(build, [torch.randn(2, 3)], "reshape")


def test_shape_is_int64():
    check_layer(lambda trt, net, x: net.add_shape(x).get_output(0), [torch.randn(2, 3, 4)],
                lambda x: torch.tensor(x.shape, dtype=torch.int64))


@pytest.mark.parametrize("src,dst", [
    (torch.float32, torch.float16), (torch.float32, torch.int32), (torch.int32, torch.float32),
    (torch.float32, torch.bool), (torch.bool, torch.int32), (torch.int64, torch.int32),
    (torch.float16, torch.bfloat16),
])
def test_cast(src, dst):
    x = (torch.randn(3, 4) * 5).to(src)
    from trtconv.reference.trt import trt_dtype

    def build(trt, net, t):
        return net.add_cast(t, getattr(trt.DataType, trt_dtype(dst).name)).get_output(0)

    check_layer(build, [x], lambda t: t.to(dst), atol=1e-2 if dst == torch.bfloat16 else 1e-5)


def test_identity():
    check_layer(lambda trt, net, x: net.add_identity(x).get_output(0), [torch.randn(4)],
                lambda x: x)


def test_gelu_constant_is_exact():
    assert math.isclose(math.sqrt(2 / math.pi), 0.7978845608, rel_tol=1e-9)
