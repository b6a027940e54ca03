"""Sorting: sort, argsort, msort and topk, through TensorRT's top-k layer.

Indices are int64. NaN sorts above every number, as in torch. The order of equal elements is
TensorRT's (torch only promises it with `stable=True`, which is reported unsupported). k, and
the length of a sorted axis, may be dynamic (a size of the input, or a data-dependent count
such as `min(1000, len(scores))` after a mask): the layer then takes k as an input and the
engine fails a run whose k exceeds TensorRT's top-k limit (3840); a static k past it is
unsupported.
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
    if k is None:
        k = emit.dim_of(ctx, x, axis)
    if not isinstance(k, int) and not emit.is_dynamic(k):
        raise ctx.unsupported(f"top-k with k of type {type(k).__name__}")
    if not emit.is_dynamic(k) and k > reductions.MAX_TOPK:
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
