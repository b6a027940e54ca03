"""clamp / clip / clamp_min / clamp_max and their in-place forms.

Bounds may be Python numbers or tensors (broadcast like any operand), either may be None; the
result dtype follows torch's promotion of input and bounds. A NaN in the input (or a tensor
bound) gives NaN, as in torch, whatever TensorRT's MAX/MIN do with NaN.
"""

from __future__ import annotations

import math

import torch

from trtconv.api import Ctx, E, ITensor, Network, TensorLike
from trtconv.emit import arith
from trtconv.emit.compute import apply
from trtconv.registry import register_spellings


def convert_clamp(ctx: Ctx, input: torch.Tensor, min: TensorLike | None = None,
                  max: TensorLike | None = None, *, out: torch.Tensor | None = None) -> ITensor:
    """torch.clamp: `minimum(maximum(input, min), max)` with NaN propagated."""
    bounds = [(b, op) for b, op in ((min, E.MAX), (max, E.MIN)) if b is not None]
    if not bounds:
        raise ctx.unsupported("clamp without min and max")

    def emit_(network: Network, x: ITensor, *limits: ITensor) -> ITensor:
        result = x
        nan = arith.is_nan(network, x) if arith.is_float(x) else None
        for limit, (bound, op) in zip(limits, bounds):
            result = arith.elementwise(network, result, limit, op)
            if nan is not None and isinstance(bound, torch.Tensor):
                nan = arith.either(network, nan, arith.is_nan(network, limit))
        if nan is None:
            return result
        return arith.select(network, nan, arith.const(network, math.nan, result), result)

    return apply(ctx, [input] + [b for b, _ in bounds], emit_)


def convert_clamp_min(ctx: Ctx, input: torch.Tensor, min: TensorLike, *,
                      out: torch.Tensor | None = None) -> ITensor:
    return convert_clamp(ctx, input, min=min)


def convert_clamp_max(ctx: Ctx, input: torch.Tensor, max: TensorLike, *,
                      out: torch.Tensor | None = None) -> ITensor:
    return convert_clamp(ctx, input, max=max)


register_spellings({"clamp": convert_clamp, "clip": convert_clamp, "clamp_min": convert_clamp_min,
                    "clamp_max": convert_clamp_max})
