"""Logical ops: logical_and/or/xor/not, the bitwise ops and operators on bool tensors, and the
any/all reductions.

Logical ops take any dtype (nonzero is true, NaN included) and return bool (in-place forms keep
the input's dtype). Bitwise ops are converted for bools only: TensorRT has no integer bitwise
arithmetic, so integer `&`, `|`, `^`, `~` are reported unsupported.
"""

from __future__ import annotations

import torch

from trtconv.api import Converter, Ctx, DimArg, E, ITensor, TensorLike
from trtconv.emit import arith, reductions
from trtconv.emit.compute import finish
from trtconv.registry import register_aliases, register_spellings


def _truth(ctx: Ctx, value: TensorLike) -> ITensor:
    """The BOOL truth value of a tensor or Python number."""
    if not isinstance(value, torch.Tensor):
        return ctx.trt(bool(value))
    return arith.nonzero(ctx.network, ctx.trt(value))


def _logical_converter(op: E) -> Converter:
    def convert(ctx: Ctx, input: TensorLike, other: TensorLike, *, out: torch.Tensor | None = None
                ) -> ITensor:
        a, b = _truth(ctx, input), _truth(ctx, other)
        return finish(ctx, arith.elementwise(ctx.network, a, b, op))

    return convert


def convert_logical_not(ctx: Ctx, input: torch.Tensor, *, out: torch.Tensor | None = None
                        ) -> ITensor:
    return finish(ctx, arith.logical_not(ctx.network, _truth(ctx, input)))


def _require_bool(ctx: Ctx, what: str) -> None:
    if ctx.output.dtype != torch.bool:
        raise ctx.unsupported(f"{what} on {ctx.output.dtype} (TensorRT has no integer bitwise "
                              "ops; bool tensors only)")


def _bitwise_converter(op: E, name: str) -> Converter:
    def convert(ctx: Ctx, input: TensorLike, other: TensorLike, *, out: torch.Tensor | None = None
                ) -> ITensor:
        _require_bool(ctx, name)
        a, b = _truth(ctx, input), _truth(ctx, other)
        return arith.elementwise(ctx.network, a, b, op)

    return convert


def convert_bitwise_not(ctx: Ctx, input: torch.Tensor, *, out: torch.Tensor | None = None
                        ) -> ITensor:
    _require_bool(ctx, "bitwise_not")
    return arith.logical_not(ctx.network, ctx.trt(input))


def _reduction_converter(every: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, dim: DimArg = None, keepdim: bool = False, *,
                out: torch.Tensor | None = None) -> ITensor:
        mask = _truth(ctx, input)
        reduce = reductions.all_true if every else reductions.any_true
        return finish(ctx, reduce(ctx.network, mask, dim, keepdim))

    return convert


_BITWISE = {op: _bitwise_converter(getattr(E, op.upper()), f"bitwise_{op}")
            for op in ("and", "or", "xor")}
register_spellings({
    "logical_and": _logical_converter(E.AND), "logical_or": _logical_converter(E.OR),
    "logical_xor": _logical_converter(E.XOR), "logical_not": convert_logical_not,
    **{f"bitwise_{op}": fn for op, fn in _BITWISE.items()}, "bitwise_not": convert_bitwise_not,
    "any": _reduction_converter(False), "all": _reduction_converter(True),
})
register_spellings({form: fn for op, fn in _BITWISE.items() for form in (op, f"i{op}")},
                   namespaces=(), operators=True)
# `2 & x`: the trace sees the method the reflected operator calls
register_aliases({f"torch.Tensor.__r{op}__": f"torch.Tensor.bitwise_{op}" for op in _BITWISE})
register_spellings({"invert": convert_bitwise_not}, namespaces=(), operators=True)
