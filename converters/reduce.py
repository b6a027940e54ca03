"""Reductions: sum, mean, prod, max/min (full, along a dim with indices, or elementwise),
amax/amin, argmax/argmin, var/std (and var_mean/std_mean), logsumexp, norms, count_nonzero.

torch's conventions throughout: `dim` None (or empty, where torch reads that as "all") reduces
every axis; negative dims count from the end; `keepdim`; `dtype=` casts the input first; sums
and products of bools and integers are int64; float16 accumulates in float32; max/min and
their values propagate NaN and argmax/argmin point at a NaN, as torch does. Indices are int64.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, trt
from trtconv.api import Converter, Ctx, DimArg, E, ITensor, R, TensorLike, U
from trtconv.emit import arith, reductions
from trtconv.emit.compute import apply, finish, stored
from trtconv.registry import register_spellings, register_table

_HALF = (trt.DataType.HALF, trt.DataType.BF16)


def _dims(dim: DimArg) -> DimArg:
    """torch's dim argument with an empty sequence read as None (every axis)."""
    if isinstance(dim, Sequence) and len(dim) == 0:
        return None
    return dim


def _input(ctx: Ctx, input: torch.Tensor, dtype: torch.dtype | None, accumulate: bool = True
           ) -> ITensor:
    """The input as the dtype the reduction computes in: `dtype` if given, else the result's;
    float16/bfloat16 widened to float32 when `accumulate` (torch accumulates in float32)."""
    x = emit.cast(ctx.network, ctx.trt(input), stored(dtype or ctx.output.dtype))
    if accumulate and x.dtype in _HALF:
        x = emit.cast(ctx.network, x, torch.float32)
    return x


def _reduction_converter(op: R) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: DimArg = None, keepdim: bool = False, *,
                dtype: torch.dtype | None = None, out: torch.Tensor | None = None) -> ITensor:
        x = _input(ctx, input, dtype)
        return finish(ctx, reductions.reduce(ctx.network, x, op, _dims(dim), keepdim))

    return convert


def _extremum_converter(largest: bool) -> Converter:
    """torch.max / torch.min: full reduction, (values, indices) along a dim, or elementwise."""

    def convert(ctx: Ctx, input: torch.Tensor, dim: int | torch.Tensor | None = None,
                keepdim: bool = False, *, other: TensorLike | None = None,
                out: torch.Tensor | None = None) -> ITensor | tuple[ITensor, ITensor]:
        if isinstance(dim, torch.Tensor) or other is not None:
            other = dim if other is None else other
            return apply(ctx, [input, other],
                         lambda n, a, b: arith.extremum(n, a, b, largest, "propagate"))
        x = ctx.trt(input)
        if dim is None:
            return finish(ctx, reductions.reduce_extremum(ctx.network, x, largest, None, False))
        values, indices = _along(ctx, x, dim, largest, keepdim)
        return values, indices

    return convert


def _along(ctx: Ctx, x: ITensor, dim: int, largest: bool, keepdim: bool
           ) -> tuple[ITensor, ITensor]:
    """Values and int64 indices of the max (min) along `dim`, NaN ranking above all."""
    network = ctx.network
    rank = len(x.shape)
    if rank == 0:
        return arith.identity(network, x), ctx.trt(torch.tensor(0))
    axis = emit.normalize_dim(dim, rank)
    values, indices = reductions.topk(network, x, 1, axis, largest, nan_is_largest=largest)
    values = reductions.nan_if_any(network, x, values, axis, True)
    if not keepdim:
        values, indices = (emit.spatial.drop_axes(network, t, [axis]) for t in (values, indices))
    return values, indices


def _amax_converter(largest: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: DimArg = (), keepdim: bool = False, *,
                out: torch.Tensor | None = None) -> ITensor:
        x = ctx.trt(input)
        return reductions.reduce_extremum(ctx.network, x, largest, _dims(dim), keepdim)

    return convert


def _arg_converter(largest: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: int | None = None, keepdim: bool = False, *,
                out: torch.Tensor | None = None) -> ITensor:
        network = ctx.network
        x = ctx.trt(input)
        if dim is not None:
            return _along(ctx, x, dim, largest, keepdim)[1]
        rank = len(x.shape)
        flat = emit.reshape(network, x, [-1])
        index = _along(ctx, flat, 0, largest, keepdim=False)[1]
        return emit.reshape(network, index, [1] * rank if keepdim else [])

    return convert


def _correction(dim: DimArg | bool, unbiased: bool | None, correction: float | None
                ) -> tuple[DimArg, float]:
    """(dim, correction) from var/std's overloads: (dim, unbiased), (unbiased) or correction."""
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, float(correction)


def _moments(ctx: Ctx, input: torch.Tensor, dim: DimArg | bool, unbiased: bool | None,
             keepdim: bool, correction: float | None) -> tuple[ITensor, ITensor]:
    """(var, mean) over `dim` in the accumulation dtype: sum((x - mean)^2) / max(N - c, 0)."""
    network = ctx.network
    dim, corr = _correction(dim, unbiased, correction)
    dims = _dims(dim)
    x = _input(ctx, input, input.dtype)  # var/std keep the (floating) input dtype
    mean = reductions.reduce(network, x, R.AVG, dims, True)
    centered = arith.elementwise(network, x, mean, E.SUB)
    squares = arith.elementwise(network, centered, centered, E.PROD)
    total = reductions.reduce(network, squares, R.SUM, dims, keepdim)
    count = reductions.reduced_count(tuple(x.shape), dims)
    if count is not None:
        divisor = arith.const(network, max(count - corr, 0.0), total)
    else:  # a reduced dim is dynamic: N - c from the run-time shape
        counted = reductions.reduced_count_tensor(network, x, dims, total)
        divisor = arith.elementwise(network, arith.elementwise(
            network, counted, arith.const(network, corr, counted), E.SUB),
            arith.const(network, 0.0, counted), E.MAX)
    var = arith.elementwise(network, total, divisor, E.DIV)
    if not keepdim:
        mean = reductions.reduce(network, x, R.AVG, dims, False)
    return var, mean


def _var_converter(root: bool, with_mean: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: DimArg | bool = None,
                unbiased: bool | None = None, keepdim: bool = False, *,
                correction: float | None = None, out: torch.Tensor | None = None
                ) -> ITensor | tuple[ITensor, ITensor]:
        var, mean = _moments(ctx, input, dim, unbiased, keepdim, correction)
        if root:
            var = arith.unary(ctx.network, var, U.SQRT)
        dtype = trt.trt_dtype(stored(input.dtype))
        if with_mean:
            return (emit.cast(ctx.network, var, dtype), emit.cast(ctx.network, mean, dtype))
        return finish(ctx, var)

    return convert


def convert_logsumexp(ctx: Ctx, input: torch.Tensor, dim: DimArg, keepdim: bool = False, *,
                      out: torch.Tensor | None = None) -> ITensor:
    """torch's: m = amax(x) (0 where infinite); log(sum(exp(x - m))) + m."""
    network = ctx.network
    x = _input(ctx, input, None)
    dims = _dims(dim)
    peak = reductions.reduce(network, x, R.MAX, dims, True)
    infinite = arith.unary(network, peak, U.ISINF)
    peak = arith.select(network, infinite, arith.const(network, 0.0, peak), peak)
    shifted = arith.unary(network, arith.elementwise(network, x, peak, E.SUB), U.EXP)
    total = arith.unary(network, reductions.reduce(network, shifted, R.SUM, dims, True), U.LOG)
    result = arith.elementwise(network, total, peak, E.SUM)
    if not keepdim:
        result = emit.spatial.drop_axes(network, result, emit.normalize_dims(dims, len(x.shape)))
    return finish(ctx, result)


def _norm_of(ctx: Ctx, input: torch.Tensor, ord: float | str | None, dim: DimArg, keepdim: bool,
             dtype: torch.dtype | None) -> ITensor:
    if isinstance(ord, str) or ord is None:
        raise ctx.unsupported(f"matrix norm ord={ord!r}")
    x = _input(ctx, input, dtype)
    return finish(ctx, reductions.vector_norm(ctx.network, x, float(ord), _dims(dim), keepdim))


def convert_vector_norm(ctx: Ctx, x: torch.Tensor, ord: float = 2, dim: DimArg = None,
                        keepdim: bool = False,
                        *, dtype: torch.dtype | None = None, out: torch.Tensor | None = None
                        ) -> ITensor:
    return _norm_of(ctx, x, ord, dim, keepdim, dtype)


def convert_norm(ctx: Ctx, input: torch.Tensor, p: float | str | None = "fro", dim: DimArg = None,
                 keepdim: bool = False, out: torch.Tensor | None = None,
                 dtype: torch.dtype | None = None) -> ITensor:
    """torch.norm: 'fro' over at most two dims is the 2-norm; numbers are vector norms."""
    if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
        p = 2
    return _norm_of(ctx, input, 2 if p is None else p, dim, keepdim, dtype)


def convert_linalg_norm(ctx: Ctx, A: torch.Tensor, ord: float | str | None = None,
                        dim: DimArg = None, keepdim: bool = False,
                        *, out: torch.Tensor | None = None, dtype: torch.dtype | None = None
                        ) -> ITensor:
    """torch.linalg.norm: vector norms (dim an int, or ord None) and the Frobenius norm."""
    if ord is None or (ord == "fro" and (dim is None or len(dim) == 2)):
        return _norm_of(ctx, A, 2, dim, keepdim, dtype)
    if isinstance(dim, int) or (dim is None and A.dim() == 1):
        return _norm_of(ctx, A, ord, dim, keepdim, dtype)
    raise ctx.unsupported(f"matrix norm ord={ord!r}")


def convert_count_nonzero(ctx: Ctx, input: torch.Tensor, dim: DimArg = None) -> ITensor:
    network = ctx.network
    ones = emit.cast(network, arith.nonzero(network, ctx.trt(input)), torch.int64)
    return reductions.reduce(network, ones, R.SUM, _dims(dim), False)


_TABLE: dict[str, Converter] = {
    "sum": _reduction_converter(R.SUM), "mean": _reduction_converter(R.AVG),
    "prod": _reduction_converter(R.PROD),
    "max": _extremum_converter(True), "min": _extremum_converter(False),
    "amax": _amax_converter(True), "amin": _amax_converter(False),
    "argmax": _arg_converter(True), "argmin": _arg_converter(False),
    "var": _var_converter(False, False), "std": _var_converter(True, False),
    "var_mean": _var_converter(False, True), "std_mean": _var_converter(True, True),
    "logsumexp": convert_logsumexp, "norm": convert_norm, "count_nonzero": convert_count_nonzero,
}


register_spellings(_TABLE, in_place=False)
register_table({"torch.linalg.vector_norm": convert_vector_norm,
                "torch.linalg.norm": convert_linalg_norm,
                "torch.special.logsumexp": convert_logsumexp})
