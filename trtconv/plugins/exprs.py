"""Shape expressions and tensor descriptors of plugin ops, like `tensorrt.plugin`'s.

A plugin's descriptor gets one `TensorDesc` per input and returns one per output. Each dim of
an input is a `ShapeExpr`: a constant where the network knows the size, else a symbol for
"dim j of input i". Arithmetic (`+ - * //`, `cdiv`, `max`, `min`) builds expression trees, so
an output shape says how it follows from the input shapes (`x.shape_expr[0] * 2`). A tree is
plain data (nested lists, for the plan) and is evaluated for concrete shapes by the reference,
or rebuilt from `tensorrt.plugin` expressions when the tensorrt backend registers the plugin.

>>> x = TensorDesc((ShapeExpr.dim(0, 0), ShapeExpr(4)), torch.float32)
>>> out = from_shape_expr((x.shape_expr[0] * 2, cdiv(x.shape_expr[1], 3)), torch.float32)
>>> [evaluate(e.tree, [(5, 4)]) for e in out.shape_expr]
[10, 2]
>>> [evaluate(e.tree, [(-1, 4)]) for e in out.shape_expr]
[-1, 2]
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import torch

Tree = int | list  # int constant, ["in", i, j], or [OPERATION, a, b]
# TensorRT's DimensionOperation names, with the host arithmetic of each.
_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "SUM": lambda a, b: a + b,
    "SUB": lambda a, b: a - b,
    "PROD": lambda a, b: a * b,
    "FLOOR_DIV": lambda a, b: a // b,
    "CEIL_DIV": lambda a, b: -(-a // b),
    "MAX": builtins.max,
    "MIN": builtins.min,
}


class ShapeExpr:
    """One dimension as an expression of the inputs' dimensions (`tensorrt.plugin.ShapeExpr`).

    `ShapeExpr(4)` is a constant; `ShapeExpr.dim(i, j)` is dim j of input i.
    """

    def __init__(self, value: int | ShapeExpr = 0):
        if isinstance(value, ShapeExpr):
            self.tree: Tree = value.tree
        elif isinstance(value, int) and not isinstance(value, bool):
            self.tree = int(value)
        else:
            raise TypeError(f"a ShapeExpr is built from an int or a ShapeExpr, got "
                            f"{type(value).__name__}")

    @classmethod
    def dim(cls, input_index: int, axis: int) -> ShapeExpr:
        expr = cls()
        expr.tree = ["in", int(input_index), int(axis)]
        return expr

    @property
    def is_constant(self) -> bool:
        return isinstance(self.tree, int)

    def constant_value(self) -> int:
        if not isinstance(self.tree, int):
            raise RuntimeError(f"{self!r} is not a build-time constant; check is_constant")
        return self.tree

    def _op(self, operation: str, other: int | ShapeExpr, swap: bool = False) -> ShapeExpr:
        a, b = self.tree, as_expr(other).tree
        if swap:
            a, b = b, a
        result = ShapeExpr()
        if isinstance(a, int) and isinstance(b, int):
            result.tree = _OPERATIONS[operation](a, b)
        else:
            result.tree = [operation, a, b]
        return result

    def __add__(self, other: int | ShapeExpr) -> ShapeExpr:
        return self._op("SUM", other)

    def __radd__(self, other: int) -> ShapeExpr:
        return self._op("SUM", other, swap=True)

    def __sub__(self, other: int | ShapeExpr) -> ShapeExpr:
        return self._op("SUB", other)

    def __rsub__(self, other: int) -> ShapeExpr:
        return self._op("SUB", other, swap=True)

    def __mul__(self, other: int | ShapeExpr) -> ShapeExpr:
        return self._op("PROD", other)

    def __rmul__(self, other: int) -> ShapeExpr:
        return self._op("PROD", other, swap=True)

    def __floordiv__(self, other: int | ShapeExpr) -> ShapeExpr:
        return self._op("FLOOR_DIV", other)

    def __rfloordiv__(self, other: int) -> ShapeExpr:
        return self._op("FLOOR_DIV", other, swap=True)

    def __bool__(self) -> bool:
        raise TypeError("a ShapeExpr has no truth value: a descriptor cannot branch on a size "
                        "known only at run time (use is_constant / constant_value())")

    def __repr__(self) -> str:
        return f"ShapeExpr({describe(self.tree)})"


def as_expr(value: int | ShapeExpr) -> ShapeExpr:
    return value if isinstance(value, ShapeExpr) else ShapeExpr(value)


def cdiv(first: int | ShapeExpr, second: int | ShapeExpr) -> ShapeExpr:
    """Ceiling division (`tensorrt.plugin.cdiv`)."""
    return as_expr(first)._op("CEIL_DIV", second)


def max(first: int | ShapeExpr, second: int | ShapeExpr) -> ShapeExpr:  # noqa: A001
    """The larger of two sizes (`tensorrt.plugin.max`)."""
    return as_expr(first)._op("MAX", second)


def min(first: int | ShapeExpr, second: int | ShapeExpr) -> ShapeExpr:  # noqa: A001
    """The smaller of two sizes (`tensorrt.plugin.min`)."""
    return as_expr(first)._op("MIN", second)


class TensorDesc:
    """A tensor's shape expressions and torch dtype (`tensorrt.plugin.TensorDesc`)."""

    def __init__(self, shape_expr: Sequence[int | ShapeExpr], dtype: torch.dtype):
        if not isinstance(dtype, torch.dtype):
            raise TypeError(f"a TensorDesc's dtype is a torch.dtype, got {dtype!r}")
        self.shape_expr = tuple(as_expr(d) for d in shape_expr)
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape_expr)

    def like(self) -> TensorDesc:
        """A descriptor with the same shape and dtype (an elementwise op's output)."""
        return TensorDesc(self.shape_expr, self.dtype)

    def __repr__(self) -> str:
        dims = ", ".join(describe(d.tree) for d in self.shape_expr)
        return f"TensorDesc(({dims}), {self.dtype})"


def from_shape_expr(shape_expr: Sequence[int | ShapeExpr], dtype: torch.dtype) -> TensorDesc:
    """A descriptor from shape expressions and a dtype (`tensorrt.plugin.from_shape_expr`)."""
    return TensorDesc(shape_expr, dtype)


def input_desc(index: int, shape: Sequence[int], dtype: torch.dtype) -> TensorDesc:
    """The descriptor of input `index`: known dims are constants, -1 dims are symbols."""
    return TensorDesc([ShapeExpr.dim(index, j) if d < 0 else ShapeExpr(d)
                       for j, d in enumerate(shape)], dtype)


def evaluate(tree: Tree, shapes: Sequence[Sequence[int]]) -> int:
    """The size a tree gives for the inputs' shapes; -1 where it needs an unknown (-1) dim."""
    if isinstance(tree, int):
        return tree
    if tree[0] == "in":
        return int(shapes[tree[1]][tree[2]])
    a, b = evaluate(tree[1], shapes), evaluate(tree[2], shapes)
    if a < 0 or b < 0:
        return -1
    return _OPERATIONS[tree[0]](a, b)


def rebuild(tree: Tree, leaf: Callable[[int, int], Any], constant: Callable[[int], Any],
            operation: Callable[[str, Any, Any], Any]) -> Any:
    """Build a tree again from another module's expressions (`tensorrt.plugin`'s)."""
    if isinstance(tree, int):
        return constant(tree)
    if tree[0] == "in":
        return leaf(tree[1], tree[2])
    return operation(tree[0], rebuild(tree[1], leaf, constant, operation),
                     rebuild(tree[2], leaf, constant, operation))


def check_tree(tree: Any, num_inputs: int) -> Tree:
    """A tree read from a file, checked (it is data; nothing in it runs)."""
    if isinstance(tree, int) and not isinstance(tree, bool):
        return tree
    if isinstance(tree, list) and len(tree) == 3:
        if tree[0] == "in" and all(isinstance(v, int) for v in tree[1:]) \
                and 0 <= tree[1] < num_inputs:
            return tree
        if tree[0] in _OPERATIONS:
            return [tree[0], check_tree(tree[1], num_inputs), check_tree(tree[2], num_inputs)]
    raise ValueError(f"not a shape expression: {tree!r}")


def describe(tree: Tree) -> str:
    """A tree as text: `in0[1] * 2`."""
    if isinstance(tree, int):
        return str(tree)
    if tree[0] == "in":
        return f"in{tree[1]}[{tree[2]}]"
    symbols = {"SUM": "+", "SUB": "-", "PROD": "*", "FLOOR_DIV": "//"}
    a, b = describe(tree[1]), describe(tree[2])
    if tree[0] in symbols:
        return f"({a} {symbols[tree[0]]} {b})"
    return f"{tree[0].lower()}({a}, {b})"


__all__ = ["ShapeExpr", "TensorDesc", "from_shape_expr", "cdiv", "max", "min", "evaluate",
           "rebuild", "input_desc", "check_tree", "describe", "Tree"]
