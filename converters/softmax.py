"""softmax, log_softmax and softmin, in their torch, functional, method and module forms.

log_softmax is computed as x - max - log(sum(exp(x - max))), as torch does, not as the log of
a softmax (which underflows to -inf where torch gives finite values).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from trtconv import emit
from trtconv.api import Converter, Ctx, E, ITensor, R, U
from trtconv.registry import register_spellings, register_table

Softmax = Callable[[Ctx, torch.Tensor, int | str | None, torch.dtype | None], ITensor]
"""softmax, log_softmax or softmin over (input, dim, dtype)."""


def implicit_dim(rank: int) -> int:
    """torch's dim when none is given (nn.functional._get_softmax_dim)."""
    return 0 if rank in (0, 1, 3) else 1


def _prepare(ctx: Ctx, input: torch.Tensor, dim: int | str | None, dtype: torch.dtype | None
             ) -> tuple[ITensor, int]:
    """The input (cast to `dtype`, 0-d as 1-D) and the axis to normalize."""
    x = ctx.trt(input)
    if dtype is not None:
        x = emit.cast(ctx.network, x, dtype)
    if not emit.arith.is_float(x):
        raise ctx.unsupported("softmax of a non-float tensor")
    rank = len(x.shape)
    if dim is None:
        dim = implicit_dim(rank)
    if not isinstance(dim, int):
        raise ctx.unsupported(f"softmax over named dim {dim!r}")
    axis = emit.normalize_dim(dim, rank)
    if rank < 2:  # TensorRT's softmax needs rank >= 2
        x = emit.reshape(ctx.network, x, [1] * (2 - rank) + emit.dims_of(ctx.network, x))
        axis = 1
    return x, axis


def _restore(ctx: Ctx, y: ITensor) -> ITensor:
    """The result with the rank of the input again (see `_prepare`)."""
    rank = ctx.output.dim()
    if rank >= 2:
        return y
    return emit.reshape(ctx.network, y, emit.dims_of(ctx.network, y)[2 - rank:])


def _softmax(ctx: Ctx, input: torch.Tensor, dim: int | str | None, dtype: torch.dtype | None,
             negate: bool = False) -> ITensor:
    x, axis = _prepare(ctx, input, dim, dtype)
    if negate:
        x = emit.arith.unary(ctx.network, x, U.NEG)
    layer = ctx.network.add_softmax(x)
    layer.axes = 1 << axis
    return _restore(ctx, layer.get_output(0))


def _log_softmax(ctx: Ctx, input: torch.Tensor, dim: int | str | None,
                 dtype: torch.dtype | None) -> ITensor:
    network = ctx.network
    x, axis = _prepare(ctx, input, dim, dtype)
    peak = emit.reductions.reduce(network, x, R.MAX, axis, True)
    shifted = emit.arith.elementwise(network, x, peak, E.SUB)
    total = emit.reductions.reduce(network, emit.arith.unary(network, shifted, U.EXP), R.SUM,
                                   axis, True)
    log_total = emit.arith.unary(network, total, U.LOG)
    return _restore(ctx, emit.arith.elementwise(network, shifted, log_total, E.SUB))


def _functional_converter(fn: Softmax) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: int | str | None = None, _stacklevel: int = 3,
                dtype: torch.dtype | None = None) -> ITensor:
        return fn(ctx, input, dim, dtype)

    return convert


def _aten_converter(fn: Softmax) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: int | str, dtype: torch.dtype | None = None, *,
                out: torch.Tensor | None = None) -> ITensor:
        return fn(ctx, input, dim, dtype)

    return convert


def _softmin(ctx: Ctx, input: torch.Tensor, dim: int | str | None, dtype: torch.dtype | None
             ) -> ITensor:
    return _softmax(ctx, input, dim, dtype, negate=True)


def _module_converter(fn: Softmax) -> Converter:
    def convert(ctx: Ctx, self: torch.nn.Softmax | torch.nn.LogSoftmax | torch.nn.Softmin,
                input: torch.Tensor) -> ITensor:
        return fn(ctx, input, self.dim, None)

    return convert


register_spellings({"softmax": _aten_converter(_softmax),
                    "log_softmax": _aten_converter(_log_softmax)}, in_place=False)
register_table({"torch.nn.functional.softmax": _functional_converter(_softmax),
                "torch.nn.functional.log_softmax": _functional_converter(_log_softmax),
                "torch.nn.functional.softmin": _functional_converter(_softmin),
                "torch.nn.Softmax.forward": _module_converter(_softmax),
                "torch.nn.LogSoftmax.forward": _module_converter(_log_softmax),
                "torch.nn.Softmin.forward": _module_converter(_softmin)})
