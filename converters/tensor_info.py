"""Metadata reads: Tensor.size, .shape, .numel and .dim.

They add no layers for static dims. For a dim that is dynamic in the network, size/shape/
numel return `DimInt`s (see trtconv.symbolic): ints with the example's value that also carry
their shape-tensor computation, so later view/reshape/zeros/interpolate calls stay dynamic.
"""

from __future__ import annotations

from typing import Any

from trtconv import tensorrt_converter
from trtconv.api import Ctx, ITensor
from trtconv.symbolic import symbolic_size


@tensorrt_converter("torch.Tensor.size")
def convert_size(ctx: Ctx, input: Any, dim: int | None = None) -> ITensor:
    sizes = symbolic_size(ctx, input, ctx.trt(input))
    return sizes if dim is None else sizes[dim]


@tensorrt_converter("torch.Tensor.shape")
def convert_shape(ctx: Ctx, input: Any) -> ITensor:
    return symbolic_size(ctx, input, ctx.trt(input))


@tensorrt_converter("torch.Tensor.numel")
def convert_numel(ctx: Ctx, input: Any) -> ITensor:
    total: Any = 1
    for size in symbolic_size(ctx, input, ctx.trt(input)):
        total = total * size
    return total


@tensorrt_converter("torch.Tensor.dim")
def convert_dim(ctx: Ctx, input: Any) -> ITensor:
    return ctx.output
