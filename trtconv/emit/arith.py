"""Arithmetic on ITensors: elementwise and unary layers composed into the torch semantics
TensorRT has no single layer for (truncating division, fmod, NaN-propagating max, ...).

Every function takes ITensors that already share one dtype (see `emit.promote`) and returns an
ITensor; ranks are equalised here, so operands may differ in rank.
"""

from __future__ import annotations

import math

import torch

from ..api import E, ITensor, Network, Number, U
from ..reference import trt
from .broadcast import to_rank
from .constants import cast, scalar_like

_FLOATS = (trt.DataType.FLOAT, trt.DataType.HALF, trt.DataType.BF16)


def is_float(tensor: ITensor) -> bool:
    """Whether `tensor` (an ITensor) holds floating-point values."""
    return tensor.dtype in _FLOATS


def _same_rank(network: Network, *tensors: ITensor) -> list[ITensor]:
    rank = max(len(t.shape) for t in tensors)
    return [to_rank(network, t, rank) for t in tensors]


def elementwise(network: Network, a: ITensor, b: ITensor, op: E) -> ITensor:
    """One elementwise layer on two ITensors of one dtype (ranks equalised)."""
    a, b = _same_rank(network, a, b)
    return network.add_elementwise(a, b, op).get_output(0)


def unary(network: Network, x: ITensor, op: U) -> ITensor:
    """One unary layer (TensorRT's own dtype rules: see the converters for promotion)."""
    return network.add_unary(x, op).get_output(0)


def const(network: Network, value: Number, like: ITensor) -> ITensor:
    """A constant of `like`'s dtype that broadcasts against it."""
    return scalar_like(network, value, like)


def select(network: Network, condition: ITensor, then: ITensor, otherwise: ITensor) -> ITensor:
    """`torch.where(condition, then, otherwise)` for ITensors (`then`, `otherwise` of one
    dtype)."""
    condition, then, otherwise = _same_rank(network, condition, then, otherwise)
    return network.add_select(condition, then, otherwise).get_output(0)


def scaled(network: Network, x: ITensor, factor: Number) -> ITensor:
    """`x * factor` (no layer when `factor` is 1): torch.add's alpha, addcmul's value, ..."""
    if factor == 1:
        return x
    return elementwise(network, x, const(network, factor, x), E.PROD)


def logical_not(network: Network, x: ITensor) -> ITensor:
    """Bool `~x`."""
    return unary(network, x, U.NOT)


def either(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """Bool `a | b`."""
    return elementwise(network, a, b, E.OR)


def both(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """Bool `a & b`."""
    return elementwise(network, a, b, E.AND)


def compare(network: Network, a: ITensor, b: ITensor, op: E) -> ITensor:
    """EQUAL, GREATER or LESS; BOOL operands are compared as INT32 for the ordered ones
    (TensorRT orders no BOOLs)."""
    if a.dtype == trt.DataType.BOOL and op != E.EQUAL:
        a, b = cast(network, a, torch.int32), cast(network, b, torch.int32)
    return elementwise(network, a, b, op)


def is_nan(network: Network, x: ITensor) -> ITensor:
    """Bool mask of NaNs (all false for integers)."""
    if is_float(x):
        return unary(network, x, U.ISNAN)
    # x == x holds for every integer, so its negation is the all-false mask of x's shape.
    return logical_not(network, elementwise(network, x, x, E.EQUAL))


def nonzero(network: Network, x: ITensor) -> ITensor:
    """Bool truth value like torch's `x != 0` (NaN is true); bools pass through."""
    if x.dtype == trt.DataType.BOOL:
        return x
    return logical_not(network, elementwise(network, x, const(network, 0, x), E.EQUAL))


def trunc(network: Network, x: ITensor) -> ITensor:
    """Round toward zero: `sign(x) * floor(|x|)` (NaN, inf and -0.0 kept); ints unchanged."""
    if not is_float(x):
        return x
    magnitude = unary(network, unary(network, x, U.ABS), U.FLOOR)
    return elementwise(network, unary(network, x, U.SIGN), magnitude, E.PROD)


def true_div(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """`a / b` for floats."""
    return elementwise(network, a, b, E.DIV)


def trunc_div(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """torch.div(a, b, rounding_mode='trunc').

    Floats: trunc(a / b), as torch computes it. Integers: sign(a)*sign(b)*(|a| // |b|), exact
    whatever TensorRT's integer DIV rounds to.
    """
    if is_float(a):
        return trunc(network, elementwise(network, a, b, E.DIV))
    quotient = elementwise(network, unary(network, a, U.ABS), unary(network, b, U.ABS),
                           E.FLOOR_DIV)
    sign = elementwise(network, unary(network, a, U.SIGN), unary(network, b, U.SIGN), E.PROD)
    return elementwise(network, sign, quotient, E.PROD)


def floor_div(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """torch.div(a, b, rounding_mode='floor') (floats: floor of the rounded quotient)."""
    return elementwise(network, a, b, E.FLOOR_DIV)


def fmod(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """C fmod: the remainder of truncating division, with the sign of the dividend.

    Floats: `a - trunc(a/b)*b`, and `a` itself for a finite `a` over an infinite `b`.
    """
    product = elementwise(network, trunc_div(network, a, b), b, E.PROD)
    result = elementwise(network, a, product, E.SUB)
    if not is_float(a):
        return result
    finite_over_inf = both(network, unary(network, b, U.ISINF),
                           logical_not(network, unary(network, a, U.ISINF)))
    return select(network, finite_over_inf, a, result)


def remainder(network: Network, a: ITensor, b: ITensor) -> ITensor:
    """Python modulo: the remainder with the sign of the divisor (torch.remainder).

    Integers: `a - (a // b) * b`. Floats as torch: `m = fmod(a, b)`, plus `b` where `m` is
    nonzero and its sign differs from `b`'s.
    """
    if not is_float(a):
        product = elementwise(network, floor_div(network, a, b), b, E.PROD)
        return elementwise(network, a, product, E.SUB)
    mod = fmod(network, a, b)
    zero = const(network, 0, a)
    signs_differ = elementwise(network, elementwise(network, b, zero, E.LESS),
                               elementwise(network, mod, zero, E.LESS), E.XOR)
    adjust = both(network, nonzero(network, mod), signs_differ)
    return select(network, adjust, elementwise(network, mod, b, E.SUM), mod)


def extremum(network: Network, a: ITensor, b: ITensor, largest: bool, nan: str = "propagate"
             ) -> ITensor:
    """Elementwise max/min. `nan="propagate"` (torch.maximum: a NaN operand wins) or
    `"ignore"` (torch.fmax: the other operand wins); the result never depends on how
    TensorRT's MAX/MIN treat NaN."""
    result = elementwise(network, a, b, E.MAX if largest else E.MIN)
    if not is_float(a):
        return result
    a, b, result = _same_rank(network, a, b, result)
    a_nan, b_nan = unary(network, a, U.ISNAN), unary(network, b, U.ISNAN)
    if nan == "propagate":
        return select(network, a_nan, a, select(network, b_nan, b, result))
    return select(network, a_nan, b, select(network, b_nan, a, result))


def identity(network: Network, x: ITensor) -> ITensor:
    """A copy of `x` as a new tensor (an op whose result is its input still needs a layer:
    a network input cannot also be its output)."""
    return network.add_identity(x).get_output(0)


def _negative_signed(network: trt.INetworkDefinition, x: trt.ITensor) -> trt.ITensor:
    """Bool: x's sign bit is set (negative numbers, -inf and -0.0, which `1/x < 0` tells
    from +0.0)."""
    zero = const(network, 0, x)
    below = elementwise(network, x, zero, E.LESS)
    return either(network, below, elementwise(network, unary(network, x, U.RECIP), zero, E.LESS))


def atan2(network: Network, y: ITensor, x: ITensor) -> ITensor:
    """torch.atan2(y, x) for floats, as C's atan2: the angle of (x, y) in [-pi, pi], with
    signed zeros and infinities as C has them (atan2(+0, -0) = pi, atan2(inf, -inf) = 3pi/4).

    TensorRT has atan only: the angle is atan(min/max) of the magnitudes (in [0, pi/4],
    exact ratio 1 where they are equal, so inf/inf works), reflected into [0, pi/2] when
    |y| > |x|, into [0, pi] when x is negative-signed, then given y's sign. NaN in, NaN out.
    """
    ax, ay = unary(network, x, U.ABS), unary(network, y, U.ABS)
    low, high = elementwise(network, ax, ay, E.MIN), elementwise(network, ax, ay, E.MAX)
    ratio = select(network, elementwise(network, ax, ay, E.EQUAL), const(network, 1, x),
                   elementwise(network, low, high, E.DIV))
    angle = unary(network, ratio, U.ATAN)
    steep = elementwise(network, ay, ax, E.GREATER)
    angle = select(network, steep, elementwise(network, const(network, math.pi / 2, x), angle,
                                               E.SUB), angle)
    origin = elementwise(network, high, const(network, 0, x), E.EQUAL)
    angle = select(network, origin, const(network, 0, x), angle)
    angle = select(network, _negative_signed(network, x),
                   elementwise(network, const(network, math.pi, x), angle, E.SUB), angle)
    angle = select(network, _negative_signed(network, y), unary(network, angle, U.NEG), angle)
    either_nan = either(network, unary(network, x, U.ISNAN), unary(network, y, U.ISNAN))
    return select(network, either_nan, const(network, math.nan, x), angle)
