"""Tensor.copy_ into tensors and into views of them (how torchvision batches images), with
broadcasting and dtype conversion; the tensor viewed sees the write."""

import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 5, 6)


def batch_images(x):
    """torchvision's GeneralizedRCNNTransform.batch_images on a traced image batch."""
    canvas = x.new_full((2, 3, 8, 8), 0)
    for i in range(canvas.shape[0]):
        canvas[i, : x.shape[1], : x.shape[2], : x.shape[3]].copy_(x[i])
    return canvas * 2


def into_constant(x):
    canvas = torch.zeros(3, 8, 8)  # not computed from the input: a constant until written
    canvas[:, 1:6, ::2].copy_(x[0, :, :, :4])
    return canvas + 1


@pytest.mark.parametrize("fn", [
    batch_images, into_constant,
    lambda x: x.clone().copy_(x[:1] * 3),  # broadcast over the batch
    lambda x: torch.zeros(2, 3, 5, 6, dtype=torch.int32).copy_(x * 10),  # float -> int
    lambda x: (x * 1).transpose(2, 3)[:, 1].copy_(x[:, 0, :, :].transpose(1, 2) + 5),
    lambda x: _view_then_read(x),
], ids=["batch_images", "into_constant", "broadcast", "cast", "transposed_view", "base_read"])
def test_copy(fn):
    check_op(fn, X)


def _view_then_read(x):
    y = x * 1
    y[0, 0].copy_(x[1, 2])
    return y, y.sum()


def test_copy_into_dynamic_base():
    check_dynamic(lambda x: x.clone().copy_(x.flip(0)), X, X[:1], torch.randn(4, 3, 5, 6))
    check_unsupported(lambda x: (x * 1)[:, 0].copy_(x[:, 1]), X, op="torch.Tensor.copy_",
                      min_shapes=[(1, 3, 5, 6)], max_shapes=[(4, 3, 5, 6)])


def test_views_taken_before_the_write_see_it():
    """As in torch, a view taken before a write into its base reads the written values
    (trtconv.aliasing carries the update to every view)."""
    def earlier_view(x):
        y = x * 1
        earlier = y[0, 0]
        y[0].copy_(x[1])
        return earlier * 2

    check_op(earlier_view, X)
