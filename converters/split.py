"""Splitting a tensor: split, chunk, tensor_split, unbind and narrow.

The pieces are consecutive windows along one axis; their sizes are those of the torch result,
so every way of asking for them (a size, a list of sizes, a number of chunks, indices) is one
slice per piece. The split axis must be static; other axes may be dynamic.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch

from trtconv import emit
from trtconv.api import Ctx, Dim, E, ITensor
from trtconv.registry import register_spellings
from trtconv.symbolic import force_int, symbolic_size


def pieces(ctx: Ctx, input: torch.Tensor, axis: int, lengths: Sequence[int]) -> list[ITensor]:
    """Consecutive windows of `lengths` along `axis` of `input`."""
    x = ctx.trt(input)
    if x.shape[axis] < 0:
        raise ctx.unsupported("splitting along a dynamic dim")
    out, offset = [], 0
    for length in lengths:
        whole = length == x.shape[axis]
        out.append(x if whole else emit.slice_axis(ctx.network, x, axis, offset, length))
        offset += length
    return out


def _by_result(ctx: Ctx, input: torch.Tensor, dim: int) -> tuple[ITensor, ...]:
    axis = emit.normalize_dim(dim, input.dim())
    return tuple(pieces(ctx, input, axis, [t.shape[axis] for t in ctx.output]))


def convert_split(ctx: Ctx, tensor: torch.Tensor,
                  split_size_or_sections: int | Sequence[int] | None = None, dim: int = 0,
                  **kwargs: object) -> tuple[ITensor, ...]:
    dim = kwargs.get("dim", dim)
    return _by_result(ctx, tensor, dim)



def convert_chunk(ctx: Ctx, input: torch.Tensor, chunks: int, dim: int = 0
                  ) -> tuple[ITensor, ...]:
    return _by_result(ctx, input, dim)



def convert_tensor_split(ctx: Ctx, input: torch.Tensor,
                         indices_or_sections: int | Sequence[int] | torch.Tensor, dim: int = 0
                         ) -> tuple[ITensor, ...]:
    return _by_result(ctx, input, dim)



def convert_unbind(ctx: Ctx, input: torch.Tensor, dim: int = 0) -> tuple[ITensor, ...]:
    axis = emit.normalize_dim(dim, input.dim())
    x = ctx.trt(input)
    if x.shape[axis] < 0:  # one piece per row of the example: guard the count (`for r in x`)
        count = force_int(symbolic_size(ctx, input, x)[axis], "unbind (or iteration) along")
        return tuple(ctx.network.add_gather(x, ctx.trt(i), axis).get_output(0)
                     for i in range(count))
    source = [a for a in range(input.dim()) if a != axis]
    shape = [d for a, d in enumerate(input.shape) if a != axis]
    return tuple(emit.reshape_to(ctx.network, p, shape, source)
                 for p in pieces(ctx, input, axis, [1] * input.shape[axis]))


def convert_narrow(ctx: Ctx, input: torch.Tensor, dim: int, start: int | torch.Tensor,
                   length: int) -> ITensor:
    if ctx.is_traced(start):
        raise ctx.unsupported("narrow with a start computed by the network")
    axis = emit.normalize_dim(dim, input.dim())
    x = ctx.trt(input)
    first: Dim = int(start.item()) if isinstance(start, torch.Tensor) else start
    if operator.index(first) < 0:  # counts from the end (a DimInt keeps its example's sign)
        first = emit.dim_op(ctx.network, emit.dim_of(ctx, x, axis), first, E.SUM)
    return emit.slice_axis(ctx.network, x, axis, first, length)


register_spellings({"split": convert_split, "split_with_sizes": convert_split,
                    "chunk": convert_chunk, "tensor_split": convert_tensor_split,
                    "unbind": convert_unbind, "narrow": convert_narrow}, in_place=False)
