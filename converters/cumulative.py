"""Running sums and differences: cumsum (TensorRT's cumulative layer; the only
CumulativeOperation is SUM, so cumprod, cummax and cummin stay unconverted) and diff (slices
subtracted, n times)."""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, E, ITensor
from trtconv.registry import register_spellings


def convert_cumsum(ctx: Ctx, input: torch.Tensor, dim: int, *, dtype: torch.dtype | None = None,
                   out: torch.Tensor | None = None) -> ITensor:
    # torch sums integers and bools as int64 unless asked otherwise: the result's dtype.
    x = emit.cast(ctx.network, ctx.trt(input), emit.storable_dtype(ctx, ctx.output.dtype))
    if not x.shape:
        return x  # the running sum of one element is itself
    axis = emit.normalize_dim(dim, len(x.shape))
    axis_t = ctx.constant(torch.tensor(axis, dtype=torch.int32))
    layer = ctx.network.add_cumulative(x, axis_t, trt.CumulativeOperation.SUM, False, False)
    return layer.get_output(0)


register_spellings({"cumsum": convert_cumsum})


def _difference(ctx: Ctx, x: ITensor, axis: int) -> ITensor:
    """x[1:] - x[:-1] along `axis` (exclusive or for bool, as torch does)."""
    net = ctx.network
    length = emit.dim_of(ctx, x, axis)
    size = emit.dim_op(net, emit.dim_op(net, length, 1, E.SUB), 0, E.MAX)
    empty = not emit.is_dynamic(size) and size == 0
    later = emit.slice_axis(net, x, axis, 0 if empty else 1, size)  # TensorRT: start in range
    earlier = emit.slice_axis(net, x, axis, 0, size)
    op = E.XOR if x.dtype == trt.DataType.BOOL else E.SUB
    return net.add_elementwise(later, earlier, op).get_output(0)


def convert_diff(ctx: Ctx, input: torch.Tensor, n: int = 1, dim: int = -1,
                 prepend: torch.Tensor | None = None, append: torch.Tensor | None = None, *,
                 out: torch.Tensor | None = None) -> ITensor:
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    axis = emit.normalize_dim(dim, input.dim())
    parts = [emit.cast(ctx.network, ctx.trt(t), dtype) for t in (prepend, input, append)
             if t is not None]
    x = parts[0]
    if len(parts) > 1:
        layer = ctx.network.add_concatenation(parts)
        layer.axis = axis
        x = layer.get_output(0)
    for _ in range(n):
        x = _difference(ctx, x, axis)
    return x


register_spellings({"diff": convert_diff}, in_place=False)
