import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 4)


@pytest.mark.parametrize("fn", [
    lambda x: torch.cumsum(x, 0), lambda x: x.cumsum(1), lambda x: x.cumsum(dim=-1),
    lambda x: torch.cumsum(x, -2, dtype=torch.float16), lambda x: x.clone().cumsum_(2),
    lambda x: x.int().cumsum(0), lambda x: x.bool().cumsum(1), lambda x: x[0, 0, 0].cumsum(0),
    lambda x: torch.cumsum(x.int(), 1, dtype=torch.int32),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_cumsum(fn):
    check_op(fn, X, atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    check_op(lambda t: t.cumsum(1), (X * 3).to(dtype), atol=1e-2, rtol=1e-2)


def test_dynamic():
    check_dynamic(lambda x: x.cumsum(0) + x.cumsum(-1), X, torch.randn(5, 3, 4))


@pytest.mark.parametrize("fn, op", [
    (lambda x: torch.cumprod(x, 0), "torch.cumprod"),
    (lambda x: torch.cummax(x, 1), "torch.cummax"),
])
def test_unsupported(fn, op):
    check_unsupported(fn, X, op=op)


@pytest.mark.parametrize("fn", [
    lambda x: torch.diff(x), lambda x: x.diff(dim=0), lambda x: torch.diff(x, n=2, dim=1),
    lambda x: torch.diff(x, n=3), lambda x: torch.diff(x, n=5),
    lambda x: torch.diff(x, dim=1, prepend=x[:, :1] * 2, append=x[:, -2:]),
    lambda x: torch.diff(x, prepend=torch.zeros(2, 3, 1, dtype=torch.int64)),
    lambda x: (x > 0).diff(dim=2), lambda x: x.int().diff(n=2), lambda x: x[0, 0].diff(),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_diff(fn):
    check_op(fn, X)


def test_diff_dynamic():
    check_dynamic(lambda x: x.diff(dim=0).sum(0) + torch.diff(x, n=2, dim=-1,
                                                                prepend=x[..., :2]).sum(0),
                  X, torch.randn(5, 3, 7), torch.randn(1, 3, 2))
