"""`convert()`: one traced forward pass to a `TRTModule`."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends, quantization
from .backends.replay import rebuild
from .context import ConversionContext
from .errors import ConversionReport, InputError, UnsupportedOperatorError
from .inputs import Input
from .module import TRTModule
from .precision import PRECISIONS, lower_precision
from .reference import trt
from .reference.trt.plan import record_network
from .tracing import tracing

Shape = Sequence[int]


def convert(module: torch.nn.Module, inputs: Sequence[Any], *, backend: str = "auto",
            input_names: Sequence[str] | None = None,
            output_names: Sequence[str] | None = None, dry_run: bool = False,
            workspace_size: int | None = None, optimization_level: int | None = None,
            timing_cache: str | Path | None = None, log_level: str = "warning",
            min_shapes: Sequence[Shape] | None = None, opt_shapes: Sequence[Shape] | None = None,
            max_shapes: Sequence[Shape] | None = None,
            profiles: Sequence[dict[str, Sequence[Shape]]] | None = None,
            precision: str = "fp32", keep_fp32: Sequence[str] = (), fp16_mode: bool = False,
            int8_mode: bool = False, calibration_data: Iterable[Any] | None = None,
            calibration_method: str = "entropy", calibration_cache: str | Path | None = None,
            ) -> TRTModule | ConversionReport:
    """Convert `module` by running it once on `inputs` with torch's functions patched.

    `inputs` are the positional arguments of `module.forward`: tensors or any nesting of
    tuples, lists and dicts of tensors (other values are baked in). The returned `TRTModule`
    takes and returns the same structures. `min_shapes`/`opt_shapes`/`max_shapes` (one shape
    per input tensor, torch2trt's names) or `trtconv.Input` leaves make the dims that differ
    dynamic; `profiles` adds further optimization profiles, each a dict with the same three
    keys, and the TRTModule picks the first whose range holds its inputs.

    `precision="fp16"` or `"bf16"` (or torch2trt's `fp16_mode=True`) writes the precision into
    the network: inputs and outputs keep PyTorch's dtypes, weights become half precision, and
    ops that suffer in half precision stay in fp32 (see `trtconv.precision`); `keep_fp32`
    names module paths or op names to keep in fp32 too. `precision="int8"` (or `int8_mode=True`)
    quantizes convolution and matmul inputs with ranges calibrated on `calibration_data`
    (tensors, tuples of tensors, or a DataLoader: each item's first tensors are the inputs) by
    `calibration_method` ("max", "percentile" or "entropy"); `calibration_cache` saves the
    ranges to a file, or loads them when no data is given (see `trtconv.quantization`).
    With `dry_run=True` nothing is built:
    the `ConversionReport` of the trace is returned, unsupported calls included.

    Raises `UnsupportedOperatorError` listing every unconverted call with its module path,
    `ConversionError` when a converter fails, `InputError` for unusable arguments.

    >>> import torch, trtconv
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU()).eval()
    >>> x = torch.randn(1, 3, 16, 16)
    >>> model_trt = trtconv.convert(model, [x], backend="reference")
    >>> float((model_trt(x) - model(x)).abs().max()) < 1e-4
    True
    """
    chosen = backends.get(backend)
    precision = "fp16" if fp16_mode else "int8" if int8_mode else precision
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    args = _check_arguments(module, inputs)
    leaves, in_spec = pytree.tree_flatten(args, is_leaf=lambda x: isinstance(x, Input))
    min_shapes, opt_shapes, max_shapes = _input_specs(leaves, min_shapes, opt_shapes, max_shapes)
    leaves = [x.example() if isinstance(x, Input) else x for x in leaves]
    tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
    names = _names(input_names, len(tensors), "input")
    all_profiles = [_profile(tensors, names, min_shapes, opt_shapes, max_shapes)]
    for extra in profiles or []:
        all_profiles.append(_profile(tensors, names, extra.get("min_shapes"),
                                     extra.get("opt_shapes"), extra.get("max_shapes"),
                                     check_example=False))
    level = _severity(log_level)

    builder = trt.Builder(backends.capturing_logger(trt, level))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    examples = [x.detach().clone() for x in tensors]
    started = time.perf_counter()
    outputs, ctx, report = _trace(module, network, leaves, in_spec, names, all_profiles)
    out_spec = _mark_outputs(ctx, network, outputs, output_names) if report.ok else None
    report.num_layers = network.num_layers
    report.trace_seconds = time.perf_counter() - started
    if dry_run:
        return report
    if not report.ok:
        raise UnsupportedOperatorError(report)

    started = time.perf_counter()
    network, precision_info = _lower(network, all_profiles, precision, examples, keep_fp32,
                                     calibration_data, calibration_method, calibration_cache)
    plan = _build(chosen, network, all_profiles, workspace_size, optimization_level,
                  timing_cache, level)
    metadata = {"tensorrt": chosen.version(), "num_layers": network.num_layers,
                "trace_seconds": report.trace_seconds,
                "build_seconds": time.perf_counter() - started,
                "warnings": list(report.warnings), "precision": precision, **precision_info}
    result = TRTModule(plan, backend=chosen.name, input_names=names,
                       output_names=[network.get_output(i).name
                                     for i in range(network.num_outputs)],
                       input_spec=pytree.treespec_dumps(in_spec),
                       output_spec=pytree.treespec_dumps(out_spec), metadata=metadata)
    result.report = report
    return result


def _lower(network: Any, profiles: list[dict[str, list[list[int]]]], precision: str,
           examples: list[torch.Tensor], keep_fp32: Sequence[str],
           calibration_data: Iterable[Any] | None, calibration_method: str,
           calibration_cache: str | Path | None) -> tuple[Any, dict[str, Any]]:
    """The network rewritten for `precision` (fp32: unchanged), and what the rewrite did."""
    if precision == "fp32":
        return network, {}
    recording = record_network(network, profiles)
    if precision == "int8":
        try:
            lowered, _, count = quantization.prepare(network, recording, calibration_data,
                                                     calibration_method, calibration_cache)
        except ValueError as e:
            raise InputError(str(e)) from None
        return rebuild(lowered), {"quantized_inputs": count}
    lowered, report = lower_precision(network, recording, precision, examples, keep_fp32)
    return rebuild(lowered), {"fp32_islands": dict(report.islands)}


def _build(chosen: backends.Backend, network: Any, profiles: list[dict[str, list[list[int]]]],
           workspace_size: int | None, optimization_level: int | None,
           timing_cache: str | Path | None, level: Any) -> bytes:
    """Plan bytes from the backend; a timing cache file is read before and written after."""
    cache_path = Path(timing_cache) if timing_cache is not None else None
    cache = None
    if cache_path is not None:
        cache = cache_path.read_bytes() if cache_path.exists() else b""
    plan, new_cache = chosen.build(network, profiles, workspace_size=workspace_size,
                                   optimization_level=optimization_level, timing_cache=cache,
                                   log_level=level)
    if cache_path is not None and new_cache:
        cache_path.write_bytes(new_cache)
    return plan


def _check_arguments(module: Any, inputs: Any) -> tuple[Any, ...]:
    if not callable(module):
        raise InputError(f"convert() needs an nn.Module (or callable), got {type(module)}")
    if isinstance(inputs, torch.Tensor):
        raise InputError("convert() takes a list of inputs: write convert(model, [x])")
    if not isinstance(inputs, (list, tuple)):
        raise InputError(f"convert() inputs must be a list or tuple of the forward's positional "
                         f"arguments, got {type(inputs).__name__}")
    args = tuple(inputs)
    leaves = pytree.tree_leaves(args, is_leaf=lambda x: isinstance(x, Input))
    if not any(isinstance(x, (torch.Tensor, Input)) for x in leaves):
        raise InputError("convert() inputs contain no tensor")
    return args


def _names(given: Sequence[str] | None, count: int, kind: str) -> list[str]:
    if given is None:
        return [f"{kind}_{i}" for i in range(count)]
    names = [str(n) for n in given]
    if len(names) != count:
        raise InputError(f"{len(names)} {kind}_names for {count} {kind} tensors")
    if len(set(names)) != len(names):
        raise InputError(f"{kind}_names must be unique, got {names}")
    return names


def _input_specs(leaves: list[Any], min_shapes: Any, opt_shapes: Any,
                 max_shapes: Any) -> tuple[Any, Any, Any]:
    """Shape ranges from `trtconv.Input` leaves (the others keep their example shape)."""
    specs = [x for x in leaves if isinstance(x, (Input, torch.Tensor))]
    if not any(isinstance(x, Input) for x in specs):
        return min_shapes, opt_shapes, max_shapes
    if min_shapes is not None or max_shapes is not None:
        raise InputError("give shape ranges either as trtconv.Input or as min/max_shapes")
    pick = [[tuple(x.shape) if isinstance(x, torch.Tensor) else getattr(x, attr)
             for x in specs] for attr in ("min_shape", "opt_shape", "max_shape")]
    return pick[0], pick[1], pick[2]


def _profile(tensors: list[torch.Tensor], names: list[str], min_shapes: Any, opt_shapes: Any,
             max_shapes: Any, check_example: bool = True) -> dict[str, list[list[int]]]:
    """One optimization profile: the example shapes, widened where min/max shapes say."""
    given = [min_shapes, opt_shapes, max_shapes]
    if any(g is not None for g in given) and (min_shapes is None or max_shapes is None):
        raise InputError("dynamic shapes need both min_shapes and max_shapes")
    profile = {}
    for i, (name, x) in enumerate(zip(names, tensors)):
        shapes = [list(x.shape) if g is None else [int(d) for d in g[i]] for g in given]
        for which, shape in zip(("min", "opt", "max"), shapes):
            if len(shape) != x.dim():
                raise InputError(f"{which}_shapes[{i}] {shape} has rank {len(shape)}, input "
                                 f"{name!r} has shape {tuple(x.shape)}")
        lo, opt, hi = shapes
        if any(not a <= o <= b for a, o, b in zip(lo, opt, hi)):
            raise InputError(f"input {name!r}: need min <= opt <= max in every dim, got "
                             f"{tuple(lo)}, {tuple(opt)}, {tuple(hi)}")
        if check_example and any(not a <= s <= b for a, s, b in zip(lo, x.shape, hi)):
            raise InputError(f"input {name!r} shape {tuple(x.shape)} is outside its range "
                             f"{tuple(lo)} .. {tuple(hi)}")
        profile[name] = shapes
    return profile


def _trace(module: Any, network: Any, leaves: list[Any], in_spec: Any, names: list[str],
           profiles: list[dict[str, list[list[int]]]]
           ) -> tuple[Any, ConversionContext, ConversionReport]:
    leaves = list(leaves)
    seen: set[int] = set()
    inputs = []
    for i, x in enumerate(leaves):
        if isinstance(x, torch.Tensor):
            if id(x) in seen:  # the same tensor twice: two network inputs need two tensors
                x = leaves[i] = x.clone()
            seen.add(id(x))
            inputs.append(x)
    args = pytree.tree_unflatten(leaves, in_spec)
    with tracing(network, module) as tracer:
        ctx = tracer.ctx
        for name, x in zip(names, inputs):
            dims = _network_dims([p[name] for p in profiles])
            dtype = x.dtype
            if dtype == torch.float64:
                ctx.warn(f"input {name!r} is float64; the engine takes float32")
                dtype = torch.float32
            ctx.bind(x, network.add_input(name, trt.trt_dtype(dtype), dims))
        with torch.no_grad():
            outputs = module(*args)
    return outputs, ctx, tracer.finish()


def _network_dims(ranges: list[list[list[int]]]) -> tuple[int, ...]:
    """-1 where any profile lets a dim vary or profiles disagree, else the fixed size."""
    values = [set(dims) for dims in zip(*[d for r in ranges for d in r])]
    return tuple(next(iter(v)) if len(v) == 1 else -1 for v in values)


def _mark_outputs(ctx: ConversionContext, network: Any, outputs: Any,
                  output_names: Sequence[str] | None) -> Any:
    """Mark the traced outputs (identity layers where one tensor would be marked twice or
    is an input) and return the output structure."""
    leaves, spec = pytree.tree_flatten(_plain_tuples(outputs))
    if not all(isinstance(x, torch.Tensor) for x in leaves):
        kinds = sorted({type(x).__name__ for x in leaves if not isinstance(x, torch.Tensor)})
        raise InputError(f"the module returns non-tensor values ({', '.join(kinds)}); a "
                         f"TRTModule returns tensors only")
    names = _names(output_names, len(leaves), "output")
    marked: set[int] = set()
    for name, value in zip(names, leaves):
        tensor = ctx.lookup(value)
        if tensor is None:
            ctx.warn(f"output {name!r} does not depend on the inputs; it is a constant")
            tensor = ctx.constant(value)
        if tensor.is_network_input or id(tensor) in marked or tensor.is_network_output:
            tensor = network.add_identity(tensor).get_output(0)
        tensor.name = name
        network.mark_output(tensor)
        marked.add(id(tensor))
    return spec


def _plain_tuples(tree: Any) -> Any:
    """torch.return_types results (max with dim, sort, topk) as plain tuples: the saved
    output structure must be serializable, and they index the same way."""
    if isinstance(tree, tuple) and type(tree).__module__ == "torch.return_types":
        return tuple(_plain_tuples(x) for x in tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_plain_tuples(x) for x in tree) if type(tree) in (list, tuple) \
            else tree
    if isinstance(tree, dict):  # keep OrderedDict (torchvision segmentation returns one)
        items = [(k, _plain_tuples(v)) for k, v in tree.items()]
        return OrderedDict(items) if isinstance(tree, OrderedDict) else dict(items)
    return tree


def _severity(level: str) -> Any:
    try:
        return trt.ILogger.Severity[level.upper()]
    except KeyError:
        raise InputError(f"log_level must be one of error, warning, info, verbose; got "
                         f"{level!r}") from None
