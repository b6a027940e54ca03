"""The converter registry: which function converts which torch callable.

>>> import trtconv
>>> from trtconv import trt
>>> @trtconv.tensorrt_converter("torch.nn.functional.hardshrink")
... def convert_hardshrink(ctx, input, lambd=0.5):
...     ...
>>> "torch.nn.functional.hardshrink" in trtconv.supported_ops()
True
>>> trtconv.registry.unregister("torch.nn.functional.hardshrink")
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

Converter = Callable[..., Any]
Validator = Callable[..., bool]

BUILTIN_PRIORITY = 0
USER_PRIORITY = 10  # what a user converter passes to override a built-in one


class DuplicateConverterError(ValueError):
    """A second converter for a target without a higher priority."""


@dataclass(frozen=True)
class ConverterSpec:
    """One registered converter.

    `validator(*args, **kwargs)` (the torch call's arguments) may return False for argument
    cases the converter does not handle; those calls are reported as unsupported.
    """

    target: str
    function: Converter
    validator: Validator | None = None
    priority: int = BUILTIN_PRIORITY
    enabled: bool = True

    @property
    def op_name(self) -> str:
        """Short name used in layer names: `conv2d`, `add`, `Conv2d.forward` -> `conv2d`."""
        parts = self.target.split(".")
        name = parts[-2] if parts[-1] == "forward" else parts[-1]
        return name.strip("_").lower() or "op"

    def accepts(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        return self.validator is None or bool(self.validator(*args, **kwargs))


_REGISTRY: dict[str, ConverterSpec] = {}


def resolve(target: str) -> tuple[Any, str]:
    """The object that owns a dotted target and the attribute name: ("torch.Tensor.add") ->
    (torch.Tensor, "add"). Raises ValueError naming the target if it does not exist."""
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:-1]:
                owner = getattr(owner, name)
            getattr(owner, parts[-1])
        except AttributeError:
            break
        return owner, parts[-1]
    raise ValueError(f"converter target {target!r} does not name an existing callable")


_NAMESPACE_NAMES = ("torch.nn.functional", "torch", "torch.Tensor", "torch.special",
                    "torch.linalg", "torch.fft")
_BY_IDENTITY: dict[int, str] = {}


def _names_by_identity() -> dict[int, str]:
    """id(callable) -> public dotted name, over torch's public namespaces (first wins)."""
    if not _BY_IDENTITY:
        for prefix in reversed(_NAMESPACE_NAMES):
            namespace = resolve_namespace(prefix)
            for attr, value in vars(namespace).items():
                if callable(value) and (not attr.startswith("_") or attr.startswith("__")):
                    _BY_IDENTITY[id(value)] = f"{prefix}.{attr}"
    return _BY_IDENTITY


def resolve_namespace(dotted: str) -> Any:
    owner: Any = importlib.import_module(dotted.split(".")[0])
    for part in dotted.split(".")[1:]:
        owner = getattr(owner, part)
    return owner


def qualified_name(fn: Any) -> str:
    """The dotted name of a torch callable, as users write it (`torch.Tensor.add`)."""
    if isinstance(fn, str):
        return fn
    known = _names_by_identity().get(id(fn))
    if known is not None:
        return known
    name = getattr(fn, "__name__", None)
    if name is None:
        raise TypeError(f"cannot name converter target {fn!r}")
    objclass = getattr(fn, "__objclass__", None)
    if objclass is not None and objclass.__name__ in ("TensorBase", "Tensor"):
        return f"torch.Tensor.{name}"
    qualname = getattr(fn, "__qualname__", name)
    if "." in qualname:  # a method such as nn.Conv2d.forward
        cls_name = qualname.split(".")[0]
        if getattr(torch.nn, cls_name, None) is not None:
            return f"torch.nn.{qualname}"
    return f"{getattr(fn, '__module__', None) or 'torch'}.{qualname}"


def register(spec: ConverterSpec) -> ConverterSpec:
    """Add a converter; a second one for a target needs a higher priority to replace it."""
    resolve(spec.target)
    if spec.priority > BUILTIN_PRIORITY:
        _load_builtin()  # an override registered before the built-ins must find them there
    existing = _REGISTRY.get(spec.target)
    if existing is not None and spec.priority <= existing.priority:
        raise DuplicateConverterError(
            f"{spec.target} already has a converter ({_describe(existing.function)}, priority "
            f"{existing.priority}); pass priority > {existing.priority} to override it")
    _REGISTRY[spec.target] = spec
    return spec


def unregister(target: Any) -> None:
    _REGISTRY.pop(qualified_name(target), None)


def tensorrt_converter(target: Any, *, enabled: bool = True, validator: Validator | None = None,
                       priority: int = BUILTIN_PRIORITY) -> Callable[[Converter], Converter]:
    """Register the decorated function as the converter of `target`.

    `target` is a dotted name (`"torch.nn.functional.relu"`, `"torch.Tensor.__add__"`,
    `"torch.nn.Conv2d.forward"`) or the callable itself. The converter is called like the
    torch function, with the conversion context first, and returns the ITensor(s) of the
    result. Use `priority=trtconv.registry.USER_PRIORITY` to replace a built-in converter.

    >>> from trtconv import tensorrt_converter, trt
    >>> @tensorrt_converter("torch.nn.functional.relu", priority=USER_PRIORITY)
    ... def my_relu(ctx, input, inplace=False):
    ...     return ctx.network.add_activation(ctx.trt(input), trt.ActivationType.RELU).get_output(0)
    """
    name = qualified_name(target)

    def decorate(fn: Converter) -> Converter:
        register(ConverterSpec(name, fn, validator, priority, enabled))
        return fn

    return decorate


def register_table(table: Mapping[str, Converter], **options: Any) -> list[str]:
    """Register each `target -> converter` of `table` (options as for `tensorrt_converter`)."""
    for target, fn in table.items():
        tensorrt_converter(target, **options)(fn)
    return list(table)


def register_spellings(table: Mapping[str, Converter], *,
                       namespaces: Sequence[str] = ("torch", "torch.Tensor"),
                       in_place: bool = True, operators: bool = False) -> list[str]:
    """Register each `name -> converter` under every spelling torch has for the name.

    A spelling is `<namespace>.<name>` for each of `namespaces`, its in-place form
    `<namespace>.<name>_` when `in_place`, and the operator `torch.Tensor.__<name>__` when
    `operators`. Spellings torch does not have are skipped. Returns the registered targets.
    """
    targets = {target: fn for name, fn in table.items()
               for target in spellings(name, namespaces, in_place, operators)}
    return register_table(targets)


def spellings(name: str, namespaces: Sequence[str] = ("torch", "torch.Tensor"),
              in_place: bool = True, operators: bool = False) -> list[str]:
    """The targets `register_spellings` registers for one name.

    >>> spellings("clamp")
    ['torch.clamp', 'torch.clamp_', 'torch.Tensor.clamp', 'torch.Tensor.clamp_']
    >>> spellings("add", namespaces=("torch.Tensor",), in_place=False, operators=True)
    ['torch.Tensor.add', 'torch.Tensor.__add__']
    """
    found = []
    for prefix in namespaces:
        owner = resolve_namespace(prefix)
        for spelling in (name, f"{name}_") if in_place else (name,):
            if hasattr(owner, spelling):
                found.append(f"{prefix}.{spelling}")
    if operators and hasattr(torch.Tensor, f"__{name}__"):
        found.append(f"torch.Tensor.__{name}__")
    return found


def converters() -> dict[str, ConverterSpec]:
    """Every registered converter by target (built-ins are loaded first)."""
    _load_builtin()
    return dict(_REGISTRY)


def active_converters() -> dict[str, ConverterSpec]:
    return {k: v for k, v in converters().items() if v.enabled}


def supported_ops() -> list[str]:
    """Sorted targets that have an enabled converter."""
    return sorted(active_converters())


def _describe(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"


_loaded = False
_load_lock = threading.Lock()


def _load_builtin() -> None:
    """Import the built-in converters once (threads wait until the registry is complete)."""
    global _loaded
    with _load_lock:
        if not _loaded:
            importlib.import_module("trtconv.converters").load_all()
            _loaded = True
