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

from copy import deepcopy
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends, plugins
from .errors import InputError, TrtconvError
from .execution import EngineRuntime, Executions, IOSpec
from .guards import Guard, GuardError, python_value
from .structure import Structure, check_structure, rebuild

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no guards, output structure as a pytree spec


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
        state = _checked_state(state)
        metadata = state.get("metadata") or {}
        plugins.require_for(metadata)  # names what to import; loading never imports code
        spec = _field("input_spec", lambda: _treespec(state.get("input_spec")))
        out_spec = _field("output_spec", lambda: _treespec(state.get("output_spec")))
        guards = _field("guards", lambda: [Guard.from_state(g) for g in state.get("guards")
                                           or []])
        _field("output_structure", lambda: check_structure(state.get("output_structure")))
        _field("constant_args", lambda: [_check_constant_arg(e)
                                         for e in state.get("constant_args") or []])
        self._state = dict(state)
        self._engine_bytes = bytes(state["engine"])
        self._backend = backends.get(state["backend"])
        self._executions = Executions()
        self._input_spec, self._output_spec, self._guards = spec, out_spec, guards
        self._output_structure: Structure | None = state.get("output_structure")
        self._constant_args = list(state.get("constant_args") or [])
        io_dtypes = metadata.get("io_dtypes") or {}
        self._input_dtypes = [_dtype(d) for d in io_dtypes.get("inputs", [])]
        self._output_dtypes = [_dtype(d) for d in io_dtypes.get("outputs", [])]
        if self._backend.can_run():  # a damaged or foreign plan fails here, not on first call
            self._runtime()

    def _runtime(self) -> EngineRuntime:
        """The deserialized engine, shared by every thread (and by copies of this module)."""
        return self._executions.get_runtime(self._runtime_factory)

    def execution_context(self) -> Any:
        """The calling thread's execution context (each thread has its own)."""
        return self._executions.current(self._runtime_factory).context

    def _runtime_factory(self) -> EngineRuntime:
        return EngineRuntime(self._backend, self._engine_bytes, self._state, self._guards)

    @property
    def input_specs(self) -> list[IOSpec]:
        """Each engine input's name, dtype and shape ranges."""
        return list(self._runtime().inputs)

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

    # --- copies and pickling ------------------------------------------------------------------
    # The state (engine bytes, names, structures, guards) is plain data; the deserialized engine
    # and the execution contexts are rebuilt. Copies share the engine (read-only, safe across
    # threads) and never an execution context. Only the state_dict route is safe for files
    # from others: unpickling a whole module runs whatever code the file names.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in _TRANSIENT:  # the engine and contexts; the conversion's in-process report
            state.pop(key, None)
        state.pop("_input_spec", None)  # kept as its JSON text in _state
        state.pop("_output_spec", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._executions = Executions()
        if "_state" in state:
            self._input_spec = _treespec(self._state.get("input_spec"))
            self._output_spec = _treespec(self._state.get("output_spec"))

    def __copy__(self) -> TRTModule:
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._executions = self._executions.sharing_runtime()
        return copy

    def __deepcopy__(self, memo: dict[int, Any]) -> TRTModule:
        copy = type(self).__new__(type(self))
        memo[id(self)] = copy
        for key, value in self.__dict__.items():
            copy.__dict__[key] = (value.sharing_runtime() if key == "_executions" else
                                  value if key in _TRANSIENT else deepcopy(value, memo))
        return copy

    # --- running --------------------------------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        if self._engine_bytes is None:
            raise TrtconvError("this TRTModule holds no engine: load a state_dict first")
        execution = self._executions.current(self._runtime_factory)
        leaves = pytree.tree_leaves(args) if self._input_spec is None else self._flatten(args)
        self._check_constant_args(leaves)
        tensors = self._check_inputs(leaves, execution.runtime)
        outputs = self._as_torch_gave(self._checked(execution.run(tensors), execution.runtime))
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
            if not same_argument(entry, value):
                raise InputError(
                    f"argument {entry['name']} was {entry['shown']} at conversion and is "
                    f"{shown(value)} now; the engine computes with the conversion's value "
                    f"(only tensors are engine inputs). Convert again with this value, or pass "
                    f"it as a tensor.")

    def _as_torch_gave(self, outputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Outputs in the dtypes PyTorch gave (a float64 model computes in float32)."""
        if not self._output_dtypes:
            return outputs
        return [x if dtype is None or x.dtype == dtype else x.to(dtype)
                for x, dtype in zip(outputs, self._output_dtypes)]

    def _checked(self, outputs: list[torch.Tensor], runtime: EngineRuntime
                 ) -> list[torch.Tensor]:
        """The model's outputs, once every value guard agrees with the conversion."""
        results = []
        for value, guard in zip(outputs, runtime.output_guards):
            if guard is None:
                results.append(value)
                continue
            actual = python_value(value, guard.expected)
            if not guard.holds(actual):
                raise GuardError(guard, actual)
        return results

    def _flatten(self, args: tuple[Any, ...]) -> list[Any]:
        leaves, spec = pytree.tree_flatten(args)
        if spec == self._input_spec:
            return leaves
        reordered = _by_key_paths(args, self._input_spec)  # dicts with keys in another order
        if reordered is not None:
            return reordered
        count = sum(isinstance(x, torch.Tensor) for x in leaves)
        expected = len(self.input_names)
        if count != expected:
            raise InputError(f"TRTModule expects {expected} input tensor(s), got {count}")
        raise InputError(f"TRTModule inputs have structure {spec}, the module was converted "
                         f"with {self._input_spec}")

    def _check_inputs(self, leaves: list[Any], runtime: EngineRuntime) -> list[torch.Tensor]:
        tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
        if len(tensors) != len(runtime.inputs):
            raise InputError(f"TRTModule expects {len(runtime.inputs)} input tensor(s), got "
                             f"{len(tensors)}")
        device = runtime.device
        checked = []
        for i, (x, io) in enumerate(zip(tensors, runtime.inputs)):
            if x.dtype == torch.float64 and io.dtype == torch.float32 and \
                    i < len(self._input_dtypes) and self._input_dtypes[i] == torch.float64:
                x = x.float()  # a float64 model: the engine computes in float32
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
# attributes that are not state: rebuilt (the runtime), or kept in the converting process only
_TRANSIENT = ("_executions", "report", "reference_recording")


_STATE_FIELDS: dict[str, tuple[type, ...]] = {
    "backend": (str,), "engine": (bytes, bytearray), "input_names": (list,),
    "output_names": (list,), "input_spec": (str, type(None)), "output_spec": (str, type(None)),
    "output_structure": (dict, type(None)), "metadata": (dict,), "guards": (list,),
    "constant_args": (list,),
}


def _checked_state(state: dict[str, Any]) -> dict[str, Any]:
    """A state whose fields have the types this trtconv writes (a damaged or hand-edited file
    fails here, naming the field, instead of deep inside a call)."""
    for name, types in _STATE_FIELDS.items():
        if name in state and not isinstance(state[name], types):
            raise TrtconvError(f"TRTModule state field {name!r} is a {type(state[name]).__name__}"
                               f", expected {' or '.join(t.__name__ for t in types)}")
    if state.get("backend") not in backends.NAMES:
        raise TrtconvError(f"TRTModule state field 'backend' is {state.get('backend')!r}; "
                           f"expected one of {', '.join(backends.NAMES)}")
    for name in ("input_names", "output_names"):
        if not all(isinstance(n, str) for n in state.get(name, [])):
            raise TrtconvError(f"TRTModule state field {name!r} holds non-string names")
    for name in ("guards", "constant_args"):
        if not all(isinstance(entry, dict) for entry in state.get(name) or []):
            raise TrtconvError(f"TRTModule state field {name!r} holds entries that are not "
                               f"dicts")
    return state


def _field(name: str, parse: Any) -> Any:
    """`parse()`, with a damaged field named instead of a bare parsing error."""
    try:
        return parse()
    except Exception as e:  # noqa: BLE001  (JSON, pytree and KeyError alike)
        raise TrtconvError(f"TRTModule state field {name!r} is damaged: {type(e).__name__}: "
                           f"{e}") from None


def _treespec(text: str | None) -> Any:
    return pytree.treespec_loads(text) if text else None


def _check_constant_arg(entry: dict[str, Any]) -> None:
    missing = {"leaf", "name", "type", "shown"} - set(entry)
    if missing or ("value" not in entry and "repr" not in entry):
        raise KeyError(f"an entry lacks {sorted(missing) or ['value or repr']}")
    if not isinstance(entry["leaf"], int):
        raise TypeError(f"leaf {entry['leaf']!r} is not an int")


def _by_key_paths(args: tuple[Any, ...], spec: Any) -> list[Any] | None:
    """The leaves of `args` in the order of `spec`, when they differ only in the order of
    dict keys; else None."""
    given = dict(pytree.tree_flatten_with_path(args)[0])
    template = pytree.tree_unflatten([None] * spec.num_leaves, spec)
    paths = [path for path, _ in pytree.tree_flatten_with_path(template)[0]]
    if len(paths) != len(given) or any(path not in given for path in paths):
        return None
    return [given[path] for path in paths]


def _dtype(name: Any) -> torch.dtype | None:
    """A torch dtype from its recorded name ("torch.float64"); None for anything else."""
    value = getattr(torch, str(name).removeprefix("torch."), None)
    return value if isinstance(value, torch.dtype) else None


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def same_argument(entry: dict[str, Any], value: Any) -> bool:
    """Whether a non-tensor argument equals the conversion's (by value for plain data, by
    type and repr otherwise)."""
    if "value" in entry:
        return type(value).__name__ == entry["type"] and value == entry["value"]
    return type(value).__name__ == entry["type"] and repr(value) == entry["repr"]


def describe_constant_arg(leaf: int, name: str, value: Any) -> dict[str, Any]:
    """How a non-tensor argument is recorded (plain data only: states load weights_only)."""
    entry: dict[str, Any] = {"leaf": leaf, "name": name, "type": type(value).__name__,
                             "shown": shown(value)}
    if _is_plain(value):
        entry["value"] = value
    else:
        entry["repr"] = repr(value)
    return entry


def _is_plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)
