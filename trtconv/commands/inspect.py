"""Show what a saved module or an engine file holds.

    trtconv inspect model.pth            a TRTModule state_dict
    trtconv inspect model.plan           an engine file (its sidecar model.plan.json too)
    trtconv inspect model.pth --layers   every layer with the torch call it came from

I/O tensors and profiles, layers counted by type and by module, precision islands (layers
kept in fp32), guards, plugins and fallbacks, and whether Python is needed at run time.
Layers are read from reference plans, and from TensorRT engines where they can be opened
(a GPU); the layer metadata "<op> @ file:line" names the torch call that made each layer.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from .. import backends
from ..export.describe import EngineInfo, describe
from ..export.engine import pretty_json, read_sidecar, shape_text
from ._common import existing_file, load_saved

HELP = "show I/O, profiles, layers, precision, guards, plugins of a .pth or .plan"
Layer = dict[str, str]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="model.pth (TRTModule state_dict) or model.plan")
    parser.add_argument("--depth", type=int, default=1,
                        help="module path depth for 'layers by module' (default 1)")
    parser.add_argument("--layers", action="store_true", help="list every layer")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def reference_layers(engine: bytes) -> list[Layer]:
    from ..reference.trt.plan import from_bytes

    return [{"name": layer["name"], "type": layer["class"], "metadata": layer["metadata"]}
            for layer in from_bytes(engine).graph["layers"]]


def engine_layers(backend_name: str, engine: bytes) -> tuple[list[Layer] | None, str]:
    """The engine's layers, or None and why they cannot be read here."""
    if backend_name == "reference":
        return reference_layers(engine), ""
    backend = backends.get(backend_name)
    if not backend.can_run():
        return None, f"a {backend_name} plan opens only on an NVIDIA GPU"
    trt = backend.trt()
    runtime_engine = trt.Runtime(backend.logger()).deserialize_cuda_engine(engine)
    if runtime_engine is None:
        return None, "the engine does not deserialize here"
    text = runtime_engine.create_engine_inspector().get_engine_information(
        trt.LayerInformationFormat.JSON)
    layers = []
    for entry in json.loads(text).get("Layers", []):
        if isinstance(entry, str):
            entry = {"Name": entry}
        layers.append({"name": entry.get("Name", ""), "type": entry.get("LayerType", "?"),
                       "metadata": entry.get("Metadata", "")})
    return layers, ""


def module_of(layer: Layer, depth: int) -> str:
    """The module path a layer came from, cut to `depth` parts (layers trtconv added for
    precision or outputs have no torch call: "(trtconv)")."""
    if not layer["metadata"]:
        return "(trtconv)"
    if "/" not in layer["name"]:
        return "<root>"
    path = layer["name"].rsplit("/", 1)[0]
    return ".".join(path.split(".")[:max(1, depth)])


def report(info: EngineInfo, layers: list[Layer] | None, why_no_layers: str, depth: int,
           source: str) -> dict[str, Any]:
    meta = info.metadata
    result: dict[str, Any] = {
        "file": source, "module_class": info.module_class, "backend": info.backend,
        "tensorrt": meta.get("tensorrt"), "precision": meta.get("precision", "fp32"),
        "source_model": meta.get("source_model"),
        "inputs": [t.as_dict() for t in info.inputs],
        "outputs": [t.as_dict() for t in info.outputs],
        "profiles": [{n: r.as_dict() for n, r in p.items()} for p in info.profiles],
        "num_layers": len(layers) if layers is not None else meta.get("num_layers"),
        "precision_islands": dict(meta.get("fp32_islands") or {}),
        "quantized_inputs": meta.get("quantized_inputs"),
        "guards": info.guards, "plugins": info.plugins, "fallbacks": info.fallbacks,
        "needs_python": info.needs_python, "warnings": list(meta.get("warnings") or []),
    }
    if layers is None:
        result["layers_unavailable"] = why_no_layers
    else:
        result["layers_by_type"] = dict(Counter(x["type"] for x in layers).most_common())
        result["layers_by_module"] = dict(Counter(module_of(x, depth) for x in layers))
        result["layers"] = layers
    return result


def _io_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for kind in ("inputs", "outputs"):
        lines.append(f"{kind}:")
        lines += [f"  {t['name']:<16} {t['dtype']:<9} {t['shape']}" for t in result[kind]]
    lines.append("profiles:")
    for i, profile in enumerate(result["profiles"]):
        for name, r in profile.items():
            lines.append(f"  {i}: {name:<14} min {shape_text(r['min']) or '()'}  opt "
                         f"{shape_text(r['opt']) or '()'}  max {shape_text(r['max']) or '()'}")
    return lines


def _listing(title: str, values: Any) -> list[str]:
    if not values:
        return [f"{title}: none"]
    items = values.items() if isinstance(values, dict) else enumerate(values)
    return [f"{title}:"] + [f"  {k}: {v}" if isinstance(values, dict) else f"  {v}"
                            for k, v in items]


def text_report(result: dict[str, Any], show_layers: bool) -> str:
    lines = [f"{result['file']}: {result['module_class']}, backend {result['backend']}, "
             f"TensorRT {result['tensorrt']}, precision {result['precision']}, "
             f"{result['num_layers']} layers",
             f"source model: {result['source_model'] or 'unknown'}"]
    lines += _io_lines(result)
    if "layers_unavailable" in result:
        lines.append(f"layers: not readable here ({result['layers_unavailable']})")
    else:
        lines += _listing("layers by type", result["layers_by_type"])
        lines += _listing("layers by module", result["layers_by_module"])
    lines += _listing("precision islands (kept in fp32)", result["precision_islands"])
    if result["quantized_inputs"]:
        lines.append(f"int8: {result['quantized_inputs']} quantized layer inputs")
    lines += _listing("guards", [f"{g.get('kind')} at {g.get('source')} "
                                 f"({g.get('module_path')}): {g.get('message')}"
                                 for g in result["guards"]])
    lines += _listing("plugins", result["plugins"])
    lines += _listing("fallbacks", result["fallbacks"])
    needs = result["needs_python"]
    lines.append("needs Python at run time: " + ("yes: " + "; ".join(needs) if needs else "no"))
    lines += [f"warning: {w}" for w in result["warnings"]]
    if show_layers and "layers" in result:
        lines.append("layers:")
        lines += [f"  {x['name']:<40} {x['type']:<22} {x['metadata']}"
                  for x in result["layers"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    path = existing_file(args.path, "model file")
    module = load_saved(str(path))
    info = describe(module)
    layers, why = engine_layers(info.backend, module.engine_bytes)
    source = str(path)
    if read_sidecar(path) is not None:
        source += f" (sidecar {Path(str(path) + '.json').name})"
    result = report(info, layers, why, args.depth, source)
    if args.json:
        print(pretty_json(result))
    else:
        print(text_report(result, args.layers))
    return 0
