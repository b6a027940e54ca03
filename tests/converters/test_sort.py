import math

import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = (torch.randperm(60).reshape(3, 4, 5).float() - 30) / 4  # distinct: tie order is moot


def plain(result):
    """torch.return_types named tuples as plain tuples (convert() cannot serialize them yet)."""
    return tuple(result) if isinstance(result, tuple) else result


@pytest.mark.parametrize("fn", [torch.sort, T.sort])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 1}, {"dim": -1, "descending": True},
                                    {"dim": -2, "descending": True}, {"descending": False}],
                         ids=str)
def test_sort(fn, kwargs):
    check_op(lambda x: plain(fn(x, **kwargs)), X)


def test_sort_positional():
    check_op(lambda x: (plain(torch.sort(x, 1, True)), plain(x.sort(0))), X)


@pytest.mark.parametrize("fn", [torch.argsort, T.argsort])
@pytest.mark.parametrize("args", [(), (0,), (-1, True), (1, False)], ids=str)
def test_argsort(fn, args):
    check_op(lambda x: fn(x, *args), X)


def test_argsort_keywords():
    check_op(lambda x: (torch.argsort(x, dim=1, descending=True), x.argsort(stable=False)), X)


def test_msort():
    check_op(lambda x: (torch.msort(x), x.msort()), X)


@pytest.mark.parametrize("fn", [torch.topk, T.topk])
@pytest.mark.parametrize("args", [(1,), (3,), (5, -1, False), (2, 0), (4, 1, True, True),
                                  (2, -2, False, True)], ids=str)
def test_topk(fn, args):
    check_op(lambda x: plain(fn(x, *args)), X)


def test_topk_keywords():
    check_op(lambda x: (plain(torch.topk(x, k=2, dim=1, largest=False, sorted=True)),
                        plain(x.topk(3, largest=True))), X)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.float16], ids=str)
def test_dtypes(dtype):
    check_op(lambda x: (plain(torch.sort(x, 1)), plain(torch.topk(x, 2)), x.argsort(0)),
             (X * 4).to(dtype))


def test_bool():
    x = torch.tensor([[True, False], [False, True]])
    check_op(lambda a: torch.sort(a, 1, True)[0], x)


@pytest.mark.parametrize("shape", [(), (7,), (1, 6)], ids=str)
def test_small_ranks(shape):
    x = torch.randperm(max(1, math.prod(shape))).float().reshape(shape)
    check_op(lambda a: (plain(a.sort()), plain(torch.topk(a, 1)), a.argsort(descending=True)), x)


def test_nan_sorts_last():
    x = torch.tensor([[3.0, math.nan, -1.0, math.inf, 0.5], [1.0, 2.0, math.nan, 4.0, -math.inf]])
    check_op(lambda a: (torch.sort(a)[0], torch.sort(a, descending=True)[0], torch.topk(a, 2)[0],
                        torch.topk(a, 2, largest=False)[0]), x)


def test_dynamic_batch():
    check_dynamic(lambda x: (plain(x.sort(-1)), plain(x.topk(2, 1))), X, X[:1], -X.repeat(2, 1, 1))


def test_stable_unsupported():
    check_unsupported(lambda x: torch.sort(x, stable=True), X, op="torch.sort")


def test_too_long_unsupported():
    check_unsupported(lambda x: torch.sort(x), torch.randn(2, 4000), op="torch.sort")
    check_unsupported(lambda x: x.topk(3900), torch.randn(2, 4000), op="torch.Tensor.topk")


def test_dynamic_sorted_axis():
    check_dynamic(lambda x: (plain(torch.sort(x)), x.argsort(-1, descending=True),
                             plain(x.topk(x.size(-1) // 2))), X, X[..., :1], -X[..., :3])


def test_sorted_axis_past_the_limit_fails_the_build():
    import trtconv
    from trtconv.backends import BuildFailedError

    with pytest.raises(BuildFailedError, match="exceeds the limit of 3840"):
        trtconv.convert(_Sort(), [X], backend="reference", min_shapes=[(3, 4, 1)],
                        max_shapes=[(3, 4, 4000)])


def test_data_dependent_k():
    """k and the sorted length from the number of selected elements (a data-dependent size,
    as in torchvision's detectors)."""
    from support.compare import assert_matches

    def top_selected(x):
        selected = x[x > 0]
        return (plain(selected.topk(selected.size(0) // 2)),
                plain(selected.sort(descending=True)))

    converted = check_op(top_selected, X, rtx="replay")
    for x in (torch.randn(3, 4, 5), -X.abs() - 1, X + 100):  # other counts, none, all
        assert_matches(converted(x), top_selected(x), 0, 0)


class _Sort(torch.nn.Module):
    def forward(self, x):
        return torch.sort(x)[0]
