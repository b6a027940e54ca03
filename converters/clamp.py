"""clamp / clip / clamp_min / clamp_max and their in-place forms.

Bounds may be Python numbers or tensors (broadcast like any operand), either may be None; the
result dtype follows torch's promotion of input and bounds. A NaN in the input (or a tensor
bound) gives NaN, as in torch, whatever TensorRT's MAX/MIN do with NaN.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trtconv.api import Ctx, E, ITensor, Network
from trtconv.emit import arith
from trtconv.emit.compute import apply
from trtconv.registry import register_spellings


def clamp(ctx: Ctx, input: Any, min: Any = None, max: Any = None, *, out: torch.Tensor | None = None) -> ITensor:
    """torch.clamp: `minimum(maximum(input, min), max)` with NaN propagated."""
    bounds = [(b, op) for b, op in ((min, E.MAX), (max, E.MIN)) if b is not None]
    if not bounds:
        raise ctx.unsupported("clamp without min and max")

    def emit_(network: Network, x: Any, *limits: Any) -> ITensor:
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


def clamp_min(ctx: Ctx, input: Any, min: Any, *, out: torch.Tensor | None = None) -> ITensor:
    return clamp(ctx, input, min=min)


def clamp_max(ctx: Ctx, input: Any, max: Any, *, out: torch.Tensor | None = None) -> ITensor:
    return clamp(ctx, input, max=max)


register_spellings({"clamp": clamp, "clip": clamp, "clamp_min": clamp_min,
                    "clamp_max": clamp_max})
