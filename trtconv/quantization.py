"""INT8 post-training quantization: calibration, and Q/DQ layers written into the network.

TensorRT 11 has no INT8 flag and no calibrators: quantization is explicit. This pass
calibrates activation ranges by running the traced fp32 network (the reference, which
matches the PyTorch model to float rounding) on the user's calibration data, then inserts
quantize/dequantize pairs in front of every convolution and matrix multiply:

- activations: per-tensor scale amax/127, with amax from `max`, `percentile` or `entropy`
  (TensorRT's KL-divergence method) over the calibration data;
- weights: per-output-channel scales (convolution kernels, the constant side of a matmul).

The calibration result is a small JSON file keyed by layer names (which lead back to module
paths), so a build can be repeated without the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .reference import trt, walk
from .reference.trt.plan import Recording, arg_index

METHODS = ("max", "percentile", "entropy")
_BINS = 2048
_LEVELS = 128


@dataclass
class Calibration:
    """Activation amax per quantized layer input (`<layer name>:<input index>`)."""

    method: str
    amax: dict[str, float] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"format": "trtconv-calibration", "version": 1,
                                          "method": self.method, "amax": self.amax}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        doc = json.loads(Path(path).read_text())
        if doc.get("format") != "trtconv-calibration":
            raise ValueError(f"{path} is not a trtconv calibration file")
        return cls(doc["method"], {str(k): float(v) for k, v in doc["amax"].items()})


def _quantized_inputs(network: Any) -> list[tuple[Any, int, Any]]:
    """(layer, input index, tensor) for every activation input Q/DQ goes in front of."""
    producers = walk.producers(network)
    found = []
    for layer in walk.layers(network):
        if isinstance(layer, trt.IConvolutionLayer):
            found.append((layer, 0, layer.get_input(0)))
        elif isinstance(layer, trt.IMatrixMultiplyLayer):
            for index, tensor in enumerate(walk.layer_inputs(layer)[:2]):
                if not _is_constant(producers, tensor):
                    found.append((layer, index, tensor))
    return [f for f in found if f[2].dtype == trt.DataType.FLOAT]


def _is_constant(producers: dict[str, tuple[int, Any]], tensor: Any) -> bool:
    """Whether a constant layer computes `tensor` (a weight, not an activation)."""
    made_by = producers.get(tensor.name)
    return made_by is not None and isinstance(made_by[1], trt.IConstantLayer)


def _batches(data: Iterable[Any], count: int) -> list[list[torch.Tensor]]:
    """Each calibration item's first `count` tensors (a DataLoader's labels are dropped)."""
    from torch.utils import _pytree as pytree

    batches = []
    for item in data:
        tensors = [t for t in pytree.tree_leaves(item) if isinstance(t, torch.Tensor)]
        if len(tensors) < count:
            raise ValueError(f"a calibration item has {len(tensors)} tensors; the model takes "
                             f"{count} inputs")
        batches.append([t.detach().float() if t.is_floating_point() else t
                        for t in tensors[:count]])
    if not batches:
        raise ValueError("calibration_data is empty")
    return batches


def _rebatch(batches: list[list[torch.Tensor]], network: Any) -> list[list[torch.Tensor]]:
    """Calibration batches regrouped to the network's batch size when that is static (a
    network traced at batch 4 cannot run a batch of 256); a remainder is dropped."""
    sizes = {t.shape[0] for t in walk.inputs(network) if len(t.shape) and t.shape[0] >= 0}
    if len(sizes) != 1 or all(b[0].shape[0] in sizes for b in batches):
        return batches
    size = sizes.pop()
    joined = [torch.cat([b[i] for b in batches]) for i in range(len(batches[0]))]
    count = joined[0].shape[0] // size
    if count == 0:
        raise ValueError(f"calibration_data holds {joined[0].shape[0]} samples; the network "
                         f"takes batches of {size}")
    return [[x[k * size:(k + 1) * size] for x in joined] for k in range(count)]


def calibrate(network: Any, data: Iterable[Any], method: str = "entropy",
              percentile: float = 99.99,
              progress: Callable[[int, int], None] | None = None) -> Calibration:
    """Activation ranges of the network's quantized inputs over `data`; `progress(done,
    total)` is told each pass over a batch."""
    if method not in METHODS:
        raise ValueError(f"calibration method must be one of {METHODS}, got {method!r}")
    targets = _quantized_inputs(network)
    batches = _rebatch(_batches(data, network.num_inputs), network)
    peaks = {key(layer, i): 0.0 for layer, i, _ in targets}
    passes = len(batches) * (1 if method == "max" else 2)
    for done, batch in enumerate(batches, 1):
        values = walk.observe(network, batch)
        if progress is not None:
            progress(done, passes)
        for layer, i, tensor in targets:
            k = key(layer, i)
            peaks[k] = max(peaks[k], float(values[tensor.name].abs().max()))
    if method == "max":
        return Calibration(method, peaks)
    hists = {k: np.zeros(_BINS) for k in peaks}
    for done, batch in enumerate(batches, len(batches) + 1):
        values = walk.observe(network, batch)
        if progress is not None:
            progress(done, passes)
        for layer, i, tensor in targets:
            k = key(layer, i)
            data_abs = values[tensor.name].abs().flatten().numpy()
            hists[k] += np.histogram(data_abs, bins=_BINS, range=(0, peaks[k] or 1.0))[0]
    amax = {}
    for k, hist in hists.items():
        width = (peaks[k] or 1.0) / _BINS
        edge = (_percentile_bin(hist, percentile) if method == "percentile"
                else _entropy_bin(hist))
        amax[k] = max(edge * width, 1e-8)
    return Calibration(method, amax)


def key(layer: Any, index: int) -> str:
    return f"{layer.name}:{index}"


def _percentile_bin(hist: np.ndarray, percentile: float) -> int:
    cdf = np.cumsum(hist) / max(hist.sum(), 1)
    return int(np.searchsorted(cdf, percentile / 100.0)) + 1


def _entropy_bin(hist: np.ndarray) -> int:
    """TensorRT's entropy calibration: the clipping bin whose 128-level quantization of the
    histogram has the least KL divergence from the clipped histogram."""
    best, best_bin = float("inf"), len(hist)
    for end in range(_LEVELS, len(hist) + 1, 16):
        reference = hist[:end].astype(np.float64).copy()
        reference[end - 1] += hist[end:].sum()  # outliers clip into the last bin
        if reference.sum() == 0:
            continue
        merged = np.array_split(hist[:end].astype(np.float64), _LEVELS)
        candidate = np.concatenate([
            np.where(chunk > 0, chunk.sum() / max((chunk > 0).sum(), 1), 0.0)
            for chunk in merged])
        p = reference / reference.sum()
        q = candidate / max(candidate.sum(), 1e-12)
        mask = p > 0
        divergence = float(np.sum(p[mask] * np.log(p[mask] / np.maximum(q[mask], 1e-12))))
        if divergence < best:
            best, best_bin = divergence, end
    return best_bin


class _Inserter:
    """Adds constant, quantize and dequantize layer records to a recording."""

    def __init__(self, recording: Recording):
        self.weights = list(recording.weights)
        self.layers: list[dict[str, Any]] = []
        self.count = 0

    def _record(self, cls: str, ctor: str, args: list[Any], props: dict[str, Any],
                name: str) -> str:
        self.layers.append({"class": cls, "ctor": ctor, "args": args, "props": props,
                            "set_inputs": {}, "name": name, "outputs": [f"{name}:out"],
                            "metadata": ""})
        return f"{name}:out"

    def constant(self, value: torch.Tensor, name: str) -> str:
        self.weights.append(value.contiguous())
        w = {"w": len(self.weights) - 1}
        shape = {"d": list(value.shape)}
        return self._record("IConstantLayer", "add_constant", [shape, w],
                            {"shape": shape, "weights": w}, name)

    def qdq(self, source: str, scale: torch.Tensor, axis: int, name: str) -> str:
        """quantize -> dequantize of `source` with `scale` (0-d: per tensor; 1-D: on `axis`)."""
        self.count += 1
        scale_name = self.constant(scale.float(), f"{name}/scale")
        props = {"axis": axis} if scale.dim() else {}
        int8 = {"e": ["DataType", "INT8"]}
        fp32 = {"e": ["DataType", "FLOAT"]}
        q = self._record("IQuantizeLayer", "add_quantize",
                         [{"t": source}, {"t": scale_name}, int8],
                         {**props, "to_type": int8}, f"{name}/quantize")
        return self._record("IDequantizeLayer", "add_dequantize",
                            [{"t": q}, {"t": scale_name}, fp32],
                            {**props, "to_type": fp32}, f"{name}/dequantize")


def _channel_scales(weights: torch.Tensor, axis: int) -> torch.Tensor:
    dims = [d for d in range(weights.dim()) if d != axis]
    amax = weights.abs().amax(dim=dims) if dims else weights.abs()
    return torch.clamp(amax, min=1e-8) / 127.0


def quantize_network(network: Any, recording: Recording,
                     calibration: Calibration) -> tuple[Recording, int]:
    """The recording with Q/DQ pairs in front of convolutions and matrix multiplies; also
    returns how many pairs were inserted."""
    ins = _Inserter(recording)
    producers = walk.producers(network)
    activations: dict[int, list[int]] = {}  # id(layer) -> quantized input indices
    for layer, i, _ in _quantized_inputs(network):
        activations.setdefault(id(layer), []).append(i)
    for layer, spec in zip(walk.layers(network), recording.graph["layers"]):
        spec = dict(spec, args=list(spec["args"]), set_inputs=dict(spec["set_inputs"]))
        for i in sorted(activations.get(id(layer), ())):
            _quantize_activation(ins, spec, layer, i, calibration)
        if isinstance(layer, trt.IConvolutionLayer):
            _quantize_kernel(ins, spec, layer, recording)
        elif isinstance(layer, trt.IMatrixMultiplyLayer):
            _quantize_matmul_weights(ins, spec, layer, recording, producers)
        ins.layers.append(spec)
    return Recording(dict(recording.graph, layers=ins.layers), ins.weights), ins.count


def _quantize_activation(ins: _Inserter, spec: dict[str, Any], layer: Any, i: int,
                         calibration: Calibration) -> None:
    """Q/DQ with the calibrated per-tensor scale in front of input `i` of `layer`."""
    amax = calibration.amax.get(key(layer, i))
    if amax is None:
        raise ValueError(f"the calibration has no range for {key(layer, i)}: it was made for "
                         f"another model")
    source = layer.get_input(i).name
    dq = ins.qdq(source, torch.tensor(amax / 127.0), -1, f"{layer.name}/input{i}")
    _replace_input(spec, i, source, dq)


def _quantize_kernel(ins: _Inserter, spec: dict[str, Any], layer: Any,
                     recording: Recording) -> None:
    """A convolution's constant kernel as a constant layer through per-output-channel Q/DQ,
    fed to the layer's kernel input (the weights argument becomes empty)."""
    at = arg_index(spec, "kernel")
    if not spec["args"][at] or not recording.weights[spec["args"][at]["w"]].numel():
        return  # the kernel is already a tensor input
    kernel = recording.weights[spec["args"][at]["w"]].reshape(
        layer.num_output_maps, -1, *layer.kernel_size_nd)
    const = ins.constant(kernel, f"{layer.name}/kernel")
    spec["set_inputs"]["1"] = ins.qdq(const, _channel_scales(kernel, 0), 0,
                                      f"{layer.name}/kernel")
    ins.weights.append(torch.empty(0))
    spec["args"][at] = {"w": len(ins.weights) - 1}
    spec["props"] = {k: v for k, v in spec["props"].items() if k != "kernel"}


def _quantize_matmul_weights(ins: _Inserter, spec: dict[str, Any], layer: Any,
                             recording: Recording, producers: dict[str, tuple[int, Any]]
                             ) -> None:
    """Per-channel Q/DQ on the constant operands of a matrix multiply (channels: the output
    features of the weight side, whichever way it is transposed)."""
    for i, tensor in enumerate(walk.layer_inputs(layer)[:2]):
        if not _is_constant(producers, tensor) or tensor.dtype != trt.DataType.FLOAT:
            continue
        constant = recording.graph["layers"][producers[tensor.name][0]]
        value = recording.weights[constant["args"][arg_index(constant, "weights")]["w"]]
        value = value.reshape(tuple(tensor.shape))
        transposed = getattr(layer, f"op{i}") == trt.MatrixOperation.TRANSPOSE
        axis = value.dim() - (2 if transposed else 1) if i == 1 else 0
        axis = axis if value.dim() >= 2 else 0
        dq = ins.qdq(tensor.name, _channel_scales(value, axis), axis, f"{layer.name}/weights{i}")
        _replace_input(spec, i, tensor.name, dq)


def _replace_input(spec: dict[str, Any], index: int, old: str, new: str) -> None:
    """Point input `index` of a layer record at tensor `new` (ctor arg or set_input)."""
    if str(index) in spec["set_inputs"]:
        spec["set_inputs"][str(index)] = new
        return
    tensor_args = [k for k, a in enumerate(spec["args"]) if isinstance(a, dict) and "t" in a]
    position = tensor_args[index]
    assert spec["args"][position] == {"t": old}
    spec["args"][position] = {"t": new}


def prepare(network: Any, recording: Recording, calibration_data: Iterable[Any] | None,
            method: str, cache: str | Path | None,
            progress: Callable[[int, int], None] | None = None
            ) -> tuple[Recording, Calibration, int]:
    """Calibrate (or load the cache), save the cache if asked, and insert Q/DQ layers."""
    if calibration_data is not None:
        calibration = calibrate(network, calibration_data, method, progress=progress)
        if cache is not None:
            calibration.save(cache)
    elif cache is not None and Path(cache).exists():
        calibration = Calibration.load(cache)
    else:
        raise ValueError("precision='int8' needs calibration_data, or a calibration_cache file "
                         "written by an earlier conversion")
    lowered, count = quantize_network(network, recording, calibration)
    return lowered, calibration, count


__all__ = ["Calibration", "calibrate", "quantize_network", "prepare"]
