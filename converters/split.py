"""Splitting a tensor: split, chunk, tensor_split, unbind and narrow.

The pieces are consecutive windows along one axis; their sizes are those of the torch result,
so every way of asking for them (a size, a list of sizes, a number of chunks, indices) is one
slice per piece. The split axis must be static; other axes may be dynamic.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import torch

from trtconv import emit
from trtconv.api import Ctx, E, ITensor
from trtconv.registry import register_table


def pieces(ctx: Ctx, input: torch.Tensor, axis: int, lengths: Sequence[int]) -> list[Any]:
    """Consecutive windows of `lengths` along `axis` of `input`."""
    x = ctx.trt(input)
    if x.shape[axis] < 0:
        raise ctx.unsupported("splitting along a dynamic dim")
    rank = len(x.shape)
    out, offset = [], 0
    for length in lengths:
        start = [offset if a == axis else 0 for a in range(rank)]
        size = [length if a == axis else None for a in range(rank)]
        if length == x.shape[axis]:
            out.append(x)
        else:
            out.append(emit.slice_tensor(ctx.network, x, start, size, [1] * rank))
        offset += length
    return out


def _by_result(ctx: Ctx, input: torch.Tensor, dim: int) -> tuple[Any, ...]:
    axis = emit.normalize_dim(dim, input.dim())
    return tuple(pieces(ctx, input, axis, [t.shape[axis] for t in ctx.output]))


def convert_split(ctx: Ctx, tensor: Any, split_size_or_sections: Any = None, dim: int = 0,
                  **kwargs: object) -> tuple[Any, ...]:
    dim = kwargs.get("dim", dim)
    return _by_result(ctx, tensor, dim)


register_table({target: convert_split for target in ("torch.split", "torch.Tensor.split", "torch.Tensor.split_with_sizes",
                                   "torch.split_with_sizes")})


def convert_chunk(ctx: Ctx, input: torch.Tensor, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    return _by_result(ctx, input, dim)


register_table({target: convert_chunk for target in ("torch.chunk", "torch.Tensor.chunk")})


def convert_tensor_split(ctx: Ctx, input: torch.Tensor, indices_or_sections: Any, dim: int = 0
                         ) -> tuple:
    return _by_result(ctx, input, dim)


register_table({target: convert_tensor_split for target in ("torch.tensor_split", "torch.Tensor.tensor_split")})


def convert_unbind(ctx: Ctx, input: torch.Tensor, dim: int = 0) -> tuple[Any, ...]:
    axis = emit.normalize_dim(dim, input.dim())
    source = [a for a in range(input.dim()) if a != axis]
    shape = [d for a, d in enumerate(input.shape) if a != axis]
    return tuple(emit.reshape_to(ctx.network, p, shape, source)
                 for p in pieces(ctx, input, axis, [1] * input.shape[axis]))


register_table({target: convert_unbind for target in ("torch.unbind", "torch.Tensor.unbind")})


def convert_narrow(ctx: Ctx, input: torch.Tensor, dim: int, start: Any, length: Any) -> ITensor:
    if ctx.is_traced(start):
        raise ctx.unsupported("narrow with a start computed by the network")
    axis = emit.normalize_dim(dim, input.dim())
    x = ctx.trt(input)
    rank = len(x.shape)
    first = start.item() if isinstance(start, torch.Tensor) else start
    if operator.index(first) < 0:  # counts from the end (a DimInt keeps its example's sign)
        first = emit.dim_op(ctx.network, emit.dim_of(ctx, x, axis), first, E.SUM)
    begin = [first if a == axis else 0 for a in range(rank)]
    size = [length if a == axis else None for a in range(rank)]
    return emit.slice_tensor(ctx.network, x, begin, size, [1] * rank)


register_table({target: convert_narrow for target in ("torch.narrow", "torch.Tensor.narrow")})
