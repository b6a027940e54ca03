"""How a trace reaches the calls it converts, for the converting thread only.

- a dispatch table: torch callables, properties and ops by what the `TorchFunctionMode` sees;
- module forwards with converters: instance-level forwards on the model's own modules;
- targets outside torch (autograd Functions, static and class methods, the user's module
  classes): patched with wrappers that convert for the converting thread's trace and pass
  straight through for every other thread, installed by the first conversion that needs them
  and removed by the last;
- one conversion per model instance at a time; a conversion inside a conversion is refused.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from .errors import ConversionError
from .registry import ConverterSpec

if TYPE_CHECKING:
    from .tracing import Tracer

_PROPERTY_KINDS = frozenset({"getset_descriptor", "property", "member_descriptor"})

# The thread converting now, if any: a conversion started from inside one (a forward or a
# converter being traced) is refused at once instead of waiting on itself.
LOCAL = threading.local()


class NestedConversionError(ConversionError):
    """convert() was called while this thread is already converting."""


@dataclass
class Dispatch:
    """How each registered target is reached during a trace (see `tracing`)."""

    by_callable: dict[Any, ConverterSpec] = field(default_factory=dict)
    by_property: dict[str, ConverterSpec] = field(default_factory=dict)
    by_op: dict[str, ConverterSpec] = field(default_factory=dict)
    by_forward: dict[type, ConverterSpec] = field(default_factory=dict)
    # attributes outside torch (autograd Function.apply, static and class methods, forwards of
    # the user's or trtconv's module classes): no torch call reaches the mode for them, so
    # they are patched
    patched: list[ConverterSpec] = field(default_factory=list)


def dispatch_table(specs: dict[str, ConverterSpec]) -> Dispatch:
    table = Dispatch()
    for spec in specs.values():
        where = spec.location
        assert where is not None  # registry.register locates every target
        if where.kind == "property":
            table.by_property[where.attr] = spec  # the mode sees every property read
        elif where.kind == "op":
            table.by_op[where.name] = spec  # the mode sees every op call
        elif where.attr == "forward" and inspect.isclass(where.owner) and \
                issubclass(where.owner, torch.nn.Module) and _torch_owned(where.owner):
            table.by_forward[where.owner] = spec  # torch's module forwards: per instance
        else:
            _keep_first_or_higher(table.by_callable, where.current(), spec)
            if where.kind == "attribute" and not _torch_owned(where.owner):
                table.patched.append(spec)
    return table


def _keep_first_or_higher(table: dict[Any, ConverterSpec], callable_: Any,
                          spec: ConverterSpec) -> None:
    """Several targets can name one callable (`torch.conv2d` is `F.conv2d`): the converter
    with the higher priority handles its calls (a user override beats the built-in)."""
    current = table.get(callable_)
    if current is None or spec.priority > current.priority:
        table[callable_] = spec


def _torch_owned(owner: Any) -> bool:
    """Whether an attribute belongs to torch itself (its calls reach the mode; patching it
    would show the patch to every thread and to torch.jit)."""
    name = owner.__name__ if inspect.ismodule(owner) else getattr(owner, "__module__", "")
    return owner is torch.Tensor or name == "torch" or str(name).startswith("torch.")


def _forward_spec(module: torch.nn.Module, by_forward: dict[type, ConverterSpec]
                  ) -> ConverterSpec | None:
    """The converter of the forward a module runs: registered on its class or a base (a
    converter for `BatchNorm2d.forward` covers the forward BatchNorm2d inherits), up to the
    class that defines the forward it runs."""
    for cls in type(module).__mro__:
        spec = by_forward.get(cls)
        if spec is not None:
            return spec
        if "forward" in vars(cls):
            return None
    return None


def patch_forwards(tracer: Tracer, module: Any, by_forward: dict[type, ConverterSpec]
                    ) -> list[tuple[torch.nn.Module, Any]]:
    """Give each module of the model whose forward has a converter an instance-level forward
    that dispatches it: only this model's modules, and only on the converting thread, see it.
    Returns what to restore (the instance's own `forward` entry, or None)."""
    saved = []
    modules = module.modules() if isinstance(module, torch.nn.Module) else ()
    for m in modules:
        spec = _forward_spec(m, by_forward)
        if spec is None:
            continue
        saved.append((m, m.__dict__.get("forward")))
        m.__dict__["forward"] = _converting_forward(tracer, spec, m)
    return saved


def _converting_forward(tracer: Tracer, spec: ConverterSpec, module: torch.nn.Module
                        ) -> Any:
    original = type(module).forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        if not tracer.active_here():
            return original(module, *args, **kwargs)
        return tracer.dispatch(spec, original, (module, *args), kwargs)

    return forward



@contextmanager
def eager() -> Iterator[None]:
    """torch.compile'd functions the forward calls run eagerly while it is traced: compiling
    would trace the conversion itself. (torch's compile stance is process-wide: compiled
    functions of other threads run eagerly meanwhile too, with the same results.)"""
    if "torch._dynamo" not in sys.modules:  # nothing compiled anywhere yet
        yield
        return
    with torch.compiler.set_stance("force_eager"):
        yield


# Patches of user-owned targets, shared by concurrent conversions: installed by the first,
# removed by the last. Each wrapper converts for the thread's own trace only.
_PATCHES: dict[str, tuple[int, Callable[[], None]]] = {}
_PATCHES_LOCK = threading.Lock()


@contextmanager
def user_patches(specs: list[ConverterSpec]) -> Iterator[None]:
    with _PATCHES_LOCK:
        for spec in specs:
            count, restore = _PATCHES.get(spec.target, (0, _nothing))
            if count == 0:
                restore = spec.location.patch(lambda fn, t=spec.target: _converting_call(t, fn))
            _PATCHES[spec.target] = (count + 1, restore)
    try:
        yield
    finally:
        with _PATCHES_LOCK:
            for spec in specs:
                count, restore = _PATCHES.pop(spec.target)
                if count > 1:
                    _PATCHES[spec.target] = (count - 1, restore)
                else:
                    restore()


def _nothing() -> None:
    pass


def _converting_call(target: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """A patched user target: converted by this thread's trace, if it has one (looking the
    converter up there, so a scoped override made for that conversion is the one used)."""

    def converting(*args: Any, **kwargs: Any) -> Any:
        tracer = getattr(LOCAL, "tracer", None)
        spec = tracer.patched_specs.get(target) if tracer is not None else None
        if spec is None or not tracer.active_here():
            return original(*args, **kwargs)
        return tracer.dispatch(spec, original, args, kwargs)

    for attr in ("__name__", "__qualname__", "__doc__"):
        try:
            setattr(converting, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    converting.__wrapped__ = original  # type: ignore[attr-defined]
    return converting


# Conversions of different models run concurrently; one model instance converts at a time
# (its modules carry the instance-level forwards while it does).
_BUSY: set[int] = set()
_BUSY_CHANGED = threading.Condition()


@contextmanager
def converting(module: Any) -> Iterator[None]:
    """Hold `module` for one conversion: another thread converting it waits its turn."""
    key = id(module)
    with _BUSY_CHANGED:
        _BUSY_CHANGED.wait_for(lambda: key not in _BUSY)
        _BUSY.add(key)
    try:
        yield
    finally:
        with _BUSY_CHANGED:
            _BUSY.discard(key)
            _BUSY_CHANGED.notify_all()
