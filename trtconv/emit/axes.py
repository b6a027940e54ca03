"""Axis normalisation and TensorRT's axis bitmasks."""

from __future__ import annotations

from collections.abc import Iterable


def normalize_dim(dim: int, rank: int) -> int:
    """A torch dim (possibly negative) as a non-negative axis; IndexError like torch's."""
    size = max(rank, 1)
    if not -size <= dim < size:
        raise IndexError(f"dimension {dim} out of range for a tensor of rank {rank}")
    return dim % size


def normalize_dims(dims: int | Iterable[int] | None, rank: int) -> list[int]:
    """Sorted unique non-negative axes; None means all axes."""
    if dims is None:
        return list(range(rank))
    if isinstance(dims, int):
        dims = [dims]
    return sorted({normalize_dim(d, rank) for d in dims})


def axes_mask(dims: int | Iterable[int] | None, rank: int) -> int:
    """TensorRT's bitmask for `dims` (bit i set for axis i)."""
    mask = 0
    for axis in normalize_dims(dims, rank):
        mask |= 1 << axis
    return mask
