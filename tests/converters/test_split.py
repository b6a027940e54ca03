import pytest
import torch
from harness import Lambda, check_op
from support.dynamic_harness import check_dynamic

import trtconv

X = torch.randn(4, 5, 6)


@pytest.mark.parametrize("fn", [
    lambda x: torch.split(x, 2), lambda x: torch.split(x, 2, 1), lambda x: x.split(4, dim=-1),
    lambda x: x.split([1, 3], 0), lambda x: torch.split(x, [2, 0, 3], dim=1),
    lambda x: x.split(10), lambda x: x.split_with_sizes([2, 4], 2),
    lambda x: torch.split_with_sizes(x, [3, 2], 1),
    lambda x: torch.chunk(x, 2), lambda x: x.chunk(3, 1), lambda x: x.chunk(4, -1),
    lambda x: torch.chunk(x, 1, 0), lambda x: torch.tensor_split(x, 3, 1),
    lambda x: x.tensor_split([1, 4], dim=2),
    lambda x: torch.unbind(x), lambda x: x.unbind(1), lambda x: x.unbind(-1),
    lambda x: torch.narrow(x, 0, 1, 2), lambda x: x.narrow(-1, -3, 3),
    lambda x: x.narrow(1, torch.tensor(2), 3), lambda x: x.narrow(2, 0, 6),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_split(fn):
    check_op(fn, X)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    check_op(lambda t: (*t.split(2, 1), *t.chunk(2), *t.unbind(2), t.narrow(0, 1, 1)),
             (X * 3).to(dtype))


@pytest.mark.parametrize("fn", [
    lambda x: x.split(2, 1), lambda x: x.chunk(3, -1), lambda x: x.unbind(1),
    lambda x: x.narrow(2, 1, 3), lambda x: x.narrow(0, 1, x.size(0) - 1),
    lambda x: x.narrow(0, -1, 1),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(7, 5, 6))


def test_split_dynamic_axis_unsupported():
    with pytest.raises(trtconv.UnsupportedOperatorError, match="torch.Tensor.split"):
        trtconv.convert(Lambda(lambda x: x.split(2)), [X], backend="reference",
                        min_shapes=[(2, 5, 6)], max_shapes=[(8, 5, 6)])
