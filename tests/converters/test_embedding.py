import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
W = torch.randn(10, 4)


@pytest.mark.parametrize("indices", [
    torch.tensor(3), torch.tensor([1, 0, 9]), torch.tensor([[1, 2], [3, 3]]),
    torch.tensor([[1, 2], [3, 3]], dtype=torch.int32), torch.randint(0, 10, (2, 3, 4)),
], ids=["scalar", "1d", "2d", "int32", "3d"])
def test_embedding(indices):
    check_op(lambda i: F.embedding(i, W), indices)
    check_op(lambda i: torch.embedding(W, i), indices)


def test_embedding_variants():
    torch.manual_seed(0)
    check_op(torch.nn.Embedding(10, 3, padding_idx=0), torch.tensor([[0, 5, 9]]))
    check_op(lambda i: F.embedding(i, W.half(), padding_idx=2), torch.tensor([2, 7]))
    check_op(lambda i, w: F.embedding(i, w * 2), torch.tensor([2, 7]), W)
    check_op(lambda i: F.embedding(i, torch.arange(12).reshape(6, 2)), torch.tensor([5, 0]))


def test_embedding_unsupported():
    check_unsupported(lambda i: F.embedding(i, W.clone(), max_norm=1.0), torch.tensor([1, 2]),
                      op="torch.nn.functional.embedding")


def test_embedding_dynamic():
    check_dynamic(lambda i: F.embedding(i, W), torch.tensor([[1, 2]]),
                  torch.tensor([[1, 2, 3]] * 3))
