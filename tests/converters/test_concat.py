import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 4)
Y = torch.randn(2, 3, 4)


@pytest.mark.parametrize("fn", [
    lambda x, y: torch.cat([x, y]), lambda x, y: torch.cat((x, y), 1),
    lambda x, y: torch.cat([x, y, x], dim=-1), lambda x, y: torch.concat([x, y[:, :1]], 1),
    lambda x, y: torch.concatenate([x, y], axis=2), lambda x, y: torch.cat([x]),
    lambda x, y: torch.cat([x, torch.ones(2, 3, 1)], -1), lambda x, y: torch.cat([x, y.int()], 0),
    lambda x, y: torch.cat([x.half(), y.int()], 0), lambda x, y: torch.cat([x.bool(), y.int()]),
    lambda x, y: torch.cat([x, torch.empty(0)]), lambda x, y: torch.cat([torch.empty(0), x], 1),
    lambda x, y: torch.cat([x, y[:, :0]], 1),
    lambda x, y: torch.stack([x, y]), lambda x, y: torch.stack((x, y, x), 1),
    lambda x, y: torch.stack([x, y], dim=-1), lambda x, y: torch.stack([x[0, 0], y[1, 1]], 0),
    lambda x, y: torch.stack([x, y.long()], 2), lambda x, y: torch.stack([x[0, 0, 0], y[0, 0, 1]]),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_cat(fn):
    check_op(fn, X, Y)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    x, y = (X * 3).to(dtype), (Y * 3).to(dtype)
    check_op(lambda a, b: torch.stack([torch.cat([a, b], 1), torch.cat([b, a], 1)]), x, y)


def test_float64_becomes_float32_with_warning():
    table = torch.randn(2, 3, 1, dtype=torch.float64)
    with pytest.warns(UserWarning, match="float64"):
        check_op(lambda x: torch.cat([x.double(), table], -1).float(), X)


@pytest.mark.parametrize("fn", [
    lambda x: torch.cat([x, x * 2], 1), lambda x: torch.cat([x, x], 0),
    lambda x: torch.stack([x, x], 1), lambda x: torch.cat([x, torch.zeros(1, 3, 4)], 0),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4))
