"""Running sums: cumsum (TensorRT's cumulative layer; the only CumulativeOperation is SUM, so
cumprod, cummax and cummin stay unconverted)."""

from __future__ import annotations

from typing import Any

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, ITensor


def _cumsum(ctx: Ctx, input: Any, dim: int, *, dtype: Any = None, out: torch.Tensor | None = None) -> ITensor:
    # torch sums integers and bools as int64 unless asked otherwise: the result's dtype.
    x = emit.cast(ctx.network, ctx.trt(input), emit.storable_dtype(ctx, ctx.output.dtype))
    if not x.shape:
        return x  # the running sum of one element is itself
    axis = emit.normalize_dim(dim, len(x.shape))
    axis_t = ctx.constant(torch.tensor(axis, dtype=torch.int32))
    layer = ctx.network.add_cumulative(x, axis_t, trt.CumulativeOperation.SUM, False, False)
    return layer.get_output(0)


for _target in ("torch.cumsum", "torch.Tensor.cumsum", "torch.Tensor.cumsum_"):
    tensorrt_converter(_target)(_cumsum)
