"""Binary arithmetic: add, sub, mul, div and their operator, reverse and in-place forms.

Operands follow torch's type promotion (the result dtype of the torch call), Python numbers
become constants of that dtype, and ranks are equalised: see `trtconv.emit.binary`.
"""

from __future__ import annotations

from typing import Any

from trtconv import emit, tensorrt_converter, trt

E = trt.ElementWiseOperation


def _scaled(ctx: Any, other: Any, alpha: Any) -> Any:
    """`other * alpha` for torch.add/sub's alpha (no layer when alpha is 1)."""
    if alpha == 1:
        return other
    return emit.binary(ctx, other, alpha, E.PROD, ctx.output.dtype)


def _add(ctx: Any, input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:
    return emit.binary(ctx, input, _scaled(ctx, other, alpha), E.SUM, ctx.output.dtype)


def _sub(ctx: Any, input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Any:
    return emit.binary(ctx, input, _scaled(ctx, other, alpha), E.SUB, ctx.output.dtype)


def _rsub(ctx: Any, input: Any, other: Any, *, alpha: Any = 1) -> Any:
    return emit.binary(ctx, other, _scaled(ctx, input, alpha), E.SUB, ctx.output.dtype)


def _mul(ctx: Any, input: Any, other: Any, *, out: Any = None) -> Any:
    return emit.binary(ctx, input, other, E.PROD, ctx.output.dtype)


def _div(ctx: Any, input: Any, other: Any, *, rounding_mode: str | None = None,
         out: Any = None) -> Any:
    if rounding_mode is None:
        return emit.binary(ctx, input, other, E.DIV, ctx.output.dtype)
    if rounding_mode == "floor":
        return emit.binary(ctx, input, other, E.FLOOR_DIV, ctx.output.dtype)
    raise ctx.unsupported(f"div with rounding_mode={rounding_mode!r}")


def _reverse(fn: Any) -> Any:
    def convert(ctx: Any, input: Any, other: Any) -> Any:
        return fn(ctx, other, input)

    return convert


_TABLE = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "true_divide": _div,
    "subtract": _sub, "multiply": _mul, "divide": _div,
}
for _name, _fn in _TABLE.items():
    tensorrt_converter(f"torch.{_name}")(_fn)
    tensorrt_converter(f"torch.Tensor.{_name}")(_fn)
for _name in ("add", "sub", "mul", "div"):
    tensorrt_converter(f"torch.Tensor.{_name}_")(_TABLE[_name])
for _dunder, _fn in (("add", _add), ("sub", _sub), ("mul", _mul), ("truediv", _div),
                     ("div", _div)):
    if hasattr(__import__("torch").Tensor, f"__{_dunder}__"):
        tensorrt_converter(f"torch.Tensor.__{_dunder}__")(_fn)
    if hasattr(__import__("torch").Tensor, f"__i{_dunder}__"):
        tensorrt_converter(f"torch.Tensor.__i{_dunder}__")(_fn)
for _dunder, _fn in (("radd", _add), ("rmul", _mul), ("rtruediv", _reverse(_div)),
                     ("rdiv", _reverse(_div)), ("rsub", _rsub)):
    if hasattr(__import__("torch").Tensor, f"__{_dunder}__"):
        tensorrt_converter(f"torch.Tensor.__{_dunder}__")(_fn)
