"""Axis normalisation and TensorRT's axis bitmasks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def varargs(args: Sequence[int | Sequence[int]]) -> list[int]:
    """torch's int varargs as a list: `view(2, 3)` and `view((2, 3))` alike (sizes, dims).

    >>> varargs((2, 3)), varargs(([2, 3],))
    ([2, 3], [2, 3])
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):  # torch.Size is a tuple
        return list(args[0])
    return list(args)  # type: ignore[arg-type]


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
