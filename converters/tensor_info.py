"""Metadata reads: Tensor.size, .shape, .numel and .dim.

They add no layers for static dims. For a dim that is dynamic in the network, size/shape/
numel return `DimInt`s (see trtconv.symbolic): ints with the example's value that also carry
their shape-tensor computation, so later view/reshape/zeros/interpolate calls stay dynamic.
"""

from __future__ import annotations

import torch

from trtconv import tensorrt_converter
from trtconv.api import Ctx
from trtconv.symbolic import symbolic_size


@tensorrt_converter("torch.Tensor.size")
def convert_size(ctx: Ctx, input: torch.Tensor, dim: int | None = None) -> torch.Size | int:
    sizes = symbolic_size(ctx, input, ctx.trt(input))
    return sizes if dim is None else sizes[dim]


@tensorrt_converter("torch.Tensor.shape")
def convert_shape(ctx: Ctx, input: torch.Tensor) -> torch.Size:
    return symbolic_size(ctx, input, ctx.trt(input))


@tensorrt_converter("torch.Tensor.numel")
def convert_numel(ctx: Ctx, input: torch.Tensor) -> int:
    total = 1
    for size in symbolic_size(ctx, input, ctx.trt(input)):
        total = total * size
    return total


@tensorrt_converter("torch.Tensor.dim")
def convert_dim(ctx: Ctx, input: torch.Tensor) -> int:
    return ctx.output
