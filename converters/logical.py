"""Logical ops: logical_and/or/xor/not, the bitwise ops and operators on bool tensors, and the
any/all reductions.

Logical ops take any dtype (nonzero is true, NaN included) and return bool (in-place forms keep
the input's dtype). Bitwise ops are converted for bools only: TensorRT has no integer bitwise
arithmetic, so integer `&`, `|`, `^`, `~` are reported unsupported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from trtconv.api import Ctx, E, ITensor
from trtconv.emit import arith, reductions
from trtconv.emit.compute import finish
from trtconv.registry import register_spellings


def _truth(ctx: Ctx, value: Any) -> ITensor:
    """The BOOL truth value of a tensor or Python number."""
    if not isinstance(value, torch.Tensor):
        return ctx.trt(bool(value))
    return arith.nonzero(ctx.network, ctx.trt(value))


def _logical(op: Any) -> Callable[..., Any]:
    def convert(ctx: Ctx, input: Any, other: Any, *, out: torch.Tensor | None = None) -> ITensor:
        a, b = _truth(ctx, input), _truth(ctx, other)
        return finish(ctx, arith.elementwise(ctx.network, a, b, op))

    return convert


def logical_not(ctx: Ctx, input: Any, *, out: torch.Tensor | None = None) -> ITensor:
    return finish(ctx, arith.logical_not(ctx.network, _truth(ctx, input)))


def _require_bool(ctx: Ctx, what: str) -> None:
    if ctx.output.dtype != torch.bool:
        raise ctx.unsupported(f"{what} on {ctx.output.dtype} (TensorRT has no integer bitwise "
                              "ops; bool tensors only)")


def _bitwise(op: Any, name: str) -> Callable[..., Any]:
    def convert(ctx: Ctx, input: Any, other: Any, *, out: torch.Tensor | None = None) -> ITensor:
        _require_bool(ctx, name)
        a, b = _truth(ctx, input), _truth(ctx, other)
        return arith.elementwise(ctx.network, a, b, op)

    return convert


def bitwise_not(ctx: Ctx, input: Any, *, out: torch.Tensor | None = None) -> ITensor:
    _require_bool(ctx, "bitwise_not")
    return arith.logical_not(ctx.network, ctx.trt(input))


def _reduction(every: bool) -> Callable[..., Any]:
    def convert(ctx: Ctx, input: Any, dim: Any = None, keepdim: bool = False, *,
                out: torch.Tensor | None = None) -> ITensor:
        mask = _truth(ctx, input)
        reduce = reductions.all_true if every else reductions.any_true
        return finish(ctx, reduce(ctx.network, mask, dim, keepdim))

    return convert


_BITWISE = {op: _bitwise(getattr(E, op.upper()), f"bitwise_{op}") for op in ("and", "or", "xor")}
register_spellings({
    "logical_and": _logical(E.AND), "logical_or": _logical(E.OR),
    "logical_xor": _logical(E.XOR), "logical_not": logical_not,
    **{f"bitwise_{op}": fn for op, fn in _BITWISE.items()}, "bitwise_not": bitwise_not,
    "any": _reduction(False), "all": _reduction(True),
})
register_spellings({form: fn for op, fn in _BITWISE.items() for form in (op, f"r{op}", f"i{op}")},
                   namespaces=(), operators=True)
register_spellings({"invert": bitwise_not}, namespaces=(), operators=True)
