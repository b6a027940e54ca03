import pytest
import torch
from harness import Lambda, check_op
from support.dynamic_harness import check_dynamic

import trtconv

X = torch.randn(2, 3, 4)
M = torch.randn(2, 4, 5)


@pytest.mark.parametrize("fn", [
    lambda x: x.permute(2, 0, 1), lambda x: x.permute((1, 2, 0)), lambda x: x.permute(-1, 0, 1),
    lambda x: torch.permute(x, (0, 2, 1)), lambda x: x.permute(0, 1, 2),
    lambda x: x.transpose(0, 1), lambda x: torch.transpose(x, -1, -2),
    lambda x: x.clone().transpose_(0, 2), lambda x: x.swapaxes(0, 2),
    lambda x: torch.swapaxes(x, 1, 2), lambda x: torch.swapdims(x, 0, 1),
    lambda x: x.swapdims(-1, 0), lambda x: x[0].t(), lambda x: torch.t(x[0]),
    lambda x: x[0].clone().t_(), lambda x: x[0, 0].t(), lambda x: x.movedim(0, -1),
    lambda x: torch.movedim(x, (0, 1), (2, 0)), lambda x: torch.moveaxis(x, 2, 0),
    lambda x: x.moveaxis(-1, 1),
    lambda x: x.flip(0), lambda x: torch.flip(x, (0, 2)), lambda x: x.flip(-1, -2),
    lambda x: torch.flip(x, []), lambda x: x.roll(1, 0), lambda x: torch.roll(x, -1, -1),
    lambda x: torch.roll(x, (1, 2), (0, 2)), lambda x: x.roll(5), lambda x: x.roll(-7),
    lambda x: torch.roll(x, (1, 1), (2, 2)), lambda x: x.roll(3, 1),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_permute(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    torch.tril, torch.triu, lambda x: x.tril(1), lambda x: x.triu(-1), lambda x: x.tril(-10),
    lambda x: torch.triu(x, diagonal=2), lambda x: x.clone().tril_(), lambda x: x.clone().triu_(1),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_triangle(fn):
    check_op(fn, M)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    x = (M * 3).to(dtype)
    check_op(lambda t: t.permute(2, 0, 1).flip(0).roll(1, 1).transpose(0, 1).tril(), x)


@pytest.mark.parametrize("fn", [
    lambda x: x.permute(0, 2, 1), lambda x: x.transpose(1, 2), lambda x: x.flip(0, 1),
    lambda x: x.roll(1, 2), lambda x: x.tril(), lambda x: x.movedim(0, 2),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda x: x.roll(1, 0), lambda x: torch.roll(x, (-2, 1), (0, 2)), lambda x: x.roll(7, 0),
    lambda x: torch.roll(x, (3, -3), (1, 1)), lambda x: x.roll(-9, 0),
], ids=["one", "two_axes", "beyond_length", "cancel", "negative_beyond"])
def test_roll_along_a_dynamic_dim(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4), torch.randn(1, 3, 4))


@pytest.mark.parametrize("fn, op", [
    (lambda x: x[0].tril(), "torch.Tensor.tril"),
])
def test_dynamic_unsupported(fn, op):
    with pytest.raises(trtconv.UnsupportedOperatorError, match=op):
        trtconv.convert(Lambda(fn), [X], backend="reference", min_shapes=[(1, 1, 4)],
                        max_shapes=[(4, 3, 4)])
