"""Comparisons: eq, ne, gt, lt, ge, le (and greater, less_equal, not_equal, ... aliases) as torch
functions, Tensor methods, in-place methods and operators.

Operands are compared in torch's promoted dtype. NaN semantics are IEEE's, as in torch: `ne` is
true where either side is NaN, every other comparison is false there (ge is GREATER or EQUAL,
never NOT LESS).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from trtconv.api import Converter, Ctx, E, ITensor, Network, TensorLike
from trtconv.emit import arith
from trtconv.emit.compute import apply
from trtconv.registry import register_aliases, register_spellings

Emit = Callable[[Network, ITensor, ITensor], ITensor]


def _eq(network: Network, a: ITensor, b: ITensor) -> ITensor:
    return arith.compare(network, a, b, E.EQUAL)


def _ne(network: Network, a: ITensor, b: ITensor) -> ITensor:
    return arith.logical_not(network, _eq(network, a, b))


def _strict(op: E) -> Emit:
    return lambda network, a, b: arith.compare(network, a, b, op)


def _or_equal(op: E) -> Emit:
    def emit_(network: Network, a: ITensor, b: ITensor) -> ITensor:
        return arith.either(network, arith.compare(network, a, b, op), _eq(network, a, b))

    return emit_


_EMITS: dict[str, Emit] = {
    "eq": _eq, "ne": _ne, "gt": _strict(E.GREATER), "lt": _strict(E.LESS),
    "ge": _or_equal(E.GREATER), "le": _or_equal(E.LESS),
}
_ALIASES = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
            "not_equal": "ne"}


def _comparison_converter(emit_: Emit) -> Converter:
    def convert(ctx: Ctx, input: TensorLike, other: TensorLike | None, *,
                out: torch.Tensor | None = None) -> ITensor | None:
        if not isinstance(ctx.output, torch.Tensor):
            return None  # `tensor == None` and the like: a Python bool, nothing to convert
        return apply(ctx, [input, other], emit_)

    return convert


register_spellings({name: _comparison_converter(_EMITS[base])
                    for name, base in {**{n: n for n in _EMITS}, **_ALIASES}.items()})
register_spellings({"eq": _comparison_converter(_eq)}, namespaces=(), operators=True)
# `x != y`, `x < y`, ...: the trace sees the method each operator calls (`torch.Tensor.ne`)
register_aliases({f"torch.Tensor.__{op}__": f"torch.Tensor.{op}"
                  for op in ("ne", "gt", "lt", "ge", "le")})
