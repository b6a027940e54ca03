"""Plugin definitions: a descriptor and a PyTorch implementation under one op name.

`register("ns::name")` decorates the descriptor (`TensorDesc` inputs first, then attributes,
as `tensorrt.plugin.register`); `impl("ns::name")` decorates the PyTorch implementation,
which takes torch tensors and the same attributes and returns the output tensor(s).
`op.ns.name(*itensors, **attrs)` is what a converter hands to `network.add_plugin`, as with
`tensorrt.plugin.op`. A plan names its plugins by op name only; `lookup` finds a declared
plugin, or makes one from a torch.library op of that name (see `custom_ops`), and never
imports anything.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from ..errors import TrtconvError
from .exprs import TensorDesc, input_desc

InputInfo = tuple[Sequence[int], torch.dtype]  # an input's shape (-1 unknown) and dtype


class PluginError(TrtconvError):
    """A plugin declaration or use that cannot work (named, with the reason)."""


class PluginNotFoundError(PluginError, AttributeError):
    """No plugin of that name in this process (its module was not imported)."""

    def __init__(self, plugin_ids: Sequence[str], sources: dict[str, str] | None = None,
                 reason: str = ""):
        self.plugin_ids = list(plugin_ids)
        self.reason = reason
        super().__init__(missing_message(self.plugin_ids, sources or {}, reason))


class PluginDef:
    """One plugin op: `describe` gives output descriptors, `run` computes the outputs."""

    kind = "declared"

    def __init__(self, plugin_id: str, descriptor: Callable[..., Any], num_inputs: int,
                 attr_names: Sequence[str]):
        self.id = plugin_id
        self.descriptor = descriptor
        self.implementation: Callable[..., Any] | None = None
        self.num_inputs = num_inputs
        self.attr_names = tuple(attr_names)
        self.source = getattr(descriptor, "__module__", None) or "?"

    def describe(self, inputs: Sequence[InputInfo], attrs: dict[str, Any]) -> list[TensorDesc]:
        """The outputs' descriptors for inputs of these shapes (-1: dynamic) and dtypes."""
        self.check_inputs(len(inputs), attrs)
        descs = [input_desc(i, shape, dtype) for i, (shape, dtype) in enumerate(inputs)]
        outputs = self.descriptor(*descs, **attrs)
        outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        if not outputs or not all(isinstance(o, TensorDesc) for o in outputs):
            raise PluginError(f"the descriptor of plugin {self.id} must return TensorDesc(s), "
                              f"got {outputs!r}")
        return outputs

    def run(self, tensors: Sequence[torch.Tensor], attrs: dict[str, Any]) -> list[torch.Tensor]:
        """The PyTorch implementation on `tensors`; a list of output tensors."""
        if self.implementation is None:
            raise PluginError(f"plugin {self.id} has no implementation: decorate one with "
                              f"@trtconv.plugins.impl({self.id!r})")
        with torch.no_grad():
            result = self.implementation(*tensors, **attrs)
        return list(result) if isinstance(result, (tuple, list)) else [result]

    def check_inputs(self, count: int, attrs: dict[str, Any]) -> None:
        if count != self.num_inputs:
            raise PluginError(f"plugin {self.id} takes {self.num_inputs} tensor input(s), "
                              f"got {count}")
        unknown = sorted(set(attrs) - set(self.attr_names))
        missing = sorted(set(self.attr_names) - set(attrs))
        if unknown or missing:
            raise PluginError(f"plugin {self.id} takes attributes ({', '.join(self.attr_names)})"
                              + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                              + (f"; missing: {', '.join(missing)}" if missing else ""))

    def __call__(self, *inputs: Any, **attrs: Any) -> PluginCall:
        """What `network.add_plugin` takes, as `tensorrt.plugin.op.ns.name(...)` returns."""
        self.check_inputs(len(inputs), attrs)
        return PluginCall(list(inputs), PluginInstance(self, attrs))

    def __repr__(self) -> str:
        return f"<plugin {self.id} ({self.kind}, from {self.source})>"


class PluginInstance:
    """One use of a plugin: its definition and attribute values (`IPluginV3Layer.plugin`)."""

    def __init__(self, definition: PluginDef, attrs: dict[str, Any]):
        self.definition = definition
        self.attrs = dict(attrs)
        try:
            self.attrs_json = json.dumps(self.attrs, sort_keys=True)
        except (TypeError, ValueError) as e:
            raise PluginError(f"plugin {definition.id}: attributes must be numbers, strings, "
                              f"bools, None or lists of them ({e})") from None

    @property
    def plugin_id(self) -> str:
        return self.definition.id

    def describe(self, inputs: Sequence[InputInfo]) -> list[TensorDesc]:
        return self.definition.describe(inputs, self.attrs)

    def run(self, tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return self.definition.run(tensors, self.attrs)


class PluginCall:
    """`add_plugin`'s argument: calling it gives (inputs, shape inputs, plugin), like the
    function `tensorrt.plugin.op.ns.name(...)` returns in TensorRT 11."""

    def __init__(self, inputs: list[Any], plugin: PluginInstance):
        self.inputs = inputs
        self.plugin = plugin

    def __call__(self) -> tuple[list[Any], list[Any], PluginInstance]:
        return self.inputs, [], self.plugin


_PLUGINS: dict[str, PluginDef] = {}
_LOCK = threading.RLock()


def split_id(plugin_id: str) -> tuple[str, str]:
    """("ns", "name") of "ns::name" (name may carry an overload: "foo.out")."""
    ns, sep, name = plugin_id.partition("::")
    if not sep or not ns.isidentifier() or not name or "::" in name \
            or not all(p.isidentifier() for p in name.split(".")):
        raise PluginError(f"a plugin name is 'namespace::name' made of identifiers, got "
                          f"{plugin_id!r}")
    return ns, name


def register(plugin_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare plugin `plugin_id` ("namespace::name") with the decorated descriptor.

    The descriptor's parameters annotated `TensorDesc` are the tensor inputs (first); the
    others are attributes (numbers, strings, bools, lists). It returns the output
    `TensorDesc`(s), whose shapes are expressions of the inputs' (see `trtconv.plugins`).
    """
    split_id(plugin_id)

    def decorate(descriptor: Callable[..., Any]) -> Callable[..., Any]:
        num_inputs, attrs = _parameters(plugin_id, descriptor)
        with _LOCK:
            existing = _PLUGINS.get(plugin_id)
            if existing is not None and existing.descriptor is not descriptor:
                raise PluginError(f"plugin {plugin_id} is already declared (in "
                                  f"{existing.source}); unregister it first")
            _PLUGINS[plugin_id] = PluginDef(plugin_id, descriptor, num_inputs, attrs)
        return descriptor

    return decorate


def impl(plugin_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give declared plugin `plugin_id` its PyTorch implementation (decorator).

    It takes the inputs as torch tensors and the attributes by name, and returns the output
    tensor(s) with the shapes and dtypes the descriptor gives.
    """

    def decorate(implementation: Callable[..., Any]) -> Callable[..., Any]:
        with _LOCK:
            definition = _PLUGINS.get(plugin_id)
        if definition is None:
            raise PluginError(f"plugin {plugin_id} is not declared: decorate its descriptor "
                              f"with @trtconv.plugins.register({plugin_id!r}) first")
        _check_impl_signature(definition, implementation)
        definition.implementation = implementation
        return implementation

    return decorate


def unregister(plugin_id: str) -> None:
    """Forget a declared plugin (nothing if there is none)."""
    with _LOCK:
        _PLUGINS.pop(plugin_id, None)


def declared() -> dict[str, PluginDef]:
    with _LOCK:
        return dict(_PLUGINS)


def lookup(plugin_id: str, source: str | None = None) -> PluginDef:
    """The plugin named `plugin_id`: declared here, or made from the torch.library op of
    that name. PluginNotFoundError says what to import (`source`, recorded at conversion)."""
    with _LOCK:
        found = _PLUGINS.get(plugin_id)
    if found is not None:
        return found
    from .custom_ops import plugin_for_op_name

    made = plugin_for_op_name(plugin_id)
    if isinstance(made, PluginDef):
        return made
    raise PluginNotFoundError([plugin_id], {plugin_id: source or ""}, made)


def require(plugin_ids: Iterable[str], sources: dict[str, str] | None = None) -> None:
    """Check that every plugin a saved engine needs is registered in this process."""
    missing, reasons = [], []
    for plugin_id in plugin_ids:
        try:
            lookup(plugin_id)
        except PluginNotFoundError as e:
            missing.append(plugin_id)
            reasons.append(e.reason)
    if missing:
        raise PluginNotFoundError(missing, sources, "; ".join(r for r in reasons if r))


def missing_message(plugin_ids: Sequence[str], sources: dict[str, str], reason: str = ""
                    ) -> str:
    wants = []
    for plugin_id in plugin_ids:
        module = sources.get(plugin_id, "")
        if module and module != "__main__":
            wants.append(f"{plugin_id} (import {module})")
        elif module == "__main__":
            wants.append(f"{plugin_id} (declared in the converting script's __main__: import "
                         f"or run the code that declares it)")
        else:
            wants.append(plugin_id)
    text = (f"this engine needs plugin op(s) not registered in this process: "
            f"{', '.join(wants)}. Import the module that defines each (its trtconv.plugins "
            f"declaration or its torch.library op) before loading; trtconv never imports "
            f"code when loading an engine.")
    return text + (f" ({reason})" if reason else "")


def _parameters(plugin_id: str, descriptor: Callable[..., Any]) -> tuple[int, list[str]]:
    """(number of TensorDesc inputs, attribute names) of a descriptor."""
    params = list(inspect.signature(descriptor).parameters.values())
    num_inputs, attrs = 0, []
    for param in params:
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise PluginError(f"plugin {plugin_id}: descriptor parameter {param.name!r} must "
                              f"be a plain parameter (no *args or **kwargs)")
        if _is_tensor_desc(param.annotation):
            if attrs:
                raise PluginError(f"plugin {plugin_id}: TensorDesc inputs come before "
                                  f"attributes (see {param.name!r})")
            num_inputs += 1
        else:
            attrs.append(param.name)
    if num_inputs == 0:
        raise PluginError(f"plugin {plugin_id}: annotate the descriptor's tensor inputs with "
                          f"trtconv.plugins.TensorDesc (none found)")
    return num_inputs, attrs


def _is_tensor_desc(annotation: Any) -> bool:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return annotation.rsplit(".", 1)[-1] == "TensorDesc"
    return isinstance(annotation, type) and issubclass(annotation, TensorDesc)


def _check_impl_signature(definition: PluginDef, implementation: Callable[..., Any]) -> None:
    params = list(inspect.signature(implementation).parameters.values())
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return
    names = [p.name for p in params if p.kind != p.VAR_POSITIONAL]
    attrs = names[definition.num_inputs:] if len(params) == len(names) else []
    if sorted(attrs) != sorted(definition.attr_names):
        raise PluginError(f"plugin {definition.id}: the implementation takes "
                          f"{definition.num_inputs} tensor(s) and then the attributes "
                          f"({', '.join(definition.attr_names)}); its parameters are "
                          f"({', '.join(p.name for p in params)})")


class _Namespace:
    def __init__(self, namespace: str):
        self._namespace = namespace

    def __getattr__(self, name: str) -> PluginDef:
        if name.startswith("__"):
            raise AttributeError(name)
        return lookup(f"{self._namespace}::{name}")


class _Ops:
    """`op.ns.name(*itensors, **attrs)`: a plugin use for `network.add_plugin`."""

    def __getattr__(self, namespace: str) -> _Namespace:
        if namespace.startswith("__"):
            raise AttributeError(namespace)
        return _Namespace(namespace)


op = _Ops()
