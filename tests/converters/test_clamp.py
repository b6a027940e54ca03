import math

import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = torch.randn(2, 3, 4) * 3
LO = torch.randn(3, 4) - 1
HI = torch.randn(4) + 1


@pytest.mark.parametrize("fn", [
    lambda x: torch.clamp(x, -1, 1), lambda x: torch.clamp(x, min=-0.5),
    lambda x: torch.clamp(x, max=0.5), lambda x: x.clamp(-1.5, 2), lambda x: x.clamp(min=0),
    lambda x: x.clamp(max=1), lambda x: torch.clip(x, -1, 1), lambda x: x.clip(max=0.2),
    lambda x: torch.clamp_min(x, 0.1), lambda x: x.clamp_min(-0.1),
    lambda x: torch.clamp_max(x, 0.1), lambda x: x.clamp_max(-0.1),
    lambda x: torch.clamp(x, LO, HI), lambda x: x.clamp(min=LO), lambda x: x.clamp(max=HI),
    lambda x: torch.clamp(x, LO, LO + 1), lambda x: torch.clamp_min(x, LO),
    lambda x: torch.clamp_max(x, HI), lambda x: torch.clamp(x, 2, -2),
    lambda x: torch.clamp(x, torch.tensor(-1.0), torch.tensor(1.0)),
])
def test_clamp(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x: torch.clamp_(x, -1, 1), lambda x: x.clamp_(min=0), lambda x: torch.clip_(x, max=0),
    lambda x: x.clip_(-0.5, 0.5), lambda x: torch.clamp_min_(x, 0), lambda x: x.clamp_min_(0.5),
    lambda x: torch.clamp_max_(x, 0), lambda x: x.clamp_max_(HI),
])
def test_clamp_inplace(fn):
    check_op(lambda x: fn(x * 1) + 1, X)


def test_tensor_bounds_traced():
    check_op(lambda x, lo, hi: torch.clamp(x, lo, hi), X, LO, HI)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.float16], ids=str)
@pytest.mark.parametrize("bounds", [(-2, 3), (None, 0), (0.5, None), (-2.5, 2.5)], ids=str)
def test_dtypes(dtype, bounds):
    x = torch.randint(-5, 6, (2, 3, 4)).to(dtype)
    check_op(lambda a: torch.clamp(a, *bounds), x)


def test_int_tensor_bounds():
    x = torch.randint(-5, 6, (2, 3, 4), dtype=torch.int32)
    check_op(lambda a: a.clamp(torch.tensor([-1, 0, -2, -3]), torch.tensor(2)), x)


def test_bool_input():
    check_op(lambda a: torch.clamp(a, 0, 1), X > 0)


def test_nan():
    x = torch.tensor([math.nan, -3.0, 0.5, 3.0, math.inf, -math.inf])
    lo = torch.tensor([0.0, math.nan, 0.0, 0.0, 0.0, 0.0])
    check_op(lambda a, b: (torch.clamp(a, -1, 1), torch.clamp(a, min=b), a.clamp_max(0.0)), x, lo)


def test_dynamic():
    check_dynamic(lambda x: (x.clamp(-1, 1), x.clamp(min=LO)), X, X[:1], X.repeat(2, 1, 1))

