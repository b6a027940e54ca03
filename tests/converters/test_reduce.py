import math

import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = torch.randn(2, 3, 4)
DISTINCT = torch.randperm(24).reshape(2, 3, 4).float() - 12  # no ties: indices are unique
INTS = torch.randint(-5, 6, (2, 3, 4), dtype=torch.int32)
BOOLS = torch.rand(2, 3, 4) > 0.5
DIMS = [None, 0, -1, 1, (0, 2), (-1, -2), [0, 1, 2]]


def plain(result):
    """torch.return_types named tuples as plain tuples (convert() cannot serialize them yet)."""
    if isinstance(result, tuple):
        return tuple(plain(r) for r in result)
    return result


def _call(fn, x, dim, keepdim):
    if fn in (torch.norm, T.norm):
        return fn(x, 2, dim, keepdim)
    if dim is None:
        return fn(x)
    return plain(fn(x, dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "var", "std",
                                  "norm", "count_nonzero"])
def test_multi_dim(name, dim, keepdim):
    if name == "count_nonzero":
        fn = lambda x: (torch.count_nonzero(x, dim), x.count_nonzero(dim))  # noqa: E731
    elif dim is None and name == "logsumexp":
        fn = lambda x: torch.logsumexp(x, (0, 1, 2))  # noqa: E731
    else:
        fn = lambda x: (_call(getattr(torch, name), x, dim, keepdim),  # noqa: E731
                        _call(getattr(T, name), x, dim, keepdim))
    check_op(fn, X.round(decimals=1), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1, 2], ids=str)
@pytest.mark.parametrize("name", ["prod", "max", "min", "argmax", "argmin"])
def test_single_dim(name, dim, keepdim):
    fn = lambda x: (_call(getattr(torch, name), x, dim, keepdim),  # noqa: E731
                    _call(getattr(T, name), x, dim, keepdim))
    check_op(fn, DISTINCT / 4, atol=1e-5, rtol=1e-4)


def test_argmax_keepdim_without_dim():
    check_op(lambda x: (torch.argmax(x, keepdim=True), x.argmin(keepdim=True)), DISTINCT)


def test_keywords():
    check_op(lambda x: (torch.sum(x, dim=1, keepdim=True), x.mean(dim=(0, 1)),
                        plain(torch.max(x, dim=2, keepdim=True)), plain(x.min(dim=0)),
                        torch.amax(x, dim=-1), torch.argmax(x, dim=1, keepdim=True),
                        torch.var(x, dim=1, correction=0), torch.std(x, dim=1, unbiased=False)),
             DISTINCT)


def test_max_min_named_tuple():
    check_op(lambda x: (torch.max(x, 1).values, torch.max(x, 1).indices, x.min(-1)[1]), DISTINCT)


@pytest.mark.parametrize("fn", [torch.max, torch.min, T.max, T.min])
def test_max_min_elementwise(fn):
    check_op(fn, X, torch.randn(3, 4))
    check_op(lambda a, b: fn(a, other=b), X, torch.randn(4))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool], ids=str)
@pytest.mark.parametrize("fn", [
    torch.sum, lambda x: torch.sum(x, 1), lambda x: x.sum((0, 2), keepdim=True), torch.prod,
    lambda x: torch.prod(x, -1), torch.max, torch.min, lambda x: plain(torch.max(x, 1)),
    lambda x: plain(torch.min(x, 0, True)), torch.amax, lambda x: torch.amin(x, (1, 2)),
    lambda x: torch.argmax(x.to(torch.int32) * 100 + DISTINCT.int(), 1),
    lambda x: torch.sum(x, dtype=torch.float32), lambda x: torch.mean(x, 1, dtype=torch.float32),
    lambda x: torch.sum(x, 2, dtype=torch.int32),
])
def test_integer_and_bool(fn, dtype):
    x = (INTS.abs() > 2) if dtype == torch.bool else (INTS % 3 + 1).to(dtype)
    if fn is torch.prod or "prod" in getattr(fn, "__name__", ""):
        x = x.clamp(max=2) if dtype != torch.bool else x
    check_op(fn, x)


@pytest.mark.parametrize("fn", [
    torch.sum, lambda x: x.sum(1), torch.mean, lambda x: x.mean(-1, True), lambda x: x.prod(2),
    torch.amax, lambda x: plain(x.max(1)), lambda x: x.argmin(), lambda x: torch.var(x, 1),
    lambda x: x.std(), lambda x: torch.logsumexp(x, 1), lambda x: x.norm(dim=1),
    lambda x: torch.sum(x, dtype=torch.float32),
])
def test_float16(fn):
    check_op(fn, DISTINCT.half() / 8, atol=1e-2, rtol=1e-3)


NAN = torch.tensor([[1.0, math.nan, 3.0, -1.0], [2.0, 5.0, -4.0, 0.5], [math.inf, 1.0, 2.0,
                                                                          -math.inf]])


@pytest.mark.parametrize("fn", [
    torch.max, torch.min, torch.amax, lambda x: torch.amin(x, 1),
    lambda x: plain(torch.max(x, 1)), lambda x: plain(torch.min(x, 1, True)), lambda x: torch.argmax(x, 1), lambda x: torch.argmin(x, 1),
    lambda x: torch.argmax(x), lambda x: torch.sum(x, 1), lambda x: torch.logsumexp(x, 1),
    lambda x: torch.linalg.vector_norm(x, math.inf, 1),
])
def test_nan_and_inf(fn):
    check_op(fn, NAN)


def test_logsumexp_infinite_rows():
    x = torch.tensor([[-math.inf, -math.inf], [math.inf, 1.0], [1000.0, 1000.0]])
    check_op(lambda a: (torch.logsumexp(a, 1), a.logsumexp(-1, keepdim=True)), x)


@pytest.mark.parametrize("args", [((),), ((0,),), ((1, True),), ((), {"unbiased": False}),
                                  ((0,), {"correction": 2}), ((False,),),
                                  ((1, False, True),), (((0, 2),), {"keepdim": True})],
                         ids=str)
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_var_std_overloads(name, args):
    positional, keywords = (args + ({},))[:2]
    check_op(lambda x: getattr(torch, name)(x, *positional, **keywords), X, atol=1e-5)


def test_var_single_element_is_nan_or_inf():
    check_op(lambda x: (torch.var(x, 0), torch.std(x, 0, correction=2)), torch.randn(1, 3))


@pytest.mark.parametrize("fn", [
    lambda x: torch.linalg.vector_norm(x), lambda x: torch.linalg.vector_norm(x, 1, -1),
    lambda x: torch.linalg.vector_norm(x, math.inf, (0, 1)),
    lambda x: torch.linalg.vector_norm(x, -math.inf, 2, keepdim=True),
    lambda x: torch.linalg.vector_norm(x, 0, 1), lambda x: torch.linalg.vector_norm(x, 3.5, 1),
    lambda x: torch.linalg.vector_norm(x, 2, 1, dtype=torch.float32),
    lambda x: torch.norm(x), lambda x: torch.norm(x, p=1, dim=1),
    lambda x: torch.norm(x, "fro", (0, 1), True), lambda x: x.norm(2, -1),
    lambda x: x.norm(p=3, dim=(1, 2)), lambda x: torch.linalg.norm(x),
    lambda x: torch.linalg.norm(x, dim=(1, 2)), lambda x: torch.linalg.norm(x, 1, dim=-1),
    lambda x: torch.linalg.norm(x, "fro", dim=(0, 2)),
])
def test_norms(fn):
    check_op(fn, X, atol=1e-5, rtol=1e-5)


def test_special_logsumexp():
    check_op(lambda x: torch.special.logsumexp(x, 1), X)


@pytest.mark.parametrize("shape", [(), (5,), (1, 7)], ids=str)
def test_small_ranks(shape):
    x = torch.randperm(max(1, math.prod(shape))).float().reshape(shape)
    check_op(lambda a: (a.sum(), a.max(), torch.argmax(a), plain(a.max(0)),
                        plain(a.min(-1, True)), a.mean(0), a.argmin(0, True)), x)


def test_dynamic_batch():
    check_dynamic(lambda x: (x.sum(0), x.amax(1), plain(x.max(2)), x.argmin(1), x.argmax(),
                             x.mean((1, 2)), x.var(1), torch.logsumexp(x, 2)),
                  DISTINCT, DISTINCT[:1], DISTINCT.repeat(3, 1, 1) * -1)


def test_matrix_norm_unsupported():
    check_unsupported(lambda x: torch.linalg.norm(x, 2, dim=(0, 1)), X, op="torch.linalg.norm")
    check_unsupported(lambda x: torch.norm(x, "nuc"), X[0], op="torch.norm")


@pytest.mark.parametrize("fn", [
    lambda x: torch.var(x, 0), lambda x: torch.std(x, (0, 2), correction=2),
    lambda x: torch.var(x, unbiased=False), lambda x: torch.var_mean(x, 2, keepdim=True),
    lambda x: torch.std_mean(x, (0, 1)), lambda x: x.var(0, correction=0),
], ids=["var_batch", "std_batch_width", "var_all", "var_mean_width", "std_mean", "biased"])
def test_var_over_dynamic_dims(fn):
    """The count N - correction comes from the run-time shape (batch and width dynamic)."""
    check_dynamic(fn, X, torch.randn(5, 3, 6), torch.randn(1, 3, 2), atol=1e-5)
