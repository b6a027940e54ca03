"""The converter registry: which function converts which torch callable.

Targets are checked when they are registered (see `trtconv.targets`): a name that does not
exist, something that is not callable, or an attribute that cannot be patched raises
`InvalidTargetError` naming it, and the registry stays as it was. The built-in converters are
loaded before the first registration is checked, so a user converter meets them at once
(a second converter for a target needs a higher `priority`). For converters that should only
exist for a while, `override` and `scope` restore the registry on exit:

>>> import torch, trtconv
>>> from trtconv import registry, trt
>>> def leaky_as_relu(ctx, input, negative_slope=0.01, inplace=False):
...     return ctx.network.add_activation(ctx.trt(input), trt.ActivationType.RELU).get_output(0)
>>> with registry.override("torch.nn.functional.leaky_relu", leaky_as_relu):
...     registry.converters()["torch.nn.functional.leaky_relu"].function is leaky_as_relu
True
>>> registry.converters()["torch.nn.functional.leaky_relu"].function is leaky_as_relu
False
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch._ops import OpOverload, OpOverloadPacket

from .targets import (
    InvalidTargetError,
    Target,
    call_name,
    locate,
    qualified_name,
    resolve,
    resolve_namespace,
    resolve_overload,
)

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
    cases the converter does not handle; those calls are reported as unsupported. `location`
    is where the target lives (filled in by `register`).
    """

    target: str
    function: Converter
    validator: Validator | None = None
    priority: int = BUILTIN_PRIORITY
    enabled: bool = True
    location: Target | None = field(default=None, compare=False, repr=False)

    @property
    def op_name(self) -> str:
        """Short name used in layer names: `conv2d`, `add`, `Conv2d.forward` -> `conv2d`,
        `mylib.foo.default` -> `foo`, `m.FooOp.apply` -> `fooop`."""
        if self.location is not None:
            name = self.location.short_name
        else:
            parts = self.target.split(".")
            name = parts[-2] if parts[-1] == "forward" else parts[-1]
        return name.strip("_").lower() or "op"

    def accepts(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        return self.validator is None or bool(self.validator(*args, **kwargs))


_REGISTRY: dict[str, ConverterSpec] = {}
_LOCK = threading.RLock()


def register(spec: ConverterSpec) -> ConverterSpec:
    """Add a converter; a second one for a target needs a higher priority to replace it.

    The target is checked first (InvalidTargetError naming it); nothing changes on error.
    """
    _load_builtin()
    located = _located(spec)
    with _LOCK:
        existing = _REGISTRY.get(located.target)
        if existing is not None and located.priority <= existing.priority:
            raise DuplicateConverterError(
                f"{located.target} already has a converter ({_describe(existing.function)}, "
                f"priority {existing.priority}); pass priority > {existing.priority} to "
                f"override it")
        _REGISTRY[located.target] = located
    return located


def _located(spec: ConverterSpec) -> ConverterSpec:
    """The spec under its target's canonical name, with where the target lives."""
    if spec.location is not None:
        return spec
    if not callable(spec.function):
        raise TypeError(f"the converter for {spec.target!r} must be a function, got "
                        f"{type(spec.function).__name__}")
    where = locate(spec.target)
    return replace(spec, target=where.name, location=where)


def unregister(target: Any) -> None:
    """Remove the converter of `target` (any spelling of it); nothing if it has none."""
    with _LOCK:
        _REGISTRY.pop(_key(target), None)
        _OPTIONAL.pop(_key(target), None)


def _key(target: Any) -> str:
    try:
        return locate(target).name
    except InvalidTargetError:
        return qualified_name(target)


def tensorrt_converter(target: Any, *, enabled: bool = True, validator: Validator | None = None,
                       priority: int = BUILTIN_PRIORITY) -> Callable[[Converter], Converter]:
    """Register the decorated function as the converter of `target`.

    `target` is a dotted name (`"torch.nn.functional.relu"`, `"torch.Tensor.__add__"`,
    `"torch.nn.Conv2d.forward"`), the callable itself, a `torch.autograd.Function` subclass
    (models call `Fn.apply`; the converter gets apply's arguments), a torch op
    (`torch.ops.mylib.foo`, `"mylib::foo"`, `"aten::mul.Tensor"`), or `(owner, "attribute")`.
    The converter is called like the torch function, with the conversion context first, and
    returns the ITensor(s) of the result. Use `priority=trtconv.registry.USER_PRIORITY` to
    replace a built-in converter. The target is checked here, before any function is given.

    >>> from trtconv import registry, tensorrt_converter, trt
    >>> with registry.scope():
    ...     @tensorrt_converter("torch.nn.functional.relu", priority=USER_PRIORITY)
    ...     def my_relu(ctx, input, inplace=False):
    ...         layer = ctx.network.add_activation(ctx.trt(input), trt.ActivationType.RELU)
    ...         return layer.get_output(0)
    """
    where = locate(target)

    def decorate(fn: Converter) -> Converter:
        register(ConverterSpec(where.name, fn, validator, priority, enabled, location=where))
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


# --- temporary converters -------------------------------------------------------------------

@contextmanager
def scope() -> Iterator[None]:
    """Inside the block, register as usual; on exit the registry is exactly as before
    (registrations other threads make meanwhile are undone too).

    >>> from trtconv import registry, tensorrt_converter
    >>> with registry.scope():
    ...     registry.unregister("torch.relu")
    ...     "torch.relu" in registry.converters()
    False
    >>> "torch.relu" in registry.converters()
    True
    """
    _load_builtin()
    with _LOCK:
        saved = dict(_REGISTRY)
    try:
        yield
    finally:
        with _LOCK:
            _REGISTRY.clear()
            _REGISTRY.update(saved)


@contextmanager
def override(target: Any, converter: Converter, *, validator: Validator | None = None
             ) -> Iterator[ConverterSpec]:
    """Use `converter` for `target` inside the block, whatever converter it had; the registry
    is restored on exit (see the module's example)."""
    where = locate(target)
    with scope():
        existing = converters().get(where.name)
        priority = USER_PRIORITY if existing is None else max(existing.priority + 1,
                                                              USER_PRIORITY)
        yield register(ConverterSpec(where.name, converter, validator, priority,
                                     location=where))


# --- lookup ---------------------------------------------------------------------------------

# Converters of optional packages (torchvision), registered once the application imports the
# package: target -> (package, converter, registration options).
_OPTIONAL: dict[str, tuple[str, Converter, dict[str, Any]]] = {}


def register_when_imported(package: str, table: Mapping[str, Converter],
                           **options: Any) -> list[str]:
    """Register `table` (`target -> converter`, targets inside `package`) as soon as the
    application has imported `package`; trtconv itself never imports it. A model that calls
    the package has imported it before it is converted."""
    for target, fn in table.items():
        _OPTIONAL[target] = (package, fn, options)
    _register_imported()
    return list(table)


def optional_targets() -> dict[str, tuple[str, Converter]]:
    """Every target of `register_when_imported`, registered yet or not: (package, converter)."""
    _load_builtin()
    return {target: (package, fn) for target, (package, fn, _) in _OPTIONAL.items()}


def _register_imported() -> None:
    for target, (package, fn, options) in _OPTIONAL.items():
        if package in sys.modules and target not in _REGISTRY:
            tensorrt_converter(target, **options)(fn)


def converters() -> dict[str, ConverterSpec]:
    """Every registered converter by target (built-ins are loaded first, and converters of
    optional packages the application has imported)."""
    _load_builtin()
    with _LOCK:
        _register_imported()
        return dict(_REGISTRY)


def active_converters() -> dict[str, ConverterSpec]:
    return {k: v for k, v in converters().items() if v.enabled}


def supported_ops() -> list[str]:
    """Sorted targets that convert: those with an enabled converter, and the aliases."""
    return sorted({*active_converters(), *aliases()})


_ALIASES: dict[str, str] = {}


def register_alias(target: str, via: str) -> None:
    """Record that calls of `target` convert through the converter of `via`: `target` is torch
    code that calls `via` (`x + y` is `torch.Tensor.add`, `F.upsample` calls `interpolate`), so
    the trace sees `via`, never `target`. Aliases are listed as supported; they need no
    converter of their own.

    >>> "torch.Tensor.__add__" in aliases()
    True
    """
    canonical = locate(target).name
    with _LOCK:
        _ALIASES[canonical] = via


def register_aliases(table: Mapping[str, str]) -> None:
    """`register_alias` for each `target -> via` of `table`."""
    for target, via in table.items():
        register_alias(target, via)


def aliases() -> dict[str, str]:
    """Alias target -> the target whose converter its calls reach."""
    _load_builtin()
    with _LOCK:
        return dict(_ALIASES)


def op_converter(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 ops: Mapping[str, ConverterSpec]) -> ConverterSpec | None:
    """The converter of a torch op call: the overload's own, else its packet's.

    `ops` maps op targets (`aten.mul.Tensor`, `mylib.foo`) to converters. A packet call
    (`torch.ops.mylib.foo(x)`) finds the overload it dispatches to.
    """
    if isinstance(func, OpOverload):
        return ops.get(str(func)) or ops.get(str(func.overloadpacket))
    if isinstance(func, OpOverloadPacket):
        overload = resolve_overload(func, args, kwargs)
        spec = ops.get(f"{func}.{overload}") if overload else None
        return spec or ops.get(str(func))
    return None


def _describe(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"


_loaded = False
_loading = False


def _load_builtin() -> None:
    """Import the built-in converters once (threads wait until the registry is complete).

    If importing them fails, the registry and the converter modules are put back as they
    were, and the error propagates: a retry starts from the same state.
    """
    global _loaded, _loading
    if _loaded:
        return
    with _LOCK:
        if _loaded or _loading:
            return  # done meanwhile, or the converters registering themselves
        saved = dict(_REGISTRY)
        modules = set(sys.modules)
        _loading = True
        try:
            importlib.import_module("trtconv.converters").load_all()
        except BaseException:
            _REGISTRY.clear()
            _REGISTRY.update(saved)
            for name in set(sys.modules) - modules:
                if name.startswith("trtconv.converters"):
                    del sys.modules[name]
            raise
        finally:
            _loading = False
        _loaded = True


__all__ = ["ConverterSpec", "DuplicateConverterError", "InvalidTargetError", "Target",
           "register", "unregister", "tensorrt_converter", "register_table",
           "register_spellings", "spellings", "scope", "override", "converters",
           "active_converters", "supported_ops", "op_converter", "qualified_name", "resolve",
           "resolve_namespace", "call_name", "USER_PRIORITY", "BUILTIN_PRIORITY"]
