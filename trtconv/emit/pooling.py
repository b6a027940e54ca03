"""Adaptive pooling with torch's bins: output cell i of an axis of length L pooled into n cells
covers [floor(i * L / n), ceil((i + 1) * L / n)).

Shared by adaptive_{avg,max}_pool and interpolate(mode="area"). Pooling a rectangle equals
pooling its rows and then the row results (for average too: every row of a cell has the same
number of elements), so each axis is pooled on its own: a reshape and a reduce when n divides
L, one slice and reduce per cell (concatenated) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..reference import trt
from .layout import slice_tensor
from .reductions import reduce
from .shapes import dims_of, reshape

R = trt.ReduceOperation


def adaptive_bins(length: int, cells: int) -> list[tuple[int, int]]:
    """torch's (start, end) of each of `cells` adaptive bins over `length` elements."""
    return [((i * length) // cells, -(-((i + 1) * length) // cells)) for i in range(cells)]


def slice_axis(network: Any, x: Any, axis: int, start: int, size: int) -> Any:
    """Elements [start, start + size) of `axis` (other axes whole, dynamic ones too)."""
    rank = len(x.shape)
    begin, sizes = [0] * rank, [None] * rank
    begin[axis], sizes[axis] = start, size
    return slice_tensor(network, x, begin, sizes, [1] * rank)


def _pool_axis(network: Any, x: Any, axis: int, cells: int, op: Any) -> Any:
    length = x.shape[axis]
    if length == cells:
        return x
    if length % cells == 0:
        dims = dims_of(network, x)
        split = reshape(network, x, dims[:axis] + [cells, length // cells] + dims[axis + 1:])
        return reduce(network, split, op, axis + 1, keepdim=False)
    pooled = [reduce(network, slice_axis(network, x, axis, start, end - start), op, axis, True)
              for start, end in adaptive_bins(length, cells)]
    layer = network.add_concatenation(pooled)
    layer.axis = axis
    return layer.get_output(0)


def adaptive_pool(network: Any, x: Any, output_size: Sequence[int | None], average: bool) -> Any:
    """The innermost len(output_size) axes of `x` pooled adaptively to `output_size` (None keeps
    an axis). A dynamic axis can only be pooled to one cell (its bins depend on its length):
    ValueError otherwise."""
    nsp = len(output_size)
    rank = len(x.shape)
    axes = list(range(rank - nsp, rank))
    lengths = [x.shape[a] for a in axes]
    cells = [length if n is None else int(n) for length, n in zip(lengths, output_size)]
    for axis, length, n in zip(axes, lengths, output_size):
        if length < 0 and n is not None and n != 1:
            raise ValueError(f"adaptive pooling of dynamic dim {axis} into {n} cells (the bins "
                             "depend on its length; only 1 cell or None is taken)")
    op = R.AVG if average else R.MAX
    if all(n == 1 for n in cells):
        return reduce(network, x, op, axes, keepdim=True)
    if nsp in (2, 3) and rank >= nsp + 2 and all(
            length >= 0 and length % n == 0 for length, n in zip(lengths, cells)):
        window = tuple(length // n for length, n in zip(lengths, cells))
        kind = trt.PoolingType.AVERAGE if average else trt.PoolingType.MAX
        layer = network.add_pooling_nd(x, kind, window)
        layer.stride_nd = window
        return layer.get_output(0)
    for axis, length, n in zip(axes, lengths, output_size):
        if n is None:
            continue
        if length < 0:  # one cell
            x = reduce(network, x, op, axis, keepdim=True)
        else:
            x = _pool_axis(network, x, axis, int(n), op)
    return x
