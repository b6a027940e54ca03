"""Binary and unary arithmetic: add, sub, mul, div (all rounding modes), pow, floor_divide, fmod,
remainder, maximum/minimum/fmax/fmin, neg, reciprocal, square, lerp, addcmul, addcdiv, atan2, in
their torch, Tensor-method, in-place and operator spellings.

Operands follow torch's type promotion: they are computed in `torch.result_type` of the
operands, widened to the result's dtype (so integer true division runs in float), and the
result is cast to the dtype of the torch result (in-place ops keep their input's dtype). Python
numbers become constants of that dtype; ranks are equalised (`trtconv.emit.promote`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from trtconv import trt
from trtconv.context import ConversionContext
from trtconv.emit import arith
from trtconv.emit.compute import apply, compute_dtype
from trtconv.registry import register_aliases, register_spellings

E = trt.ElementWiseOperation
U = trt.UnaryOperation

Emit = Callable[[Any, Any, Any], Any]  # (network, a, b) -> ITensor, a and b of one dtype


def _op(op: Any) -> Emit:
    return lambda network, a, b: arith.elementwise(network, a, b, op)


def _scaled(network: Any, x: Any, alpha: Any) -> Any:
    """`x * alpha` for torch.add/sub's alpha (no layer when alpha is 1)."""
    if alpha == 1:
        return x
    return arith.elementwise(network, x, arith.const(network, alpha, x), E.PROD)


def _add(ctx: Any, input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, a, _scaled(n, b, alpha), E.SUM))


def _sub(ctx: Any, input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, a, _scaled(n, b, alpha), E.SUB))


def _rsub(ctx: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return _sub(ctx, other, input, alpha=alpha)


def _mul(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input, other], _op(E.PROD))


_ROUNDING: dict[str | None, Emit] = {
    None: arith.true_div, "trunc": arith.trunc_div, "floor": arith.floor_div,
}


def _div(ctx: Any, input: Any, other: Any, *, rounding_mode: str | None = None,
         out: Any = None) -> Any:
    if rounding_mode not in _ROUNDING:
        raise ctx.unsupported(f"div with rounding_mode={rounding_mode!r}")
    return apply(ctx, [input, other], _ROUNDING[rounding_mode])


def _rdiv(ctx: Any, input: Any, other: Any) -> Any:
    # torch computes `other / tensor` as `tensor.reciprocal() * other`.
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, arith.unary(n, a, U.RECIP), b, E.PROD))


def _floor_divide(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input, other], arith.floor_div)


def _fmod(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input, other], arith.fmod)


def _remainder(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input, other], arith.remainder)


def _power(network: Any, base: Any, exponent: Any) -> Any:
    return arith.elementwise(network, base, exponent, E.POW)


def _pow(ctx: Any, input: Any, exponent: Any, *, out: Any = None) -> Any:
    exact_square = (isinstance(exponent, (int, float)) and not isinstance(exponent, bool)
                    and exponent == 2 and isinstance(input, torch.Tensor))
    if exact_square:  # torch computes x ** 2 as x * x
        return apply(ctx, [input], lambda n, a: arith.elementwise(n, a, a, E.PROD))
    return apply(ctx, [input, exponent], _power)


def _rpow(ctx: Any, input: Any, other: Any) -> Any:
    return _pow(ctx, other, input)


def extremum(largest: bool, nan: str) -> Callable[..., Any]:
    """The converter of maximum/minimum (`nan="propagate"`) or fmax/fmin (`"ignore"`)."""

    def convert(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
        return apply(ctx, [input, other],
                     lambda n, a, b: arith.extremum(n, a, b, largest, nan))

    return convert


def _neg(ctx: Any, input: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input], lambda n, a: arith.unary(n, a, U.NEG))


def _positive(ctx: Any, input: Any) -> Any:
    return apply(ctx, [input], arith.identity)


def _reciprocal(ctx: Any, input: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input], lambda n, a: arith.unary(n, a, U.RECIP))


def _square(ctx: Any, input: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input], lambda n, a: arith.elementwise(n, a, a, E.PROD))


def _lerp_emit(network: Any, start: Any, end: Any, weight: Any) -> Any:
    # torch: weight < 0.5 ? start + weight*(end-start) : end - (end-start)*(1-weight)
    diff = arith.elementwise(network, end, start, E.SUB)
    low = arith.elementwise(network, start, arith.elementwise(network, weight, diff, E.PROD),
                            E.SUM)
    one_minus = arith.elementwise(network, arith.const(network, 1, weight), weight, E.SUB)
    high = arith.elementwise(network, end, arith.elementwise(network, diff, one_minus, E.PROD),
                             E.SUB)
    small = arith.elementwise(network, weight, arith.const(network, 0.5, weight), E.LESS)
    return arith.select(network, small, low, high)


def _lerp(ctx: Any, input: Any, end: Any, weight: Any, *, out: Any = None) -> Any:
    return apply(ctx, [input, end, weight], _lerp_emit)


def _addc(op: Any) -> Callable[..., Any]:
    """addcmul (PROD) / addcdiv (DIV): torch evaluates input + (value * tensor1) op tensor2."""
    def convert(ctx: Any, input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1,
                out: Any = None) -> Any:
        def emit_(n: Any, x: Any, t1: Any, t2: Any) -> Any:
            combined = arith.elementwise(n, _scaled(n, t1, value), t2, op)
            return arith.elementwise(n, x, combined, E.SUM)

        return apply(ctx, [input, tensor1, tensor2], emit_)

    return convert


_addcmul = _addc(E.PROD)
_addcdiv = _addc(E.DIV)


def _atan2(ctx: ConversionContext, input: torch.Tensor | float, other: torch.Tensor | float, *,
           out: torch.Tensor | None = None) -> trt.ITensor:
    """atan2 in float32 at least (torch computes integers in float32 and float16/bfloat16
    through float32 too)."""
    dtype = torch.promote_types(compute_dtype(ctx, [input, other]), torch.float32)
    return apply(ctx, [input, other], arith.atan2, dtype)


def _reverse(fn: Callable[..., Any]) -> Callable[..., Any]:
    def convert(ctx: Any, input: Any, other: Any) -> Any:
        return fn(ctx, other, input)

    return convert


# name -> converter, registered as torch.<name> and torch.Tensor.<name> where torch has them.
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add": _add, "sub": _sub, "subtract": _sub, "mul": _mul, "multiply": _mul,
    "div": _div, "divide": _div, "true_divide": _div, "rsub": _rsub,
    "pow": _pow, "floor_divide": _floor_divide, "fmod": _fmod, "remainder": _remainder,
    "maximum": extremum(True, "propagate"), "minimum": extremum(False, "propagate"),
    "fmax": extremum(True, "ignore"), "fmin": extremum(False, "ignore"),
    "neg": _neg, "negative": _neg, "positive": _positive, "reciprocal": _reciprocal,
    "square": _square, "lerp": _lerp, "addcmul": _addcmul, "addcdiv": _addcdiv,
    "atan2": _atan2, "arctan2": _atan2,
}
_DUNDERS: dict[str, Callable[..., Any]] = {
    "rsub": _rsub, "rtruediv": _rdiv, "rdiv": _rdiv,
    "floordiv": _floor_divide, "rfloordiv": _reverse(_floor_divide),
    "rmod": _reverse(_remainder),
    "pow": _pow, "rpow": _rpow, "ipow": _pow, "neg": _neg, "pos": _positive,
}
# Operators the trace sees as the method they call (`x + y` is `torch.Tensor.add`).
_OPERATOR_METHODS = {
    "add": "add", "radd": "add", "iadd": "add_", "sub": "sub", "isub": "sub_",
    "mul": "mul", "rmul": "mul", "imul": "mul_", "truediv": "div", "div": "div",
    "itruediv": "div_", "idiv": "div_", "ifloordiv": "floor_divide_", "mod": "remainder",
    "imod": "remainder_",
}


register_spellings(_FUNCTIONS)
register_spellings(_DUNDERS, namespaces=(), operators=True)
register_aliases({f"torch.Tensor.__{op}__": f"torch.Tensor.{method}"
                  for op, method in _OPERATOR_METHODS.items()})
