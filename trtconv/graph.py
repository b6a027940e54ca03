"""The converted network as one self-contained HTML page (`model_trt.graph("net.html")`,
`trtconv graph model.pth -o net.html`).

The page draws the network grouped the way the model is written: modules (collapsible, in the
order the forward pass ran them; a module run twice appears twice), in each module the torch
calls it made, in each call the TensorRT layers it emitted with their type, output shapes
(-1: dynamic), dtypes, fp32 islands and guards, and the tensors each call reads from other
calls. It opens collapsed to the top-level modules, searches layer names, and needs no
network access (the data and the script are inside the file).

The network comes from the module's reference recording: kept in memory by `convert`, or
read from a reference plan. Layers are grouped by their names (`<module.path>/<op>_<n>[.k]`)
and source (`metadata == "<op> @ <file>:<line>"`); the layers the conversion added around the
calls (precision casts, output copies) join the call whose tensor they read.

A partially converted module (calls that run in PyTorch between engine layers) can hand its
PyTorch segments to `page(..., pytorch_segments=...)`: each is drawn in its module as a
"pytorch" item at its place in the sequence.

>>> import torch, trtconv
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()).eval()
>>> m = trtconv.convert(model, [torch.randn(1, 4)], backend="reference")
>>> html = m.graph()                      # or m.graph("net.html")
>>> html.startswith("<!DOCTYPE html>") and '"0/linear_0"' in html
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.replay import rebuild
from .errors import TrtconvError
from .reference import walk
from .reference.trt.plan import Recording, from_bytes
from .summary import layer_type

NOT_READABLE = (
    "this TRTModule holds a {backend} engine, and TensorRT engines do not carry the network "
    "they were built from. The graph and the ONNX export need the reference network: a module "
    "converted in this Python session keeps it (any backend), and a backend='reference' "
    "module's plan is that network. Convert again with backend='reference' (the same network) "
    "to draw it or export it from a file.")


@dataclass
class PytorchSegment:
    """Calls a partially converted module runs in PyTorch: placed before engine layer
    `before_layer` (the layer count: after the last), each call `(op, module_path, source)`."""

    before_layer: int
    calls: list[tuple[str, str, str]] = field(default_factory=list)


def recording_of(module: Any) -> Recording:
    """The reference recording a TRTModule's engine was built from (see NOT_READABLE)."""
    recording = getattr(module, "reference_recording", None)
    if recording is not None:
        return recording
    if module.engine_bytes is None:
        raise TrtconvError("this TRTModule holds no engine: load a state_dict first")
    if module.backend != "reference":
        raise TrtconvError(NOT_READABLE.format(backend=module.backend))
    return from_bytes(module.engine_bytes)


# ---------------------------------------------------------------------------------------------
# Data for the page


def _source(metadata: str) -> tuple[str, str]:
    """(op, file:line) from a layer's metadata `"<op> @ <file>:<line>"`."""
    op, _, where = metadata.partition(" @ ")
    return op, where


def _short(where: str) -> str:
    file, _, line = where.rpartition(":")
    return f"{os.path.basename(file)}:{line}" if file else where


def _props(layer: Any) -> dict[str, str]:
    """A layer's properties as short text (weights by size, enums by name)."""
    out = {}
    for key, value in {**layer._ctor_args, **layer._props}.items():
        if hasattr(value, "_producer"):  # an input tensor, shown as an input
            continue
        out[key] = _text(value)
    return out


def _text(value: Any) -> str:
    if hasattr(value, "tensor") and hasattr(value, "dtype") and hasattr(value, "size"):
        return f"weights {value.dtype.name} x {value.size}"
    if hasattr(value, "name") and hasattr(value, "value"):
        return str(value.name)
    if isinstance(value, (list, tuple)):
        text = "(" + ", ".join(_text(v) for v in value) + ")"
        return text if len(text) < 120 else text[:117] + "..."
    return str(value)


class _Builder:
    """Layers and tensors as plain lists and dicts (layer i is network layer i)."""

    def __init__(self, network: Any, metadata: Mapping[str, Any]):
        self.network = network
        self.islands = dict(metadata.get("fp32_islands") or {})
        self.tensors: list[dict[str, Any]] = []
        self.tensor_index: dict[str, int] = {}
        self.producer = {name: index for name, (index, _) in walk.producers(network).items()}
        self.layers = [self.layer(layer) for layer in walk.layers(network)]

    def tensor(self, t: Any) -> int:
        if t.name not in self.tensor_index:
            producer = self.producer.get(t.name, -1)
            self.tensor_index[t.name] = len(self.tensors)
            self.tensors.append({"n": t.name, "s": list(t.shape), "d": t.dtype.name,
                                 "p": producer})
        return self.tensor_index[t.name]

    def layer(self, layer: Any) -> dict[str, Any]:
        entry = {"n": layer.name, "t": layer_type(layer),
                 "i": [self.tensor(t) if t is not None else -1 for t in walk.layer_inputs(layer)],
                 "o": [self.tensor(t) for t in walk.layer_outputs(layer)], "a": _props(layer)}
        if layer.name in self.islands:
            entry["f"] = self.islands[layer.name]
        return entry


def _call_key(name: str) -> str:
    """`layer1.0/add_0.2` -> `layer1.0/add_0`: the name every layer of one call shares."""
    path, slash, leaf = name.rpartition("/")
    return f"{path}{slash}{leaf.split('.')[0]}"


def _groups(network: Any) -> list[dict[str, Any]]:
    """The layers of each torch call as one group {key, path, op, src, file, layers}.

    Layers of no call (precision casts, output copies, size arithmetic on dynamic dims) join
    the call just before them when they read its tensors (a cast of its output), else the
    next call (the sizes or casts it needs), so every module's run stays in one piece.
    """
    groups: list[dict[str, Any]] = []
    members: set[int] = set()  # layer indices of the last group
    pending: list[int] = []
    producer = {name: index for name, (index, _) in walk.producers(network).items()}
    for index, layer in enumerate(walk.layers(network)):
        if not layer.metadata:
            reads = {producer[t.name] for t in walk.layer_inputs(layer)
                     if t is not None and t.name in producer}
            if groups and reads & members:
                groups[-1]["layers"].append(index)
                members.add(index)
            else:
                pending.append(index)
            continue
        key = _call_key(layer.name)
        if not groups or groups[-1]["key"] != key:
            op, src = _source(layer.metadata)
            groups.append({"key": key, "path": layer.name.rpartition("/")[0], "op": op,
                           "src": _short(src), "file": src, "layers": []})
            members = set()
        groups[-1]["layers"] += [*pending, index]
        members.update([*pending, index])
        pending = []
    if pending and groups:
        groups[-1]["layers"] += pending
    elif pending:
        groups.append({"key": "(added by trtconv)", "path": "", "op": "(added by trtconv)",
                       "src": "", "file": "", "layers": pending})
    return groups


def _tree(groups: list[dict[str, Any]], segments: Sequence[PytorchSegment]
          ) -> dict[str, Any]:
    """Module nodes in run order; a module left and entered again is a new node."""
    root: dict[str, Any] = {"k": "m", "p": "", "n": "", "c": []}
    stack = [root]
    runs: dict[str, int] = {}
    items = _with_segments(groups, segments)
    for item in items:
        parts = [p for p in item["path"].split(".") if p] if item["path"] else []
        depth = 0
        while depth + 1 < len(stack) and depth < len(parts) and \
                stack[depth + 1]["p"] == ".".join(parts[:depth + 1]):
            depth += 1
        del stack[depth + 1:]
        for i in range(depth, len(parts)):
            path = ".".join(parts[:i + 1])
            runs[path] = runs.get(path, 0) + 1
            node = {"k": "m", "p": path, "n": parts[i], "c": [], "r": runs[path]}
            stack[-1]["c"].append(node)
            stack.append(node)
        stack[-1]["c"].append(item["node"])
    return root


def _with_segments(groups: list[dict[str, Any]], segments: Sequence[PytorchSegment]
                   ) -> list[dict[str, Any]]:
    """Call groups and PyTorch calls in run order, each with its module path."""
    items = []
    pending = sorted(segments, key=lambda s: s.before_layer)
    for group in groups:
        while pending and pending[0].before_layer <= group["layers"][0]:
            items += _segment_items(pending.pop(0))
        items.append({"path": group["path"], "node": {
            "k": "c", "op": group["op"], "src": group["src"], "file": group["file"],
            "n": group["key"].rpartition("/")[2] or group["key"], "l": group["layers"]}})
    for segment in pending:
        items += _segment_items(segment)
    return items


def _segment_items(segment: PytorchSegment) -> list[dict[str, Any]]:
    return [{"path": path, "node": {"k": "p", "op": op, "src": _short(src), "file": src}}
            for op, path, src in segment.calls]


def graph_data(network: Any, metadata: Mapping[str, Any], title: str = "",
               pytorch_segments: Sequence[PytorchSegment] = ()) -> dict[str, Any]:
    """Everything the page draws, as JSON-able data."""
    b = _Builder(network, metadata)
    groups = _groups(network)
    profiles = metadata.get("profiles") or []
    inputs = [{"t": b.tensor(t), "ranges": [p.get(t.name) for p in profiles]}
              for t in walk.inputs(network)]
    return {
        "title": title, "backend": metadata.get("backend", ""),
        "precision": metadata.get("precision", "fp32"), "tensors": b.tensors,
        "layers": b.layers, "tree": _tree(groups, pytorch_segments), "inputs": inputs,
        "outputs": [b.tensor(t) for t in walk.outputs(network)],
        "types": metadata.get("module_types") or {},
        "guards": list(metadata.get("guards") or []),
        "warnings": list(metadata.get("warnings") or []),
        "auto": metadata.get("keep_fp32_auto"),
    }


def page(network: Any, metadata: Mapping[str, Any], title: str = "",
         pytorch_segments: Sequence[PytorchSegment] = ()) -> str:
    """The HTML page of a reference network (see the module docstring)."""
    from .graph_page import render

    data = graph_data(network, metadata, title, pytorch_segments)
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=str)
    return render(title or "trtconv network", text.replace("</", "<\\/"))


def write_graph(module: Any, path: str | Path | None = None, title: str = "") -> str:
    """`TRTModule.graph`: the page's HTML, also written to `path` when given."""
    recording = recording_of(module)
    metadata = {**module.metadata, "backend": module.backend,
                "profiles": recording.graph.get("profiles", [])}
    segments = getattr(module, "pytorch_segments", None) or ()
    html = page(rebuild(recording), metadata, title or _title(module), segments)
    if path is not None:
        Path(path).write_text(html, encoding="utf-8")
    return html


def _title(module: Any) -> str:
    meta = module.metadata
    return (f"{meta.get('num_layers', '?')} layers, {meta.get('precision', 'fp32')}, "
            f"{module.backend}")
