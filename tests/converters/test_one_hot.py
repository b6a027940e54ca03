import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

IDX = torch.tensor([[0, 3, 1], [2, 2, 4]])


@pytest.mark.parametrize("fn,x", [
    (lambda i: F.one_hot(i, 5), IDX),
    (lambda i: F.one_hot(i, num_classes=7), IDX),
    (lambda i: F.one_hot(i, 4), torch.tensor(3)),
    (lambda i: F.one_hot(i.argmax(-1), 6) * 2.5, torch.randn(2, 3, 6)),  # indices computed
], ids=["2d", "keyword", "0d", "computed"])
def test_one_hot(fn, x):
    check_op(fn, x)


def test_one_hot_dynamic():
    check_dynamic(lambda i: F.one_hot(i, 5), IDX, IDX[:1], torch.randint(0, 5, (4, 3)))


def test_one_hot_classes_from_data_unsupported():
    check_unsupported(lambda i: F.one_hot(i), IDX, op="torch.nn.functional.one_hot")
