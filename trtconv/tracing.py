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
from torch._ops import OpOverload, OpOverloadPacket
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from .calls import CallRecord, user_source
from .context import ConversionContext, GuardOptions, UnsupportedCaseError
from .errors import ConversionError, ConversionReport, UnsupportedCall
from .exporting import exporting
from .partition import ASKED, NO_CONVERTER, PartialTrace
from .patching import (
    LOCAL,
    NestedConversionError,
    converting,
    dispatch_table,
    eager,
    patch_forwards,
    user_patches,
)
from .reference import trt
from .registry import ConverterSpec, active_converters, call_name, op_converter
from .symbolic import is_symbolic
from .tensormap import TaintedInputError, leaves, tensors_in

# Gives a converter for a torch op call that has none (or None): custom op plugins.
OpFallback = Callable[[Any, tuple[Any, ...], dict[str, Any]], ConverterSpec | None]
# Callbacks (CallRecord, torch result tensors) run after each converted call of a trace started
# on this thread: trtconv.debug records PyTorch's value of every call with them.
call_observers = threading.local()

# Torch calls that read metadata (sizes, layout, device, type) and are never ops of the network.
# Nothing here may yield a value derived from a tensor's contents: those reads have
# converters (converters/values.py) that guard them.
_METADATA = frozenset({
    "__get__", "size", "dim", "numel", "is_floating_point", "is_contiguous", "element_size",
    "stride", "__hash__", "nelement", "ndimension", "get_device", "is_complex",
    "storage_offset", "is_signed", "has_names", "_is_view", "__dlpack_device__", "is_inference",
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
        ctx.in_user_code = self.active_here
        self.patched_specs: dict[str, ConverterSpec] = {}
        self.partial: PartialTrace | None = None  # fallback=True: unconverted calls are steps
        self._module_names = module_names
        self._module_classes: list[type] = []
        self._layer_counts: Counter[str] = Counter()
        self._observers = tuple(getattr(call_observers, "active", ()))

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
            self.ctx.tensors.refresh_versions((args, kwargs))
            return self._dispatch_traced(spec, original, args, kwargs, result)
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

    def _dispatch_traced(self, spec: ConverterSpec, original: Callable[..., Any],
                         args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> Any:
        if result is None:
            self.ctx.tensors.restore_assigned((args, kwargs))
        if self._touches_tainted((args, kwargs)):
            self.ctx.tensors.taint(result)  # the unconverted producer is already reported
            return result
        if self.partial is not None and self.partial.options.runs_in_torch(
                spec.target, self.ctx.module_path, self._module_classes):
            return self.not_converted(spec.target, original, args, kwargs, result, ASKED)
        if not self._accepts(spec, args, kwargs):
            return self.not_converted(spec.target, original, args, kwargs, result,
                                      "arguments not supported by its converter")
        return self._convert(spec, original, args, kwargs, result)

    def not_converted(self, op: str, func: Callable[..., Any], args: tuple[Any, ...],
                      kwargs: dict[str, Any], result: Any, reason: str) -> Any:
        """A call that stays in PyTorch: reported (one engine: the conversion fails listing
        them), or, with fallback=True, a PyTorch step whose results the network reads."""
        if self.partial is not None:
            self.depth += 1
            try:
                self.partial.in_torch(self.ctx, op, func, args, kwargs, result, reason)
            finally:
                self.depth -= 1
            return result
        self.ctx.record_unsupported(op, reason)
        self.ctx.tensors.taint(result)
        return result

    def _accepts(self, spec: ConverterSpec, args: tuple[Any, ...], kwargs: dict[str, Any]
                 ) -> bool:
        """The converter's validator on the call's arguments; a validator that raises is a
        bug in it, reported with the op and module."""
        self.depth += 1
        try:
            return spec.accepts(args, kwargs)
        except Exception as e:
            raise ConversionError(f"the validator of {spec.target}'s converter raised in "
                                  f"module '{self.ctx.module_path or '<root>'}': "
                                  f"{type(e).__name__}: {e}") from e
        finally:
            self.depth -= 1

    def _convert(self, spec: ConverterSpec, original: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], result: Any) -> Any:
        """Run the converter; return what the traced call returns: the torch result, or the
        converter's own value for calls without tensor results (sizes as DimInts)."""
        ctx = self.ctx
        called = (args, kwargs)
        keys = self.partial.keys(ctx, called) if self.partial is not None else {}
        args, kwargs = self._read_slice_bounds((args, kwargs))
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
                self.depth -= 1
                try:
                    return self.not_converted(spec.target, original, *called, result, str(e))
                finally:
                    self.depth += 1
            except Exception as e:
                where = ctx.module_path or "<root>"
                raise ConversionError(f"converter for {spec.target} failed in module "
                                      f"'{where}': {type(e).__name__}: {e}") from e
            try:
                outputs = self._attach(spec, result, converted)
            except RuntimeError as e:  # the reference rejects a layer the converter made
                if isinstance(e, ConversionError):
                    raise
                raise self._mismatch(spec, f"made a layer TensorRT rejects: {e}") from e
            self._name_layers(spec, first_layer, outputs)
            for observe in self._observers:
                observe(ctx.calls[-1], tensors_in(result))
            if self.partial is not None:
                self.partial.converted(ctx, spec.target, original, *called, result,
                                       ctx.calls[-1].layers, keys)
        finally:
            self.depth -= 1
            ctx.output, ctx.current = None, None
        ctx.report.converted[spec.target] = ctx.report.converted.get(spec.target, 0) + 1
        if converted is not None and not tensors_in(result):
            return converted
        return result

    def _read_slice_bounds(self, tree: Any) -> Any:
        """Slices bounded by traced tensors (`x[:, :t]`): torch reads each bound as a Python
        int. The read is guarded, and the converter gets the int."""
        leaves, spec = pytree.tree_flatten(tree)
        if not any(isinstance(x, slice) for x in leaves):
            return tree
        return pytree.tree_unflatten([self._bounds_read(x) if isinstance(x, slice) else x
                                      for x in leaves], spec)

    def _bounds_read(self, key: slice) -> slice:
        def read(bound: Any) -> Any:
            if not self.ctx.tensors.is_traced(bound):
                return bound
            value = int(self.run_untraced(bound.__index__, (), {}))
            self.ctx.guard_value(self.ctx.trt(bound), value, "a tensor used as a slice bound")
            return value

        return slice(read(key.start), read(key.stop), read(key.step))

    def _attach(self, spec: ConverterSpec, result: Any, converted: Any) -> list[trt.ITensor]:
        """Bind the torch results to the converter's ITensors; return those ITensors."""
        torch_outs = tensors_in(result)
        trt_outs = [x for x in pytree.tree_leaves(converted) if isinstance(x, trt.ITensor)]
        if tensors_in(converted):
            raise self._mismatch(spec, "returned a torch.Tensor; a converter returns the "
                                       "ITensors of the result (ctx.trt(value) makes one)")
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
        self._module_classes.append(type(module))
        stack = self.ctx.module_stack
        name = self._module_names.get(id(module))
        if name is None:  # a module built inside forward: name it after its parent and class
            parent = self.ctx.module_path
            name = f"{parent}.{type(module).__name__}" if parent else type(module).__name__
        stack.append(name)

    def exit_module(self) -> None:
        if self.ctx.module_stack:
            self.ctx.module_stack.pop()
        if self._module_classes:
            self._module_classes.pop()

    def finish(self) -> ConversionReport:
        report = self.ctx.report
        report.unsupported = [UnsupportedCall(op, path, n, reason) for (op, path, reason), n
                              in self.ctx.unsupported_calls().items()]
        report.num_layers = self.ctx.network.num_layers
        report.calls = list(self.ctx.calls)
        report.guards = list(self.ctx.guards)
        return report


class _Audit(TorchFunctionMode):
    """Sees every torch call: converts registered callables reached under another name,
    records the rest when they touch traced tensors."""

    def __init__(self, tracer: Tracer, by_callable: dict[Any, ConverterSpec],
                 by_property: dict[str, ConverterSpec], by_op: dict[str, ConverterSpec],
                 fallback: OpFallback | None = None):
        super().__init__()
        self.tracer = tracer
        self.by_callable = by_callable
        self.by_property = by_property
        self.by_op = by_op  # torch ops (aten.mul.Tensor, mylib.foo): the mode sees their calls
        self.fallback = fallback  # a converter for ops that have none (custom op plugins)

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        tracer = self.tracer
        if not tracer.active_here():
            return func(*args, **kwargs)
        spec = self.by_callable.get(func) or self._op_spec(func, args, kwargs)
        if spec is not None:
            return tracer.dispatch(spec, func, args, kwargs)
        name = getattr(func, "__name__", "")
        if name == "__get__":  # a property read: x.T, x.shape, x.data ...
            return self._property(func, args, kwargs)
        result = func(*args, **kwargs)
        if name not in _METADATA and tracer.touches_traced((args, kwargs)):
            return tracer.not_converted(call_name(func, args, kwargs), func, args, kwargs,
                                        result, NO_CONVERTER)
        return result

    def _op_spec(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                 ) -> ConverterSpec | None:
        """The converter of a torch op call (`torch.ops.ns.op`), or the fallback's."""
        if not isinstance(func, (OpOverload, OpOverloadPacket)):
            return None
        spec = op_converter(func, args, kwargs, self.by_op)
        if spec is None and self.fallback is not None:
            spec = self.fallback(func, args, kwargs)
        return spec

    def _property(self, getter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tracer = self.tracer
        name = getattr(getattr(getter, "__self__", None), "__name__", "")
        spec = self.by_property.get(name)
        if spec is not None:
            return tracer.dispatch(spec, getter, args, kwargs)
        result = getter(*args, **kwargs)
        if name in _TENSOR_PROPERTIES and tracer.touches_traced(args):
            return tracer.not_converted(f"torch.Tensor.{name}", getter, args, kwargs, result,
                                        NO_CONVERTER)
        return result


# Tensor properties that return tensors computed from the tensor (the others are metadata).
_TENSOR_PROPERTIES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})


@contextmanager
def tracing(network: Any, module: Any, guard_options: GuardOptions | None = None,
            fallback: OpFallback | None = None, partial: PartialTrace | None = None
            ) -> Iterator[Tracer]:
    """Trace `module`'s forward on the calling thread, and always restore.

    Dispatch is thread-local: a `TorchFunctionMode` (which acts only on the thread that
    entered it) sees every torch call, op call and property read, and module hooks check the
    thread. The only attributes set are instance-level `forward`s of the model's own modules
    whose class has a forward converter, and the user's own targets (autograd Functions,
    static and class methods), whose wrappers pass straight through on other threads. Torch
    itself is never patched: other threads, and torch.jit, see it unchanged.
    `fallback(op, args, kwargs)` may give a converter for torch op calls that have none.
    With `partial` (convert's fallback=True), calls that stay in PyTorch are recorded there,
    and module forwards are traced call by call (a module's converter cannot hand a call it
    refuses back to PyTorch).
    """
    if getattr(LOCAL, "tracer", None) is not None:
        raise NestedConversionError(
            "convert() was called while this thread is already converting a model (from a "
            "forward or a converter being traced); convert the inner model first, outside "
            "the outer conversion")
    modules = module.named_modules() if isinstance(module, torch.nn.Module) else ()
    names = {id(m): name for name, m in modules}
    tracer = Tracer(ConversionContext(network, guard_options), names)
    table = dispatch_table(active_converters())
    tracer.patched_specs = {spec.target: spec for spec in table.patched}
    tracer.partial = partial
    if partial is not None:
        table.by_forward.clear()
    hooks: list[Any] = []
    saved: list[tuple[torch.nn.Module, Any]] = []
    LOCAL.tracer = tracer
    try:
        with converting(module), user_patches(table.patched):
            saved = patch_forwards(tracer, module, table.by_forward)
            hooks.append(torch.nn.modules.module.register_module_forward_pre_hook(
                lambda m, a: tracer.enter_module(m) if tracer.on_thread() else None))
            hooks.append(torch.nn.modules.module.register_module_forward_hook(
                lambda m, a, o: tracer.exit_module() if tracer.on_thread() else None))
            try:
                with _Audit(tracer, table.by_callable, table.by_property, table.by_op,
                            fallback), exporting(), eager():
                    yield tracer
            finally:
                for handle in hooks:
                    handle.remove()
                for m, own in reversed(saved):
                    if own is None:
                        m.__dict__.pop("forward", None)
                    else:
                        m.__dict__["forward"] = own
    finally:
        LOCAL.tracer = None
