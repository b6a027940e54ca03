"""Selections of a data-dependent size: nonzero, argwhere, torch.where(condition),
masked_select and reading through a boolean mask (`x[mask]`).

All go through TensorRT's non-zero layer (`emit.selection`): the number of elements selected
is a -1 dim of the network, never the example's count, and outputs that carry it are sized by
the engine after it runs. Later code that reads that size as a number (`len(idx)`, `if
n > 0:`) gets a DimInt like any dynamic size.

`x[mask]` converts when the mask is the only index besides whole-axis slices and Ellipsis
(`x[mask]`, `x[:, mask]`, `x[..., mask]`): the axes it covers are flattened and the selected
positions gathered. Assigning through such a mask (`x[mask] = values`) with a tensor of
values stays unsupported (its count would be the example's); a scalar works
(converters/indexing.py).
"""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.context import ConversionContext
from trtconv.emit.layout import dim_op
from trtconv.emit.selection import flat_nonzero, nonzero_indices, row
from trtconv.emit.shapes import Dim
from trtconv.registry import register_spellings

E = trt.ElementWiseOperation


def _indices(ctx: ConversionContext, input: torch.Tensor) -> trt.ITensor:
    """(rank, count) INT64 coordinates of the non-zero elements (0-d input: rank 0)."""
    return nonzero_indices(ctx.network, ctx.trt(input))


def nonzero(ctx: ConversionContext, input: torch.Tensor, *, out: torch.Tensor | None = None,
            as_tuple: bool = False) -> trt.ITensor | tuple[trt.ITensor, ...]:
    if as_tuple:
        return where_indices(ctx, input)
    return emit.permute(ctx.network, _indices(ctx, input), (1, 0))


def argwhere(ctx: ConversionContext, input: torch.Tensor) -> trt.ITensor:
    return nonzero(ctx, input)


def where_indices(ctx: ConversionContext, condition: torch.Tensor) -> tuple[trt.ITensor, ...]:
    """torch.where(condition) and nonzero(as_tuple=True): one index vector per axis (a 0-d
    condition counts as 1-D)."""
    x = ctx.trt(condition)
    if len(x.shape) == 0:
        x = emit.reshape(ctx.network, x, [1])
    indices = nonzero_indices(ctx.network, x)
    return tuple(row(ctx.network, indices, k) for k in range(len(x.shape)))


def masked_select(ctx: ConversionContext, input: torch.Tensor, mask: torch.Tensor, *,
                  out: torch.Tensor | None = None) -> trt.ITensor:
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


def _broadcast_dim(network: trt.INetworkDefinition, a: Dim, b: Dim) -> Dim:
    """The broadcast of two dims (one of them 1, or both equal)."""
    if not emit.is_dynamic(a) and a == 1:
        return b
    if not emit.is_dynamic(b) and b == 1:
        return a
    if not emit.is_dynamic(a) or not emit.is_dynamic(b):
        return b if emit.is_dynamic(a) else a
    return dim_op(network, a, b, E.MAX)


def is_network_mask(ctx: ConversionContext, item: object) -> bool:
    """Whether an index is a boolean mask computed by the network."""
    return isinstance(item, torch.Tensor) and item.dtype in (torch.bool, torch.uint8) and \
        ctx.is_traced(item)


def index_with_mask(ctx: ConversionContext, input: torch.Tensor, key: object) -> trt.ITensor:
    """`input[key]` for a key of one network-computed boolean mask among whole-axis slices
    and an Ellipsis."""
    items = list(key) if isinstance(key, tuple) else [key]
    masks = [i for i, item in enumerate(items) if is_network_mask(ctx, item)]
    whole = all(i in masks or item is Ellipsis or item == slice(None)
                for i, item in enumerate(items))
    if len(masks) != 1 or not whole or items.count(Ellipsis) > 1:
        raise ctx.unsupported("reading through a boolean mask computed by the network along "
                              "with other indices (only whole-axis slices and ... may join it)")
    at, mask = masks[0], items[masks[0]]
    if mask.dim() == 0:
        raise ctx.unsupported("a 0-d boolean mask as an index")
    if Ellipsis in items[:at]:
        at = input.dim() - mask.dim() - (len(items) - at - 1)
    network = ctx.network
    x = ctx.trt(input)
    dims = emit.dims_of(network, x)
    covered = dims[at:at + mask.dim()]
    merged = covered[0]
    for d in covered[1:]:
        merged = dim_op(network, merged, d, E.PROD)
    x = emit.reshape(network, x, [*dims[:at], merged, *dims[at + mask.dim():]])
    return network.add_gather(x, flat_nonzero(network, ctx.trt(mask)), at).get_output(0)


register_spellings({"nonzero": nonzero, "argwhere": argwhere, "masked_select": masked_select},
                   in_place=False)
