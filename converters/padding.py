"""Padding: F.pad in its four modes and torch.constant_pad_nd, as one slice layer reading
outside the input (see `emit.pad`); negative pads crop."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, tensorrt_converter
from trtconv.api import Ctx, ITensor, Number
from trtconv.emit.padding import PAD_MODES


def _value_for(ctx: Ctx, value: Number | torch.Tensor | None) -> Number:
    """The fill value as torch stores it in the result's dtype (0 when None)."""
    if value is None:
        return 0
    dtype = ctx.output.dtype
    if dtype.is_floating_point:
        return float(value)
    return bool(value) if dtype == torch.bool else int(value)


@tensorrt_converter("torch.nn.functional.pad")
def convert_pad(ctx: Ctx, input: torch.Tensor, pad: Sequence[int], mode: str = "constant",
                value: float | None = None) -> ITensor:
    if mode not in PAD_MODES:
        raise ctx.unsupported(f"padding mode {mode!r}")
    pad = list(pad)  # sizes read off traced tensors (DimInts) stay dynamic
    x = ctx.trt(input)
    if mode == "circular" and any(map(emit.is_dynamic, pad)):
        raise ctx.unsupported("circular padding by amounts computed from dynamic dims")
    if mode == "circular" and any(p < 0 for p in pad):
        # torch wraps around what is left after cropping
        x = emit.pad(ctx.network, x, [min(p, 0) for p in pad])
        pad = [max(p, 0) for p in pad]
    fill = _value_for(ctx, value) if mode == "constant" else 0
    return emit.pad(ctx.network, x, pad, mode, fill)


@tensorrt_converter("torch.constant_pad_nd")
def convert_constant_pad_nd(ctx: Ctx, input: torch.Tensor, pad: Sequence[int], value: Number = 0
                            ) -> ITensor:
    return emit.pad(ctx.network, ctx.trt(input), list(pad), "constant", _value_for(ctx, value))
