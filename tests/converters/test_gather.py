import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

X = torch.randn(3, 4, 5)
IDX = torch.randint(0, 3, (3, 4, 5))


@pytest.mark.parametrize("fn", [
    lambda x, i: torch.gather(x, 0, i), lambda x, i: x.gather(1, i),
    lambda x, i: torch.gather(x, -1, i), lambda x, i: x.gather(2, i[:, :2, :3]),
    lambda x, i: x.gather(0, i[:1]), lambda x, i: torch.gather(x, 1, i.int()),
    lambda x, i: torch.index_select(x, 0, i[0, 0]), lambda x, i: x.index_select(-1, i[0, :, 0]),
    lambda x, i: x.index_select(1, i[0, 0, 0]), lambda x, i: x.index_select(2, i[0, 0].int()),
    lambda x, i: torch.take_along_dim(x, i, 0), lambda x, i: x.take_along_dim(i[:1], dim=2),
    lambda x, i: torch.take_along_dim(x, i[:, :1, :1], -2), lambda x, i: x.take_along_dim(i),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_gather(fn):
    check_op(fn, X, IDX)


def test_constant_indices():
    index = torch.tensor([[0, 2], [1, 1], [2, 0]])
    check_op(lambda x: (x[:, :, 0].gather(1, index), x.index_select(0, torch.tensor([2, 0]))), X)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    check_op(lambda x, i: (x.gather(1, i), x.index_select(0, i[0, 0])),
             (X * 3).to(dtype), IDX)


def test_dynamic_batch():
    check_dynamic(lambda x, i: torch.gather(x, 2, i) + x.index_select(2, i[0, 0]),
                  (X, IDX), (torch.randn(6, 4, 5), torch.randint(0, 5, (6, 4, 5))))


def test_dynamic_index_into_a_constant_table():
    """BERT's default token types: a constant row gathered at positions sliced to the
    dynamic sequence length."""
    table = torch.arange(40).reshape(2, 20) % 3

    def fn(x):
        positions = torch.arange(20).expand(2, -1)[:, :x.size(1)]
        return x * torch.gather(table, 1, positions)

    check_dynamic(fn, torch.randn(2, 5), torch.randn(2, 9), torch.randn(2, 1))


def test_dynamic_index_smaller_than_input():
    check_dynamic(lambda x, i: torch.gather(x, 2, i[:, :2]) + x[:, :2, :1],
                  (X, IDX % 5), (torch.randn(6, 4, 5), torch.randint(0, 5, (6, 4, 3))))
