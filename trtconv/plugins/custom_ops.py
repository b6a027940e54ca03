"""Automatic plugins for torch.library custom ops (`convert(..., custom_op_plugins=True)`).

A custom op with a fake (meta) kernel and no converter becomes a plugin layer named after the
op (`mylib::foo`): its tensor arguments are the plugin's inputs, its other arguments the
attributes, its own kernel the implementation. Output shapes come from running the fake
kernel with the network's dynamic dims as symbols: a dim that is constant or follows the
inputs' dims (`s0`, `s0 + s1`, `2*s0`, `s0 // 2`) becomes a shape expression; a size that
depends on the data, or a fake kernel that branches on a dynamic size, is refused with the
reason.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Sequence
from typing import Any

import sympy
import torch
from torch._ops import OpOverload, OpOverloadPacket
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.fx.experimental.symbolic_shapes import (
    DimDynamic,
    ShapeEnv,
    StatelessSymbolicContext,
)
from torch.utils._sympy.functions import CeilDiv, FloorDiv, Max, Min

from .defs import InputInfo, PluginDef, PluginError, declared, split_id
from .exprs import TensorDesc, Tree

# Dynamic dims get distinct sizes > 1 while the fake kernel runs (symbols stand for sizes >= 2,
# as in torch.export; equal sizes would be merged); a kernel that branches on one is refused.
_HINTS = (17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79)


class ShapeRefusedError(PluginError):
    """An output shape the fake kernel gives that no shape expression can hold."""


def plugin_id_of(op: OpOverload) -> str:
    """`mylib::foo` for the default overload, `mylib::foo.out` for another."""
    return op.name()


class CustomOpPlugin(PluginDef):
    """A plugin made from a torch.library op: fake kernel for shapes, the op to run."""

    kind = "custom_op"

    def __init__(self, op: OpOverload):
        self.op = op
        schema = op._schema
        self.tensor_args = [a.name for a in schema.arguments if _is_tensor(a.type)]
        attrs = [a.name for a in schema.arguments if not _is_tensor(a.type)]
        super().__init__(plugin_id_of(op), self._describe_fake, len(self.tensor_args), attrs)
        self.source = _op_source(op)
        self._cache: dict[Any, list[TensorDesc]] = {}

    # --- calls ------------------------------------------------------------------------------
    def split_call(self, args: Sequence[Any], kwargs: dict[str, Any]
                   ) -> tuple[list[torch.Tensor], dict[str, Any]]:
        """A call's tensors (in schema order) and attributes (every other argument, defaults
        filled in)."""
        bound = _bind(self.op, args, kwargs)
        tensors = [bound.pop(name) for name in self.tensor_args]
        return tensors, bound

    def call_args(self, tensors: Sequence[Any], attrs: dict[str, Any]
                  ) -> tuple[list[Any], dict[str, Any]]:
        values = dict(attrs, **dict(zip(self.tensor_args, tensors)))
        args, kwargs = [], {}
        for arg in self.op._schema.arguments:
            if arg.kwarg_only:
                kwargs[arg.name] = values[arg.name]
            else:
                args.append(values[arg.name])
        return args, kwargs

    def run(self, tensors: Sequence[torch.Tensor], attrs: dict[str, Any]) -> list[torch.Tensor]:
        args, kwargs = self.call_args(tensors, attrs)
        with torch.no_grad():
            result = self.op(*args, **kwargs)
        return list(result) if isinstance(result, (tuple, list)) else [result]

    # --- shapes -------------------------------------------------------------------------------
    def describe(self, inputs: Sequence[InputInfo], attrs: dict[str, Any]) -> list[TensorDesc]:
        key = (tuple((tuple(s), d) for s, d in inputs), repr(sorted(attrs.items())))
        if key not in self._cache:
            self.check_inputs(len(inputs), attrs)
            self._cache[key] = self._describe_fake(inputs, attrs)
        return self._cache[key]

    def _describe_fake(self, inputs: Sequence[InputInfo], attrs: dict[str, Any]
                       ) -> list[TensorDesc]:
        env = ShapeEnv(duck_shape=False)
        mode = FakeTensorMode(shape_env=env)
        fakes, symbols = _fake_inputs(mode, inputs)
        args, kwargs = self.call_args(fakes, attrs)
        try:
            with mode:
                result = self.op(*args, **kwargs)
        except Exception as e:  # noqa: BLE001  (a fake kernel may raise anything)
            raise ShapeRefusedError(f"the fake kernel of {self.id} failed for input shapes "
                                    f"{[tuple(s) for s, _ in inputs]}: {type(e).__name__}: "
                                    f"{e}") from None
        guards = [str(g.expr) for g in env.guards]
        if guards:
            raise ShapeRefusedError(f"the fake kernel of {self.id} branches on a dynamic size "
                                    f"({', '.join(guards)}): one engine cannot follow that")
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        return [TensorDesc([_expression(d, symbols, self.id, k) for d in out.shape], out.dtype)
                for k, out in enumerate(outputs)]


def _fake_inputs(mode: FakeTensorMode, inputs: Sequence[InputInfo]
                 ) -> tuple[list[torch.Tensor], dict[sympy.Symbol, tuple[int, int]]]:
    """Fake tensors with a symbol for each dynamic (-1) dim; symbol -> (input, axis)."""
    fakes, symbols, hints = [], {}, iter(_HINTS * 4)
    for shape, dtype in inputs:
        sizes = [d if d >= 0 else next(hints) for d in shape]
        dynamic = [DimDynamic.DYNAMIC if d < 0 else DimDynamic.STATIC for d in shape]
        context = StatelessSymbolicContext(dynamic_sizes=dynamic)
        fakes.append(mode.from_tensor(torch.empty(sizes, dtype=dtype, device="meta"),
                                      symbolic_context=context))
    for i, fake in enumerate(fakes):
        for j, size in enumerate(fake.shape):
            if isinstance(size, torch.SymInt):
                symbols[size.node.expr] = (i, j)
    return fakes, symbols


def _expression(size: Any, symbols: dict[sympy.Symbol, tuple[int, int]], plugin_id: str,
                output: int) -> Any:
    from .exprs import ShapeExpr

    if isinstance(size, int):
        return size
    expr = ShapeExpr()
    expr.tree = _tree(size.node.expr, symbols, plugin_id, output)
    return expr


def _tree(expr: Any, symbols: dict[sympy.Symbol, tuple[int, int]], plugin_id: str,
          output: int) -> Tree:
    """A sympy size as a shape expression tree, or ShapeRefusedError with the reason."""
    if expr.is_Integer:
        return int(expr)
    if expr.is_Symbol:
        if expr in symbols:
            return ["in", *symbols[expr]]
        raise ShapeRefusedError(f"output {output} of {plugin_id} has a size that depends on "
                                f"the data ({expr}), not on input sizes: a plugin's output "
                                f"shapes must follow from its input shapes")
    operations = {sympy.Add: "SUM", sympy.Mul: "PROD", FloorDiv: "FLOOR_DIV",
                  CeilDiv: "CEIL_DIV", Max: "MAX", Min: "MIN"}
    operation = operations.get(type(expr))
    if operation is None:
        raise ShapeRefusedError(f"output {output} of {plugin_id} has size {expr}, which is "
                                f"not a TensorRT shape expression of the input sizes")
    trees = [_tree(a, symbols, plugin_id, output) for a in expr.args]
    return functools.reduce(lambda a, b: [operation, a, b], trees)


def unsupported_reason(op: OpOverload) -> str | None:
    """Why `op` cannot become a plugin (None if it can)."""
    schema = op._schema
    for arg in schema.arguments:
        if arg.alias_info is not None and arg.alias_info.is_write:
            return f"{op.name()} updates its argument {arg.name!r} in place"
        if not _is_tensor(arg.type) and _has_tensor(arg.type):
            return (f"{op.name()} takes {arg.name!r} of type {arg.type}; a plugin takes plain "
                    f"tensors and attributes")
    if not schema.returns or not all(_is_tensor(r.type) for r in schema.returns):
        return f"{op.name()} does not return tensors only"
    if not has_fake_kernel(op):
        return (f"{op.name()} has no fake kernel: register one with torch.library."
                f"register_fake so its output shapes are known")
    return None


def has_fake_kernel(op: OpOverload) -> bool:
    name = op.name()
    has = torch._C._dispatch_has_kernel_for_dispatch_key
    return any(has(name, key) for key in ("Meta", "CompositeImplicitAutograd")) or \
        _registered_fake(name)


def _registered_fake(name: str) -> bool:
    from torch._library.simple_registry import singleton

    entry = singleton.find(name)
    return entry.fake_impl.kernel is not None


def _is_tensor(t: Any) -> bool:
    return isinstance(t, torch._C.TensorType)


def _has_tensor(t: Any) -> bool:
    return "Tensor" in str(t)


def _bind(op: OpOverload, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's value for every schema argument, by name (defaults filled in)."""
    values: dict[str, Any] = {}
    positional = [a for a in op._schema.arguments if not a.kwarg_only]
    if len(args) > len(positional):
        raise PluginError(f"{op.name()} takes {len(positional)} positional arguments, got "
                          f"{len(args)}")
    for arg, value in zip(positional, args):
        values[arg.name] = value
    for arg in op._schema.arguments:
        if arg.name in kwargs:
            values[arg.name] = kwargs[arg.name]
        elif arg.name not in values:
            if not arg.has_default_value():
                raise PluginError(f"{op.name()} is missing argument {arg.name!r}")
            values[arg.name] = arg.default_value
    return values


def _op_source(op: OpOverload) -> str:
    """The Python module that defines the op or its fake kernel, if one can be told."""
    from torch._library import custom_ops
    from torch._library.simple_registry import singleton

    definition = custom_ops.OPDEFS.get(op.name())
    if definition is not None:
        return getattr(definition._init_fn, "__module__", "") or ""
    kernel = singleton.find(op.name()).fake_impl.kernel
    path = str(getattr(kernel, "source", "")).rsplit(":", 1)[0]  # "file.py:line"
    for name, module in list(sys.modules.items()):
        if path and getattr(module, "__file__", None) == path:
            return name
    return ""


def resolve_op(plugin_id: str) -> OpOverload | None:
    """The torch op named `ns::name[.overload]`, if this process has it (no imports)."""
    ns, name = split_id(plugin_id)
    base, _, overload = name.partition(".")
    try:
        packet = getattr(getattr(torch.ops, ns), base)
        found = getattr(packet, overload or "default")
    except (AttributeError, RuntimeError):
        return None
    return found if isinstance(found, OpOverload) else None


_MADE: dict[OpOverload, CustomOpPlugin] = {}
_MADE_LOCK = threading.Lock()


def plugin_for_op(op: OpOverload) -> CustomOpPlugin:
    """The plugin of a custom op (PluginError with the reason if it cannot be one)."""
    reason = unsupported_reason(op)
    if reason is not None:
        raise PluginError(reason)
    with _MADE_LOCK:
        if op not in _MADE:
            _MADE[op] = CustomOpPlugin(op)
        return _MADE[op]


def plugin_for_op_name(plugin_id: str) -> PluginDef | str:
    """The plugin of the torch op named `plugin_id`, or why there is none ("" if no such
    op exists in this process)."""
    op = resolve_op(plugin_id)
    if op is None:
        return ""
    try:
        return plugin_for_op(op)
    except PluginError as e:
        return str(e)


def overload_of(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> OpOverload | None:
    if isinstance(func, OpOverload):
        return func
    if isinstance(func, OpOverloadPacket):
        from ..targets import resolve_overload

        name = resolve_overload(func, args, kwargs)
        return getattr(func, name) if name else None
    return None


def is_custom(op: OpOverload) -> bool:
    """A user's op: not one of torch's own namespaces."""
    from torch._library.utils import is_builtin

    return not is_builtin(op) and op.namespace not in ("prims", "prim", "_c10d_functional")


def conflicting_declaration(op: OpOverload) -> PluginDef | None:
    """A trtconv.plugins declaration that already uses the op's name."""
    return declared().get(plugin_id_of(op))


__all__ = ["CustomOpPlugin", "ShapeRefusedError", "plugin_for_op", "plugin_for_op_name",
           "unsupported_reason", "has_fake_kernel", "resolve_op", "overload_of", "is_custom",
           "plugin_id_of"]
