"""Elementwise plumbing: equal ranks (TensorRT never broadcasts ranks) and torch's dtype
promotion (TensorRT never mixes dtypes)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..api import Ctx, E, ITensor, Network, TensorLike
from .constants import cast, constant
from .shapes import dims_of, reshape


def to_rank(network: Network, tensor: ITensor, rank: int) -> ITensor:
    """Prepend size-1 dims so `tensor` has `rank` dims (numpy-style broadcasting)."""
    missing = rank - len(tensor.shape)
    if missing <= 0:
        return tensor
    return reshape(network, tensor, [1] * missing + dims_of(network, tensor))


def broadcast_rank(network: Network, a: ITensor, b: ITensor) -> tuple[ITensor, ITensor]:
    rank = max(len(a.shape), len(b.shape))
    return to_rank(network, a, rank), to_rank(network, b, rank)


def result_type(values: Sequence[TensorLike]) -> torch.dtype:
    """`torch.result_type` over any number of tensors and Python numbers."""
    acc = values[0] if isinstance(values[0], torch.Tensor) else torch.tensor(values[0])
    for other in values[1:]:
        dtype = torch.result_type(acc, other)
        dimensioned = any(isinstance(x, torch.Tensor) and x.dim() > 0 for x in (acc, other))
        acc = torch.empty((1,) if dimensioned else (), dtype=dtype)
    return acc.dtype


def promote(ctx: Ctx, values: Sequence[TensorLike], dtype: torch.dtype | None = None
            ) -> list[ITensor]:
    """ITensors of `values` (tensors or Python numbers) in one dtype, all of one rank.

    The dtype is `dtype` if given, else what `torch.result_type` gives. Python numbers become
    constants shaped (1,)*rank directly, so they need no reshape layer.
    """
    dtype = dtype or result_type(values)
    rank = max((v.dim() for v in values if isinstance(v, torch.Tensor)), default=0)
    out = []
    for v in values:
        if isinstance(v, torch.Tensor):
            out.append(to_rank(ctx.network, cast(ctx.network, ctx.trt(v), dtype), rank))
        elif getattr(v, "trt_dim", None) is not None:  # a symbolic size: its value at run time
            size = cast(ctx.network, v.trt_dim, dtype)
            out.append(reshape(ctx.network, size, [1] * rank))
        else:
            out.append(constant(ctx.network, torch.tensor(v, dtype=dtype).reshape((1,) * rank)))
    return out


def binary(ctx: Ctx, a: TensorLike, b: TensorLike, op: E, dtype: torch.dtype | None = None
           ) -> ITensor:
    """`a op b` with torch semantics: operands promoted to one dtype (or `dtype`) and one
    rank, then one elementwise layer."""
    x, y = promote(ctx, [a, b], dtype)
    return ctx.network.add_elementwise(x, y, op).get_output(0)
