"""Constant layers and casts, within what a strongly typed TensorRT network accepts."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..api import Ctx, ITensor, Network, Number
from ..reference import trt

Warn = Callable[[str], None]


def cast(network: Network, tensor: ITensor, dtype: torch.dtype | trt.DataType) -> ITensor:
    """`tensor` as `dtype` (a torch dtype or DataType); no layer if it already is."""
    target = trt.trt_dtype(dtype) if isinstance(dtype, torch.dtype) else dtype
    if tensor.dtype == target:
        return tensor
    return network.add_cast(tensor, target).get_output(0)


def constant(network: Network, value: torch.Tensor, warn: Warn | None = None) -> ITensor:
    """A constant layer holding `value`.

    TensorRT has no float64 (stored as float32, with a warning) and no BOOL weights (stored
    as INT32 and cast).
    """
    value = value.detach().to("cpu")
    if value.dtype == torch.float64:
        if warn is not None:
            warn("a float64 tensor was converted to float32 (TensorRT has no float64)")
        value = value.float()
    if value.dtype == torch.bool:
        stored = network.add_constant(tuple(value.shape), trt.Weights(value.to(torch.int32)))
        return cast(network, stored.get_output(0), trt.DataType.BOOL)
    return network.add_constant(tuple(value.shape), trt.Weights(value.contiguous())).get_output(0)


def scalar_like(network: Network, value: Number, like: ITensor, rank: int | None = None
                ) -> ITensor:
    """A constant of `like`'s dtype, shaped (1,)*rank so it broadcasts against `like`."""
    rank = len(like.shape) if rank is None else rank
    dtype = trt.torch_dtype(like.dtype)
    return constant(network, torch.tensor(value, dtype=dtype).reshape((1,) * rank))


def storable_dtype(ctx: Ctx, dtype: torch.dtype) -> torch.dtype:
    """The dtype TensorRT computes a torch `dtype` in: float64 becomes float32, with a
    warning (TensorRT has no float64); every other dtype is itself."""
    if dtype != torch.float64:
        return dtype
    ctx.warn("a float64 result became float32 (TensorRT has no float64)")
    return torch.float32
