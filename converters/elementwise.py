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

import torch

from trtconv.api import Converter, Ctx, E, ITensor, Network, Number, TensorLike, U
from trtconv.emit import arith
from trtconv.emit.compute import apply, compute_dtype
from trtconv.registry import register_aliases, register_spellings

Emit = Callable[[Network, ITensor, ITensor], ITensor]  # a and b of one dtype


def _op(op: E) -> Emit:
    return lambda network, a, b: arith.elementwise(network, a, b, op)


def convert_add(ctx: Ctx, input: TensorLike, other: TensorLike, *, alpha: Number = 1,
                out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, a, arith.scaled(n, b, alpha), E.SUM))


def convert_sub(ctx: Ctx, input: TensorLike, other: TensorLike, *, alpha: Number = 1,
                out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, a, arith.scaled(n, b, alpha), E.SUB))


def convert_rsub(ctx: Ctx, input: TensorLike, other: TensorLike, *, alpha: Number = 1) -> ITensor:
    return convert_sub(ctx, other, input, alpha=alpha)


def convert_mul(ctx: Ctx, input: TensorLike, other: TensorLike, *, out: torch.Tensor | None = None
                ) -> ITensor:
    return apply(ctx, [input, other], _op(E.PROD))


_ROUNDING: dict[str | None, Emit] = {
    None: arith.true_div, "trunc": arith.trunc_div, "floor": arith.floor_div,
}


def convert_div(ctx: Ctx, input: TensorLike, other: TensorLike, *, rounding_mode: str | None = None,
                out: torch.Tensor | None = None) -> ITensor:
    if rounding_mode not in _ROUNDING:
        raise ctx.unsupported(f"div with rounding_mode={rounding_mode!r}")
    return apply(ctx, [input, other], _ROUNDING[rounding_mode])


def convert_rdiv(ctx: Ctx, input: TensorLike, other: TensorLike) -> ITensor:
    # torch computes `other / tensor` as `tensor.reciprocal() * other`.
    return apply(ctx, [input, other], lambda n, a, b: arith.elementwise(
        n, arith.unary(n, a, U.RECIP), b, E.PROD))


def convert_floor_divide(ctx: Ctx, input: TensorLike, other: TensorLike, *,
                         out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input, other], arith.floor_div)


def convert_fmod(ctx: Ctx, input: TensorLike, other: TensorLike, *, out: torch.Tensor | None = None
                 ) -> ITensor:
    return apply(ctx, [input, other], arith.fmod)


def convert_remainder(ctx: Ctx, input: TensorLike, other: TensorLike, *,
                      out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input, other], arith.remainder)


def _power(network: Network, base: ITensor, exponent: TensorLike) -> ITensor:
    return arith.elementwise(network, base, exponent, E.POW)


def convert_pow(ctx: Ctx, input: TensorLike, exponent: TensorLike, *,
                out: torch.Tensor | None = None) -> ITensor:
    exact_square = (isinstance(exponent, (int, float)) and not isinstance(exponent, bool)
                    and exponent == 2 and isinstance(input, torch.Tensor))
    if exact_square:  # torch computes x ** 2 as x * x
        return apply(ctx, [input], lambda n, a: arith.elementwise(n, a, a, E.PROD))
    return apply(ctx, [input, exponent], _power)


def convert_rpow(ctx: Ctx, input: TensorLike, other: TensorLike) -> ITensor:
    return convert_pow(ctx, other, input)


def extremum_converter(largest: bool, nan: str) -> Converter:
    """The converter of maximum/minimum (`nan="propagate"`) or fmax/fmin (`"ignore"`)."""

    def convert(ctx: Ctx, input: TensorLike, other: TensorLike, *, out: torch.Tensor | None = None
                ) -> ITensor:
        return apply(ctx, [input, other],
                     lambda n, a, b: arith.extremum(n, a, b, largest, nan))

    return convert


def convert_neg(ctx: Ctx, input: TensorLike, *, out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input], lambda n, a: arith.unary(n, a, U.NEG))


def convert_positive(ctx: Ctx, input: TensorLike) -> ITensor:
    return apply(ctx, [input], arith.identity)


def convert_reciprocal(ctx: Ctx, input: TensorLike, *, out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input], lambda n, a: arith.unary(n, a, U.RECIP))


def convert_square(ctx: Ctx, input: TensorLike, *, out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input], lambda n, a: arith.elementwise(n, a, a, E.PROD))


def _lerp_emit(network: Network, start: ITensor, end: TensorLike, weight: TensorLike) -> ITensor:
    # torch: weight < 0.5 ? start + weight*(end-start) : end - (end-start)*(1-weight)
    diff = arith.elementwise(network, end, start, E.SUB)
    low = arith.elementwise(network, start, arith.elementwise(network, weight, diff, E.PROD),
                            E.SUM)
    one_minus = arith.elementwise(network, arith.const(network, 1, weight), weight, E.SUB)
    high = arith.elementwise(network, end, arith.elementwise(network, diff, one_minus, E.PROD),
                             E.SUB)
    small = arith.elementwise(network, weight, arith.const(network, 0.5, weight), E.LESS)
    return arith.select(network, small, low, high)


def convert_lerp(ctx: Ctx, input: TensorLike, end: TensorLike, weight: TensorLike, *,
                 out: torch.Tensor | None = None) -> ITensor:
    return apply(ctx, [input, end, weight], _lerp_emit)


def _addc_converter(op: E) -> Converter:
    """addcmul (PROD) / addcdiv (DIV): torch evaluates input + (value * tensor1) op tensor2."""
    def convert(ctx: Ctx, input: TensorLike, tensor1: TensorLike, tensor2: TensorLike, *,
                value: Number = 1, out: torch.Tensor | None = None) -> ITensor:
        def emit_(n: Network, x: ITensor, t1: ITensor, t2: ITensor) -> ITensor:
            combined = arith.elementwise(n, arith.scaled(n, t1, value), t2, op)
            return arith.elementwise(n, x, combined, E.SUM)

        return apply(ctx, [input, tensor1, tensor2], emit_)

    return convert


convert_addcmul = _addc_converter(E.PROD)
convert_addcdiv = _addc_converter(E.DIV)


def convert_atan2(ctx: Ctx, input: TensorLike, other: TensorLike, *,
                  out: torch.Tensor | None = None) -> ITensor:
    """atan2 in float32 at least (torch computes integers in float32 and float16/bfloat16
    through float32 too)."""
    dtype = torch.promote_types(compute_dtype(ctx, [input, other]), torch.float32)
    return apply(ctx, [input, other], arith.atan2, dtype)


def _reversed_converter(fn: Converter) -> Converter:
    def convert(ctx: Ctx, input: TensorLike, other: TensorLike) -> ITensor:
        return fn(ctx, other, input)

    return convert


# name -> converter, registered as torch.<name> and torch.Tensor.<name> where torch has them.
_FUNCTIONS: dict[str, Converter] = {
    "add": convert_add, "sub": convert_sub, "subtract": convert_sub, "mul": convert_mul,
    "multiply": convert_mul,
    "div": convert_div, "divide": convert_div, "true_divide": convert_div, "rsub": convert_rsub,
    "pow": convert_pow, "floor_divide": convert_floor_divide, "fmod": convert_fmod,
    "remainder": convert_remainder,
    "maximum": extremum_converter(True, "propagate"),
    "minimum": extremum_converter(False, "propagate"),
    "fmax": extremum_converter(True, "ignore"), "fmin": extremum_converter(False, "ignore"),
    "neg": convert_neg, "negative": convert_neg, "positive": convert_positive,
    "reciprocal": convert_reciprocal,
    "square": convert_square, "lerp": convert_lerp, "addcmul": convert_addcmul,
    "addcdiv": convert_addcdiv, "atan2": convert_atan2, "arctan2": convert_atan2,
}
_DUNDERS: dict[str, Converter] = {
    "rsub": convert_rsub, "rtruediv": convert_rdiv, "rdiv": convert_rdiv,
    "floordiv": convert_floor_divide, "rfloordiv": _reversed_converter(convert_floor_divide),
    "rmod": _reversed_converter(convert_remainder),
    "pow": convert_pow, "rpow": convert_rpow, "ipow": convert_pow, "neg": convert_neg,
    "pos": convert_positive,
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
