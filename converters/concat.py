"""Joining tensors: cat/concat/concatenate and stack.

Inputs are promoted to the torch result's dtype; empty tensors are skipped like torch skips
them (they add nothing, and torch accepts a legacy (0,)-shaped one of any rank).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, tensorrt_converter
from trtconv.api import Ctx, ITensor
from trtconv.registry import register_table


def concatenate(ctx: Ctx, tensors: Sequence[ITensor], axis: int) -> ITensor:
    """The ITensors `tensors` (one dtype and rank) joined along `axis`."""
    if len(tensors) == 1:
        return tensors[0]
    layer = ctx.network.add_concatenation(list(tensors))
    layer.axis = axis
    return layer.get_output(0)


def convert_cat(ctx: Ctx, tensors: Sequence[torch.Tensor], dim: int = 0, *,
                out: torch.Tensor | None = None) -> ITensor:
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    axis = emit.normalize_dim(dim, ctx.output.dim())
    kept = [t for t in tensors if t.numel() > 0 or ctx.is_traced(t) and any(
        d < 0 for d in ctx.trt(t).shape)]
    if not kept:
        return emit.full(ctx, list(ctx.output.shape), 0, dtype)
    parts = [emit.cast(ctx.network, ctx.trt(t), dtype) for t in kept]
    return concatenate(ctx, parts, axis)


register_table({"torch.cat": convert_cat, "torch.concat": convert_cat})


@tensorrt_converter("torch.concatenate")
def convert_concatenate(ctx: Ctx, tensors: Sequence[torch.Tensor], axis: int = 0, *,
                        out: torch.Tensor | None = None) -> ITensor:
    return convert_cat(ctx, tensors, axis)


@tensorrt_converter("torch.stack")
def convert_stack(ctx: Ctx, tensors: Sequence[torch.Tensor], dim: int = 0, *,
                  out: torch.Tensor | None = None) -> ITensor:
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    rank = ctx.output.dim()
    axis = emit.normalize_dim(dim, rank)
    parts = []
    for t in tensors:
        x = emit.cast(ctx.network, ctx.trt(t), dtype)
        shape = list(t.shape)
        shape.insert(axis, 1)
        source: list[int | None] = list(range(t.dim()))
        source.insert(axis, None)
        parts.append(emit.reshape_to(ctx.network, x, shape, source))
    return concatenate(ctx, parts, axis)
