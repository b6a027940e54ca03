"""Sizes that remember where they came from.

When an input has dynamic dims, `x.size(0)` or `x.shape[0]` on a traced tensor returns a
`DimInt`: an `int` (the example's value, so the PyTorch forward runs unchanged) that also
carries a (1,) INT64 network tensor computing that size in the engine. Arithmetic on DimInts
stays symbolic, and converters that receive one (view, reshape, expand, zeros, arange,
interpolate(size=...), slicing bounds, ...) use its tensor instead of the baked number. Forcing
one into a plain number with `int()` or `float()` warns, naming the module path, and so does
comparing one (`==`, `<`, ...): whatever branches on the answer follows the example's branch.

Static dims stay plain ints: a model without dynamic inputs never sees a DimInt.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import Any

import torch

from .reference import trt

_E = trt.ElementWiseOperation


def _comparison(symbol: str, fn: Callable[[int, int], bool]) -> Callable[[Any, Any], Any]:
    """A comparison method of DimInt: compares the example's values, with a warning."""
    def compare(self: Any, other: Any) -> Any:
        return self._compared(other, symbol, fn)

    return compare


class DimInt(int):
    """An int that is also a (1,) INT64 ITensor of the network being traced."""

    trt_dim: Any
    _ctx: Any

    def __new__(cls, value: int, tensor: Any, ctx: Any) -> DimInt:
        obj = super().__new__(cls, value)
        obj.trt_dim = tensor
        obj._ctx = ctx
        return obj

    def __repr__(self) -> str:
        return f"DimInt({int.__int__(self)})"

    # --- forcing to a plain number --------------------------------------------------------------
    def _warn(self, what: str, consequence: str) -> None:
        """Warn that the engine specializes on the example here, naming the module path."""
        where = self._ctx.module_path or "<root>"
        text = f"a dynamic dimension was {what} in module '{where}': {consequence}"
        self._ctx.report.warnings.append(text)  # kept in the TRTModule's metadata too
        warnings.warn(text, stacklevel=4)

    def _forced(self, how: str) -> None:
        self._warn(f"forced into a plain number with {how}",
                   f"the engine will use the example's value {int.__int__(self)} there")

    def __int__(self) -> int:
        self._forced("int()")
        return int.__int__(self)

    def __float__(self) -> float:
        self._forced("float()")
        return float(int.__int__(self))

    # --- symbolic arithmetic ----------------------------------------------------------------------
    def _binary(self, other: Any, op: Any, fn: Callable[[int, int], int],
                reverse: bool = False) -> Any:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        a, b = (other, self) if reverse else (self, other)
        value = fn(int.__int__(a), int.__int__(b))
        tensor = self._ctx.network.add_elementwise(_tensor_of(self._ctx, a),
                                                   _tensor_of(self._ctx, b), op).get_output(0)
        return DimInt(value, tensor, self._ctx)

    def __add__(self, other: Any) -> Any:
        return self._binary(other, _E.SUM, operator.add)

    def __radd__(self, other: Any) -> Any:
        return self._binary(other, _E.SUM, operator.add, reverse=True)

    def __sub__(self, other: Any) -> Any:
        return self._binary(other, _E.SUB, operator.sub)

    def __rsub__(self, other: Any) -> Any:
        return self._binary(other, _E.SUB, operator.sub, reverse=True)

    def __mul__(self, other: Any) -> Any:
        return self._binary(other, _E.PROD, operator.mul)

    def __rmul__(self, other: Any) -> Any:
        return self._binary(other, _E.PROD, operator.mul, reverse=True)

    def __floordiv__(self, other: Any) -> Any:
        return self._binary(other, _E.FLOOR_DIV, operator.floordiv)

    def __rfloordiv__(self, other: Any) -> Any:
        return self._binary(other, _E.FLOOR_DIV, operator.floordiv, reverse=True)

    def __neg__(self) -> Any:
        return self._binary(-1, _E.PROD, operator.mul)

    def __mod__(self, other: Any) -> Any:  # Python's floor modulo: a - (a // b) * b
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return self - (self // other) * other

    def __rmod__(self, other: Any) -> Any:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return other - (other // self) * self

    # --- comparisons: control flow on a dynamic dim follows the example -----------------------
    def _compared(self, other: Any, symbol: str, fn: Callable[[int, int], bool]) -> Any:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        a, b = int.__int__(self), int.__int__(other)
        self._warn(f"compared ({a} {symbol} {b} on the example)",
                   "code that branches on it follows the example's branch at every size")
        return fn(a, b)

    __eq__ = _comparison("==", operator.eq)
    __ne__ = _comparison("!=", operator.ne)
    __lt__ = _comparison("<", operator.lt)
    __le__ = _comparison("<=", operator.le)
    __gt__ = _comparison(">", operator.gt)
    __ge__ = _comparison(">=", operator.ge)

    __hash__ = int.__hash__

    def __truediv__(self, other: Any) -> float:
        self._forced("true division")
        return int.__int__(self) / other

    def __rtruediv__(self, other: Any) -> float:
        self._forced("true division")
        return other / int.__int__(self)


def _tensor_of(ctx: Any, value: int) -> Any:
    if isinstance(value, DimInt):
        return value.trt_dim
    return ctx.constant(torch.tensor([int(value)], dtype=torch.int64))


def dim_tensor(ctx: Any, itensor: Any, axis: int) -> Any:
    """(1,) INT64 tensor of `itensor`'s dim `axis` (one shape layer per tensor, cached)."""
    cache = ctx.memo
    key = (id(itensor), axis)
    if key not in cache:
        if id(itensor) not in cache:
            cache[id(itensor)] = (itensor, ctx.network.add_shape(itensor).get_output(0))
        shape = cache[id(itensor)][1]
        cache[key] = ctx.network.add_slice(shape, (axis,), (1,), (1,)).get_output(0)
    return cache[key]


def symbolic_size(ctx: Any, value: torch.Tensor, itensor: Any) -> torch.Size:
    """`value.shape` with DimInts where `itensor` has dynamic dims."""
    dims = tuple(itensor.shape)
    return torch.Size([DimInt(size, dim_tensor(ctx, itensor, axis), ctx) if dims[axis] < 0
                       else size for axis, size in enumerate(value.shape)])


def is_symbolic(value: Any) -> bool:
    return isinstance(value, DimInt)
