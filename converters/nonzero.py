"""Selections of a data-dependent size: convert_nonzero, argwhere, torch.where(condition),
masked_select and reading through a boolean mask (`x[mask]`).

All go through TensorRT's non-zero layer (`emit.selection`): the number of elements selected
is a -1 dim of the network, never the example's count, and outputs that carry it are sized by
the engine after it runs. Later code that reads that size as a number (`len(idx)`, `if
n > 0:`) gets a DimInt like any dynamic size.

`x[mask]` converts when the mask is the only index tensor (ints, slices, None and Ellipsis may
join it: `x[mask]`, `x[:, mask]`, `x[mask, 1]`): the axes it covers are flattened, the
selected positions gathered, and the rest of the key applied to the result. Assigning through
such a mask (`x[mask] = values`) with a tensor of values stays unsupported (its count would be
the example's); a scalar works (converters/assignment.py).
"""

from __future__ import annotations

import torch

from trtconv import emit
from trtconv.api import Ctx, E, ITensor, Network
from trtconv.emit.layout import dim_op
from trtconv.emit.selection import flat_nonzero, nonzero_indices, row
from trtconv.emit.shapes import Dim
from trtconv.registry import register_spellings


def _indices(ctx: Ctx, input: torch.Tensor) -> ITensor:
    """(rank, count) INT64 coordinates of the non-zero elements (0-d input: rank 0)."""
    return nonzero_indices(ctx.network, ctx.trt(input))


def convert_nonzero(ctx: Ctx, input: torch.Tensor, *,
                    out: torch.Tensor | None = None, as_tuple: bool = False
                    ) -> ITensor | tuple[ITensor, ...]:
    if as_tuple:
        return where_indices(ctx, input)
    return emit.permute(ctx.network, _indices(ctx, input), (1, 0))


def convert_argwhere(ctx: Ctx, input: torch.Tensor) -> ITensor:
    return convert_nonzero(ctx, input)


def where_indices(ctx: Ctx, condition: torch.Tensor) -> tuple[ITensor, ...]:
    """torch.where(condition) and nonzero(as_tuple=True): one index vector per axis (a 0-d
    condition counts as 1-D)."""
    x = ctx.trt(condition)
    if len(x.shape) == 0:
        x = emit.reshape(ctx.network, x, [1])
    indices = nonzero_indices(ctx.network, x)
    return tuple(row(ctx.network, indices, k) for k in range(len(x.shape)))


def convert_masked_select(ctx: Ctx, input: torch.Tensor, mask: torch.Tensor, *,
                          out: torch.Tensor | None = None) -> ITensor:
    """The elements of `input` where `mask` (both broadcast to one shape) is true, 1-D."""
    network = ctx.network
    x, m = ctx.trt(input), ctx.trt(mask)
    rank = max(len(x.shape), len(m.shape))
    x, m = emit.to_rank(network, x, rank), emit.to_rank(network, m, rank)
    dims = [_broadcast_dim(network, a, b) for a, b in zip(emit.dims_of(network, x),
                                                          emit.dims_of(network, m))]
    x, m = emit.expand_to(network, x, dims), emit.expand_to(network, m, dims)
    flat = emit.reshape(network, x, [-1])
    return network.add_gather(flat, flat_nonzero(network, m), 0).get_output(0)


def _broadcast_dim(network: Network, a: Dim, b: Dim) -> Dim:
    """The broadcast of two dims (one of them 1, or both equal)."""
    if not emit.is_dynamic(a) and a == 1:
        return b
    if not emit.is_dynamic(b) and b == 1:
        return a
    if not emit.is_dynamic(a) or not emit.is_dynamic(b):
        return b if emit.is_dynamic(a) else a
    return dim_op(network, a, b, E.MAX)


def is_network_mask(ctx: Ctx, item: object) -> bool:
    """Whether an index is a boolean mask computed by the network."""
    return isinstance(item, torch.Tensor) and item.dtype in (torch.bool, torch.uint8) and \
        ctx.is_traced(item)


def select_with_mask(ctx: Ctx, input: torch.Tensor, key: object
                     ) -> tuple[ITensor, tuple[int, ...], tuple[object, ...]]:
    """The selection `input[key]` makes with the key's network-computed boolean mask, its
    example shape, and the rest of the key (the mask replaced by a whole-axis slice) for the
    ordinary indexing of the result. Ints, slices, None and one Ellipsis may join the mask;
    other index tensors may not."""
    items = list(key) if isinstance(key, tuple) else [key]
    masks = [item for item in items if is_network_mask(ctx, item)]
    others = [item for item in items if isinstance(item, (torch.Tensor, list, tuple, bool))
              and not any(item is m for m in masks)]
    if len(masks) != 1 or others or items.count(Ellipsis) > 1:
        raise ctx.unsupported("reading through a boolean mask computed by the network along "
                              "with other index tensors or masks")
    mask = masks[0]
    if mask.dim() == 0:
        raise ctx.unsupported("a 0-d boolean mask as an index")

    def consumed(item: object) -> int:
        return 0 if item is None or item is Ellipsis else mask.dim() if item is mask else 1

    if Ellipsis in items:
        at = items.index(Ellipsis)
        fill = input.dim() - sum(consumed(item) for item in items)
        items = items[:at] + [slice(None)] * fill + items[at + 1:]
    position = next(i for i, item in enumerate(items) if item is mask)
    axis = sum(consumed(item) for item in items[:position])
    network = ctx.network
    x = ctx.trt(input)
    dims = emit.dims_of(network, x)
    merged = dims[axis]
    for d in dims[axis + 1:axis + mask.dim()]:
        merged = dim_op(network, merged, d, E.PROD)
    x = emit.reshape(network, x, [*dims[:axis], merged, *dims[axis + mask.dim():]])
    selected = network.add_gather(x, flat_nonzero(network, ctx.trt(mask)), axis).get_output(0)
    example = (*input.shape[:axis], int(mask.sum()), *input.shape[axis + mask.dim():])
    return selected, example, (*items[:position], slice(None), *items[position + 1:])


register_spellings({"nonzero": convert_nonzero, "argwhere": convert_argwhere,
                    "masked_select": convert_masked_select}, in_place=False)
