"""Reduced precision under strong typing: rewrite a traced fp32 network into fp16 or bf16.

TensorRT 11 has no FP16 builder flag: precision is written into the network. The trace always
runs in fp32 (so every converter's output is checked against PyTorch); this pass then rewrites
the recorded network:

- float32 network inputs are cast to the low type once at entry, float32 outputs cast back;
- float32 weights (constants, kernels, biases, scale weights) become low-precision weights;
- casts and fills that produced FLOAT produce the low type;
- "fp32 islands" keep computing in float32 with explicit casts around them: layers whose range
  or accumulation suffers in half precision (softmax, normalization, reductions, exp/log,
  pow), layers whose fp32 output on the example inputs exceeds the low type's range, and the
  module paths or op names the user lists in `keep_fp32`.

The pass works on the recording (the network as data), so it knows layer types, never ops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from .reference import trt, walk
from .reference.trt.plan import Recording

PRECISIONS = ("fp32", "fp16", "bf16", "int8")
_LOW = {"fp16": trt.DataType.HALF, "bf16": trt.DataType.BF16}
_RANGE = {"fp16": 65504.0, "bf16": 3.0e38}

# Layer types that accumulate or amplify error in half precision.
_SENSITIVE_TYPES = {"ISoftMaxLayer", "INormalizationLayer", "IReduceLayer", "ICumulativeLayer"}
_SENSITIVE_UNARY = {"EXP", "LOG"}
_SENSITIVE_ELEMENTWISE = {"POW"}


@dataclass
class PrecisionReport:
    """What the pass did: islands kept in fp32 (layer name -> reason), casts added."""

    precision: str
    islands: dict[str, str] = field(default_factory=dict)
    casts_added: int = 0


def _layer_op(name: str) -> tuple[str, str]:
    """(module path, op) from a layer name `path/op_n[.k]`."""
    path, _, leaf = name.rpartition("/")
    op = leaf.split(".")[0].rsplit("_", 1)[0]
    return path, op


def _island_reason(layer: Any, spec: dict[str, Any], peaks: dict[str, float], limit: float,
                   keep_fp32: Sequence[str], keep_layers: Mapping[str, str]) -> str | None:
    if layer.name in keep_layers:
        return keep_layers[layer.name]
    path, op = _layer_op(layer.name)
    for keep in keep_fp32:
        if op == keep or path == keep or path.startswith(keep + "."):
            return f"kept in fp32 by keep_fp32={keep!r}"
    cls = spec["class"]
    if cls in _SENSITIVE_TYPES:
        return f"{cls[1:-5].lower()} accumulates in fp32"
    if cls == "IUnaryLayer" and layer.op.name in _SENSITIVE_UNARY:
        return f"unary {layer.op.name} range"
    if cls == "IElementWiseLayer" and layer.op.name in _SENSITIVE_ELEMENTWISE:
        return "pow range"
    for out in walk.layer_outputs(layer):
        if peaks.get(out.name, 0.0) > limit:
            return f"output reaches {peaks[out.name]:.3g} on the example, beyond the range"
    return None


class _Rewriter:
    """Builds the low-precision recording layer by layer."""

    def __init__(self, recording: Recording, low: Any):
        self.graph = recording.graph
        self.weights = list(recording.weights)
        self.low = low
        self.layers: list[dict[str, Any]] = []
        self.low_name: dict[str, str] = {}      # fp32 tensor -> its low-precision name
        self.fp32_name: dict[str, str] = {}     # fp32 tensor -> a float32 name (cast cache)
        self.float_tensors: set[str] = set()    # tensors that were FLOAT in the fp32 network
        self.casts = 0
        self._half_weights: dict[int, int] = {}

    def cast(self, source: str, dtype: Any, name: str) -> str:
        self.layers.append({
            "class": "ICastLayer", "ctor": "add_cast",
            "args": [{"t": source}, {"e": ["DataType", dtype.name]}],
            "props": {"to_type": {"e": ["DataType", dtype.name]}}, "set_inputs": {},
            "name": f"{name}/cast", "outputs": [name], "metadata": "",
        })
        self.casts += 1
        return name

    def as_fp32(self, tensor: str) -> str:
        """A float32 name for a tensor that is low precision in the new network."""
        if tensor not in self.fp32_name:
            self.fp32_name[tensor] = self.cast(self.low_name[tensor], trt.DataType.FLOAT,
                                               f"{tensor}__fp32")
        return self.fp32_name[tensor]

    def ref(self, value: Any, island: bool) -> Any:
        """Rewrite an encoded argument: tensor names, float weights, FLOAT dtypes."""
        if not isinstance(value, dict):
            return value
        (kind, payload), = value.items()
        if kind == "t":
            if payload not in self.float_tensors:
                return {"t": self.low_name.get(payload, payload)}
            return {"t": self.as_fp32(payload) if island else self.low_name[payload]}
        if kind == "w" and not island:
            return {"w": self._low_weight(payload)}
        if kind == "e" and payload == ["DataType", "FLOAT"] and not island:
            return {"e": ["DataType", self.low.name]}
        if kind == "l":
            return {"l": [self.ref(v, island) for v in payload]}
        return value

    def _low_weight(self, index: int) -> int:
        data = self.weights[index]
        if data.dtype != torch.float32:
            return index
        if index not in self._half_weights:
            self._half_weights[index] = len(self.weights)
            self.weights.append(data.to(trt.torch_dtype(self.low)))
        return self._half_weights[index]


def peak_values(network: Any, example_inputs: Sequence[torch.Tensor]) -> dict[str, float]:
    """Every float tensor's max abs value on the example inputs, by name."""
    return {name: float(v.abs().max()) if v.is_floating_point() and v.numel() else 0.0
            for name, v in walk.observe(network, example_inputs).items()}


def lower_precision(network: Any, recording: Recording, precision: str,
                    example_inputs: Sequence[torch.Tensor],
                    keep_fp32: Sequence[str] = (), keep_layers: Mapping[str, str] | None = None,
                    peaks: dict[str, float] | None = None) -> tuple[Recording, PrecisionReport]:
    """The fp16/bf16 recording of an fp32 reference network (see the module docstring).

    `keep_layers` keeps those layers (by name) in fp32 with the given reasons; `peaks` are
    `peak_values` of the example inputs when already known.
    """
    low = _LOW[precision]
    if peaks is None:
        peaks = peak_values(network, example_inputs)
    rw = _Rewriter(recording, low)
    report = PrecisionReport(precision)
    outputs = set(recording.graph["outputs"])
    for spec in recording.graph["inputs"]:
        if spec["dtype"] == "FLOAT":
            rw.float_tensors.add(spec["name"])
            rw.low_name[spec["name"]] = rw.cast(spec["name"], low, f"{spec['name']}__{precision}")
            rw.fp32_name[spec["name"]] = spec["name"]  # islands read the input itself
    for layer, spec in zip(walk.layers(network), recording.graph["layers"]):
        reason = _island_reason(layer, spec, peaks, _RANGE[precision], keep_fp32,
                                keep_layers or {})
        island = reason is not None
        if island:
            report.islands[layer.name] = reason
        new = dict(spec)
        new["args"] = [rw.ref(a, island) for a in spec["args"]]
        new["props"] = {k: rw.ref(v, island) for k, v in spec["props"].items()}
        new["set_inputs"] = {i: rw.ref({"t": t}, island)["t"]
                             for i, t in spec["set_inputs"].items()}
        new["outputs"] = list(spec["outputs"])
        rw.layers.append(new)
        for position, out in enumerate(walk.layer_outputs(layer)):
            if out.dtype != trt.DataType.FLOAT:
                continue
            rw.float_tensors.add(out.name)
            if island:
                rw.fp32_name[out.name] = out.name
                rw.low_name[out.name] = rw.cast(out.name, low, f"{out.name}__{precision}")
            elif out.name in outputs:
                new["outputs"][position] = f"{out.name}__{precision}"
                rw.low_name[out.name] = new["outputs"][position]
            else:
                rw.low_name[out.name] = out.name
    for name in recording.graph["outputs"]:
        if name in rw.float_tensors and rw.low_name.get(name) != name and name not in rw.fp32_name:
            rw.cast(rw.low_name[name], trt.DataType.FLOAT, name)
    graph = dict(recording.graph, layers=rw.layers)
    report.casts_added = rw.casts
    return Recording(graph, rw.weights), report

