"""Sizes that remember where they came from.

When an input has dynamic dims, `x.size(0)` or `x.shape[0]` on a traced tensor returns a
`DimInt`: an `int` (the example's value, so the PyTorch forward runs unchanged) that also
carries a (1,) INT64 network tensor computing that size in the engine. Arithmetic on DimInts
stays symbolic, and converters that receive one (view, reshape, expand, zeros, arange,
interpolate(size=...), slicing bounds, ...) use its tensor instead of the baked number.

Where the model's code decides something from a DimInt (`if x.size(2) > 7:`, `bool(n)`) or
forces it into a plain number (`int(n)`, `n / 2`, `len(x)`), the decision is guarded: an
`IAssertionLayer` checks, whenever input shapes are set, that the decision comes out as it did
on the example, and the TRTModule raises `trtconv.GuardError` naming the source line when it
does not (see `trtconv.guards`).

Static dims stay plain ints: a model without dynamic inputs never sees a DimInt.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import torch

from .reference import trt

_E = trt.ElementWiseOperation


def _comparison(symbol: str, fn: Callable[[int, int], bool]) -> Callable[[Any, Any], Any]:
    """A comparison method of DimInt: compares the example's values; guarded in user code."""
    def compare(self: Any, other: Any) -> Any:
        return self._compared(other, symbol, fn)

    return compare


class DimInt(int):
    """An int that is also a (1,) INT64 ITensor of the network being traced."""

    _ctx: Any
    # how PyTorch computes it from tensors' sizes: ("size", tensor, axis), an int, or
    # (operation, expr, expr) (PyTorch code of a partially converted model evaluates it)
    expr: Any

    def __new__(cls, value: int, tensor: Any, ctx: Any, expr: Any = None,
                origin: tuple[Any, int] | None = None) -> DimInt:
        """`tensor`: the (1,) ITensor, or a function making it when first needed (a size read
        from `x.shape` that nothing converts costs no layer). `origin`: (ITensor, axis) when
        this is that tensor's size along that axis."""
        obj = super().__new__(cls, value)
        obj._tensor = tensor
        obj._ctx = ctx
        obj.expr = expr
        obj.origin = origin
        return obj

    def is_size_of(self, itensor: Any, axis: int) -> bool:
        """Whether this is `itensor`'s size along `axis` (as `x.size(axis)` gives it)."""
        return self.origin is not None and self.origin[0] is itensor and self.origin[1] == axis

    @property
    def trt_dim(self) -> Any:
        """This size as a (1,) INT64 ITensor of the network being traced."""
        if callable(self._tensor):
            self._tensor = self._tensor()
        return self._tensor

    def __repr__(self) -> str:
        return f"DimInt({int.__int__(self)})"

    # --- forcing to a plain number: guarded ------------------------------------------------
    def forced(self, how: str) -> int:
        """This size as a plain int, guarded to stay the example's value."""
        value = int.__int__(self)
        self._ctx.guard_shape(_compare(self._ctx, self, value, "=="), value,
                              f"{how} of a dynamic size")
        return value

    def _by_user(self) -> bool:
        """Whether the model's code (not a converter) is using this size now."""
        return bool(self._ctx.in_user_code())

    def __int__(self) -> int:
        return self.forced("int()") if self._by_user() else int.__int__(self)

    def __float__(self) -> float:
        return float(self.forced("float()") if self._by_user() else int.__int__(self))

    def __bool__(self) -> bool:
        value = int.__int__(self) != 0
        if self._by_user():
            self._ctx.guard_shape(_compare(self._ctx, self, 0, "!=" if value else "=="), value,
                                  "bool() of a dynamic size")
        return value

    # --- symbolic arithmetic ----------------------------------------------------------------------
    def _binary(self, other: Any, op: Any, fn: Callable[[int, int], int],
                reverse: bool = False) -> Any:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        a, b = (other, self) if reverse else (self, other)
        value = fn(int.__int__(a), int.__int__(b))
        tensor = self._ctx.network.add_elementwise(_tensor_of(self._ctx, a),
                                                   _tensor_of(self._ctx, b), op).get_output(0)
        return DimInt(value, tensor, self._ctx, (fn.__name__, _expr_of(a), _expr_of(b)))

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

    # --- comparisons: guarded, so a call on the other side of the branch fails loudly ---------
    def _compared(self, other: Any, symbol: str, fn: Callable[[int, int], bool]) -> Any:
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        a, b = int.__int__(self), int.__int__(other)
        result = fn(a, b)
        if self._by_user():
            holds = symbol if result else _NEGATED[symbol]
            self._ctx.guard_shape(_compare(self._ctx, self, other, holds), result,
                                  f"a dynamic size compared ({a} {symbol} {b} on the example)")
        return result

    __eq__ = _comparison("==", operator.eq)
    __ne__ = _comparison("!=", operator.ne)
    __lt__ = _comparison("<", operator.lt)
    __le__ = _comparison("<=", operator.le)
    __gt__ = _comparison(">", operator.gt)
    __ge__ = _comparison(">=", operator.ge)

    __hash__ = int.__hash__

    def __truediv__(self, other: Any) -> float:
        value = self.forced("true division") if self._by_user() else int.__int__(self)
        return value / other

    def __rtruediv__(self, other: Any) -> float:
        value = self.forced("true division") if self._by_user() else int.__int__(self)
        return other / value


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _compare(ctx: Any, a: int, b: int, symbol: str) -> Any:
    """A (1,) BOOL shape tensor: whether `a symbol b` holds at run time (only elementwise
    layers on INT64 shape tensors, which TensorRT evaluates when input shapes are set)."""
    x, y = _tensor_of(ctx, a), _tensor_of(ctx, b)

    def op(left: Any, right: Any, kind: Any) -> Any:
        return ctx.network.add_elementwise(left, right, kind).get_output(0)

    if symbol in ("<", ">"):
        return op(x, y, _E.LESS if symbol == "<" else _E.GREATER)
    if symbol in ("<=", ">="):
        strict = op(x, y, _E.LESS if symbol == "<=" else _E.GREATER)
        return op(strict, op(x, y, _E.EQUAL), _E.OR)
    equal = op(x, y, _E.EQUAL)
    if symbol == "==":
        return equal
    return op(equal, op(x, x, _E.LESS), _E.EQUAL)  # not equal: equal == false (x < x)


def force_int(value: Any, how: str) -> int:
    """`value` as a plain int; a DimInt is guarded to keep its example's value (a converter's
    helper for reads such as `len(tensor)`)."""
    return value.forced(how) if isinstance(value, DimInt) else int(value)


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
    return torch.Size([DimInt(size, functools.partial(dim_tensor, ctx, itensor, axis), ctx,
                              ("size", value, axis), (itensor, axis))
                       if dims[axis] < 0 else size for axis, size in enumerate(value.shape)])


def _expr_of(value: int) -> Any:
    return value.expr if isinstance(value, DimInt) else int(value)


_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "floordiv": operator.floordiv,
}


def evaluate(expr: Any, size_of: Callable[[Any, int], int]) -> int:
    """The value of a DimInt's `expr` for other tensors: `size_of(tensor, axis)` gives the
    sizes the expression reads."""
    if isinstance(expr, int):
        return expr
    if expr is None:
        raise ValueError("a size without a recorded expression")
    if expr[0] == "size":
        return size_of(expr[1], expr[2])
    return _OPERATIONS[expr[0]](evaluate(expr[1], size_of), evaluate(expr[2], size_of))


def is_symbolic(value: Any) -> bool:
    return isinstance(value, DimInt)
