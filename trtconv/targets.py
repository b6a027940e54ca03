"""Converter targets: what a registered name or object is, and how a trace intercepts it.

A target is named once, canonically, whatever spelling the user registered it under:

| kind        | registered as                                          | canonical name            |
|-------------|--------------------------------------------------------|---------------------------|
| attribute   | `"torch.nn.functional.relu"`, `torch.relu`, a function | `torch.relu`              |
| attribute   | an autograd Function class, `Fn.apply`                 | `<module>.Fn.apply`       |
| attribute   | a staticmethod/classmethod, `(Cls, "name")`            | `<module>.Cls.name`       |
| property    | `"torch.Tensor.T"` (a property of tensors)             | `torch.Tensor.T`          |
| op          | `torch.ops.mylib.foo`, `"mylib::foo"`, a custom_op     | `mylib.foo`               |
| op          | `torch.ops.aten.mul.Tensor`, `"aten::mul.Tensor"`      | `aten.mul.Tensor`         |

Attributes are patched on their owner for the trace (staticmethods stay static, classmethods
stay class-bound, so calls through instances work); properties, C slots and ops are seen by
the trace's TorchFunctionMode instead. `locate` checks a target at once: it must exist, be
callable (or a property), and its owner must accept the patch.

>>> locate("aten::mul.Tensor").name
'aten.mul.Tensor'
>>> locate("torch.float32")
Traceback (most recent call last):
...
trtconv.targets.InvalidTargetError: converter target 'torch.float32' is a torch.dtype, not a callable
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch._ops import OpOverload, OpOverloadPacket


class InvalidTargetError(ValueError):
    """A converter target that does not exist, is not callable, or cannot be patched."""


_PROPERTY_KINDS = frozenset({"getset_descriptor", "property", "member_descriptor"})
# A Python function in a C slot changes how CPython treats every tensor (as a sequence, say):
# slots are left alone and the trace's mode sees their calls.
_SLOT_KINDS = frozenset({"wrapper_descriptor", "method-wrapper"})


@dataclass(frozen=True)
class Target:
    """Where a converter target lives: `kind` is "attribute", "property", "slot" or "op"."""

    name: str
    kind: str
    owner: Any = None
    attr: str = ""
    op: Any = None

    @property
    def short_name(self) -> str:
        """The op's own name (`foo` for `mylib.foo.default`, `FooOp` for `m.FooOp.apply`)."""
        if self.kind == "op":
            return self.op._qualified_op_name.split("::")[-1] if isinstance(
                self.op, OpOverloadPacket) else self.op._opname
        parts = self.name.split(".")
        return parts[-2] if parts[-1] in ("forward", "apply") and len(parts) > 1 else parts[-1]

    def current(self) -> Any:
        """What the owner's attribute gives now (the callable a call reaches)."""
        return self.op if self.kind == "op" else getattr(self.owner, self.attr)

    def patch(self, make_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]
              ) -> Callable[[], None]:
        """Replace the attribute by `make_wrapper(original callable)` (keeping static and
        class methods what they are); return the function that restores it."""
        owner, attr = self.owner, self.attr
        in_dict = attr in vars(owner)
        raw = vars(owner)[attr] if in_dict else inspect.getattr_static(owner, attr)
        setattr(owner, attr, _replacement(raw, getattr(owner, attr), make_wrapper))

        def restore() -> None:
            if in_dict:
                setattr(owner, attr, raw)
            else:
                delattr(owner, attr)

        return restore


def _replacement(raw: Any, bound: Any, make_wrapper: Callable[[Any], Any]) -> Any:
    if isinstance(raw, staticmethod):
        return staticmethod(make_wrapper(raw.__func__))
    if isinstance(raw, classmethod):
        method = raw.__func__

        def call(cls: type, *args: Any, **kwargs: Any) -> Any:
            return make_wrapper(method.__get__(cls, type(cls)))(*args, **kwargs)

        return classmethod(call)
    return make_wrapper(bound)


# --- naming ----------------------------------------------------------------------------------

def resolve(target: str) -> tuple[Any, str]:
    """The object that owns a dotted target and the attribute name: ("torch.Tensor.add") ->
    (torch.Tensor, "add"). Raises InvalidTargetError naming the target if it does not exist."""
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
    raise InvalidTargetError(f"converter target {target!r} does not name an existing callable")


def resolve_namespace(dotted: str) -> Any:
    owner: Any = importlib.import_module(dotted.split(".")[0])
    for part in dotted.split(".")[1:]:
        owner = getattr(owner, part)
    return owner


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


def qualified_name(fn: Any) -> str:
    """The dotted name of a callable, as users write it (`torch.Tensor.add`, `aten.mul.Tensor`,
    `mymodule.FooOp.apply`)."""
    if isinstance(fn, str):
        return fn
    if isinstance(fn, (OpOverload, OpOverloadPacket)):
        return str(fn)
    known = _names_by_identity().get(id(fn))
    if known is not None:
        return known
    if _is_autograd_function(fn):
        return f"{_class_name(fn)}.apply"
    owner = getattr(fn, "__self__", None)
    if inspect.isclass(owner):  # a classmethod reached through its class (Fn.apply)
        return f"{_class_name(owner)}.{fn.__name__}"
    name = getattr(fn, "__name__", None)
    if name is None:
        raise InvalidTargetError(f"cannot name converter target {fn!r}")
    objclass = getattr(fn, "__objclass__", None)
    if objclass is not None and objclass.__name__ in ("TensorBase", "Tensor"):
        return f"torch.Tensor.{name}"
    qualname = getattr(fn, "__qualname__", name)
    if "." in qualname:  # a method such as nn.Conv2d.forward
        cls_name = qualname.split(".")[0]
        if getattr(torch.nn, cls_name, None) is not None:
            return f"torch.nn.{qualname}"
    return f"{getattr(fn, '__module__', None) or 'torch'}.{qualname}"


def call_name(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The name a report gives a call: an op packet's call names the overload it resolves to
    (`aten.mul.Tensor`), which is also what a converter can be registered under."""
    if isinstance(func, OpOverloadPacket):
        overload = resolve_overload(func, args, kwargs)
        return f"{func}.{overload}" if overload else str(func)
    return qualified_name(func)


def resolve_overload(packet: OpOverloadPacket, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> str | None:
    """The overload name a call of `packet` with these arguments dispatches to, if any."""
    try:
        return torch._C._jit_resolve_packet(packet._qualified_op_name, *args, **kwargs)
    except Exception:  # noqa: BLE001  (no overload matches: the call itself will say why)
        return None


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_autograd_function(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, torch.autograd.Function)


# --- locating --------------------------------------------------------------------------------

def locate(target: Any) -> Target:
    """Check a converter target and say where it lives (InvalidTargetError naming it if it
    does not exist, is not callable, or its owner refuses the patch)."""
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[1], str):
        owner, attr = target
        return _attribute(f"{_owner_name(owner)}.{attr}", owner, attr)
    if isinstance(target, str):
        return _locate_name(target)
    op = _op_of(target)
    if op is not None:
        return Target(str(op), "op", op=op)
    if _is_autograd_function(target):
        return _attribute(f"{_class_name(target)}.apply", target, "apply")
    if not callable(target):
        raise InvalidTargetError(f"converter target {target!r} is a {_type_name(target)}, "
                                 f"not a callable")
    name = qualified_name(target)
    owner = getattr(target, "__self__", None)
    if inspect.isclass(owner):
        return _attribute(name, owner, target.__name__)
    try:
        owner, attr = resolve(name)
        if not _same(getattr(owner, attr), target):
            raise InvalidTargetError(name)  # another object under that name
    except InvalidTargetError:
        owner, attr = _owner_by_qualname(target, name)
    return _attribute(name, owner, attr)


def _same(found: Any, target: Any) -> bool:
    return found is target or found == target or \
        getattr(found, "__func__", found) is getattr(target, "__func__", target)


def _locate_name(name: str) -> Target:
    if "::" in name or name.startswith("torch.ops."):
        return _op_target(name)
    try:
        owner, attr = resolve(name)
    except InvalidTargetError:
        if name.count(".") in (1, 2):  # aten.mul.Tensor, mylib.foo
            try:
                return _op_target(name)
            except InvalidTargetError:
                pass
        raise
    value = getattr(owner, attr)
    if _is_autograd_function(value):
        return _attribute(f"{name}.apply", value, "apply")
    if isinstance(value, (OpOverload, OpOverloadPacket)):
        return Target(str(value), "op", op=value)
    return _attribute(name, owner, attr)


def _op_target(name: str) -> Target:
    """An op from `ns::op[.overload]`, `torch.ops.ns.op[.overload]` or `ns.op[.overload]`."""
    spelled = name.removeprefix("torch.ops.").replace("::", ".")
    parts = spelled.split(".")
    if len(parts) not in (2, 3):
        raise InvalidTargetError(f"converter target {name!r} is not an op name (write "
                                 f"'namespace::op' or 'namespace::op.overload')")
    try:
        op: Any = getattr(getattr(torch.ops, parts[0]), parts[1])
        if len(parts) == 3:
            op = getattr(op, parts[2])
    except (AttributeError, RuntimeError):
        raise InvalidTargetError(
            f"converter target {name!r}: there is no torch op {'::'.join(parts[:2])}"
            + (f" with overload {parts[2]!r}" if len(parts) == 3 else "")
            + " (import the library that defines it first)") from None
    return Target(str(op), "op", op=op)


def _op_of(obj: Any) -> Any:
    """The op behind an op object or a `torch.library.custom_op` function, else None."""
    if isinstance(obj, (OpOverload, OpOverloadPacket)):
        return obj
    overload = getattr(obj, "_opoverload", None)  # torch.library.custom_op's CustomOpDef
    return overload.overloadpacket if isinstance(overload, OpOverload) else None


def _attribute(name: str, owner: Any, attr: str) -> Target:
    try:
        value = getattr(owner, attr)
    except AttributeError:
        raise InvalidTargetError(f"converter target {name!r}: {_owner_name(owner)} has no "
                                 f"attribute {attr!r}") from None
    raw = inspect.getattr_static(owner, attr)
    kind = type(raw).__name__
    if kind in _PROPERTY_KINDS:
        return Target(name, "property", owner, attr)
    if inspect.isclass(value) and not _is_autograd_function(value):
        raise InvalidTargetError(f"converter target {name!r} is a class; register the method "
                                 f"its callers call (for a module: '{name}.forward')")
    if not callable(value):
        raise InvalidTargetError(f"converter target {name!r} is a {_type_name(value)}, not a "
                                 f"callable")
    if kind in _SLOT_KINDS:
        return Target(name, "slot", owner, attr)
    _check_patchable(name, owner, attr)
    return Target(name, "attribute", owner, attr)


def _check_patchable(name: str, owner: Any, attr: str) -> None:
    """Set the attribute to what it is (and take it back): the owner must accept the patch."""
    in_dict = attr in vars(owner)
    raw = vars(owner)[attr] if in_dict else inspect.getattr_static(owner, attr)
    try:
        setattr(owner, attr, raw)
        if not in_dict:
            delattr(owner, attr)
    except (AttributeError, TypeError) as e:
        raise InvalidTargetError(f"converter target {name!r} cannot be patched on "
                                 f"{_owner_name(owner)}: {e}") from None


def _owner_by_qualname(fn: Any, name: str) -> tuple[Any, str]:
    """The class or module a function is reached through, from its module and qualname
    (a staticmethod reached through its class is a plain function)."""
    qualname = getattr(fn, "__qualname__", "")
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None or "<locals>" in qualname:
        raise InvalidTargetError(
            f"converter target {name!r} cannot be found from its module (a function defined "
            f"inside another function?): register it as (owner, 'attribute')")
    owner: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part, None)
    if owner is None or getattr(owner, parts[-1], None) is None:
        raise InvalidTargetError(f"converter target {name!r} is not reachable as "
                                 f"{module.__name__}.{qualname}")
    return owner, parts[-1]


def _owner_name(owner: Any) -> str:
    if inspect.ismodule(owner):
        return owner.__name__
    if inspect.isclass(owner):
        return _class_name(owner)
    return repr(owner)


def _type_name(value: Any) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


__all__ = ["InvalidTargetError", "Target", "locate", "resolve", "resolve_namespace",
           "qualified_name", "call_name", "resolve_overload"]
