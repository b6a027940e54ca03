"""The conversion context: patching, dispatch to converters, the tensor map, and the audit.

During one forward pass every registered target is replaced by a wrapper that runs the
original torch function and then, if any argument is a traced tensor, the converter. A
`TorchFunctionMode` watches every other torch call: calls on traced tensors that no
converter handled are recorded and their results marked, so a later use reports the
unconverted op instead of freezing its output into a constant.

Only the outermost registered call converts (`depth`): the torch calls inside a converted
call, and the torch calls a converter itself makes, are never traced.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from .errors import ConversionError, ConversionReport, UnsupportedCall
from .reference import trt
from .registry import ConverterSpec, active_converters, qualified_name, resolve
from .symbolic import is_symbolic

_LOCK = threading.Lock()
_ACTIVE: ConversionContext | None = None

# Torch calls that read metadata and are never ops of the network.
_METADATA = frozenset({
    "__get__", "size", "dim", "numel", "__len__", "is_floating_point", "is_contiguous",
    "element_size", "stride", "data_ptr", "__repr__", "__format__", "__hash__", "nelement",
    "ndimension", "get_device", "is_complex", "storage_offset", "__reduce_ex__", "__deepcopy__",
    "is_signed", "has_names", "_is_view", "__dlpack_device__", "untyped_storage", "is_inference",
    "requires_grad_", "detach", "__array__", "__index__",
})


class TaintedInputError(Exception):
    """A converter asked for a tensor produced by an unconverted op (handled by dispatch)."""


class UnsupportedCaseError(Exception):
    """Raised by a converter (via `ctx.unsupported`) for an argument case it cannot handle."""


def _tensors(tree: Any) -> list[torch.Tensor]:
    return [x for x in pytree.tree_leaves(tree) if isinstance(x, torch.Tensor)]


_IN_PLACE_OPERATORS = frozenset(f"__i{name}__" for name in (
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
    "and", "or", "xor"))


def _updates_first_argument(target: str) -> bool:
    """Whether a call updates its first argument in place, by torch's naming: `add_`,
    `__iadd__`, `__setitem__`."""
    name = target.rsplit(".", 1)[-1]
    return name == "__setitem__" or name in _IN_PLACE_OPERATORS or (
        name.endswith("_") and not name.startswith("_"))


def _leaves(tree: Any) -> list[Any]:
    """pytree's leaves, with slices opened: `table[:x.size(0)]` depends on the input through
    a DimInt inside a slice, which pytree treats as one opaque leaf."""
    leaves = []
    for leaf in pytree.tree_leaves(tree):
        leaves.extend((leaf.start, leaf.stop, leaf.step) if isinstance(leaf, slice) else (leaf,))
    return leaves


class ConversionContext:
    """What a converter sees as `ctx`.

    - `ctx.network`: the reference `INetworkDefinition` to add layers to;
    - `ctx.trt(x)`: the ITensor of a traced tensor, or a constant for parameters, buffers,
      other constant tensors and Python numbers;
    - `ctx.output`: the torch result of the call being converted;
    - `ctx.module_path`: the dotted path of the module whose forward is running;
    - `ctx.unsupported(reason)`: give up on this call, reported with the others at the end.
    """

    def __init__(self, network: Any, module_names: dict[int, str]):
        self.network = network
        self.output: Any = None
        self.report = ConversionReport()
        self.depth = 0
        self._module_names = module_names
        self._module_stack: list[str] = []
        self._map: dict[int, tuple[torch.Tensor, Any]] = {}
        self._tainted: dict[int, torch.Tensor] = {}
        # tainted by an in-place update of a tensor sharing memory: (reason, detail), the
        # id of the updated tensor, and the ITensor it had
        self._stale: dict[int, tuple[tuple[str, str], int, Any]] = {}
        self._constants: dict[int, tuple[torch.Tensor, int, Any]] = {}
        # untraced tensors an in-place call is updating, as they were before it
        self._before_update: dict[int, torch.Tensor] = {}
        self._unsupported: Counter[tuple[str, str, str]] = Counter()
        self._layer_counts: Counter[str] = Counter()
        self._dim_cache: dict[Any, Any] = {}
        self._thread = threading.get_ident()
        self.current: ConverterSpec | None = None

    # --- for converters -----------------------------------------------------------------------
    @property
    def module_path(self) -> str:
        return self._module_stack[-1] if self._module_stack else ""

    def trt(self, value: Any, dtype: torch.dtype | None = None) -> Any:
        """The ITensor for `value`: a traced tensor's, or a new constant.

        Python numbers become 0-d constants of `dtype` (default: float32 for floats, int64 for
        ints, bool for bools); float64 tensors become float32 with a warning.
        """
        if isinstance(value, trt.ITensor):
            return value
        if isinstance(value, torch.Tensor):
            entry = self._map.get(id(value))
            if entry is not None:
                return entry[1]
            if id(value) in self._tainted:
                if id(value) in self._stale:
                    self._record_unsupported(*self._stale[id(value)][0])
                raise TaintedInputError
            return self._constant_of(self._before_update.get(id(value), value))
        if isinstance(value, (bool, int, float)):
            if dtype is None:
                dtype = (torch.bool if isinstance(value, bool) else
                         torch.int64 if isinstance(value, int) else torch.float32)
            return self.constant(torch.tensor(value, dtype=dtype))
        raise TypeError(f"cannot make a TensorRT tensor of {type(value).__name__} {value!r}")

    def constant(self, value: torch.Tensor) -> Any:
        """A constant layer holding `value` (bool and float64 are stored as TensorRT allows)."""
        from .emit.constants import constant

        return constant(self.network, value, self._warn)

    def is_traced(self, value: Any) -> bool:
        return isinstance(value, torch.Tensor) and id(value) in self._map

    def unsupported(self, reason: str) -> UnsupportedCaseError:
        """Return an exception a converter raises for an argument case it cannot convert."""
        return UnsupportedCaseError(reason)

    def _warn(self, message: str) -> None:
        where = f" in module '{self.module_path or '<root>'}'"
        text = message + where
        self.report.warnings.append(text)
        warnings.warn(text, stacklevel=4)

    def _constant_of(self, value: torch.Tensor) -> Any:
        cached = self._constants.get(id(value))
        if cached is not None and cached[0] is value and cached[1] == value._version:
            return cached[2]  # the same tensor, not updated in place since
        tensor = self.constant(value.detach())
        self._constants[id(value)] = (value, value._version, tensor)
        return tensor

    # --- the map ------------------------------------------------------------------------------
    def bind(self, value: torch.Tensor, itensor: Any, op: str | None = None) -> None:
        """Record that torch tensor `value` is `itensor` in the network.

        Rebinding a traced tensor means an in-place update: every other traced tensor that
        shares its memory (views of it, or what it is a view of) now holds values the network
        does not have, so reading one later is reported instead of silently using old values.
        """
        if id(value) in self._map:
            self._mark_stale(value, op or (self.current.target if self.current else "?"))
        self._map[id(value)] = (value, itensor)
        self._tainted.pop(id(value), None)
        self._stale.pop(id(value), None)

    def _mark_stale(self, updated: torch.Tensor, op: str) -> None:
        storage = updated.untyped_storage().data_ptr()
        for key, (tensor, itensor) in list(self._map.items()):
            if tensor is not updated and tensor.untyped_storage().data_ptr() == storage:
                del self._map[key]
                self._tainted[key] = tensor
                reason = (f"read of a tensor that shares memory with one updated in place by "
                          f"{op}", "views of in-place updated tensors are not supported; clone "
                          "before updating")
                self._stale[key] = (reason, id(updated), itensor)

    def lookup(self, value: torch.Tensor) -> Any | None:
        entry = self._map.get(id(value))
        return None if entry is None else entry[1]

    def _touches_traced(self, args: Any) -> bool:
        """Whether a call depends on the inputs: a traced (or tainted) tensor or a DimInt."""
        leaves = _leaves(args)
        return any(id(x) in self._map or id(x) in self._tainted for x in leaves
                   if isinstance(x, torch.Tensor)) or any(is_symbolic(x) for x in leaves)

    def _touches_tainted(self, args: Any) -> bool:
        """Whether a call reads a tainted tensor; reads of stale views are reported here."""
        tainted = False
        for t in _tensors(args):
            if id(t) in self._tainted and id(t) not in self._map:
                tainted = True
                if id(t) in self._stale:
                    self._record_unsupported(*self._stale[id(t)][0])
        return tainted

    def _restore_assigned(self, args: Any) -> None:
        """`y[k] += v` updates a view of y in place, then assigns the view back into y with
        `__setitem__` (a call returning None). That assignment brings y up to date, so y is
        read as it was before the view's update, exactly once."""
        present = {id(t) for t in _tensors(args)}
        for t in _tensors(args):
            entry = self._stale.get(id(t))
            if entry is not None and entry[1] in present:
                del self._stale[id(t)]
                del self._tainted[id(t)]
                self._map[id(t)] = (t, entry[2])

    def _taint(self, result: Any) -> None:
        for t in _tensors(result):
            self._map.pop(id(t), None)
            self._tainted[id(t)] = t

    def _record_unsupported(self, op: str, reason: str) -> None:
        self._unsupported[(op, self.module_path, reason)] += 1

    # --- dispatch -----------------------------------------------------------------------------
    def dispatch(self, spec: ConverterSpec, original: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        """Run `original`, then convert the call if it touches traced tensors."""
        if not self._touches_traced((args, kwargs)):
            return self._run_untraced(original, args, kwargs)
        self._before_update = self._untraced_target(spec, args)
        try:
            result = self._run_untraced(original, args, kwargs)
            return self._dispatch_traced(spec, args, kwargs, result)
        finally:
            self._before_update = {}

    def _run_untraced(self, original: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        """torch's own call; the torch functions it calls in turn are not traced."""
        self.depth += 1
        try:
            return original(*args, **kwargs)
        finally:
            self.depth -= 1

    def _untraced_target(self, spec: ConverterSpec, args: tuple[Any, ...]
                         ) -> dict[int, torch.Tensor]:
        """A copy of the constant an in-place call (`z[:n] = x`, `z.add_(x)`) is about to
        update with traced values: its converter must start from the values before the call,
        and torch runs the call first."""
        if not args or not _updates_first_argument(spec.target):
            return {}
        target = args[0]
        if not isinstance(target, torch.Tensor) or id(target) in self._map \
                or id(target) in self._tainted:
            return {}
        return {id(target): target.detach().clone()}

    def _dispatch_traced(self, spec: ConverterSpec, args: tuple[Any, ...],
                         kwargs: dict[str, Any], result: Any) -> Any:
        if result is None and self._stale:
            self._restore_assigned((args, kwargs))
        if self._touches_tainted((args, kwargs)):
            self._taint(result)  # the unconverted producer is already reported
            return result
        if not spec.accepts(args, kwargs):
            self._record_unsupported(spec.target, "arguments not supported by its converter")
            self._taint(result)
            return result
        return self._convert(spec, args, kwargs, result)

    def _convert(self, spec: ConverterSpec, args: tuple[Any, ...], kwargs: dict[str, Any],
                 result: Any) -> Any:
        """Run the converter; return what the traced call returns: the torch result, or the
        converter's own value for calls without tensor results (sizes as DimInts)."""
        first_layer = self.network.num_layers
        self.output, self.current = result, spec
        self.depth += 1  # torch calls of the converter and of the checks are never traced
        try:
            try:
                converted = spec.function(self, *args, **kwargs)
            except TaintedInputError:
                self._taint(result)
                return result
            except UnsupportedCaseError as e:
                self._record_unsupported(spec.target, str(e))
                self._taint(result)
                return result
            except Exception as e:
                where = self.module_path or "<root>"
                raise ConversionError(f"converter for {spec.target} failed in module "
                                      f"'{where}': {type(e).__name__}: {e}") from e
            self._attach(spec, result, converted)
            self._name_layers(spec, first_layer)
        finally:
            self.depth -= 1
            self.output, self.current = None, None
        self.report.converted[spec.target] = self.report.converted.get(spec.target, 0) + 1
        if converted is not None and not _tensors(result):
            return converted
        return result

    def _attach(self, spec: ConverterSpec, result: Any, converted: Any) -> None:
        torch_outs = _tensors(result)
        trt_outs = [x for x in pytree.tree_leaves(converted) if isinstance(x, trt.ITensor)]
        if len(torch_outs) != len(trt_outs):
            raise self._mismatch(spec, f"returned {len(trt_outs)} tensor(s) for "
                                       f"{len(torch_outs)} torch result tensor(s)")
        for value, itensor in zip(torch_outs, trt_outs):
            self._check_like(spec, value, itensor)
            self.bind(value, itensor, spec.target)

    def _check_like(self, spec: ConverterSpec, value: torch.Tensor, itensor: Any) -> None:
        """A converter's ITensor must have the torch result's dtype and (static) shape."""
        shape, dtype = tuple(itensor.shape), itensor.dtype
        want_dtype = trt.trt_dtype(value.dtype) if value.dtype != torch.float64 else None
        if want_dtype is not None and dtype != want_dtype:
            raise self._mismatch(spec, f"returned dtype {dtype.name}, torch gives {value.dtype}")
        if len(shape) != value.dim() or any(
                d >= 0 and d != s for d, s in zip(shape, value.shape)):
            raise self._mismatch(spec, f"returned shape {shape}, torch gives "
                                       f"{tuple(value.shape)}")

    def _mismatch(self, spec: ConverterSpec, what: str) -> ConversionError:
        where = self.module_path or "<root>"
        return ConversionError(f"converter for {spec.target} in module '{where}' {what}")

    def _name_layers(self, spec: ConverterSpec, first_layer: int) -> None:
        path = self.module_path
        key = f"{path}/{spec.op_name}" if path else spec.op_name
        base = f"{key}_{self._layer_counts[key]}"
        self._layer_counts[key] += 1
        for offset, index in enumerate(range(first_layer, self.network.num_layers)):
            layer = self.network.get_layer(index)
            layer.name = base if offset == 0 else f"{base}.{offset}"

    # --- module paths ---------------------------------------------------------------------------
    def _enter_module(self, module: torch.nn.Module) -> None:
        name = self._module_names.get(id(module))
        if name is None:  # a module built inside forward: name it after its parent and class
            parent = self.module_path
            name = f"{parent}.{type(module).__name__}" if parent else type(module).__name__
        self._module_stack.append(name)

    def _exit_module(self) -> None:
        if self._module_stack:
            self._module_stack.pop()

    def finish(self) -> ConversionReport:
        self.report.unsupported = [UnsupportedCall(op, path, n, reason) for (op, path, reason), n
                                   in self._unsupported.items()]
        self.report.num_layers = self.network.num_layers
        return self.report


class _Audit(TorchFunctionMode):
    """Sees every torch call: converts registered callables reached under another name,
    records the rest when they touch traced tensors."""

    def __init__(self, ctx: ConversionContext, by_callable: dict[Any, ConverterSpec],
                 by_property: dict[str, ConverterSpec]):
        super().__init__()
        self.ctx = ctx
        self.by_callable = by_callable
        self.by_property = by_property

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        ctx = self.ctx
        if ctx.depth > 0 or threading.get_ident() != ctx._thread:
            return func(*args, **kwargs)
        # torch's Python functions hand their module global to the mode, which during the
        # trace is our wrapper: unwrap it so the call converts once, through the original.
        spec = getattr(func, "__trtconv_spec__", None)
        if spec is not None:
            return ctx.dispatch(spec, func.__wrapped__, args, kwargs)
        spec = self.by_callable.get(func)
        if spec is not None:
            return ctx.dispatch(spec, func, args, kwargs)
        name = getattr(func, "__name__", "")
        if name == "__get__":  # a property read: x.T, x.shape, x.data ...
            return self._property(func, args, kwargs)
        result = func(*args, **kwargs)
        if name not in _METADATA and ctx._touches_traced((args, kwargs)):
            ctx._record_unsupported(qualified_name(func), "no converter")
            ctx._taint(result)
        return result

    def _property(self, getter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        ctx = self.ctx
        name = getattr(getattr(getter, "__self__", None), "__name__", "")
        spec = self.by_property.get(name)
        if spec is not None:
            return ctx.dispatch(spec, getter, args, kwargs)
        result = getter(*args, **kwargs)
        if name in _TENSOR_PROPERTIES and ctx._touches_traced(args):
            ctx._record_unsupported(f"torch.Tensor.{name}", "no converter")
            ctx._taint(result)
        return result


# Tensor properties that return tensors computed from the tensor (the others are metadata).
_TENSOR_PROPERTIES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})


def _wrapper(spec: ConverterSpec, original: Callable[..., Any]) -> Callable[..., Any]:
    def converting(*args: Any, **kwargs: Any) -> Any:
        ctx = _ACTIVE
        if ctx is None or ctx.depth > 0 or threading.get_ident() != ctx._thread:
            return original(*args, **kwargs)
        return ctx.dispatch(spec, original, args, kwargs)

    for attr in ("__name__", "__qualname__", "__doc__"):
        try:
            setattr(converting, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    converting.__wrapped__ = original  # type: ignore[attr-defined]
    converting.__trtconv_spec__ = spec  # type: ignore[attr-defined]
    return converting


_PROPERTY_KINDS = frozenset({"getset_descriptor", "property", "member_descriptor"})
_SLOT_KINDS = frozenset({"wrapper_descriptor", "method-wrapper"})


@contextmanager
def tracing(network: Any, module: torch.nn.Module) -> Iterator[ConversionContext]:
    """Patch every registered target for the duration of the block and always restore.

    One conversion at a time: a second concurrent conversion waits for the lock.
    """
    global _ACTIVE
    names = {id(m): name for name, m in module.named_modules()}
    ctx = ConversionContext(network, names)
    specs = active_converters()
    with _LOCK:
        saved: list[tuple[Any, str, bool, Any]] = []
        by_callable: dict[Any, ConverterSpec] = {}
        by_property: dict[str, ConverterSpec] = {}
        hooks = []
        try:
            for spec in specs.values():
                owner, attr = resolve(spec.target)
                in_dict = attr in vars(owner)
                original = vars(owner)[attr] if in_dict else getattr(owner, attr)
                kind = type(original).__name__
                if kind in _PROPERTY_KINDS:
                    by_property[attr] = spec  # the mode sees every property read
                    continue
                bound = getattr(owner, attr)
                by_callable[bound] = spec
                if kind in _SLOT_KINDS:
                    # A Python function in a C slot changes how CPython treats every tensor
                    # (as a sequence, say): leave slots alone, the mode sees their calls.
                    continue
                saved.append((owner, attr, in_dict, original))
                setattr(owner, attr, _wrapper(spec, bound))
            hooks.append(torch.nn.modules.module.register_module_forward_pre_hook(
                lambda m, a: ctx._enter_module(m)))
            hooks.append(torch.nn.modules.module.register_module_forward_hook(
                lambda m, a, o: ctx._exit_module()))
            _ACTIVE = ctx
            with _Audit(ctx, by_callable, by_property):
                yield ctx
        finally:
            _ACTIVE = None
            for handle in hooks:
                handle.remove()
            for owner, attr, in_dict, original in reversed(saved):
                if in_dict:
                    setattr(owner, attr, original)
                else:
                    delattr(owner, attr)
