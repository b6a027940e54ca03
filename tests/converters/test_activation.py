import pytest
import torch
import torch.nn.functional as F
from harness import check_op

X = torch.randn(2, 3, 4) * 3


@pytest.mark.parametrize("fn", [
    torch.relu, F.relu, lambda x: x.relu(), lambda x: torch.relu_(x.clone()),
    lambda x: F.relu(x, inplace=True), lambda x: x.clone().relu_(),
    torch.sigmoid, F.sigmoid, lambda x: x.sigmoid(), torch.tanh, F.tanh, lambda x: x.tanh(),
    lambda x: torch.sigmoid_(x * 1), lambda x: (x * 1).sigmoid_(),
    lambda x: torch.tanh_(x * 1), lambda x: (x * 1).tanh_(), torch.nn.ReLU(),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_activation(fn):
    check_op(fn, X)


def test_relu_int():
    check_op(torch.relu, torch.arange(-3, 3, dtype=torch.int32))
