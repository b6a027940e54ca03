"""Adaptive pooling with torch's bins: output cell i of an axis of length L pooled into n cells
covers [floor(i * L / n), ceil((i + 1) * L / n)).

Shared by adaptive_{avg,max}_pool and interpolate(mode="area"). Pooling a rectangle equals
pooling its rows and then the row results (for average too: every row of a cell has the same
number of elements), so each axis is pooled on its own: a reshape and a reduce when n divides
L, one slice and reduce per cell (concatenated) otherwise. A dynamic axis takes the second
way with each bin's bounds computed in the network from its run-time length.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..api import Dim, E, ITensor, Network, R
from ..reference import trt
from .layout import dim_op, slice_axis
from .reductions import reduce
from .shapes import dims_of, reshape


def adaptive_bins(length: int, cells: int) -> list[tuple[int, int]]:
    """torch's (start, end) of each of `cells` adaptive bins over `length` elements."""
    return [((i * length) // cells, -(-((i + 1) * length) // cells)) for i in range(cells)]


def _dynamic_bins(network: Network, length: Dim, cells: int) -> list[tuple[Dim, Dim]]:
    """`adaptive_bins` of a dynamic length as (start, size) pairs of (1,) INT64 tensors."""
    bins = []
    for i in range(cells):
        start = dim_op(network, dim_op(network, length, i, E.PROD), cells, E.FLOOR_DIV)
        end = dim_op(network, dim_op(network, dim_op(network, length, i + 1, E.PROD), cells - 1,
                                     E.SUM), cells, E.FLOOR_DIV)  # ceil((i + 1) * L / n)
        bins.append((start, dim_op(network, end, start, E.SUB)))
    return bins


def _pool_axis(network: Network, x: ITensor, axis: int, cells: int, op: R) -> ITensor:
    """One axis pooled into `cells` adaptive bins; a dynamic axis gets its bins' bounds
    computed in the network."""
    length = x.shape[axis]
    if cells == 1:
        return reduce(network, x, op, axis, keepdim=True)
    if length >= 0:
        if length == cells:
            return x
        if length % cells == 0:
            dims = dims_of(network, x)
            split = reshape(network, x, dims[:axis] + [cells, length // cells] + dims[axis + 1:])
            return reduce(network, split, op, axis + 1, keepdim=False)
        bins: list[tuple[Dim, Dim]] = [(start, end - start)
                                       for start, end in adaptive_bins(length, cells)]
    else:
        bins = _dynamic_bins(network, dims_of(network, x)[axis], cells)
    pooled = [reduce(network, slice_axis(network, x, axis, start, size), op, axis, True)
              for start, size in bins]
    layer = network.add_concatenation(pooled)
    layer.axis = axis
    return layer.get_output(0)


def adaptive_pool(network: Network, x: ITensor, output_size: Sequence[int | None], average: bool
                  ) -> ITensor:
    """The innermost len(output_size) axes of `x` pooled adaptively to `output_size` (None keeps
    an axis); dynamic axes get their bins computed at run time."""
    nsp = len(output_size)
    rank = len(x.shape)
    axes = list(range(rank - nsp, rank))
    lengths = [x.shape[a] for a in axes]
    cells = [length if n is None else int(n) for length, n in zip(lengths, output_size)]
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
    for axis, n in zip(axes, output_size):
        if n is not None:
            x = _pool_axis(network, x, axis, int(n), op)
    return x
