"""Computing a torch call in torch's dtypes: operands promoted like `torch.result_type`, the
arithmetic done in a dtype TensorRT has, the result cast to the torch result's dtype."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..api import Ctx, ITensor, TensorLike
from .broadcast import promote, result_type
from .constants import cast

# TensorRT has no float64 (constants are stored as float32) and no BOOL arithmetic.
_STORED = {torch.float64: torch.float32}


def stored(dtype: torch.dtype) -> torch.dtype:
    """The dtype a tensor of torch `dtype` has in the network (float64 -> float32)."""
    return _STORED.get(dtype, dtype)


def compute_dtype(ctx: Ctx, values: Sequence[TensorLike]) -> torch.dtype:
    """The dtype torch computes `values` in for the current call: their promoted type widened
    to the result's dtype (so integer true division runs in float, and an in-place op on a
    float16 tensor with a float32 operand runs in float32). Bools compute as int32."""
    dtype = stored(torch.promote_types(result_type(values), ctx.output.dtype))
    return torch.int32 if dtype == torch.bool else dtype


def finish(ctx: Ctx, tensor: ITensor) -> ITensor:
    """`tensor` cast to the dtype of the current call's torch result."""
    return cast(ctx.network, tensor, stored(ctx.output.dtype))


def apply(ctx: Ctx, values: Sequence[TensorLike], fn: Callable[..., ITensor],
          dtype: torch.dtype | None = None) -> ITensor:
    """Promote `values` (tensors or Python numbers) to one dtype (`dtype`, default
    `compute_dtype`) and one rank, emit `fn(network, *itensors)`, cast to the result dtype."""
    operands = promote(ctx, values, dtype or compute_dtype(ctx, values))
    return finish(ctx, fn(ctx.network, *operands))
