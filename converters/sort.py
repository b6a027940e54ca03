"""Sorting: sort, argsort, msort and topk, through TensorRT's top-k layer.

Indices are int64. NaN sorts above every number, as in torch. The order of equal elements is
TensorRT's (torch only promises it with `stable=True`, which is reported unsupported). k, and
the length of a sorted axis, may be dynamic (a size of the input, or a data-dependent count
such as `min(1000, len(scores))` after a mask): the layer then takes k as an input and the
engine fails a run whose k exceeds TensorRT's top-k limit (3840); a static k past it is
unsupported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from trtconv import emit, tensorrt_converter
from trtconv.emit import arith, reductions


def _sorted(ctx: Any, input: Any, k: int | None, dim: int, largest: bool) -> tuple[Any, Any]:
    """Values and indices of the first `k` (None: all) along `dim` in the requested order."""
    x = ctx.trt(input)
    rank = len(x.shape)
    if rank == 0:
        return arith.identity(ctx.network, x), ctx.trt(torch.tensor(0))
    axis = emit.normalize_dim(dim, rank)
    if k is None:
        k = emit.dim_of(ctx, x, axis)
    if not isinstance(k, int) and not emit.is_dynamic(k):
        raise ctx.unsupported(f"top-k with k of type {type(k).__name__}")
    if not emit.is_dynamic(k) and k > reductions.MAX_TOPK:
        raise ctx.unsupported(f"{k} elements along the sorted axis: TensorRT's top-k takes at "
                              f"most {reductions.MAX_TOPK}")
    return reductions.topk(ctx.network, x, k, axis, largest)


def _check_stable(ctx: Any, stable: Any) -> None:
    if stable:
        raise ctx.unsupported("stable=True (TensorRT's top-k does not promise the order of "
                              "equal elements)")


def sort(ctx: Any, input: Any, dim: int = -1, descending: bool = False, *, stable: Any = None,
         out: Any = None) -> tuple[Any, Any]:
    _check_stable(ctx, stable)
    return _sorted(ctx, input, None, dim, descending)


def argsort(ctx: Any, input: Any, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Any:
    _check_stable(ctx, stable)
    return _sorted(ctx, input, None, dim, descending)[1]


def msort(ctx: Any, input: Any, *, out: Any = None) -> Any:
    return _sorted(ctx, input, None, 0, False)[0]


def topk(ctx: Any, input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True,
         *, out: Any = None) -> tuple[Any, Any]:
    """torch.topk; `sorted=False` leaves torch free to choose the order, TensorRT sorts."""
    return _sorted(ctx, input, k, dim, largest)


_TABLE: dict[str, Callable[..., Any]] = {
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk,
}

for _name, _fn in _TABLE.items():
    tensorrt_converter(f"torch.{_name}")(_fn)
    tensorrt_converter(f"torch.Tensor.{_name}")(_fn)
