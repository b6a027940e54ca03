"""Network recordings: the reference plan format, and replay onto any `trt`-like module.

A recording lists a network's inputs, then each layer as the `add_*` call that made it, the
properties set on it, the inputs attached later with `set_input`, and its name; then the
outputs. Replaying a recording performs the same calls on a network of another module: the
reference itself (loading a plan) or the real `tensorrt` / `tensorrt_rtx` (the backends).

A serialized plan is `MAGIC`, a fixed header, the recording as JSON, and the weights as raw
bytes. Nothing in it is executed: method, enum and property names are checked against the
reference's own tables before use, and every offset is bounds-checked.
"""

from __future__ import annotations

import inspect
import json
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import torch

from . import enums as _enums
from .core import (
    LAYER_CLASSES,
    NETWORK_METHODS,
    Dims,
    ITensor,
    Permutation,
    Weights,
    torch_dtype,
    trt_dtype,
)
from .enums import DataType

MAGIC = b"TRTCREFP"
FORMAT_VERSION = 1
TENSORRT_API = "11.4"
_HEADER = struct.Struct("<8sIQQI")  # magic, version, json bytes, blob bytes, crc32 of both


class PlanError(ValueError):
    """Bytes that are not a valid reference plan (truncated, corrupted, hostile, other version)."""


@dataclass
class Recording:
    """A network as data: JSON-able `graph` plus the weight tensors it refers to by index."""

    graph: dict[str, Any]
    weights: list[torch.Tensor] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Recording a reference network


class _Encoder:
    def __init__(self) -> None:
        self.weights: list[torch.Tensor] = []
        self._weight_ids: dict[int, int] = {}

    def value(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)) and not hasattr(v, "name"):
            return v
        if isinstance(v, ITensor):
            return {"t": v.name}
        if isinstance(v, Weights):
            return {"w": self._weight(v)}
        if isinstance(v, _enums._TrtEnum):
            return {"e": [type(v).__name__, v.name]}
        if isinstance(v, Permutation):
            return {"p": list(v)}
        if isinstance(v, Dims):
            return {"d": list(v)}
        if isinstance(v, (list, tuple)):
            return {"l": [self.value(x) for x in v]}
        raise TypeError(f"cannot record a value of type {type(v).__name__}")

    def _weight(self, w: Weights) -> int:
        key = id(w)
        if key not in self._weight_ids:
            self._weight_ids[key] = len(self.weights)
            self.weights.append(w.tensor)
        return self._weight_ids[key]


def record_network(network: Any, profiles: Sequence[dict[str, list[list[int]]]] = (),
                   config: dict[str, Any] | None = None) -> Recording:
    """Describe a reference `INetworkDefinition` (and build settings) as a `Recording`."""
    enc = _Encoder()
    layers = []
    for layer in network._layers:
        layers.append({
            "class": type(layer).__name__,
            "ctor": layer._ctor,
            "args": [enc.value(a) for a in layer._ctor_args.values()],
            "props": {k: enc.value(v) for k, v in layer._props.items()},
            "set_inputs": {str(i): t.name for i, t in layer._set_inputs.items()},
            "name": layer.name,
            "outputs": [t.name for t in layer._outputs],
            "metadata": layer.metadata,
        })
    graph = {
        "inputs": [{"name": t.name, "dtype": t.dtype.name, "shape": list(t.shape)}
                   for t in network._inputs],
        "layers": layers,
        "outputs": [t.name for t in network._outputs],
        "profiles": [dict(p) for p in profiles],
        "config": dict(config or {}),
    }
    return Recording(graph, enc.weights)


def arg_index(spec: dict[str, Any], name: str) -> int:
    """Where the `add_*` argument `name` stands in a layer record's "args" (they are recorded
    in the order of the method's parameters)."""
    parameters = list(inspect.signature(NETWORK_METHODS[spec["ctor"]]).parameters)[1:]
    try:
        return parameters.index(name)
    except ValueError:
        raise KeyError(f"{spec['ctor']} has no argument {name!r}") from None


# ---------------------------------------------------------------------------------------------
# Replay onto a trt-like module


def _enum(trt: ModuleType, enum_name: str, member: str) -> Any:
    if enum_name not in _enums.enum_names():
        raise PlanError(f"unknown enum {enum_name!r}")
    if member not in getattr(_enums, enum_name).__members__:
        raise PlanError(f"unknown member {enum_name}.{member}")
    return getattr(getattr(trt, enum_name), member)


class _Decoder:
    def __init__(self, trt: ModuleType, weights: list[torch.Tensor], is_reference: bool,
                 add_plugin: PluginAdder | None = None):
        self.trt = trt
        self.weights = weights
        self.is_reference = is_reference
        self.tensors: dict[str, Any] = {}
        self.keep_alive: list[Any] = []
        self.add_plugin = add_plugin or (_reference_plugin if is_reference else _no_plugins)

    def value(self, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            raise PlanError(f"malformed value {v!r}")
        (kind, payload), = v.items()
        if kind == "t":
            if payload not in self.tensors:
                raise PlanError(f"reference to unknown tensor {payload!r}")
            return self.tensors[payload]
        if kind == "w":
            return self.weight(payload)
        if kind == "e":
            return _enum(self.trt, *payload)
        if kind == "d":
            return tuple(int(x) for x in payload)
        if kind == "p":
            return self.trt.Permutation([int(x) for x in payload])
        if kind == "l":
            return [self.value(x) for x in payload]
        raise PlanError(f"unknown value kind {kind!r}")

    def weight(self, index: int) -> Any:
        if not isinstance(index, int) or not 0 <= index < len(self.weights):
            raise PlanError(f"weight index {index!r} out of range")
        data = self.weights[index]
        if self.is_reference:
            return self.trt.Weights(data)
        if data.numel() == 0:  # empty weights (a kernel on input 1): TensorRT wants no pointer
            return self.trt.Weights(getattr(self.trt.DataType, trt_dtype(data.dtype).name))
        if data.dtype == torch.bfloat16:  # numpy has no bfloat16: hand TensorRT a pointer
            self.keep_alive.append(data)
            return self.trt.Weights(self.trt.bfloat16, data.data_ptr(), data.numel())
        array = data.numpy()
        self.keep_alive.append(array)
        return self.trt.Weights(np.ascontiguousarray(array))


# Adds a recorded plugin layer: (network, inputs, plugin op name, attributes as JSON, number
# of outputs) -> layer. Plugins are named, never stored as code: the target module registers
# the op its own way (the reference looks it up in trtconv.plugins; backends/ for TensorRT).
PluginAdder = Callable[[Any, list[Any], str, str, int], Any]


def _reference_plugin(network: Any, inputs: list[Any], plugin_id: str, attrs: str,
                      num_outputs: int) -> Any:
    from .layers.plugin import replay_plugin

    try:
        return replay_plugin(network, inputs, plugin_id, attrs, num_outputs)
    except AttributeError as e:  # trtconv.plugins.PluginNotFoundError
        raise PlanError(str(e)) from None


def _no_plugins(network: Any, inputs: list[Any], plugin_id: str, attrs: str,
                num_outputs: int) -> Any:
    raise PlanError(f"the network has a plugin layer ({plugin_id}); replaying it onto this "
                    f"module needs the backend's plugin registration")


def replay(recording: Recording, trt: ModuleType, network: Any, *,
           is_reference: bool = False, add_plugin: PluginAdder | None = None
           ) -> dict[str, Any]:
    """Perform the recorded calls on `network` (made by module `trt`); return tensors by name.

    The returned map also holds every weight buffer the target may still point to (under the
    key `"__keep_alive__"`), which must live until the plan is built. `add_plugin` adds plugin
    layers (default: the reference's own lookup of the op, for the reference module).
    """
    graph = recording.graph
    dec = _Decoder(trt, recording.weights, is_reference, add_plugin)
    for spec in _list(graph, "inputs"):
        dtype = _enum(trt, "DataType", spec["dtype"])
        dec.tensors[spec["name"]] = network.add_input(spec["name"], dtype, tuple(spec["shape"]))
    for spec in _list(graph, "layers"):
        _replay_layer(spec, dec, network)
    for name in _list(graph, "outputs"):
        if name not in dec.tensors:
            raise PlanError(f"output {name!r} is not produced by any layer")
        network.mark_output(dec.tensors[name])
    dec.tensors["__keep_alive__"] = dec.keep_alive
    return dec.tensors


def inline(recording: Recording, network: Any, inputs: dict[str, Any],
           prefix: str) -> list[Any]:
    """Perform a reference recording's layers on `network` (of the reference), reading its
    inputs from `inputs` (ITensors by input name) and naming what it adds `prefix/...`;
    return the ITensors of its outputs, in order."""
    from trtconv.reference import trt as reference

    dec = _Decoder(reference, recording.weights, is_reference=True)
    for spec in _list(recording.graph, "inputs"):
        if spec["name"] not in inputs:
            raise PlanError(f"no tensor given for input {spec['name']!r}")
        dec.tensors[spec["name"]] = inputs[spec["name"]]
    for spec in _list(recording.graph, "layers"):
        renamed = {**spec, "name": f"{prefix}/{spec.get('name', '')}",
                   "outputs": [f"{prefix}/{name}" for name in spec.get("outputs", [])]}
        renamed["set_inputs"] = {k: _prefixed(v, prefix, inputs)
                                 for k, v in spec.get("set_inputs", {}).items()}
        renamed["args"] = [_renamed_refs(a, prefix, inputs) for a in spec.get("args", [])]
        _replay_layer(renamed, dec, network)
    return [dec.tensors[_prefixed(name, prefix, inputs)]
            for name in _list(recording.graph, "outputs")]


def _prefixed(name: str, prefix: str, inputs: dict[str, Any]) -> str:
    return name if name in inputs else f"{prefix}/{name}"


def _renamed_refs(value: Any, prefix: str, inputs: dict[str, Any]) -> Any:
    """A recorded argument with its tensor references renamed as `inline` names them."""
    if isinstance(value, dict) and set(value) == {"t"}:
        return {"t": _prefixed(value["t"], prefix, inputs)}
    if isinstance(value, dict) and set(value) == {"l"}:
        return {"l": [_renamed_refs(v, prefix, inputs) for v in value["l"]]}
    return value


def _replay_layer(spec: dict[str, Any], dec: _Decoder, network: Any) -> None:
    ctor = spec.get("ctor")
    cls = LAYER_CLASSES.get(spec.get("class", ""))
    if ctor not in NETWORK_METHODS or cls is None:
        raise PlanError(f"unknown layer constructor {ctor!r} / class {spec.get('class')!r}")
    args = [dec.value(a) for a in spec.get("args", [])]
    if ctor == "add_plugin":
        layer = dec.add_plugin(network, *args, len(spec.get("outputs", [])))
    else:
        layer = getattr(network, ctor)(*args)
    if layer is None:
        raise RuntimeError(f"{ctor} returned None for layer {spec.get('name')!r}")
    declared = cls.props()
    for key, raw in spec.get("props", {}).items():
        if key not in declared:
            raise PlanError(f"{cls.__name__} has no property {key!r}")
        setattr(layer, key, dec.value(raw))
    for index, name in spec.get("set_inputs", {}).items():
        if name not in dec.tensors:
            raise PlanError(f"set_input of unknown tensor {name!r}")
        layer.set_input(int(index), dec.tensors[name])
    layer.name = str(spec.get("name", ""))
    if spec.get("metadata"):
        layer.metadata = str(spec["metadata"])
    outputs = spec.get("outputs", [])
    if len(outputs) != layer.num_outputs:
        raise PlanError(f"layer {spec.get('name')!r} has {layer.num_outputs} outputs, "
                        f"the plan lists {len(outputs)}")
    for i, name in enumerate(outputs):
        out = layer.get_output(i)
        out.name = name
        dec.tensors[name] = out


def _list(graph: dict[str, Any], key: str) -> list[Any]:
    value = graph.get(key, [])
    if not isinstance(value, list):
        raise PlanError(f"plan field {key!r} must be a list")
    return value


# ---------------------------------------------------------------------------------------------
# Bytes


def to_bytes(recording: Recording) -> bytes:
    """Serialize a recording: header, JSON graph, raw weights (never pickle)."""
    index, blob = [], bytearray()
    for w in recording.weights:
        raw = w.contiguous().view(torch.uint8).numpy().tobytes() if w.numel() else b""
        index.append({"dtype": _dtype_name(w.dtype), "numel": w.numel(), "offset": len(blob),
                      "nbytes": len(raw)})
        blob += raw
    doc = {"format": "trtconv-reference-plan", "version": FORMAT_VERSION,
           "tensorrt_api": TENSORRT_API, "graph": recording.graph, "weights": index}
    text = json.dumps(doc, separators=(",", ":")).encode()
    crc = zlib.crc32(blob, zlib.crc32(text))
    return _HEADER.pack(MAGIC, FORMAT_VERSION, len(text), len(blob), crc) + text + bytes(blob)


def from_bytes(data: bytes | bytearray | memoryview) -> Recording:
    """Parse plan bytes, checking magic, version, lengths and checksum before anything else."""
    data = bytes(data)
    if len(data) < _HEADER.size:
        raise PlanError(f"truncated: {len(data)} bytes is shorter than the plan header")
    magic, version, n_text, n_blob, crc = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PlanError("not a trtconv reference plan (bad magic bytes): it may be a TensorRT "
                        "engine or another file")
    if version != FORMAT_VERSION:
        raise PlanError(f"reference plan format version {version}; this trtconv reads "
                        f"version {FORMAT_VERSION}")
    if len(data) != _HEADER.size + n_text + n_blob:
        raise PlanError(f"truncated or padded: header announces {n_text + n_blob} payload bytes, "
                        f"found {len(data) - _HEADER.size}")
    text = data[_HEADER.size:_HEADER.size + n_text]
    blob = data[_HEADER.size + n_text:]
    if zlib.crc32(blob, zlib.crc32(text)) != crc:
        raise PlanError("corrupted: checksum mismatch")
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise PlanError(f"corrupted graph: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != "trtconv-reference-plan":
        raise PlanError("graph is not a trtconv reference plan")
    weights = [_weight_from(blob, spec) for spec in doc.get("weights", [])]
    graph = doc.get("graph")
    if not isinstance(graph, dict):
        raise PlanError("plan has no graph")
    return Recording(graph, weights)


_DTYPE_NAMES = {torch_dtype(d): d.name for d in DataType if d.name not in ("INT4", "FP4", "E8M0")}


def _dtype_name(dtype: torch.dtype) -> str:
    return _DTYPE_NAMES[dtype]


def _weight_from(blob: bytes, spec: Any) -> torch.Tensor:
    try:
        dtype = torch_dtype(DataType[spec["dtype"]])
        offset, nbytes, numel = int(spec["offset"]), int(spec["nbytes"]), int(spec["numel"])
    except (KeyError, TypeError, ValueError) as e:
        raise PlanError(f"malformed weight entry {spec!r}: {e}") from None
    itemsize = torch.empty(0, dtype=dtype).element_size()
    if offset < 0 or nbytes != numel * itemsize or offset + nbytes > len(blob):
        raise PlanError(f"weight entry {spec!r} lies outside the weight data")
    if numel == 0:
        return torch.empty(0, dtype=dtype)
    raw = bytearray(blob[offset:offset + nbytes])
    return torch.frombuffer(raw, dtype=torch.uint8).view(dtype).clone()


__all__ = ["Recording", "PlanError", "record_network", "replay", "to_bytes", "from_bytes"]
