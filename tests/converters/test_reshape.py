import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 4)
B = torch.randn(1, 3, 1, 4)
INTS = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)


@pytest.mark.parametrize("fn", [
    lambda x: x.view(6, 4), lambda x: x.view(-1), lambda x: x.view((2, -1)),
    lambda x: x.view(torch.Size([4, 6])), lambda x: x.view(2, 3, 2, 2),
    lambda x: x.reshape(4, -1), lambda x: x.reshape((24,)), lambda x: torch.reshape(x, (3, 8)),
    lambda x: torch.reshape(x, [-1, 2]), lambda x: x.view_as(torch.zeros(4, 6)),
    lambda x: x.reshape_as(torch.zeros(3, 8)), lambda x: x.view_as(x),
    lambda x: torch.flatten(x), lambda x: torch.flatten(x, 1), lambda x: x.flatten(0, 1),
    lambda x: x.flatten(-2, -1), lambda x: x.flatten(1, 1), torch.nn.Flatten(),
    torch.nn.Flatten(0, -2), lambda x: x.unflatten(2, (2, 2)),
    lambda x: torch.unflatten(x, -1, (2, -1)), torch.nn.Unflatten(1, (3, 1)),
    lambda x: x.unsqueeze(0), lambda x: torch.unsqueeze(x, -1), lambda x: x.unsqueeze(2),
    lambda x: x.clone().unsqueeze_(1), lambda x: x.contiguous(), lambda x: torch.clone(x),
    lambda x: x.clone() + 1, lambda x: x.expand(2, 2, 3, 4), lambda x: x.repeat(2, 1, 3),
    lambda x: x.repeat(2, 1, 1, 2), lambda x: torch.tile(x, (2,)), lambda x: x.tile(2, 1, 1, 1),
    lambda x: x.tile((1, 2)),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_reshape(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x: x.squeeze(), lambda x: torch.squeeze(x, 0), lambda x: x.squeeze(-2),
    lambda x: x.squeeze((0, 2)), lambda x: x.squeeze(1), lambda x: x.clone().squeeze_(),
    lambda x: x.expand(2, -1, 5, 4), lambda x: x.expand(torch.Size([3, 1, 3, 2, 4])),
    lambda x: x.expand_as(torch.zeros(2, 3, 3, 4)), lambda x: torch.broadcast_to(x, (2, 3, 2, 4)),
    lambda x: x.repeat(1, 2, 3, 1), lambda x: x.flatten(), lambda x: x.view(3, 4),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_size_one_dims(fn):
    check_op(fn, B)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    x = (X * 3).to(dtype)
    check_op(lambda t: t.view(4, 6).unsqueeze(0).flatten(1).repeat(2, 1).clone(), x)


def test_int64_expand():
    check_op(lambda t: t[:, :1].expand(2, 3, 4) + t, INTS)


def test_zero_dim():
    check_op(lambda t: t.sum().view(1, 1).flatten(), X)
    check_op(lambda t: t.reshape(-1).reshape(2, 12)[0, 0].unsqueeze(0), X)


def test_expand_as_traced():
    check_op(lambda x, y: x[:, :1].expand_as(y) + y, X, X * 2)


def test_view_dtype_unsupported():
    check_unsupported(lambda x: x.view(torch.int32), X, op="torch.Tensor.view")


@pytest.mark.parametrize("fn", [
    lambda x: x.flatten(1), lambda x: x.view(x.size(0), -1), lambda x: x.view(-1, 4),
    lambda x: x.reshape(x.shape[0], 12), lambda x: torch.nn.Flatten()(x),
    lambda x: x.view(x.size(0), 3, 2, 2), lambda x: x.unsqueeze(1).squeeze(1),
    lambda x: x.unsqueeze(0).flatten(0, 1), lambda x: x.transpose(0, 1).flatten(1),
    lambda x: x.view(-1), lambda x: x.view(x.size(0) * 3, 4), lambda x: x[:, None].flatten(2),
    lambda x: x.expand(-1, 3, 4) + x, lambda x: x.repeat(2, 1, 1),
    lambda x: x.unflatten(0, (1, -1)), lambda x: x[:1, :1].expand(x.size(0), 3, 4) + x,
    lambda x: x.flatten(1)[:, :4].reshape(x.size(0), 2, 2), lambda x: x.expand_as(x * 2),
    lambda x: x[:1].expand(x.shape[0], -1, -1) * x, lambda x: x.view_as(x),
    lambda x: x.flatten(1).view_as(x), lambda x: (x * 2).reshape_as(x.transpose(1, 2)),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4), torch.randn(1, 3, 4))


def test_detach_keeps_the_input_values():
    """A detached tensor is the input's values in the engine, not a constant of the
    example's (torchvision's RPN detaches its objectness and box deltas)."""
    converted = check_op(lambda x: (x.detach() * 2 + x, torch.detach(x)), X)
    other = torch.randn_like(X)
    got = converted(other)
    assert torch.equal(got[1], other) and torch.allclose(got[0], other * 3)
