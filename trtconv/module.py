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

from . import backends, plugins
from .errors import InputError, TrtconvError
from .guards import Guard, GuardError, failed_shape_guard, python_value
from .structure import Structure, rebuild

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no guards, output structure as a pytree spec


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
                 output_structure: Structure | None = None,
                 metadata: dict[str, Any] | None = None,
                 guards: list[dict[str, Any]] | None = None,
                 constant_args: list[dict[str, Any]] | None = None):
        super().__init__()
        self._engine_bytes: bytes | None = None
        self._state: dict[str, Any] = {}
        if engine is not None:
            self._load({
                "version": STATE_VERSION, "backend": backend, "engine": engine,
                "input_names": list(input_names or []), "output_names": list(output_names or []),
                "input_spec": input_spec, "output_spec": output_spec,
                "output_structure": output_structure, "metadata": dict(metadata or {}),
                "guards": list(guards or []), "constant_args": list(constant_args or []),
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
        if state.get("version") not in READABLE_VERSIONS:
            raise TrtconvError(f"TRTModule state version {state.get('version')!r}; this trtconv "
                               f"reads versions {', '.join(map(str, READABLE_VERSIONS))}")
        metadata = state.get("metadata") or {}
        plugins.require_for(metadata)  # names what to import; loading never imports code
        self._state = dict(state)
        self._engine_bytes = bytes(state["engine"])
        self._backend = backends.get(state["backend"])
        self._runtime_ready = False
        self._input_spec = (pytree.treespec_loads(state["input_spec"])
                            if state.get("input_spec") else None)
        self._output_spec = (pytree.treespec_loads(state["output_spec"])
                             if state.get("output_spec") else None)
        self._output_structure: Structure | None = state.get("output_structure")
        self._guards = [Guard.from_state(g) for g in state.get("guards") or []]
        self._constant_args = list(state.get("constant_args") or [])
        if self._backend.can_run():
            self._start_runtime()

    def _start_runtime(self) -> None:
        """Deserialize the engine and describe its I/O (done once)."""
        self._backend.require_runnable()
        trt, logger = self._backend.trt(), self._backend.logger()
        self._backend.prepare_plugins(self._state.get("metadata") or {})
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
        # hidden outputs of the value guards, read after each call (see trtconv.guards)
        by_output = {g.output: g for g in self._guards if g.kind == "value"}
        self._output_guards = [by_output.get(n) for n, _ in self._outputs]
        self._shape_key: tuple[tuple[int, ...], ...] | None = None
        self._output_shapes: list[tuple[int, ...]] = []
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
    def input_names(self) -> list[str]:
        return list(self._state.get("input_names", []))

    @property
    def output_names(self) -> list[str]:
        return list(self._state.get("output_names", []))

    @property
    def engine_bytes(self) -> bytes | None:
        return self._engine_bytes

    @property
    def metadata(self) -> dict[str, Any]:
        meta = dict(self._state.get("metadata", {}))
        meta["guards"] = [dict(g) for g in self._state.get("guards") or []]
        return meta

    @property
    def guards(self) -> list[Guard]:
        """The reads of tensor values this engine checks on every call."""
        return list(self._guards)

    # --- running --------------------------------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        if self._engine_bytes is None:
            raise TrtconvError("this TRTModule holds no engine: load a state_dict first")
        if not self._runtime_ready:
            self._start_runtime()
        leaves = pytree.tree_leaves(args) if self._input_spec is None else self._flatten(args)
        self._check_constant_args(leaves)
        tensors = self._check_inputs(leaves)
        outputs = self._checked(self._execute(tensors))
        if self._output_structure is not None:
            return rebuild(self._output_structure, outputs)
        if self._output_spec is None:
            return outputs[0] if len(outputs) == 1 else tuple(outputs)
        return pytree.tree_unflatten(outputs, self._output_spec)

    def _check_constant_args(self, leaves: list[Any]) -> None:
        """Arguments that were not tensors at conversion are part of the engine: a call with
        another value would silently compute with the old one."""
        for entry in self._constant_args:
            index = entry["leaf"]
            value = leaves[index] if index < len(leaves) else None
            if not _same_argument(entry, value):
                raise InputError(
                    f"argument {entry['name']} was {entry['shown']} at conversion and is "
                    f"{_shown(value)} now; the engine computes with the conversion's value "
                    f"(only tensors are engine inputs). Convert again with this value, or pass "
                    f"it as a tensor.")

    def _checked(self, outputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """The model's outputs, once every value guard agrees with the conversion."""
        results = []
        for value, guard in zip(outputs, self._output_guards):
            if guard is None:
                results.append(value)
                continue
            actual = python_value(value, guard.expected)
            if not guard.holds(actual):
                raise GuardError(guard, actual)
        return results

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
                    self._raise_shape_guard(key)
                    raise InputError(f"input {io.name!r}: the engine rejects shape "
                                     f"{tuple(x.shape)}: {self._last_error()}")
            shapes = [tuple(context.get_tensor_shape(n)) for n, _ in self._outputs]
            if any(d < 0 for shape in shapes for d in shape):
                self._raise_shape_guard(key)
                raise TrtconvError(f"the engine cannot compute its output shapes for input "
                                   f"shapes {list(key)}: {self._last_error()}")
            self._output_shapes = shapes
            self._shape_key = key
        for x, io in zip(inputs, self._inputs):
            context.set_tensor_address(io.name, x.data_ptr())
        device = inputs[0].device if inputs else self._device
        outputs = [torch.empty(shape, dtype=dtype, device=device)
                   for shape, (_, dtype) in zip(self._output_shapes, self._outputs)]
        for out, (name, _) in zip(outputs, self._outputs):
            context.set_tensor_address(name, out.data_ptr())
        if not context.execute_async_v3(self._backend.stream_handle()):
            self._raise_shape_guard(key)
            raise TrtconvError(f"engine execution failed: {self._last_error()}")
        return outputs

    def _raise_shape_guard(self, shapes: tuple[tuple[int, ...], ...]) -> None:
        """Raise the GuardError of a shape guard (an assertion) the runtime reported."""
        guard = failed_shape_guard(self._logger.errors()[-5:], self._guards)
        if guard is not None:
            self._shape_key = None
            actual = not guard.expected if isinstance(guard.expected, bool) else None
            raise GuardError(guard, actual, shapes=list(shapes))

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

    # --- looking at it ---------------------------------------------------------------------------
    def graph(self, path: str | None = None, title: str = "") -> str:
        """The network as one self-contained HTML page (`trtconv.graph`): modules, calls and
        layers with shapes, dtypes, fp32 islands and guards. Written to `path` when given;
        returns the HTML."""
        from .graph import write_graph

        return write_graph(self, path, title)

    def to_onnx(self, path: str | None = None) -> Any:
        """The network as ONNX (`trtconv.onnx_export`): one node per TensorRT layer, for
        Netron or onnxruntime. Saved to `path` when given; returns the `onnx.ModelProto`."""
        from .onnx_export import export

        return export(self, path)

    def extra_repr(self) -> str:
        if self._engine_bytes is None:
            return "empty"
        return f"backend={self.backend}, engine={len(self._engine_bytes)} bytes"

    # --- deploy (trtconv/export/engine.py) ------------------------------------------------------
    def save_engine(self, path: Any) -> Any:
        """Write the raw plan to `path` and a JSON sidecar to `<path>.json` (returns its path);
        `trtconv.load_engine(path)` reads both back. See `trtconv.export.engine`."""
        from .export.engine import save_engine

        return save_engine(self, path)

_PLAIN = (type(None), bool, int, float, str)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _same_argument(entry: dict[str, Any], value: Any) -> bool:
    """Whether a non-tensor argument equals the conversion's (by value for plain data, by
    type and repr otherwise)."""
    if "value" in entry:
        return type(value).__name__ == entry["type"] and value == entry["value"]
    return type(value).__name__ == entry["type"] and repr(value) == entry["repr"]


def describe_constant_arg(leaf: int, name: str, value: Any) -> dict[str, Any]:
    """How a non-tensor argument is recorded (plain data only: states load weights_only)."""
    entry: dict[str, Any] = {"leaf": leaf, "name": name, "type": type(value).__name__,
                             "shown": _shown(value)}
    if _is_plain(value):
        entry["value"] = value
    else:
        entry["repr"] = repr(value)
    return entry


def _is_plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)
