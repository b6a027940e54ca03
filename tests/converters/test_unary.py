import math

import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = torch.randn(2, 3, 4) * 2
UNIT = torch.rand(2, 3, 4) * 1.8 - 0.9  # inside (-1, 1): asin, acos, atanh
POS = torch.rand(2, 3, 4) * 4 + 0.1
BIG = torch.rand(2, 3, 4) * 4 + 1.1  # acosh
INTS = torch.randint(-5, 6, (2, 3, 4), dtype=torch.int32)
SPECIAL = torch.tensor([0.0, -0.0, 1e-8, -1e-8, 1e-4, -0.5, 0.5, 1.5, 2.5, -2.5, -1.0, 30.0,
                        -30.0, 100.0, -100.0, math.inf, -math.inf, math.nan])

# name -> input domain
OPS = {
    "abs": X, "absolute": X, "acos": UNIT, "arccos": UNIT, "asin": UNIT, "arcsin": UNIT,
    "atan": X, "arctan": X, "acosh": BIG, "arccosh": BIG, "asinh": X, "arcsinh": X,
    "atanh": UNIT, "arctanh": UNIT, "cos": X, "cosh": X, "sin": X, "sinh": X, "tan": UNIT,
    "exp": X, "log": POS, "sqrt": POS, "erf": X, "rsqrt": POS, "ceil": X, "floor": X,
    "trunc": X, "fix": X, "frac": X, "sign": X, "log2": POS, "log10": POS, "log1p": POS - 0.9,
    "expm1": X, "exp2": X, "round": X * 3, "isnan": X, "isinf": X, "isfinite": X,
}
INPLACE = [n for n in OPS if hasattr(torch, n + "_")]
TENSOR_INPLACE = [n for n in OPS if hasattr(T, n + "_")]
SPECIAL_NS = [n for n in OPS if hasattr(torch.special, n)]


@pytest.mark.parametrize("name", OPS)
def test_function_and_method(name):
    check_op(lambda x: (getattr(torch, name)(x), getattr(x, name)()), OPS[name], atol=1e-5,
             rtol=1e-5)


@pytest.mark.parametrize("name", TENSOR_INPLACE)
def test_inplace(name):
    def fn(x):
        method = getattr(x * 1, name + "_")()
        if name not in INPLACE:
            return method
        return method, getattr(torch, name + "_")(x * 1)

    check_op(fn, OPS[name], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", SPECIAL_NS)
def test_special_namespace(name):
    check_op(getattr(torch.special, name), OPS[name], atol=1e-5, rtol=1e-5)


def test_abs_operator():
    check_op(abs, X)


@pytest.mark.parametrize("name", ["abs", "sign", "ceil", "floor", "round", "trunc", "fix",
                                  "sin", "exp", "sqrt", "log1p", "expm1", "exp2", "rsqrt",
                                  "isnan", "isinf", "isfinite", "log2", "erf"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64], ids=str)
def test_integer_inputs(name, dtype):
    x = INTS.to(dtype).abs() + 1 if name in ("sqrt", "rsqrt", "log2") else INTS.to(dtype)
    check_op(getattr(torch, name), x, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["sign", "sin", "exp", "isnan", "isfinite", "sqrt"])
def test_bool_inputs(name):
    check_op(getattr(torch, name), X > 0)


@pytest.mark.parametrize("name", ["abs", "exp", "sin", "sqrt", "floor", "round", "sign", "trunc",
                                  "log1p", "expm1", "rsqrt", "log10", "isnan", "frac"])
def test_float16(name):
    check_op(getattr(torch, name), OPS[name].half(), atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("name", ["sign", "trunc", "frac", "ceil", "floor", "round", "log1p",
                                  "expm1", "exp2", "isnan", "isinf", "isfinite", "abs", "exp",
                                  "log2", "log10", "rsqrt", "sqrt", "erf"])
def test_special_values(name):
    check_op(getattr(torch, name), SPECIAL, atol=1e-6, rtol=1e-5)


def test_log1p_expm1_tiny_arguments_are_exact():
    tiny = torch.tensor([1e-10, -3e-9, 2e-7, 1e-5])
    check_op(lambda x: (torch.log1p(x), torch.expm1(x)), tiny, atol=0, rtol=1e-6)


@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2])
def test_round_decimals(decimals):
    x = torch.tensor([1.25, -1.35, 2.5, 15.0, 25.0, 1234.5678, -0.05, 0.0])
    check_op(lambda a: (torch.round(a, decimals=decimals), a.round(decimals=decimals)), x)


def test_round_half_to_even():
    check_op(torch.round, torch.arange(-5, 6) + 0.5)


@pytest.mark.parametrize("shape", [(), (5,), (2, 1, 3)], ids=str)
def test_shapes(shape):
    check_op(lambda x: torch.exp(x).sqrt().floor(), torch.rand(shape) * 5)


def test_dynamic():
    check_dynamic(lambda x: (torch.log1p(x.abs()), x.sign(), x.round(decimals=1)), X, X[:1],
                  X.repeat(2, 1, 1))
