"""`TRTModule`: a converted engine that stands in for the original `nn.Module`.

One code path for every backend: it speaks the TensorRT runtime API (`Runtime`,
`ICudaEngine`, `IExecutionContext.execute_async_v3`) to whichever `trt` module its backend
names. Its state lives in the state_dict (engine bytes as a uint8 tensor, metadata as plain
values), so `torch.load(path, weights_only=True)` reads it and a bare `TRTModule()` loads it.

>>> import torch, trtconv
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()).eval()
>>> x = torch.randn(3, 4)
>>> m = trtconv.convert(model, [x], backend="reference")
>>> bool(torch.allclose(m(x), model(x), atol=1e-6))
True
>>> fresh = trtconv.TRTModule()
>>> _ = fresh.load_state_dict(m.state_dict())
>>> bool(torch.equal(fresh(x), m(x)))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends
from .errors import InputError, TrtconvError
from .output_allocator import output_allocator_class

STATE_VERSION = 1


@dataclass(frozen=True)
class _IO:
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


class TRTModule(torch.nn.Module):
    """Runs a serialized engine; takes and returns the structures the original module did."""

    def __init__(self, engine: bytes | None = None, *, backend: str = "reference",
                 input_names: list[str] | None = None, output_names: list[str] | None = None,
                 input_spec: str | None = None, output_spec: str | None = None,
                 metadata: dict[str, Any] | None = None):
        super().__init__()
        self._engine_bytes: bytes | None = None
        self._state: dict[str, Any] = {}
        if engine is not None:
            self._load({
                "version": STATE_VERSION, "backend": backend, "engine": engine,
                "input_names": list(input_names or []), "output_names": list(output_names or []),
                "input_spec": input_spec, "output_spec": output_spec,
                "metadata": dict(metadata or {}),
            })

    # --- state ----------------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        if self._engine_bytes is None:
            return {}
        state = {k: v for k, v in self._state.items() if k != "engine"}
        state["engine"] = torch.frombuffer(bytearray(self._engine_bytes), dtype=torch.uint8)
        return state

    def set_extra_state(self, state: Any) -> None:
        if not state:
            return
        if not isinstance(state, dict) or "engine" not in state:
            raise TrtconvError("TRTModule state has no engine: not a TRTModule state_dict?")
        engine = state["engine"]
        data = engine.numpy().tobytes() if isinstance(engine, torch.Tensor) else bytes(engine)
        self._load({**state, "engine": data})

    def _load(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise TrtconvError(f"TRTModule state version {state.get('version')!r}; this trtconv "
                               f"reads version {STATE_VERSION}")
        self._state = dict(state)
        self._engine_bytes = bytes(state["engine"])
        self._backend = backends.get(state["backend"])
        self._runtime_ready = False
        self._input_spec = (pytree.treespec_loads(state["input_spec"])
                            if state.get("input_spec") else None)
        self._output_spec = (pytree.treespec_loads(state["output_spec"])
                             if state.get("output_spec") else None)
        if self._backend.can_run():
            self._start_runtime()

    def _start_runtime(self) -> None:
        """Deserialize the engine and describe its I/O (done once)."""
        self._backend.require_runnable()
        trt, logger = self._backend.trt(), self._backend.logger()
        engine = trt.Runtime(logger).deserialize_cuda_engine(self._engine_bytes)
        if engine is None:
            log = "; ".join(logger.errors()[-3:]) or "no reason logged"
            raise TrtconvError(f"cannot load the {self._backend.name} engine in this TRTModule: "
                               f"{log}. It may be damaged, or made by another backend or "
                               f"TensorRT version (it says backend={self._state['backend']!r}, "
                               f"made with {self._state.get('metadata', {}).get('tensorrt')})")
        self._trt, self._logger, self._engine = trt, logger, engine
        self._device = self._backend.device()
        self._context = engine.create_execution_context()
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        is_input = [engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names]
        self._inputs = [self._describe_input(n) for n, i in zip(names, is_input) if i]
        self._outputs = [(n, backends.torch_dtype(engine.get_tensor_dtype(n)))
                         for n, i in zip(names, is_input) if not i]
        self._shape_key: tuple[tuple[int, ...], ...] | None = None
        self._output_shapes: list[tuple[int, ...]] = []
        self._allocators: dict[str, Any] = {}  # per data-dependent output, made when first run
        self._runtime_ready = True

    def _describe_input(self, name: str) -> _IO:
        engine = self._engine
        ranges = []
        for profile in range(max(1, engine.num_optimization_profiles)):
            lo, _, hi = engine.get_tensor_profile_shape(name, profile)
            ranges.append((tuple(lo), tuple(hi)))
        return _IO(name, backends.torch_dtype(engine.get_tensor_dtype(name)), tuple(ranges))

    @property
    def backend(self) -> str:
        return self._state.get("backend", "")

    @property
    def engine_bytes(self) -> bytes | None:
        return self._engine_bytes

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._state.get("metadata", {}))

    # --- running --------------------------------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        if self._engine_bytes is None:
            raise TrtconvError("this TRTModule holds no engine: load a state_dict first")
        if not self._runtime_ready:
            self._start_runtime()
        leaves = pytree.tree_leaves(args) if self._input_spec is None else self._flatten(args)
        tensors = self._check_inputs(leaves)
        outputs = self._execute(tensors)
        if self._output_spec is None:
            return outputs[0] if len(outputs) == 1 else tuple(outputs)
        return pytree.tree_unflatten(outputs, self._output_spec)

    def _flatten(self, args: tuple[Any, ...]) -> list[Any]:
        leaves, spec = pytree.tree_flatten(args)
        if spec != self._input_spec:
            count = sum(isinstance(x, torch.Tensor) for x in leaves)
            if count != len(self._inputs):
                raise InputError(f"TRTModule expects {len(self._inputs)} input tensor(s), got "
                                 f"{count}")
            raise InputError(f"TRTModule inputs have structure {spec}, the module was "
                             f"converted with {self._input_spec}")
        return leaves

    def _check_inputs(self, leaves: list[Any]) -> list[torch.Tensor]:
        tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
        if len(tensors) != len(self._inputs):
            raise InputError(f"TRTModule expects {len(self._inputs)} input tensor(s), got "
                             f"{len(tensors)}")
        device = self._device
        checked = []
        for x, io in zip(tensors, self._inputs):
            if x.dtype != io.dtype:
                raise InputError(f"input {io.name!r}: dtype {x.dtype}, the engine takes "
                                 f"{io.dtype}")
            if x.dim() != io.rank:
                raise InputError(f"input {io.name!r}: rank {x.dim()} (shape {tuple(x.shape)}), "
                                 f"the engine takes rank {io.rank}")
            if not any(io.fits(tuple(x.shape), p) for p in range(len(io.ranges))):
                raise InputError(f"input {io.name!r}: shape {tuple(x.shape)} is outside the "
                                 f"engine's range {io.describe()}")
            if x.device.type != device.type:
                raise InputError(f"input {io.name!r} is on {x.device}, the "
                                 f"{self._backend.name} engine runs on {device.type}")
            checked.append(x.contiguous())
        return checked

    def _execute(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        context = self._context
        key = tuple(tuple(x.shape) for x in inputs)
        if key != self._shape_key:
            self._select_profile(key)
            for x, io in zip(inputs, self._inputs):
                if not context.set_input_shape(io.name, tuple(x.shape)):
                    raise InputError(f"input {io.name!r}: the engine rejects shape "
                                     f"{tuple(x.shape)}: {self._last_error()}")
            self._output_shapes = [tuple(context.get_tensor_shape(n)) for n, _ in self._outputs]
            self._shape_key = key
        for x, io in zip(inputs, self._inputs):
            context.set_tensor_address(io.name, x.data_ptr())
        device = inputs[0].device if inputs else self._device
        outputs: list[Any] = []
        for shape, (name, dtype) in zip(self._output_shapes, self._outputs):
            if any(d < 0 for d in shape):  # data-dependent: sized by the engine as it runs
                outputs.append(self._output_allocator(name, device))
                continue
            outputs.append(torch.empty(shape, dtype=dtype, device=device))
            context.set_tensor_address(name, outputs[-1].data_ptr())
        if not context.execute_async_v3(self._backend.stream_handle()):
            raise TrtconvError(f"engine execution failed: {self._last_error()}")
        return [out if isinstance(out, torch.Tensor) else out.take(dtype)
                for out, (_, dtype) in zip(outputs, self._outputs)]

    def _output_allocator(self, name: str, device: torch.device) -> Any:
        """The output allocator of a data-dependent output (set on the context once)."""
        allocators = self._allocators
        if name not in allocators:
            allocators[name] = output_allocator_class(self._trt)(device)
            if not self._context.set_output_allocator(name, allocators[name]):
                raise TrtconvError(f"the engine refuses an output allocator for {name!r}: "
                                   f"{self._last_error()}")
        allocators[name].device = device
        return allocators[name]

    def _select_profile(self, shapes: tuple[tuple[int, ...], ...]) -> None:
        """Switch to the first optimization profile whose ranges hold every input shape."""
        count = len(self._inputs[0].ranges) if self._inputs else 1
        for profile in range(count):
            if all(io.fits(s, profile) for io, s in zip(self._inputs, shapes)):
                if profile != self._context.active_optimization_profile:
                    self._context.set_optimization_profile_async(
                        profile, self._backend.stream_handle())
                return
        raise InputError(f"no optimization profile holds input shapes {list(shapes)}")

    def _last_error(self) -> str:
        errors = self._logger.errors()
        return errors[-1] if errors else "no reason logged"

    def extra_repr(self) -> str:
        if self._engine_bytes is None:
            return "empty"
        return f"backend={self.backend}, engine={len(self._engine_bytes)} bytes"
