"""IUnaryLayer: all 25 UnaryOperations against torch, integer and BOOL rules, rejections."""

import pytest
import torch
from harness import check_layer, check_rejected

# op -> (torch function, input maker within the op's domain)
WIDE = lambda: torch.randn(3, 4) * 3  # noqa: E731
UNIT = lambda: torch.rand(3, 4) * 1.8 - 0.9  # noqa: E731
POSITIVE = lambda: torch.rand(3, 4) * 5 + 0.1  # noqa: E731
FLOAT_OPS = {
    "EXP": (torch.exp, WIDE), "LOG": (torch.log, POSITIVE), "SQRT": (torch.sqrt, POSITIVE),
    "RECIP": (torch.reciprocal, POSITIVE), "ABS": (torch.abs, WIDE), "NEG": (torch.neg, WIDE),
    "SIN": (torch.sin, WIDE), "COS": (torch.cos, WIDE), "TAN": (torch.tan, UNIT),
    "SINH": (torch.sinh, WIDE), "COSH": (torch.cosh, WIDE), "ASIN": (torch.asin, UNIT),
    "ACOS": (torch.acos, UNIT), "ATAN": (torch.atan, WIDE), "ASINH": (torch.asinh, WIDE),
    "ACOSH": (torch.acosh, lambda: POSITIVE() + 1), "ATANH": (torch.atanh, UNIT),
    "CEIL": (torch.ceil, WIDE), "FLOOR": (torch.floor, WIDE), "ERF": (torch.erf, WIDE),
    "SIGN": (torch.sign, lambda: torch.tensor([[-2.0, 0.0, 3.5]])),
    "ROUND": (torch.round, lambda: torch.tensor([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4]])),
    "ISINF": (torch.isinf, lambda: torch.tensor([[1.0, torch.inf, -torch.inf, torch.nan]])),
    "ISNAN": (torch.isnan, lambda: torch.tensor([[1.0, torch.inf, -torch.inf, torch.nan]])),
}


def unary(op):
    def build(trt, net, x):
        return net.add_unary(x, getattr(trt.UnaryOperation, op)).get_output(0)

    return build


@pytest.mark.parametrize("op", sorted(FLOAT_OPS))
def test_float_ops(op):
    fn, make = FLOAT_OPS[op]
    check_layer(unary(op), [make()], fn, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("op", ["EXP", "SQRT", "ROUND", "ISNAN", "ERF"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(op, dtype):
    fn, make = FLOAT_OPS[op]
    check_layer(unary(op), [make().abs().to(dtype)], fn, atol=1e-2, rtol=1e-2)


def test_not():
    check_layer(unary("NOT"), [torch.rand(3, 4) > 0.5], torch.logical_not)


@pytest.mark.parametrize("op", ["ABS", "NEG", "SIGN"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8])
def test_integer_ops(op, dtype):
    fn = FLOAT_OPS[op][0]
    check_layer(unary(op), [torch.arange(-3, 3).reshape(2, 3).to(dtype)], fn)


def test_zero_size_and_dynamic_batch():
    check_layer(unary("EXP"), [torch.zeros(0, 3)], torch.exp)
    check_layer(unary("ABS"), [torch.randn(3, 2)], torch.abs, dynamic={0: [0]})


def test_negated_shape_values_drive_a_reshape():
    """x.view(-1) through NEG(NEG(-1)): integer unary ops keep host values."""
    def build(trt, net, x):
        spec = net.add_constant((1,), trt.Weights(
            torch.tensor([1], dtype=torch.int64).numpy())).get_output(0)
        spec = net.add_unary(spec, trt.UnaryOperation.NEG).get_output(0)
        layer = net.add_shuffle(x)
        layer.set_input(1, spec)
        return layer.get_output(0)

    check_layer(build, [torch.randn(2, 3)], lambda x: x.reshape(-1))


@pytest.mark.parametrize("op,dtype", [
    ("NOT", torch.float32), ("NOT", torch.int32), ("EXP", torch.int32), ("EXP", torch.bool),
    ("ABS", torch.bool), ("ISNAN", torch.int64), ("SQRT", torch.uint8),
])
def test_rejects(op, dtype):
    check_rejected(unary(op), [torch.zeros(2, 3, dtype=dtype)], "does not accept")
