"""Tracing: patching, dispatch to converters, and the audit of unconverted calls.

During one forward pass every registered target is replaced by a wrapper that runs the
original torch function and then, if any argument is a traced tensor, the converter. A
`TorchFunctionMode` watches every other torch call: calls on traced tensors that no
converter handled are recorded and their results marked, so a later use reports the
unconverted op instead of freezing its output into a constant.

Only the outermost registered call converts (`depth`): the torch calls inside a converted
call, and the torch calls a converter itself makes, are never traced. Everything here acts
for the converting thread only: other threads see torch as it is.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from .calls import CallRecord, user_source
from .context import ConversionContext, UnsupportedCaseError
from .errors import ConversionError, ConversionReport, UnsupportedCall
from .exporting import exporting
from .reference import trt
from .registry import ConverterSpec, active_converters, qualified_name, resolve
from .symbolic import is_symbolic
from .tensormap import TaintedInputError, leaves, tensors_in

_LOCK = threading.Lock()
_ACTIVE: Tracer | None = None

# Torch calls that read metadata and are never ops of the network.
_METADATA = frozenset({
    "__get__", "size", "dim", "numel", "__len__", "is_floating_point", "is_contiguous",
    "element_size", "stride", "data_ptr", "__repr__", "__format__", "__hash__", "nelement",
    "ndimension", "get_device", "is_complex", "storage_offset", "__reduce_ex__", "__deepcopy__",
    "is_signed", "has_names", "_is_view", "__dlpack_device__", "untyped_storage", "is_inference",
    "requires_grad_", "detach", "__array__", "__index__",
})


_IN_PLACE_OPERATORS = frozenset(f"__i{name}__" for name in (
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
    "and", "or", "xor"))


def _updates_first_argument(target: str) -> bool:
    """Whether a call updates its first argument in place, by torch's naming: `add_`,
    `__iadd__`, `__setitem__`."""
    name = target.rsplit(".", 1)[-1]
    return name == "__setitem__" or name in _IN_PLACE_OPERATORS or (
        name.endswith("_") and not name.startswith("_"))


class Tracer:
    """Dispatches the calls of one trace: runs torch, then the converter when a call touches
    traced tensors; keeps the module stack and names layers after it."""

    def __init__(self, ctx: ConversionContext, module_names: dict[int, str]):
        self.ctx = ctx
        self.depth = 0
        self.thread = threading.get_ident()
        self._module_names = module_names
        self._layer_counts: Counter[str] = Counter()

    def on_thread(self) -> bool:
        """Whether the caller runs on the converting thread (other threads are never traced)."""
        return threading.get_ident() == self.thread

    def active_here(self) -> bool:
        """Whether a call made now belongs to this trace (the converting thread, outermost)."""
        return self.depth == 0 and self.on_thread()

    def touches_traced(self, args: Any) -> bool:
        """Whether a call depends on the inputs: a traced (or tainted) tensor or a DimInt."""
        return self.ctx.tensors.touches(args) or any(is_symbolic(x) for x in leaves(args))

    def _touches_tainted(self, args: Any) -> bool:
        """Whether a call reads a tainted tensor; reads of stale views are reported here."""
        tensors, tainted = self.ctx.tensors, False
        for t in tensors_in(args):
            if tensors.is_tainted(t):
                tainted = True
                stale = tensors.stale_reason(t)
                if stale is not None:
                    self.ctx.record_unsupported(*stale)
        return tainted

    # --- dispatch -----------------------------------------------------------------------------
    def dispatch(self, spec: ConverterSpec, original: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
        """Run `original`, then convert the call if it touches traced tensors."""
        if not self.touches_traced((args, kwargs)):
            return self.run_untraced(original, args, kwargs)
        self.ctx.before_update = self._untraced_target(spec, args)
        try:
            result = self.run_untraced(original, args, kwargs)
            return self._dispatch_traced(spec, args, kwargs, result)
        finally:
            self.ctx.before_update = {}

    def run_untraced(self, original: Callable[..., Any], args: tuple[Any, ...],
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
        if not isinstance(target, torch.Tensor) or self.ctx.tensors.touches(target):
            return {}
        return {id(target): target.detach().clone()}

    def _dispatch_traced(self, spec: ConverterSpec, args: tuple[Any, ...],
                         kwargs: dict[str, Any], result: Any) -> Any:
        if result is None:
            self.ctx.tensors.restore_assigned((args, kwargs))
        if self._touches_tainted((args, kwargs)):
            self.ctx.tensors.taint(result)  # the unconverted producer is already reported
            return result
        if not spec.accepts(args, kwargs):
            self.ctx.record_unsupported(spec.target, "arguments not supported by its converter")
            self.ctx.tensors.taint(result)
            return result
        return self._convert(spec, args, kwargs, result)

    def _convert(self, spec: ConverterSpec, args: tuple[Any, ...], kwargs: dict[str, Any],
                 result: Any) -> Any:
        """Run the converter; return what the traced call returns: the torch result, or the
        converter's own value for calls without tensor results (sizes as DimInts)."""
        ctx = self.ctx
        first_layer = ctx.network.num_layers
        ctx.output, ctx.current = result, spec
        self.depth += 1  # torch calls of the converter and of the checks are never traced
        try:
            try:
                converted = spec.function(ctx, *args, **kwargs)
            except TaintedInputError:
                ctx.tensors.taint(result)
                return result
            except UnsupportedCaseError as e:
                ctx.record_unsupported(spec.target, str(e))
                ctx.tensors.taint(result)
                return result
            except Exception as e:
                where = ctx.module_path or "<root>"
                raise ConversionError(f"converter for {spec.target} failed in module "
                                      f"'{where}': {type(e).__name__}: {e}") from e
            outputs = self._attach(spec, result, converted)
            self._name_layers(spec, first_layer, outputs)
        finally:
            self.depth -= 1
            ctx.output, ctx.current = None, None
        ctx.report.converted[spec.target] = ctx.report.converted.get(spec.target, 0) + 1
        if converted is not None and not tensors_in(result):
            return converted
        return result

    def _attach(self, spec: ConverterSpec, result: Any, converted: Any) -> list[trt.ITensor]:
        """Bind the torch results to the converter's ITensors; return those ITensors."""
        torch_outs = tensors_in(result)
        trt_outs = [x for x in pytree.tree_leaves(converted) if isinstance(x, trt.ITensor)]
        if len(torch_outs) != len(trt_outs):
            raise self._mismatch(spec, f"returned {len(trt_outs)} tensor(s) for "
                                       f"{len(torch_outs)} torch result tensor(s)")
        for value, itensor in zip(torch_outs, trt_outs):
            self._check_like(spec, value, itensor)
            self.ctx.bind(value, itensor)
        return trt_outs

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
        where = self.ctx.module_path or "<root>"
        return ConversionError(f"converter for {spec.target} in module '{where}' {what}")

    def _name_layers(self, spec: ConverterSpec, first_layer: int,
                     outputs: list[trt.ITensor]) -> None:
        """Name the call's layers `<module.path>/<op>_<n>[.k]`, tag them with the source line,
        and log the call."""
        ctx = self.ctx
        network, path = ctx.network, ctx.module_path
        key = f"{path}/{spec.op_name}" if path else spec.op_name
        base = f"{key}_{self._layer_counts[key]}"
        self._layer_counts[key] += 1
        source = user_source()
        for offset, index in enumerate(range(first_layer, network.num_layers)):
            layer = network.get_layer(index)
            layer.name = base if offset == 0 else f"{base}.{offset}"
            layer.metadata = f"{spec.target} @ {source}"
        ctx.calls.append(CallRecord(spec.target, path, source, True,
                                    (first_layer, network.num_layers), outputs))

    # --- module paths ---------------------------------------------------------------------------
    def enter_module(self, module: torch.nn.Module) -> None:
        stack = self.ctx.module_stack
        name = self._module_names.get(id(module))
        if name is None:  # a module built inside forward: name it after its parent and class
            parent = self.ctx.module_path
            name = f"{parent}.{type(module).__name__}" if parent else type(module).__name__
        stack.append(name)

    def exit_module(self) -> None:
        if self.ctx.module_stack:
            self.ctx.module_stack.pop()

    def finish(self) -> ConversionReport:
        report = self.ctx.report
        report.unsupported = [UnsupportedCall(op, path, n, reason) for (op, path, reason), n
                              in self.ctx.unsupported_calls().items()]
        report.num_layers = self.ctx.network.num_layers
        report.calls = list(self.ctx.calls)
        return report


class _Audit(TorchFunctionMode):
    """Sees every torch call: converts registered callables reached under another name,
    records the rest when they touch traced tensors."""

    def __init__(self, tracer: Tracer, by_callable: dict[Any, ConverterSpec],
                 by_property: dict[str, ConverterSpec]):
        super().__init__()
        self.tracer = tracer
        self.by_callable = by_callable
        self.by_property = by_property

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        tracer = self.tracer
        if not tracer.active_here():
            return func(*args, **kwargs)
        # torch's Python functions hand their module global to the mode, which during the
        # trace is our wrapper: unwrap it so the call converts once, through the original.
        spec = getattr(func, "__trtconv_spec__", None)
        if spec is not None:
            return tracer.dispatch(spec, func.__wrapped__, args, kwargs)
        spec = self.by_callable.get(func)
        if spec is not None:
            return tracer.dispatch(spec, func, args, kwargs)
        name = getattr(func, "__name__", "")
        if name == "__get__":  # a property read: x.T, x.shape, x.data ...
            return self._property(func, args, kwargs)
        result = func(*args, **kwargs)
        if name not in _METADATA and tracer.touches_traced((args, kwargs)):
            tracer.ctx.record_unsupported(qualified_name(func), "no converter")
            tracer.ctx.tensors.taint(result)
        return result

    def _property(self, getter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = self.tracer
        name = getattr(getattr(getter, "__self__", None), "__name__", "")
        spec = self.by_property.get(name)
        if spec is not None:
            return tracer.dispatch(spec, getter, args, kwargs)
        result = getter(*args, **kwargs)
        if name in _TENSOR_PROPERTIES and tracer.touches_traced(args):
            tracer.ctx.record_unsupported(f"torch.Tensor.{name}", "no converter")
            tracer.ctx.tensors.taint(result)
        return result


# Tensor properties that return tensors computed from the tensor (the others are metadata).
_TENSOR_PROPERTIES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})


def _wrapper(spec: ConverterSpec, original: Callable[..., Any]) -> Callable[..., Any]:
    def converting(*args: Any, **kwargs: Any) -> Any:
        tracer = _ACTIVE
        if tracer is None or not tracer.active_here():
            return original(*args, **kwargs)
        return tracer.dispatch(spec, original, args, kwargs)

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
def tracing(network: Any, module: torch.nn.Module) -> Iterator[Tracer]:
    """Patch every registered target for the duration of the block and always restore.

    One conversion at a time: a second concurrent conversion waits for the lock.
    """
    global _ACTIVE
    names = {id(m): name for name, m in module.named_modules()}
    tracer = Tracer(ConversionContext(network), names)
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
                lambda m, a: tracer.enter_module(m) if tracer.on_thread() else None))
            hooks.append(torch.nn.modules.module.register_module_forward_hook(
                lambda m, a, o: tracer.exit_module() if tracer.on_thread() else None))
            _ACTIVE = tracer
            with _Audit(tracer, by_callable, by_property), exporting():
                yield tracer
        finally:
            _ACTIVE = None
            for handle in hooks:
                handle.remove()
            for owner, attr, in_dict, original in reversed(saved):
                if in_dict:
                    setattr(owner, attr, original)
                else:
                    delattr(owner, attr)
