"""Stand-ins for `tensorrt` and `tensorrt.plugin` 11.4, made of recorded names only.

No GPU or TensorRT runs here, so the tensorrt backend's plugin code is run against these:
every public name they define exists in the recorded API (tests/data/tensorrt-11.4.0.106.txt
and tensorrt-11.4.0.106-plugin.txt; the test checks it), so code that calls anything else
fails with AttributeError. Their behaviour follows TensorRT 11.4's `tensorrt.plugin` sources:

- `register` / `impl` check the decorated functions' signatures as `tensorrt.plugin` does
  (annotated TensorDesc inputs first, then attributes of int/float/bool/str/bytes, no
  defaults, a TensorDesc or Tuple[TensorDesc, ...] return; impl `(inputs..., attrs...,
  outputs, stream)`);
- `op.ns.name(*tensors, **attrs)` returns the function `add_plugin` takes (TensorRT 11);
- `INetworkDefinition.add_plugin` runs the plugin's build calls as TensorRT does: the
  descriptor with dummy shape expressions (output dtypes), then with expressions of the input
  dims (output shapes; static dims are constants);
- `run(network, inputs)` executes the plugin layers as an engine would: only the attributes
  the impl names are kept (serialized), outputs are allocated from the shape expressions, and
  `impl` gets `Tensor`s over host buffers.
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

DATA = Path(__file__).resolve().parent.parent / "data"
PLUGIN_RECORD = DATA / "tensorrt-11.4.0.106-plugin.txt"


def plugin_record(path: Path = PLUGIN_RECORD) -> dict[str, set[str]]:
    """{top-level name of tensorrt.plugin: names of its members} from the record."""
    names: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = _defined_name(line.strip())
        if not line.startswith(" "):
            current = names.setdefault(name, set()) if line.startswith("class ") else None
            names.setdefault(name, set())
        elif current is not None:
            current.add(name)
    return names


def _defined_name(line: str) -> str:
    """`def @property @x name(...)` / `class Name(...)` -> name."""
    line = re.sub(r"@[\w.]+(\(\))?\s*", "", line)
    return re.match(r"(?:def|class)\s+(\w+)", line).group(1)  # type: ignore[union-attr]


# --- tensorrt.plugin ------------------------------------------------------------------------

class _Dims:
    """An expression's value: a function of the inputs' shapes (-1 for unknown dims)."""

    def __init__(self, fn: Callable[[list[tuple[int, ...]]], int], constant: int | None):
        self.fn, self.constant = fn, constant


def _combine(op: Callable[[int, int], int], a: _Dims, b: _Dims) -> _Dims:
    def fn(shapes: list[tuple[int, ...]]) -> int:
        x, y = a.fn(shapes), b.fn(shapes)
        return -1 if x < 0 or y < 0 else op(x, y)

    constant = op(a.constant, b.constant) if a.constant is not None and \
        b.constant is not None else None
    return _Dims(fn, constant)


class ShapeExpr:
    _building = False  # True while TensorRT computes output shapes (an expression builder)

    def __init__(self, value: Any = None):
        self._is_dummy = value is None or (isinstance(value, int) and not ShapeExpr._building)
        if isinstance(value, ShapeExpr):
            self._is_dummy, self._dims = value._is_dummy, value._dims
        elif isinstance(value, _Dims):
            self._dims = value
        else:
            self._dims = _Dims(lambda shapes, v=value: v, value)

    def _op(self, op: Callable[[int, int], int], other: Any) -> ShapeExpr:
        if self._is_dummy:
            return ShapeExpr()
        other = other if isinstance(other, ShapeExpr) else ShapeExpr(other)
        return ShapeExpr(_combine(op, self._dims, other._dims))

    def __add__(self, other: Any) -> ShapeExpr:
        return self._op(lambda a, b: a + b, other)

    def __sub__(self, other: Any) -> ShapeExpr:
        return self._op(lambda a, b: a - b, other)

    def __mul__(self, other: Any) -> ShapeExpr:
        return self._op(lambda a, b: a * b, other)

    def __floordiv__(self, other: Any) -> ShapeExpr:
        return self._op(lambda a, b: a // b, other)

    @property
    def is_fake(self) -> bool:
        return self._is_dummy

    @property
    def is_constant(self) -> bool:
        if self._is_dummy:
            raise RuntimeError("Not accessible for fake 'ShapeExpr's")
        return self._dims.constant is not None

    def constant_value(self) -> int:
        if not self.is_constant:
            raise RuntimeError("Not accessible for non-constant shape expressions")
        return self._dims.constant


def cdiv(first: Any, second: Any) -> ShapeExpr:
    if isinstance(first, int) and isinstance(second, int):
        raise ValueError("Both arguments cannot be 'int's")
    return (first if isinstance(first, ShapeExpr) else ShapeExpr(first))._op(
        lambda a, b: -(-a // b), second)


def max(first: Any, second: Any) -> ShapeExpr:  # noqa: A001  (tensorrt.plugin's name)
    if isinstance(first, int) and isinstance(second, int):
        raise ValueError("Both arguments cannot be 'int's")
    return (first if isinstance(first, ShapeExpr) else ShapeExpr(first))._op(
        lambda a, b: a if a > b else b, second)


def min(first: Any, second: Any) -> ShapeExpr:  # noqa: A001
    if isinstance(first, int) and isinstance(second, int):
        raise ValueError("Both arguments cannot be 'int's")
    return (first if isinstance(first, ShapeExpr) else ShapeExpr(first))._op(
        lambda a, b: a if a < b else b, second)


class TensorDesc:
    def __init__(self, shape_expr: Any = None, dtype: Any = None, format: Any = None,
                 scale: Any = None):
        self._shape_expr, self._dtype = shape_expr, dtype

    @property
    def shape_expr(self) -> list[ShapeExpr]:
        return self._shape_expr

    @property
    def dtype(self) -> Any:
        return self._dtype


def from_shape_expr(shape_expr: Any, dtype: Any) -> TensorDesc:
    exprs = [e if isinstance(e, ShapeExpr) else ShapeExpr(e) for e in shape_expr]
    return TensorDesc(exprs, dtype)


class Tensor:
    def __init__(self) -> None:
        self._data_ptr = self._shape = self._dtype = self._strides = None

    @property
    def data_ptr(self) -> int:
        return self._data_ptr

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def strides(self) -> tuple[int, ...]:
        return self._strides


class PluginDef:
    def __init__(self) -> None:
        self.plugin_id = self.register_func = self.impl_func = None
        self.input_tensor_names: list[str] = []
        self.input_attrs: dict[str, Any] = {}
        self.impl_attr_names: list[str] = []
        self.num_outputs = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[], tuple[list, list, Any]]:
        for t in args:
            if not isinstance(t, ITensor):
                raise ValueError(f"Expected trt.ITensor but got input of type {type(t)}")
        for key, value in kwargs.items():
            if key not in self.input_attrs or self.input_attrs[key] is not type(value):
                raise ValueError(f"Unexpected attribute {key}={value!r}")
        if len(args) != len(self.input_tensor_names) or set(kwargs) != set(self.input_attrs):
            raise ValueError(f"Unexpected schema ({len(args)} tensors, {sorted(kwargs)})")
        return lambda: (list(args), [], (self, dict(kwargs)))


class _Namespace(types.SimpleNamespace):
    pass


op = _Namespace()
_SERIALIZABLE = (int, float, bytes, bool, str)


def register(plugin_id: str, lazy_register: bool = False) -> Callable[[Any], Any]:
    ns, name = plugin_id.split("::")
    if "." in ns or "." in name:
        raise ValueError(f"Provided name {plugin_id} cannot have any '.'")

    def decorator(register_func: Callable[..., Any]) -> Callable[..., Any]:
        namespace = getattr(op, ns, None) or _Namespace()
        if hasattr(namespace, name):
            raise ValueError(f"already has a defintion for '{name}'")
        definition = PluginDef()
        definition.plugin_id, definition.register_func = plugin_id, register_func
        sig = inspect.signature(register_func)
        for param in sig.parameters.values():
            _check_register_param(param, definition)
        ret = sig.return_annotation
        if typing.get_origin(ret) is tuple:
            args = typing.get_args(ret)
            assert all(issubclass(a, TensorDesc) for a in args), ret
            definition.num_outputs = len(args)
        else:
            assert inspect.isclass(ret) and issubclass(ret, TensorDesc), ret
            definition.num_outputs = 1
        setattr(namespace, name, definition)
        setattr(op, ns, namespace)
        return register_func

    return decorator


def _check_register_param(param: inspect.Parameter, definition: PluginDef) -> None:
    if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
        raise ValueError(f"Argument {param.name} is not a positional-or-keyword arg")
    if param.annotation is inspect.Parameter.empty:
        raise ValueError(f"Argument {param.name} does not have a type annotation")
    if param.default is not inspect.Parameter.empty:
        raise ValueError(f"Argument {param.name} has a default value")
    if inspect.isclass(param.annotation) and issubclass(param.annotation, TensorDesc):
        if definition.input_attrs:
            raise ValueError("TensorDescs args and attribute args cannot be interspersed")
        definition.input_tensor_names.append(param.name)
    else:
        if not definition.input_tensor_names:
            raise ValueError("TensorDescs args should come first")
        if param.name in ("outputs", "stream", "tactic") or \
                param.annotation not in _SERIALIZABLE:
            raise ValueError(f"Attribute '{param.name}' is not allowed / serializable")
        definition.input_attrs[param.name] = param.annotation


def impl(plugin_id: str) -> Callable[[Any], Any]:
    def decorator(impl_func: Callable[..., Any]) -> Callable[..., Any]:
        ns, name = plugin_id.split("::")
        definition = getattr(getattr(op, ns), name)
        names = list(inspect.signature(impl_func).parameters)
        attrs = [n for n in names if n in definition.input_attrs]
        expected = definition.input_tensor_names + [
            n for n in definition.input_attrs if n in attrs] + ["outputs", "stream"]
        if names != expected:
            raise ValueError(f"Signature of the impl function {names} does not match the "
                             f"expected input arg schema: {expected}")
        definition.impl_func, definition.impl_attr_names = impl_func, attrs
        return impl_func

    return decorator


# --- tensorrt -------------------------------------------------------------------------------

def _recorded_enum(name: str) -> type[enum.IntEnum]:
    text = (DATA / "tensorrt-11.4.0.106.txt").read_text()
    members = re.search(rf"^{name}: (.*)$", text, re.M).group(1)  # type: ignore[union-attr]
    return enum.IntEnum(name, {k: int(v) for k, v in (p.split("=") for p in
                                                      members.split(", "))})


DataType = _recorded_enum("DataType")


class ITensor:
    def __init__(self, name: str, shape: tuple[int, ...], dtype: Any):
        self.name, self._shape, self._dtype = name, tuple(shape), dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> Any:
        return self._dtype


class IPluginV3Layer:
    def __init__(self, inputs: list[ITensor], definition: PluginDef, attrs: dict[str, Any],
                 outputs: list[ITensor], shapes: list[list[ShapeExpr]]):
        self.name, self.metadata = "", ""
        self._inputs, self._definition, self._attrs = inputs, definition, attrs
        self._outputs, self._shapes = outputs, shapes

    @property
    def num_outputs(self) -> int:
        return len(self._outputs)

    def get_output(self, index: int) -> ITensor:
        return self._outputs[index]

    @property
    def plugin(self) -> Any:
        return self._definition


class INetworkDefinition:
    def __init__(self) -> None:
        self._inputs: list[ITensor] = []
        self._layers: list[IPluginV3Layer] = []
        self._outputs: list[ITensor] = []

    def add_input(self, name: str, dtype: Any, shape: tuple[int, ...]) -> ITensor:
        tensor = ITensor(name, shape, dtype)
        self._inputs.append(tensor)
        return tensor

    def mark_output(self, tensor: ITensor) -> None:
        self._outputs.append(tensor)

    def add_plugin(self, *args: Any) -> IPluginV3Layer:
        """(tuple) or (func) or (func, aot): TensorRT 11's overloads."""
        made = args[0]() if callable(args[0]) else args[0]
        inputs, _, (definition, attrs) = made
        dummies = [TensorDesc([ShapeExpr() for _ in t.shape], t.dtype) for t in inputs]
        dtypes = [d.dtype for d in _outputs(definition.register_func(*dummies, **attrs))]
        ShapeExpr._building = True
        try:
            descs = [TensorDesc([_input_dim(i, j, d) for j, d in enumerate(t.shape)], t.dtype)
                     for i, t in enumerate(inputs)]
            shapes = [list(d.shape_expr) for d in
                      _outputs(definition.register_func(*descs, **attrs))]
        finally:
            ShapeExpr._building = False
        in_shapes = [t.shape for t in inputs]
        outputs = [ITensor(f"plugin_out_{len(self._layers)}_{k}",
                           tuple(e._dims.fn(in_shapes) for e in shape), dtype)
                   for k, (shape, dtype) in enumerate(zip(shapes, dtypes))]
        layer = IPluginV3Layer(inputs, definition, attrs, outputs, shapes)
        self._layers.append(layer)
        return layer


def _outputs(described: Any) -> list[TensorDesc]:
    return list(described) if isinstance(described, tuple) else [described]


def _input_dim(i: int, j: int, size: int) -> ShapeExpr:
    if size >= 0:
        return ShapeExpr(size)
    return ShapeExpr(_Dims(lambda shapes: shapes[i][j], None))


def run(network: INetworkDefinition, inputs: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Execute the network's plugin layers on host tensors, as an engine enqueues them."""
    values: dict[int, torch.Tensor] = {id(t): inputs[t.name] for t in network._inputs}
    for layer in network._layers:
        ins = [values[id(t)] for t in layer._inputs]
        shapes = [tuple(x.shape) for x in ins]
        outs = [torch.empty(tuple(e._dims.fn(shapes) for e in shape), dtype=_torch(o.dtype))
                for shape, o in zip(layer._shapes, layer._outputs)]
        definition = layer._definition
        serialized = [layer._attrs[n] for n in definition.impl_attr_names]
        definition.impl_func(*[_tensor(x, t.dtype) for x, t in zip(ins, layer._inputs)],
                             *serialized,
                             tuple(_tensor(x, o.dtype) for x, o in zip(outs, layer._outputs)),
                             stream=0)
        values.update({id(o): x for o, x in zip(layer._outputs, outs)})
    return [values[id(t)] for t in network._outputs]


def _torch(dtype: Any) -> torch.dtype:
    from trtconv.reference import trt as ref

    return ref.torch_dtype(ref.DataType[dtype.name])


def _tensor(x: torch.Tensor, dtype: Any) -> Tensor:
    t = Tensor()
    t._data_ptr, t._shape, t._dtype, t._strides = x.data_ptr(), tuple(x.shape), dtype, x.stride()
    return t


def install(name: str = "recorded_tensorrt_11") -> Iterator[tuple[types.ModuleType,
                                                                 types.ModuleType]]:
    """Put the stand-ins in sys.modules as `<name>` and `<name>.plugin` (a generator for a
    fixture: yields (trt, trtp), removes them after)."""
    trt = types.ModuleType(name)
    for attr in ("DataType", "ITensor", "INetworkDefinition", "IPluginV3Layer"):
        setattr(trt, attr, globals()[attr])
    trtp = types.ModuleType(f"{name}.plugin")
    for attr in ("register", "impl", "op", "TensorDesc", "ShapeExpr", "Tensor",
                 "from_shape_expr", "cdiv", "max", "min", "PluginDef"):
        setattr(trtp, attr, globals()[attr])
    trt.plugin = trtp  # type: ignore[attr-defined]
    sys.modules[name], sys.modules[f"{name}.plugin"] = trt, trtp
    op.__dict__.clear()  # a fresh process's plugin registry
    try:
        yield trt, trtp
    finally:
        op.__dict__.clear()
        sys.modules.pop(name, None)
        sys.modules.pop(f"{name}.plugin", None)
        for key in [k for k in _registered_keys() if k[0] == name]:
            _registered_pop(key)


def _registered_keys() -> list[tuple[str, str]]:
    from trtconv.backends import tensorrt_plugins

    return list(tensorrt_plugins._REGISTERED)


def _registered_pop(key: tuple[str, str]) -> None:
    from trtconv.backends import tensorrt_plugins

    tensorrt_plugins._REGISTERED.pop(key, None)
