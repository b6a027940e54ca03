"""Values read out of traced tensors (converters/values.py): each converts at the example and
is guarded (tests/test_guards.py checks that a different value raises GuardError); memory reads
and storage changes are refused; identities convert; a TRTModule inside a model is inlined."""

import warnings

import numpy as np
import pytest
import torch
from harness import check_op, check_unsupported

import trtconv

X = torch.tensor([[2.0, 1.0, 3.0, 4.0], [2.0, 1.0, 3.0, 4.0]])


@pytest.fixture(autouse=True)
def _quiet_guards():
    """Guarded reads warn once per site at conversion; that is their point, not noise here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "read .* from a traced tensor", UserWarning)
        warnings.filterwarnings("ignore", ".* of a dynamic size at", UserWarning)
        yield


@pytest.mark.parametrize("fn", [
    lambda x: x * 2 if x.sum() > 0 else x,
    lambda x: x * x.max().item(),
    lambda x: x * int(x[0, 2]),
    lambda x: x * float(x[0, 0]),
    lambda x: x[:, : x[0, 0].long()],
    lambda x: x * [5.0, 6.0, 7.0][x[0, 0].long()],
    lambda x: x * sum(x[0].tolist()),
    lambda x: x * float(np.asarray(x).sum()),
    lambda x: x * float(x.numpy().sum()),
    lambda x: x * len(f"{x[0, 0]:.1f}"),
    lambda x: x * len(repr(x)),
    lambda x: x * 2 if 3.0 in x else x,
    lambda x: x * 2 if torch.equal(x[0], x[1]) else x,
    lambda x: x * 2 if x[0].equal(x[1]) else x,
    lambda x: x * len(x),
], ids=["bool", "item", "int", "float", "slice bound", "index", "tolist", "array", "numpy", "format", "repr",
        "contains", "torch.equal", "Tensor.equal", "len"])
def test_values_read(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x: x.detach() * 2, lambda x: torch.detach(x) * 2, lambda x: (x * 1).detach_() + 1,
    lambda x: (x * 1).requires_grad_(False) + 1, lambda x: x.data * 3,
], ids=["detach", "torch.detach", "detach_", "requires_grad_", "data"])
def test_identities(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn, op", [
    (lambda x: x * (x.data_ptr() % 2), "torch.Tensor.data_ptr"),
    (lambda x: x * x.untyped_storage().nbytes(), "torch.Tensor.untyped_storage"),
    (lambda x: x * x.storage().size(), "torch.Tensor.storage"),
    (lambda x: (x * 1).resize_(8), "torch.Tensor.resize_"),
    (lambda x: (x * 1).resize_as_(x[0]), "torch.Tensor.resize_as_"),
    (lambda x: (x * 1).as_strided_((2, 2), (1, 1)), "torch.Tensor.as_strided_"),
], ids=["data_ptr", "untyped_storage", "storage", "resize_", "resize_as_", "as_strided_"])
def test_memory_reads_refused(fn, op):
    check_unsupported(fn, X, op=op)


def test_a_trtmodule_inside_the_model_is_inlined():
    inner_model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh()).eval()
    inner = trtconv.convert(inner_model, [X], backend="reference")
    check_op(lambda x: inner(x * 2) + 1, X)
