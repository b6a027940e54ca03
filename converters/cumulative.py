"""Running sums: cumsum (TensorRT's cumulative layer; the only CumulativeOperation is SUM, so
cumprod, cummax and cummin stay unconverted)."""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, ITensor
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
