"""Runtime, ICudaEngine, IExecutionContext and IOutputAllocator over host memory.

Tensor addresses are host pointers of torch CPU tensors (`tensor.data_ptr()`), laid out
contiguously as TensorRT's linear format. The engine folds what constants compute when it is
created and makes a schedule per set of input shapes at their first run (see `schedule`);
executing runs the scheduled layers' torch code and drops intermediates after their last use.

An output whose shape depends on the data (after a non-zero or NMS layer, -1 in
`get_tensor_shape` even with every input shape set) is sized by the runtime after execution:
its `IOutputAllocator` (`set_output_allocator`) is asked for memory of the exact size
(`reallocate_output_async`, which defaults to `reallocate_output`) and told the shape
(`notify_shape`), as TensorRT does. Without an allocator such an output fails the execution.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from typing import Any

import torch

from .builder import ILogger, infer_concrete
from .core import Dims, ITensor, LayerError, TensorInfo, torch_dtype
from .enums import (
    DataType,
    ExecutionContextAllocationStrategy,
    Severity,
    TensorIOMode,
    TensorLocation,
)
from .network import INetworkDefinition
from .plan import PlanError, Recording, from_bytes, replay
from .schedule import Inspector, Schedule, fold_constants, needed_layers, schedule

# The alignment TensorRT asks output allocators for.
OUTPUT_ALIGNMENT = 256


class IOutputAllocator:
    """`trt.IOutputAllocator`: subclass it (calling `IOutputAllocator.__init__(self)`) to
    place outputs whose size is known only after execution.

    `reallocate_output(tensor_name, memory, size, alignment)` returns the address of at least
    `size` bytes (always positive, even for an empty tensor; `memory` is the address set with
    `set_tensor_address`, 0 if none), or 0 to fail the execution;
    `reallocate_output_async(..., stream)` defaults to it; `notify_shape(tensor_name, shape)`
    is called with the output's shape once it is written.
    """

    def __init__(self) -> None:
        pass

    def reallocate_output(self, tensor_name: str, memory: int, size: int,
                          alignment: int) -> int:
        raise NotImplementedError("IOutputAllocator.reallocate_output must be overridden")

    def reallocate_output_async(self, tensor_name: str, memory: int, size: int, alignment: int,
                                stream: int) -> int:
        return self.reallocate_output(tensor_name, memory, size, alignment)

    def notify_shape(self, tensor_name: str, shape: Dims) -> None:
        raise NotImplementedError("IOutputAllocator.notify_shape must be overridden")
# Schedules kept per engine (one per set of input shapes, the oldest dropped first).
_MAX_SCHEDULES = 16


class _SilentLogger(ILogger):
    def log(self, severity: Severity, msg: str) -> None:
        pass


class Runtime:
    """`trt.Runtime`: deserializes reference plans into engines."""

    def __init__(self, logger: ILogger):
        self._logger = logger
        self.max_threads = 1
        self.engine_host_code_allowed = False
        self.error_recorder = None

    @property
    def logger(self) -> ILogger:
        return self._logger

    def deserialize_cuda_engine(self, serialized_engine: Any) -> ICudaEngine | None:
        """An engine, or None with the reason logged (bad bytes never run any code)."""
        try:
            data = bytes(serialized_engine)
            return ICudaEngine(from_bytes(data), data, self._logger)
        except (PlanError, RuntimeError, TypeError, ValueError, KeyError) as e:
            self._logger.log(Severity.ERROR, f"IRuntime::deserializeCudaEngine: {e}")
            return None


class ICudaEngine:
    """`trt.ICudaEngine`: the network rebuilt from a plan, compiled into execution steps."""

    def __init__(self, recording: Recording, data: bytes, logger: ILogger):
        from .builder import Builder

        self._data = data
        self._logger = logger
        self._network = INetworkDefinition(Builder(_SilentLogger()))
        tensors = replay(recording, _reference_module(), self._network, is_reference=True)
        del tensors
        error = self._network._first_error()
        if error is not None:
            raise PlanError(f"the plan's network does not infer: {error}")
        self._inputs = list(self._network._inputs)
        self._outputs = list(self._network._outputs)
        self._io = {t.name: t for t in self._inputs + self._outputs}
        self._profiles: list[dict[str, list[list[int]]]] = recording.graph.get("profiles", [])
        self._layers = needed_layers(self._network._layers, self._outputs)
        self._folded = fold_constants(self._layers)  # what TensorRT folds when it builds
        self._schedules: dict[tuple[Any, ...], Schedule] = {}  # per input shapes
        self._schedules_lock = threading.Lock()
        self._unscheduled: Schedule | None = None  # for inspection
        self.name = self._network.name
        self.error_recorder = None

    # --- introspection ------------------------------------------------------------------------
    @property
    def num_io_tensors(self) -> int:
        return len(self._io)

    @property
    def num_layers(self) -> int:
        return len(self._layers)

    @property
    def num_optimization_profiles(self) -> int:
        return max(1, len(self._profiles))

    @property
    def device_memory_size_v2(self) -> int:
        return 0

    def get_tensor_name(self, index: int) -> str:
        names = list(self._io)
        if not 0 <= index < len(names):
            raise IndexError(f"engine has {len(names)} I/O tensors, no index {index}")
        return names[index]

    def _tensor(self, name: str) -> ITensor:
        try:
            return self._io[name]
        except KeyError:
            raise KeyError(f"engine has no I/O tensor named {name!r}") from None

    def get_tensor_mode(self, name: str) -> TensorIOMode:
        if name not in self._io:
            return TensorIOMode.NONE
        return TensorIOMode.INPUT if self._io[name].is_network_input else TensorIOMode.OUTPUT

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._tensor(name).shape)

    def get_tensor_dtype(self, name: str) -> DataType:
        return self._tensor(name).dtype

    def get_tensor_location(self, name: str) -> TensorLocation:
        return TensorLocation.DEVICE

    def is_shape_inference_io(self, name: str) -> bool:
        return self._tensor(name).is_shape_tensor

    def get_tensor_profile_shape(self, name: str, profile_index: int) -> list[tuple[int, ...]]:
        tensor = self._tensor(name)
        if not tensor.is_network_input:
            raise ValueError(f"{name!r} is an output; profiles hold input shapes")
        if not self._profiles:
            return [tuple(tensor.shape)] * 3
        if not 0 <= profile_index < len(self._profiles):
            raise IndexError(f"engine has {len(self._profiles)} profiles, no {profile_index}")
        return [tuple(d) for d in self._profiles[profile_index][name]]

    def serialize(self) -> Any:
        from .builder import IHostMemory

        return IHostMemory(self._data)

    def create_execution_context(
            self, strategy: ExecutionContextAllocationStrategy =
            ExecutionContextAllocationStrategy.STATIC) -> IExecutionContext:
        return IExecutionContext(self)

    # --- used by the execution context --------------------------------------------------------
    def _infer(self, input_shapes: dict[str, tuple[int, ...]]) -> dict[ITensor, TensorInfo]:
        return infer_concrete(self._network, input_shapes)[0]

    def _schedule(self, key: tuple[Any, ...], infos: dict[ITensor, TensorInfo]) -> Schedule:
        """The schedule for the input shapes `key` (made once, at the first run with them)."""
        found = self._schedules.get(key)
        if found is None:
            with self._schedules_lock:  # contexts of one engine may run on several threads
                found = self._schedules.get(key)
                if found is None:
                    if len(self._schedules) >= _MAX_SCHEDULES:
                        self._schedules.pop(next(iter(self._schedules)))
                    found = schedule(self._inputs, self._layers, self._outputs, self._folded,
                                     infos)
                    self._schedules[key] = found
        return found

    def _run(self, inputs: list[torch.Tensor], key: tuple[Any, ...],
             infos: dict[ITensor, TensorInfo], inspect: Inspector | None = None
             ) -> list[torch.Tensor]:
        if inspect is not None:  # every layer, as built: nothing folded, fused or preset
            if self._unscheduled is None:
                self._unscheduled = schedule(self._inputs, self._layers, self._outputs, {}, None)
            return self._unscheduled.run(inputs, inspect)
        return self._schedule(key, infos).run(inputs)


def _reference_module() -> Any:
    from trtconv.reference import trt

    return trt


def _host_tensor(address: int, shape: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """A torch tensor viewing `address` (a host pointer) with a contiguous layout."""
    numel = 1
    for d in shape:
        numel *= d
    if numel == 0:
        return torch.empty(tuple(shape), dtype=dtype)
    buffer = (ctypes.c_byte * (numel * dtype.itemsize)).from_address(address)
    return torch.frombuffer(buffer, dtype=dtype, count=numel).view(tuple(shape))


class IExecutionContext:
    """`trt.IExecutionContext`: input shapes, tensor addresses, and synchronous execution."""

    def __init__(self, engine: ICudaEngine):
        self._engine = engine
        self._shapes: dict[str, tuple[int, ...]] = {
            t.name: tuple(t.shape) for t in engine._inputs if all(d >= 0 for d in t.shape)}
        self._addresses: dict[str, int] = {}
        self._allocators: dict[str, IOutputAllocator] = {}
        # host-tensor views of the I/O addresses, reused while address, shape and type stay
        self._views: dict[str, tuple[tuple[Any, ...], torch.Tensor]] = {}
        self._profile = 0
        self._inferred: tuple[tuple[Any, ...], dict[ITensor, TensorInfo]] | None = None
        self.name = ""
        self.error_recorder = None
        self.profiler = None
        self.debug_sync = False
        # Reference-only: an `Inspector` called with every layer's outputs while executing.
        self.inspector: Inspector | None = None

    @property
    def engine(self) -> ICudaEngine:
        return self._engine

    @property
    def active_optimization_profile(self) -> int:
        return self._profile

    def set_optimization_profile_async(self, profile_index: int, stream_handle: int) -> bool:
        if not 0 <= profile_index < self._engine.num_optimization_profiles:
            return False
        self._profile = profile_index
        return True

    def _error(self, message: str) -> bool:
        self._engine._logger.log(Severity.ERROR, f"IExecutionContext::{message}")
        return False

    def set_input_shape(self, name: str, shape: Sequence[int]) -> bool:
        engine = self._engine
        if engine.get_tensor_mode(name) != TensorIOMode.INPUT:
            return self._error(f"set_input_shape: {name!r} is not an input of the engine")
        shape = tuple(int(d) for d in shape)
        lo, _, hi = engine.get_tensor_profile_shape(name, self._profile)
        if len(shape) != len(lo) or any(not a <= d <= b for a, d, b in zip(lo, shape, hi)):
            return self._error(f"set_input_shape: shape {shape} of input {name!r} is outside "
                               f"optimization profile {self._profile}: min {tuple(lo)}, "
                               f"max {tuple(hi)}")
        self._shapes[name] = shape
        return True

    @property
    def all_binding_shapes_specified(self) -> bool:
        return all(t.name in self._shapes for t in self._engine._inputs)

    def infer_shapes(self) -> list[str]:
        return [t.name for t in self._engine._inputs if t.name not in self._shapes]

    def _infos(self) -> dict[ITensor, TensorInfo] | None:
        if not self.all_binding_shapes_specified:
            return None
        key = tuple(self._shapes[t.name] for t in self._engine._inputs)
        if self._inferred is None or self._inferred[0] != key:
            self._inferred = (key, self._engine._infer(dict(self._shapes)))
        return self._inferred[1]

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        tensor = self._engine._tensor(name)
        if tensor.is_network_input:
            return self._shapes.get(name, tuple(tensor.shape))
        try:
            infos = self._infos()
        except LayerError as e:
            self._error(str(e))
            return tuple(-1 for _ in tensor.shape)
        return tuple(tensor.shape) if infos is None else infos[tensor].shape

    def set_tensor_address(self, name: str, memory: int) -> bool:
        if name not in self._engine._io:
            return self._error(f"set_tensor_address: the engine has no I/O tensor {name!r}")
        self._addresses[name] = int(memory)
        return True

    def get_tensor_address(self, name: str) -> int:
        return self._addresses.get(name, 0)

    def set_output_allocator(self, name: str, output_allocator: IOutputAllocator | None) -> bool:
        """Let `output_allocator` place output `name` at each execution (None: unset)."""
        if self._engine.get_tensor_mode(name) != TensorIOMode.OUTPUT:
            return self._error(f"set_output_allocator: {name!r} is not an output of the engine")
        if output_allocator is None:
            self._allocators.pop(name, None)
        else:
            self._allocators[name] = output_allocator
        return True

    def get_output_allocator(self, name: str) -> IOutputAllocator | None:
        return self._allocators.get(name)

    def execute_async_v3(self, stream_handle: int) -> bool:
        """Run the engine (synchronously, on the host). False, with the reason logged, if the
        shapes or addresses are incomplete or a layer fails."""
        engine = self._engine
        missing = self.infer_shapes()
        if missing:
            return self._error(f"execute_async_v3: input shape not set for {missing}")
        absent = [n for n in engine._io if n not in self._addresses and n not in self._allocators]
        if absent:
            return self._error(f"execute_async_v3: tensor address not set for {absent}")
        try:
            infos = self._infos()
            assert infos is not None
            inputs = [self._view(t.name, self._shapes[t.name], t.dtype) for t in engine._inputs]
            outputs = engine._run(inputs, self._inferred[0], infos, self.inspector)
            for tensor, value in zip(engine._outputs, outputs):
                self._write_output(tensor, infos[tensor].shape, value, stream_handle)
        except (LayerError, RuntimeError, ValueError, TypeError) as e:
            return self._error(f"execute_async_v3: {e}")
        return True

    def _write_output(self, tensor: ITensor, shape: tuple[int, ...], value: torch.Tensor,
                      stream: int) -> None:
        """Copy an output's value to its address, or to the memory its allocator gives."""
        name = tensor.name
        allocator = self._allocators.get(name)
        if allocator is None:
            if any(d < 0 for d in shape):
                raise ValueError(f"output {name!r} has a data-dependent shape {shape}: set an "
                                 "IOutputAllocator for it (set_output_allocator)")
            self._view(name, shape, tensor.dtype).copy_(value.reshape(shape))
            return
        dtype = torch_dtype(tensor.dtype)
        size = max(1, value.numel() * dtype.itemsize)
        address = allocator.reallocate_output_async(name, self._addresses.get(name, 0), size,
                                                    OUTPUT_ALIGNMENT, stream)
        if not address:
            raise ValueError(f"the output allocator of {name!r} gave no memory for {size} "
                             "bytes")
        self._addresses[name] = int(address)
        _host_tensor(int(address), tuple(value.shape), dtype).copy_(value)
        allocator.notify_shape(name, Dims(value.shape))

    def _view(self, name: str, shape: tuple[int, ...], dtype: DataType) -> torch.Tensor:
        """The host tensor at `name`'s address (made once per address, shape and type: a
        view aliases the memory, so it sees what the application writes there)."""
        key = (self._addresses[name], shape, dtype)
        cached = self._views.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        view = _host_tensor(key[0], shape, torch_dtype(dtype))
        self._views[name] = (key, view)
        return view

    def execute_v2(self, bindings: Sequence[int]) -> bool:
        for name, address in zip(self._engine._io, bindings):
            self._addresses[name] = int(address)
        return self.execute_async_v3(0)
