"""Casts: Tensor.to, float/half/bfloat16/double/int/long/bool/char, type and type_as.

The target dtype is the torch result's, so every spelling of `to` (dtype, other tensor,
device, device + dtype, copy=) is one converter; a device-only `to` is an identity. TensorRT
has no float64: `double()` gives float32, with a warning.
"""

from __future__ import annotations

import torch

from trtconv import emit, tensorrt_converter
from trtconv.api import Ctx, ITensor
from trtconv.registry import register_table


def cast_to_result(ctx: Ctx, input: torch.Tensor) -> ITensor:
    """`input` cast to the dtype of the torch result (float64: float32, with a warning)."""
    if ctx.output.dtype == torch.uint8:
        raise ctx.unsupported("a cast to uint8 (TensorRT allows uint8 only at network inputs "
                              "and outputs)")
    return emit.cast(ctx.network, ctx.trt(input), emit.storable_dtype(ctx, ctx.output.dtype))


def convert_to(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> ITensor:
    return cast_to_result(ctx, input)


_METHODS = ("to", "type_as", "float", "half", "bfloat16", "double", "int", "long", "bool",
            "char")
register_table({f"torch.Tensor.{name}": convert_to for name in _METHODS})


@tensorrt_converter("torch.Tensor.type")
def convert_type(ctx: Ctx, input: torch.Tensor, dtype: torch.dtype | str | None = None,
                 non_blocking: bool = False, **kwargs: object) -> ITensor | None:
    if not isinstance(ctx.output, torch.Tensor):
        return None  # x.type() names the type: no tensor
    return cast_to_result(ctx, input)
