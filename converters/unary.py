"""Unary math: one table of torch ops, each a TensorRT unary layer or a short composition
(rsqrt, log2, log10, log1p, expm1, exp2, trunc, frac, NaN-aware sign), registered as torch.X,
torch.Tensor.X, torch.special.X and the in-place X_ forms torch has.

Dtypes follow torch: integer and bool inputs of floating ops (sin, exp, sqrt, ...) compute in
float32, the result's dtype; abs and sign keep integers; rounding ops leave integers unchanged.
Compositions of several layers compute float16 inputs in float32, as torch does on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from trtconv import emit, trt
from trtconv.api import Converter, Ctx, E, ITensor, Network, U
from trtconv.emit import arith
from trtconv.emit.compute import finish, stored
from trtconv.registry import register_spellings

Emit = Callable[[Network, ITensor], ITensor]


def _layer(op: U) -> Emit:
    return lambda network, x: arith.unary(network, x, op)


def _rsqrt(network: Network, x: ITensor) -> ITensor:
    return arith.unary(network, arith.unary(network, x, U.SQRT), U.RECIP)


def _log_base(base: float) -> Emit:
    def emit_(network: Network, x: ITensor) -> ITensor:
        log = arith.unary(network, x, U.LOG)
        return arith.elementwise(network, log, arith.const(network, math.log(base), x), E.DIV)

    return emit_


def _exp2(network: Network, x: ITensor) -> ITensor:
    return arith.elementwise(network, arith.const(network, 2.0, x), x, E.POW)


def _log1p(network: Network, x: ITensor) -> ITensor:
    """Kahan's log1p: log(u) * x / (u - 1) with u = 1 + x, exact where u rounds to 1."""
    u = arith.elementwise(network, arith.const(network, 1.0, x), x, E.SUM)
    u_minus_1 = arith.elementwise(network, u, arith.const(network, 1.0, x), E.SUB)
    ratio = arith.elementwise(network, x, u_minus_1, E.DIV)
    result = arith.elementwise(network, arith.unary(network, u, U.LOG), ratio, E.PROD)
    is_one = arith.elementwise(network, u, arith.const(network, 1.0, x), E.EQUAL)
    is_inf = arith.elementwise(network, u, arith.const(network, math.inf, x), E.EQUAL)
    return arith.select(network, is_one, x, arith.select(network, is_inf, u, result))


def _expm1(network: Network, x: ITensor) -> ITensor:
    """Kahan's expm1: (u - 1) * x / log(u) with u = exp(x), exact where u rounds to 1."""
    u = arith.unary(network, x, U.EXP)
    u_minus_1 = arith.elementwise(network, u, arith.const(network, 1.0, x), E.SUB)
    ratio = arith.elementwise(network, x, arith.unary(network, u, U.LOG), E.DIV)
    result = arith.elementwise(network, u_minus_1, ratio, E.PROD)
    is_one = arith.elementwise(network, u, arith.const(network, 1.0, x), E.EQUAL)
    minus_one = arith.const(network, -1.0, x)
    underflow = arith.elementwise(network, u_minus_1, minus_one, E.EQUAL)
    overflow = arith.unary(network, u, U.ISINF)
    result = arith.select(network, overflow, u, result)
    result = arith.select(network, underflow, minus_one, result)
    return arith.select(network, is_one, x, result)


def _sign(network: Network, x: ITensor) -> ITensor:
    # torch.sign(nan) is 0; TensorRT's SIGN leaves NaN unspecified.
    sign = arith.unary(network, x, U.SIGN)
    if not arith.is_float(x):
        return sign
    return arith.select(network, arith.unary(network, x, U.ISNAN), arith.const(network, 0, x),
                        sign)


def _frac(network: Network, x: ITensor) -> ITensor:
    return arith.elementwise(network, x, arith.trunc(network, x), E.SUB)


def _isfinite(network: Network, x: ITensor) -> ITensor:
    if not arith.is_float(x):
        return arith.logical_not(network, arith.is_nan(network, x))
    bad = arith.either(network, arith.unary(network, x, U.ISNAN), arith.unary(network, x, U.ISINF))
    return arith.logical_not(network, bad)


def _isinf(network: Network, x: ITensor) -> ITensor:
    if not arith.is_float(x):
        return arith.is_nan(network, x)  # all false
    return arith.unary(network, x, U.ISINF)


_IDENTITY: Emit = arith.identity


class Spec:
    """How one torch unary op converts.

    `on_float` emits it for floating inputs, `on_int` for integer/bool inputs that keep their
    dtype (None: torch promotes them to float, or rejects them); `upcast` computes float16 in
    float32 (multi-layer compositions); a `predicate` (isnan, ...) sees its input's own dtype
    and returns bool.
    """

    def __init__(self, on_float: Emit, on_int: Emit | None = None, upcast: bool = False,
                 predicate: bool = False) -> None:
        self.on_float, self.on_int, self.upcast, self.predicate = (on_float, on_int, upcast,
                                                                  predicate)


_SPECS: dict[str, Spec] = {
    "abs": Spec(_layer(U.ABS), _layer(U.ABS)), "absolute": Spec(_layer(U.ABS), _layer(U.ABS)),
    "acos": Spec(_layer(U.ACOS)), "arccos": Spec(_layer(U.ACOS)),
    "asin": Spec(_layer(U.ASIN)), "arcsin": Spec(_layer(U.ASIN)),
    "atan": Spec(_layer(U.ATAN)), "arctan": Spec(_layer(U.ATAN)),
    "acosh": Spec(_layer(U.ACOSH)), "arccosh": Spec(_layer(U.ACOSH)),
    "asinh": Spec(_layer(U.ASINH)), "arcsinh": Spec(_layer(U.ASINH)),
    "atanh": Spec(_layer(U.ATANH)), "arctanh": Spec(_layer(U.ATANH)),
    "cos": Spec(_layer(U.COS)), "cosh": Spec(_layer(U.COSH)),
    "sin": Spec(_layer(U.SIN)), "sinh": Spec(_layer(U.SINH)), "tan": Spec(_layer(U.TAN)),
    "exp": Spec(_layer(U.EXP)), "log": Spec(_layer(U.LOG)), "sqrt": Spec(_layer(U.SQRT)),
    "erf": Spec(_layer(U.ERF)), "rsqrt": Spec(_rsqrt, upcast=True),
    "ceil": Spec(_layer(U.CEIL), _IDENTITY), "floor": Spec(_layer(U.FLOOR), _IDENTITY),
    "trunc": Spec(arith.trunc, _IDENTITY, upcast=True),
    "fix": Spec(arith.trunc, _IDENTITY, upcast=True),
    "frac": Spec(_frac, upcast=True), "sign": Spec(_sign, _layer(U.SIGN)),
    "log2": Spec(_log_base(2.0), upcast=True), "log10": Spec(_log_base(10.0), upcast=True),
    "log1p": Spec(_log1p, upcast=True), "expm1": Spec(_expm1, upcast=True),
    "exp2": Spec(_exp2, upcast=True),
    "isnan": Spec(arith.is_nan, arith.is_nan, predicate=True),
    "isinf": Spec(_isinf, _isinf, predicate=True),
    "isfinite": Spec(_isfinite, _isfinite, predicate=True),
}


def unary_op(ctx: Ctx, spec: Spec, input: torch.Tensor) -> ITensor:
    """Convert one call of a unary op described by `spec`."""
    x = ctx.trt(input)
    result_dtype = stored(ctx.output.dtype)
    dtype = x.dtype if spec.predicate else trt.trt_dtype(result_dtype)
    if dtype == trt.DataType.BOOL and spec.on_int is not None and not spec.predicate:
        # sign(bool) is the input itself; torch rejects the other ops on bools.
        return finish(ctx, arith.identity(ctx.network, x))
    x = emit.cast(ctx.network, x, dtype)
    if not arith.is_float(x):
        if spec.on_int is None:
            raise ctx.unsupported(f"{trt.torch_dtype(dtype)} input")
        return finish(ctx, spec.on_int(ctx.network, x))
    if spec.upcast and x.dtype != trt.DataType.FLOAT:
        x = emit.cast(ctx.network, x, torch.float32)
    return finish(ctx, spec.on_float(ctx.network, x))


def _unary_converter(spec: Spec) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, *, out: torch.Tensor | None = None) -> ITensor:
        return unary_op(ctx, spec, input)

    return convert


def convert_round(ctx: Ctx, input: torch.Tensor, *, decimals: int = 0,
                  out: torch.Tensor | None = None) -> ITensor:
    """torch.round: half to even; with decimals, torch's
    `nearbyint(x * 10**d) / 10**d` (or `nearbyint(x / 10**-d) * 10**-d` for d < 0)."""
    if decimals == 0:
        return unary_op(ctx, Spec(_layer(U.ROUND), _IDENTITY), input)
    scale = float(10 ** abs(decimals))
    first, then = (E.PROD, E.DIV) if decimals > 0 else (E.DIV, E.PROD)

    def emit_(network: Network, x: ITensor) -> ITensor:
        scaled = arith.elementwise(network, x, arith.const(network, scale, x), first)
        rounded = arith.unary(network, scaled, U.ROUND)
        return arith.elementwise(network, rounded, arith.const(network, scale, x), then)

    return unary_op(ctx, Spec(emit_, upcast=True), input)


_CONVERTERS: dict[str, Converter] = {name: _unary_converter(s) for name, s in _SPECS.items()}
register_spellings({**_CONVERTERS, "round": convert_round},
                   namespaces=("torch", "torch.Tensor", "torch.special"))
register_spellings({"abs": _CONVERTERS["abs"]}, namespaces=(), operators=True)
