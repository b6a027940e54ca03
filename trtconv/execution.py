"""Running an engine from many threads: one deserialized engine, one execution context per thread.

TensorRT's engines are safe to share between threads; execution contexts are not (each holds
its input shapes, its profile and its tensor addresses). `EngineRuntime` deserializes the plan
once and describes its I/O; each thread that calls the `TRTModule` gets its own `Execution`
(a context with its shape state), so calls of different shapes never share buffers. Copies
of a TRTModule share the runtime (the engine is read-only) and get their own executions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import torch

from . import backends
from .errors import InputError, TrtconvError
from .guards import Guard, GuardError, failed_shape_guard
from .output_allocator import output_allocator_class


@dataclass(frozen=True)
class IOSpec:
    """An engine input's name, dtype and allowed shapes: (min, max) per optimization profile."""

    name: str
    dtype: torch.dtype
    ranges: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]

    @property
    def rank(self) -> int:
        return len(self.ranges[0][0])

    def fits(self, shape: tuple[int, ...], profile: int) -> bool:
        lo, hi = self.ranges[profile]
        return all(a <= d <= b for a, d, b in zip(lo, shape, hi))

    def describe(self) -> str:
        return " or ".join(f"{lo} .. {hi}" for lo, hi in self.ranges)


class EngineRuntime:
    """A deserialized engine and what every call needs to know about it (shared by threads)."""

    def __init__(self, backend: backends.Backend, engine_bytes: bytes, state: dict[str, Any],
                 guards: list[Guard]):
        backend.require_runnable()
        trt, logger = backend.trt(), backend.logger()
        backend.prepare_plugins(state.get("metadata") or {})
        engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
        if engine is None:
            log = "; ".join(logger.errors()[-3:]) or "no reason logged"
            raise TrtconvError(f"cannot load the {backend.name} engine in this TRTModule: "
                               f"{log}. It may be damaged, or made by another backend or "
                               f"TensorRT version (it says backend={state['backend']!r}, made "
                               f"with {(state.get('metadata') or {}).get('tensorrt')})")
        self.backend, self.trt, self.logger, self.engine = backend, trt, logger, engine
        self.device = backend.device()
        self.guards = guards
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        is_input = [engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names]
        self.inputs = [self._describe_input(n) for n, i in zip(names, is_input) if i]
        self.outputs = [(n, backends.torch_dtype(engine.get_tensor_dtype(n)))
                        for n, i in zip(names, is_input) if not i]
        # hidden outputs of the value guards, read after each call (see trtconv.guards)
        by_output = {g.output: g for g in guards if g.output}
        self.output_guards = [by_output.get(n) for n, _ in self.outputs]

    def _describe_input(self, name: str) -> IOSpec:
        engine = self.engine
        ranges = []
        for profile in range(max(1, engine.num_optimization_profiles)):
            lo, _, hi = engine.get_tensor_profile_shape(name, profile)
            ranges.append((tuple(lo), tuple(hi)))
        return IOSpec(name, backends.torch_dtype(engine.get_tensor_dtype(name)), tuple(ranges))

    def errors(self) -> list[str]:
        """The errors the runtime logged for the calling thread (others' are not its own)."""
        thread_errors = getattr(self.logger, "thread_errors", None)
        return thread_errors() if thread_errors is not None else self.logger.errors()


class Execution:
    """One thread's execution context and shape state."""

    def __init__(self, runtime: EngineRuntime):
        self.runtime = runtime
        self.context = runtime.engine.create_execution_context()
        self.shape_key: tuple[tuple[int, ...], ...] | None = None
        self.output_shapes: list[tuple[int, ...]] = []
        self.allocators: dict[str, Any] = {}  # per data-dependent output, made when first run

    def run(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Execute on `inputs` (checked, contiguous); all outputs, hidden ones included."""
        runtime, context = self.runtime, self.context
        key = tuple(tuple(x.shape) for x in inputs)
        if key != self.shape_key:
            self._set_shapes(key)
        for x, io in zip(inputs, runtime.inputs):
            context.set_tensor_address(io.name, x.data_ptr())
        device = inputs[0].device if inputs else runtime.device
        outputs: list[Any] = []
        for shape, (name, dtype) in zip(self.output_shapes, runtime.outputs):
            if any(d < 0 for d in shape):  # data-dependent: sized by the engine as it runs
                outputs.append(self._output_allocator(name, device))
                continue
            outputs.append(torch.empty(shape, dtype=dtype, device=device))
            context.set_tensor_address(name, outputs[-1].data_ptr())
        if not context.execute_async_v3(runtime.backend.stream_handle()):
            self._raise_shape_guard(key)
            raise TrtconvError(f"engine execution failed: {self._last_error()}")
        return [out if isinstance(out, torch.Tensor) else out.take(dtype)
                for out, (_, dtype) in zip(outputs, runtime.outputs)]

    def _output_allocator(self, name: str, device: torch.device) -> Any:
        """The output allocator of a data-dependent output (set on the context once)."""
        allocators = self.allocators
        if name not in allocators:
            allocators[name] = output_allocator_class(self.runtime.trt)(device)
            if not self.context.set_output_allocator(name, allocators[name]):
                raise TrtconvError(f"the engine refuses an output allocator for {name!r}: "
                                   f"{self._last_error()}")
        allocators[name].device = device
        return allocators[name]

    def _set_shapes(self, key: tuple[tuple[int, ...], ...]) -> None:
        runtime, context = self.runtime, self.context
        self.shape_key = None
        self._select_profile(key)
        for shape, io in zip(key, runtime.inputs):
            if not context.set_input_shape(io.name, shape):
                self._raise_shape_guard(key)
                raise InputError(f"input {io.name!r}: the engine rejects shape {shape}: "
                                 f"{self._last_error()}")
        logged = len(runtime.errors())
        shapes = [tuple(context.get_tensor_shape(n)) for n, _ in runtime.outputs]
        # -1 without an error: a data-dependent size, known once the engine has run
        if len(runtime.errors()) > logged:
            self._raise_shape_guard(key)
            given = ", ".join(f"{io.name} {s}" for io, s in zip(runtime.inputs, key))
            raise InputError(f"the engine cannot run inputs of shapes {given}: "
                             f"{self._last_error()}. Dims the model ties together (two "
                             f"inputs' batch, a sequence and its mask) must agree")
        self.output_shapes, self.shape_key = shapes, key

    def _select_profile(self, shapes: tuple[tuple[int, ...], ...]) -> None:
        """Switch to the first optimization profile whose ranges hold every input shape."""
        runtime = self.runtime
        count = len(runtime.inputs[0].ranges) if runtime.inputs else 1
        for profile in range(count):
            if all(io.fits(s, profile) for io, s in zip(runtime.inputs, shapes)):
                if profile != self.context.active_optimization_profile:
                    self.context.set_optimization_profile_async(
                        profile, runtime.backend.stream_handle())
                return
        raise InputError(f"no optimization profile holds input shapes {list(shapes)}")

    def _raise_shape_guard(self, shapes: tuple[tuple[int, ...], ...]) -> None:
        """Raise the GuardError of a shape guard (an assertion) the runtime reported."""
        guard = failed_shape_guard(self.runtime.errors()[-5:], self.runtime.guards)
        if guard is not None:
            self.shape_key = None
            actual = not guard.expected if isinstance(guard.expected, bool) else None
            raise GuardError(guard, actual, shapes=list(shapes))

    def _last_error(self) -> str:
        errors = self.runtime.errors()
        return errors[-1] if errors else "no reason logged"


class Executions:
    """The runtime of a TRTModule (made once, on first use) and each thread's execution."""

    def __init__(self, runtime: EngineRuntime | None = None):
        self._lock = threading.Lock()
        self._local = threading.local()
        self.runtime = runtime

    def get_runtime(self, make: Any) -> EngineRuntime:
        if self.runtime is None:
            with self._lock:
                if self.runtime is None:
                    self.runtime = make()
        return self.runtime

    def current(self, make: Any) -> Execution:
        """The calling thread's execution (made on its first call)."""
        execution = getattr(self._local, "execution", None)
        if execution is None:
            execution = self._local.execution = Execution(self.get_runtime(make))
        return execution

    def sharing_runtime(self) -> Executions:
        """Executions for a copy: the same engine, no context shared."""
        return Executions(self.runtime)


__all__ = ["EngineRuntime", "Execution", "Executions", "IOSpec"]
