"""One description of a converted module's engine, for the sidecar, Triton and `inspect`.

The I/O and profiles come from the conversion's metadata (`trtconv.export.facts`); a module
saved before those facts existed is described by deserializing its engine, which works where
its backend can run.

>>> import torch, trtconv
>>> from trtconv.export.describe import describe
>>> m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference",
...                     min_shapes=[(1, 3)], max_shapes=[(8, 3)])
>>> info = describe(m)
>>> info.inputs[0].shape, info.profiles[0]["input_0"].max
((-1, 3), (8, 3))
>>> info.needs_python
["the reference plan runs in trtconv's PyTorch runtime"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .. import backends
from ..errors import TrtconvError
from .facts import dtype_name, qualified_name


@dataclass(frozen=True)
class Tensor:
    """An engine I/O tensor: name, torch dtype name, shape with -1 for dynamic dims."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.shape)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "rank": self.rank,
                "shape": list(self.shape)}


@dataclass(frozen=True)
class Range:
    """One input's shapes in one optimization profile."""

    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    def as_dict(self) -> dict[str, list[int]]:
        return {"min": list(self.min), "opt": list(self.opt), "max": list(self.max)}


@dataclass(frozen=True)
class EngineInfo:
    """Everything an engine file, a Triton config or `trtconv inspect` needs to say."""

    backend: str
    module_class: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    profiles: tuple[dict[str, Range], ...]
    metadata: dict[str, Any]
    input_spec: str | None
    output_spec: str | None

    @property
    def plugins(self) -> list[str]:
        return list(self.metadata.get("plugins") or [])

    @property
    def guards(self) -> list[dict[str, Any]]:
        return list(self.metadata.get("guards") or [])

    @property
    def fallbacks(self) -> list[Any]:
        return list(self.metadata.get("fallbacks") or [])

    @property
    def needs_python(self) -> list[str]:
        """Why the engine cannot run without Python and trtconv (empty: it can)."""
        reasons = []
        if self.backend == "reference":
            reasons.append("the reference plan runs in trtconv's PyTorch runtime")
        if self.module_class != "trtconv.module.TRTModule":
            reasons.append(f"{self.module_class} runs PyTorch code between engines")
        if self.fallbacks:
            reasons.append(f"{len(self.fallbacks)} fallback module(s) run in PyTorch")
        if self.plugins:
            reasons.append(f"plugins implemented in Python: {', '.join(self.plugins)}")
        if self.guards:
            reasons.append(f"{len(self.guards)} guard(s) are checked in Python after each "
                           f"call")
        return reasons


def _tensors(entries: list[dict[str, Any]]) -> tuple[Tensor, ...]:
    return tuple(Tensor(e["name"], e["dtype"], tuple(int(d) for d in e["shape"]))
                 for e in entries)


def _profiles(entries: list[dict[str, Any]]) -> tuple[dict[str, Range], ...]:
    return tuple({name: Range(*(tuple(int(d) for d in s) for s in shapes))
                  for name, shapes in p.items()} for p in entries)


def describe(module: torch.nn.Module) -> EngineInfo:
    """Describe a `TRTModule` (or a module with the same `metadata["io"]` facts)."""
    metadata = dict(getattr(module, "metadata", {}) or {})
    io = metadata.get("io") or _io_from_engine(module)
    state = module.get_extra_state() if hasattr(module, "get_extra_state") else {}
    return EngineInfo(
        backend=str(getattr(module, "backend", "")), module_class=qualified_name(type(module)),
        inputs=_tensors(io["inputs"]), outputs=_tensors(io["outputs"]),
        profiles=_profiles(io["profiles"]), metadata=metadata,
        input_spec=state.get("input_spec"), output_spec=state.get("output_spec"))


def _io_from_engine(module: Any) -> dict[str, Any]:
    """The I/O facts read back from the engine itself (modules saved without them)."""
    engine_bytes = getattr(module, "engine_bytes", None)
    if engine_bytes is None:
        raise TrtconvError(f"{type(module).__name__} holds no engine and no 'io' metadata: "
                           f"nothing to describe")
    backend = backends.get(module.backend)
    if not backend.can_run():
        raise TrtconvError(f"this {backend.name} module was saved without I/O metadata and its "
                           f"plan cannot be opened here (it needs a GPU); convert it again with "
                           f"this trtconv version")
    return engine_io(backend.trt(), engine_bytes)


def engine_io(trt: Any, engine_bytes: bytes) -> dict[str, Any]:
    """I/O tensors and profiles of serialized engine bytes, through the runtime API."""
    logger = backends.capturing_logger(trt)
    engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
    if engine is None:
        raise TrtconvError(f"cannot open the engine: {'; '.join(logger.errors()[-3:])}")
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]

    def entry(name: str) -> dict[str, Any]:
        dtype = backends.torch_dtype(engine.get_tensor_dtype(name))
        return {"name": name, "dtype": dtype_name(dtype),
                "shape": [int(d) for d in engine.get_tensor_shape(name)]}

    profiles = [{n: [list(map(int, s)) for s in engine.get_tensor_profile_shape(n, p)]
                 for n in inputs} for p in range(max(1, engine.num_optimization_profiles))]
    return {"inputs": [entry(n) for n in inputs],
            "outputs": [entry(n) for n in names if n not in inputs], "profiles": profiles}
