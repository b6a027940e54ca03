"""What a conversion made, in numbers: layers per module and per layer type, precision
islands, guards and timings (`report.summary()`, `trtconv.summary.describe(model_trt)`).

The counts are stored in the TRTModule's metadata (`layers_by_type`, `layers_by_module`), so a
saved module of any backend describes itself without its network.

>>> import torch, trtconv
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()).eval()
>>> m = trtconv.convert(model, [torch.randn(2, 4)], backend="reference")
>>> m.metadata["layers_by_module"]
{'0': 5, '1': 1}
>>> print(describe(m).splitlines()[0])
reference engine: 6 layers, fp32
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from .reference import walk

ADDED = "<added by trtconv>"  # layers of no torch call: precision casts, output identities


def layer_module(layer: Any) -> str:
    """The module path of a layer named `<module.path>/<op>_<n>[.k]` by a torch call ("" for
    the root module), or `ADDED` for layers the conversion added around the calls."""
    if not getattr(layer, "metadata", ""):
        return ADDED
    return layer.name.rpartition("/")[0]


def layer_type(layer: Any) -> str:
    """`IConvolutionLayer` -> `Convolution`."""
    name = type(layer).__name__
    return name[1:-5] if name.startswith("I") and name.endswith("Layer") else name


def layer_counts(network: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Layers per type and per module path of a reference network, most frequent first."""
    types: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    for layer in walk.layers(network):
        types[layer_type(layer)] += 1
        modules[layer_module(layer) or "<root>"] += 1
    return dict(types.most_common()), dict(modules)


def module_types(module: Any, layers_by_module: Mapping[str, int]) -> dict[str, str]:
    """Class names of the modules that made layers and of their parents (for the graph)."""
    wanted = set()
    for path in layers_by_module:
        parts = path.split(".") if path and not path.startswith("<") else []
        wanted.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    named = dict(module.named_modules()) if hasattr(module, "named_modules") else {}
    return {p: type(named[p]).__name__ for p in sorted(wanted) if p in named}


def by_depth(layers_by_module: Mapping[str, int], depth: int) -> dict[str, int]:
    """Module counts summed up to `depth` path components (`features.1.0` -> `features.1`)."""
    total: Counter[str] = Counter()
    for path, count in layers_by_module.items():
        key = path if path.startswith("<") else ".".join(path.split(".")[:depth])
        total[key] += count
    return dict(total)


def _table(title: str, counts: Mapping[str, int], limit: int) -> list[str]:
    if not counts:
        return []
    items = list(counts.items())
    shown = items[:limit]
    width = max(len(k) for k, _ in shown)
    lines = [title] + [f"  {k.ljust(width)}  {v}" for k, v in shown]
    if len(items) > limit:
        lines.append(f"  ... {len(items) - limit} more ({sum(v for _, v in items[limit:])} "
                     f"layers)")
    return lines


def sections(metadata: Mapping[str, Any], depth: int = 2, limit: int = 30) -> list[str]:
    """The summary's lines from a TRTModule's (or a report's) metadata."""
    lines = []
    lines += _table(f"layers per module (depth {depth}):",
                    by_depth(metadata.get("layers_by_module", {}), depth), limit)
    lines += _table("layers per type:", metadata.get("layers_by_type", {}), limit)
    islands = metadata.get("fp32_islands") or {}
    if islands:
        reasons = Counter(_reason_kind(r) for r in islands.values())
        lines.append(f"fp32 islands: {len(islands)} layers")
        lines += [f"  {count:4d}  {reason}" for reason, count in reasons.most_common()]
    auto = metadata.get("keep_fp32_auto")
    if auto:
        lines.append(f"keep_fp32='auto': output error {auto['error_before']:.3g} -> "
                     f"{auto['error']:.3g} (tolerance {auto['tolerance']}), "
                     f"{len(auto['kept'])} call(s) kept in fp32:")
        lines += [f"  {k['op']} in '{k['module_path'] or '<root>'}' at {k['source']}: "
                  f"{k['reason']}" for k in auto["kept"]]
    guards = metadata.get("guards") or []
    if guards:
        lines.append(f"guards: {len(guards)} (checked after each run)")
        lines += [f"  {g.get('kind', '?')} in '{g.get('module_path') or '<root>'}' at "
                  f"{g.get('source', '?')}: {g.get('message', '')}" for g in guards]
    timings = [f"{what} {metadata[key]:.2f}s" for what, key in
               (("trace", "trace_seconds"), ("precision+build", "build_seconds"))
               if metadata.get(key) is not None]
    if timings:
        lines.append("timings: " + ", ".join(timings))
    return lines


def _reason_kind(reason: str) -> str:
    """Island reasons grouped: the text before the first digit-bearing detail."""
    if reason.startswith("kept in fp32 by keep_fp32='auto'"):
        return "keep_fp32='auto'"
    if reason.startswith("output reaches"):
        return "output beyond the range on the example"
    return reason


def describe(module: Any, depth: int = 2) -> str:
    """A saved or fresh TRTModule described from its metadata (what `trtconv inspect`
    prints)."""
    meta = module.metadata
    head = (f"{module.backend} engine: {meta.get('num_layers')} layers, "
            f"{meta.get('precision', 'fp32')}")
    return "\n".join([head, *sections(meta, depth)])
