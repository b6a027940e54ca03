"""Casts: Tensor.to, float/half/bfloat16/double/int/long/bool/char, type and type_as.

The target dtype is the torch result's, so every spelling of `to` (dtype, other tensor,
device, device + dtype, copy=) is one converter; a device-only `to` is an identity. TensorRT
has no float64: `double()` gives float32, with a warning.
"""

from __future__ import annotations

from typing import Any

import torch

from trtconv import emit, tensorrt_converter
from trtconv.api import Ctx, ITensor


def cast_to_result(ctx: Ctx, input: Any) -> ITensor:
    """`input` cast to the dtype of the torch result (float64: float32, with a warning)."""
    if ctx.output.dtype == torch.uint8:
        raise ctx.unsupported("a cast to uint8 (TensorRT allows uint8 only at network inputs "
                              "and outputs)")
    return emit.cast(ctx.network, ctx.trt(input), emit.storable_dtype(ctx, ctx.output.dtype))


def _to(ctx: Ctx, input: Any, *args: object, **kwargs: object) -> ITensor:
    return cast_to_result(ctx, input)


_METHODS = ("to", "type_as", "float", "half", "bfloat16", "double", "int", "long", "bool",
            "char")
for _name in _METHODS:
    tensorrt_converter(f"torch.Tensor.{_name}")(_to)


@tensorrt_converter("torch.Tensor.type")
def convert_type(ctx: Ctx, input: Any, dtype: Any = None, non_blocking: bool = False,
                 **kwargs: object) -> ITensor:
    if not isinstance(ctx.output, torch.Tensor):
        return None  # x.type() names the type: no tensor
    return cast_to_result(ctx, input)
