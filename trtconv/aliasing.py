"""Tensors that share memory: an in-place update of one, carried into the others.

`y = x * 1; y[0].add_(10); return y` updates `y` through its view `y[0]`. In torch every tensor
over the same memory sees the update; in the network each is a separate ITensor. After an
in-place update, every other traced tensor over the same storage is rebuilt from the updated
one: each element that lies at a storage position the update wrote takes the new value, every
other element keeps its own. The positions come from sizes, strides and storage offsets, so any
view (slices, transposes, reshapes, diagonals) is followed without knowing the op that made it.

That needs static shapes: with dynamic dims the positions change at run time, and the other
tensors are marked stale instead (reading one is reported).
"""

from __future__ import annotations

import torch

from .emit.constants import constant
from .emit.shapes import reshape, static_shape
from .reference import trt


def _positions(t: torch.Tensor) -> torch.Tensor:
    """The storage position (in elements) of each element of `t`."""
    size = t.untyped_storage().nbytes() // t.element_size()
    return torch.arange(size).as_strided(t.shape, t.stride(), t.storage_offset())


class Unfollowable(Exception):
    """The update cannot be carried into a tensor sharing its memory (reported as stale)."""


def carry(network: trt.INetworkDefinition, updated: torch.Tensor, new: trt.ITensor,
          other: torch.Tensor, old: trt.ITensor) -> trt.ITensor | None:
    """`other`'s ITensor after `updated` (sharing its storage) became `new`; None when they
    share no element. Raises `Unfollowable` with the reason when it cannot be expressed."""
    if updated.dtype != other.dtype:
        raise Unfollowable("an in-place update through a view of another dtype")
    if static_shape(new) is None or static_shape(old) is None:
        raise Unfollowable("an in-place update through a view of a tensor with dynamic dims")
    written = _positions(updated).reshape(-1)
    if written.unique().numel() != written.numel():
        raise Unfollowable("an in-place update of a tensor whose elements overlap in memory")
    slot = torch.full((int(written.max()) + 1,), -1, dtype=torch.int64)
    slot[written] = torch.arange(written.numel())
    wanted = _positions(other).reshape(-1)
    source = torch.where(wanted <= written.max(), slot[wanted.clamp(max=slot.numel() - 1)],
                         torch.tensor(-1))
    covered = source >= 0
    if not bool(covered.any()):
        return None
    flat_new = reshape(network, new, [-1])
    index = constant(network, source.clamp(min=0).to(torch.int32))
    taken = network.add_gather(flat_new, index, 0).get_output(0)
    if not bool(covered.all()):
        mask = constant(network, covered)
        kept = reshape(network, old, [-1])
        taken = network.add_select(mask, taken, kept).get_output(0)
    return reshape(network, taken, list(other.shape))
