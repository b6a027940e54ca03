"""Sorting: sort, argsort, msort and topk, through TensorRT's top-k layer.

Indices are int64. NaN sorts above every number, as in torch. The order of equal elements is
TensorRT's (torch only promises it with `stable=True`, which is reported unsupported). The
sorted axis must be static and at most TensorRT's top-k limit (3840) long.
"""

from __future__ import annotations

import torch

from trtconv import emit
from trtconv.api import Ctx, ITensor
from trtconv.emit import arith, reductions
from trtconv.registry import register_spellings


def _sorted(ctx: Ctx, input: torch.Tensor, k: int | None, dim: int, largest: bool
            ) -> tuple[ITensor, ITensor]:
    """Values and indices of the first `k` (None: all) along `dim` in the requested order."""
    x = ctx.trt(input)
    rank = len(x.shape)
    if rank == 0:
        return arith.identity(ctx.network, x), ctx.trt(torch.tensor(0))
    axis = emit.normalize_dim(dim, rank)
    length = x.shape[axis]
    if k is None:
        if length < 0:
            raise ctx.unsupported("sorting along a dynamic dimension")
        k = length
    if not isinstance(k, int) or hasattr(k, "trt_dim"):
        raise ctx.unsupported("top-k with a dynamic k")
    if k > reductions.MAX_TOPK:
        raise ctx.unsupported(f"{k} elements along the sorted axis: TensorRT's top-k takes at "
                              f"most {reductions.MAX_TOPK}")
    return reductions.topk(ctx.network, x, k, axis, largest)


def _check_stable(ctx: Ctx, stable: bool | None) -> None:
    if stable:
        raise ctx.unsupported("stable=True (TensorRT's top-k does not promise the order of "
                              "equal elements)")


def convert_sort(ctx: Ctx, input: torch.Tensor, dim: int = -1, descending: bool = False, *,
                 stable: bool | None = None, out: torch.Tensor | None = None
                 ) -> tuple[ITensor, ITensor]:
    _check_stable(ctx, stable)
    return _sorted(ctx, input, None, dim, descending)


def convert_argsort(ctx: Ctx, input: torch.Tensor, dim: int = -1, descending: bool = False,
                    stable: bool = False) -> ITensor:
    _check_stable(ctx, stable)
    return _sorted(ctx, input, None, dim, descending)[1]


def convert_msort(ctx: Ctx, input: torch.Tensor, *, out: torch.Tensor | None = None) -> ITensor:
    return _sorted(ctx, input, None, 0, False)[0]


def convert_topk(ctx: Ctx, input: torch.Tensor, k: int, dim: int = -1, largest: bool = True,
                 sorted: bool = True, *, out: torch.Tensor | None = None
                 ) -> tuple[ITensor, ITensor]:
    """torch.topk; `sorted=False` leaves torch free to choose the order, TensorRT sorts."""
    return _sorted(ctx, input, k, dim, largest)


register_spellings({"sort": convert_sort, "argsort": convert_argsort, "msort": convert_msort,
                    "topk": convert_topk}, in_place=False)
