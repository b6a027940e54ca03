"""`convert()`: one traced forward pass to a `TRTModule`.

The steps: check what was given (`Settings`, `trtconv.examples`), trace the forward onto a
reference network (`trtconv.tracing`), mark its outputs (`trtconv.marking`), write the precision
into it (`trtconv.precision`, `quantization`, `auto_fp32`), build the plan on the backend, and
wrap it in a `TRTModule` with everything the trace learned (names, structures, guards).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends, plugins, quantization
from .auto_fp32 import AutoFp32, keep_fp32_setting
from .backends.replay import rebuild
from .comparison import observing
from .context import GuardOptions
from .errors import ConversionReport, InputError, UnsupportedOperatorError
from .examples import Examples, examples, network_dims
from .export.facts import conversion_facts
from .guards import GUARD_OUTPUT_PREFIX
from .marking import constant_args, mark_outputs
from .module import TRTModule
from .partition import PartialOptions
from .plugins.automatic import custom_op_fallback
from .precision import PRECISIONS, lower_precision
from .progress import Progress
from .reference import trt
from .reference.trt.plan import record_network
from .structure import Structure, describe
from .summary import layer_counts, module_types
from .tracing import Tracer, tracing

Shape = Sequence[int]


@dataclass
class Settings:
    """convert()'s options, checked."""

    backend: backends.Backend
    precision: str
    keep_fp32: Sequence[str]
    auto: AutoFp32 | None
    guard_options: GuardOptions
    custom_op_plugins: bool
    bar: Progress
    level: Any
    build: dict[str, Any] = field(default_factory=dict)
    calibration: tuple[Any, str, Any] = (None, "entropy", None)


@dataclass
class Traced:
    """A traced network and what the trace found."""

    network: Any
    tracer: Tracer
    report: ConversionReport
    outputs: Any
    structure: Structure | None


def convert(module: torch.nn.Module, inputs: Sequence[Any], *, backend: str = "auto",
            input_names: Sequence[str] | None = None,
            output_names: Sequence[str] | None = None, dry_run: bool = False,
            workspace_size: int | None = None, optimization_level: int | None = None,
            timing_cache: str | Path | None = None, log_level: str = "warning",
            min_shapes: Sequence[Shape] | None = None, opt_shapes: Sequence[Shape] | None = None,
            max_shapes: Sequence[Shape] | None = None,
            profiles: Sequence[dict[str, Sequence[Shape]]] | None = None,
            precision: str = "fp32", keep_fp32: Sequence[str] | str = (),
            tolerance: float | None = None, fp16_mode: bool = False,
            int8_mode: bool = False, calibration_data: Iterable[Any] | None = None,
            calibration_method: str = "entropy", calibration_cache: str | Path | None = None,
            guards: bool = True, strict: bool = False, check_indices: bool = False,
            custom_op_plugins: bool = False, fallback: bool = False,
            torch_executed_ops: Sequence[Any] = (), torch_executed_modules: Sequence[Any] = (),
            min_block_size: int = 5,
            progress: bool | None = None) -> Any:
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
    names module paths or op names to keep in fp32 too; `keep_fp32="auto"` finds the calls
    to keep so that the output's error on `inputs` (max abs error over max abs output, against
    PyTorch) is within `tolerance` (default 1e-2; see `trtconv.auto_fp32`).
    `precision="int8"` (or `int8_mode=True`)
    quantizes convolution and matmul inputs with ranges calibrated on `calibration_data`
    (tensors, tuples of tensors, or a DataLoader: each item's first tensors are the inputs) by
    `calibration_method` ("max", "percentile" or "entropy"); `calibration_cache` saves the
    ranges to a file, or loads them when no data is given (see `trtconv.quantization`).
    `custom_op_plugins=True` turns every torch.library custom op without a converter that has
    a fake kernel into a plugin layer running the op's own kernel (see `trtconv.plugins`).
    With `dry_run=True` nothing is built:
    the `ConversionReport` of the trace is returned, unsupported calls included.
    `progress` shows the trace, calibration and build on stderr (None: when it is a terminal).

    Values the forward reads out of traced tensors (`if x.sum() > 0:`, `t.item()`) and
    decisions on dynamic sizes are guarded: the engine checks them on every call and raises
    `trtconv.GuardError` when they differ (see `trtconv.guards`). `guards=False` leaves the
    checks out; `strict=True` refuses every such read at conversion. Arguments of the forward
    that are not tensors are part of the engine: calling it with other values is an error.

    With `fallback=True`, calls TensorRT cannot run stay in PyTorch and the rest becomes
    engines: the result is a `trtconv.partitioned.PartitionedModule` (see `trtconv.partition`).
    `torch_executed_ops` (callables or dotted names) and `torch_executed_modules` (module paths
    or classes) run in PyTorch too; a run of fewer than `min_block_size` converted calls stays
    in PyTorch (each boundary costs a synchronisation and copies).

    Raises `UnsupportedOperatorError` listing every unconverted call with its module path,
    `ConversionError` when a converter fails, `InputError` for unusable arguments.

    >>> import torch, trtconv
    >>> model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU()).eval()
    >>> x = torch.randn(1, 3, 16, 16)
    >>> model_trt = trtconv.convert(model, [x], backend="reference")
    >>> bool(torch.allclose(model_trt(x), model(x), atol=1e-4))
    True
    """
    precision = "fp16" if fp16_mode else "int8" if int8_mode else precision
    settings = _settings(backend, precision, keep_fp32, tolerance, guards, strict,
                         check_indices, custom_op_plugins, progress, log_level)
    settings.build = {"workspace_size": workspace_size, "optimization_level": optimization_level,
                      "timing_cache": timing_cache}
    settings.calibration = (calibration_data, calibration_method, calibration_cache)
    given = examples(module, inputs, input_names, min_shapes, opt_shapes, max_shapes, profiles)
    if fallback:
        from .fallback import convert_partial

        options = PartialOptions.of(torch_executed_ops, torch_executed_modules, min_block_size)
        return convert_partial(module, given, settings, options, dry_run)
    if torch_executed_ops or torch_executed_modules:
        raise InputError("torch_executed_ops and torch_executed_modules need fallback=True")
    traced = _trace_model(module, given, settings, output_names)
    if dry_run:
        return traced.report
    if not traced.report.ok:
        raise UnsupportedOperatorError(traced.report)
    return _finish(module, given, traced, settings)


def _settings(backend: str, precision: str, keep_fp32: Sequence[str] | str,
              tolerance: float | None, guards: bool, strict: bool, check_indices: bool,
              custom_op_plugins: bool, progress: bool | None, log_level: str) -> Settings:
    chosen = backends.get(backend)
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    keep, auto = _keep_fp32(keep_fp32, tolerance, precision)
    options = GuardOptions(enabled=guards, strict=strict, precision=precision,
                           check_indices=check_indices)
    return Settings(chosen, precision, keep, auto, options, custom_op_plugins,
                    Progress.create(progress), _severity(log_level))


def _trace_model(module: Any, given: Examples, settings: Settings,
                 output_names: Sequence[str] | None) -> Traced:
    """Trace the forward on copies of the examples, the model's parameters and buffers left
    as they were; mark the outputs."""
    builder = trt.Builder(backends.capturing_logger(trt, settings.level))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    started = time.perf_counter()
    bar, auto = settings.bar, settings.auto
    observers = [o for o in (bar.on_call if bar.enabled else None, auto and auto.values) if o]
    fallback = custom_op_fallback if settings.custom_op_plugins else None
    with bar.stage("tracing"), observing(*observers), _untouched(module):
        outputs, tracer = _run_traced(module, network, given, settings.guard_options,
                                      fallback)
    structure = mark_outputs(tracer.ctx, network, outputs, output_names, given.names)
    report = tracer.finish()
    report.num_layers = network.num_layers
    report.trace_seconds = time.perf_counter() - started
    report.stats.update(zip(("layers_by_type", "layers_by_module"), layer_counts(network)))
    return Traced(network, tracer, report, outputs, structure)


def _run_traced(module: Any, network: Any, given: Examples, options: GuardOptions,
                fallback: Any, partial: Any = None) -> tuple[Any, Tracer]:
    """Run the forward once under the trace, on copies of the input tensors (the model may
    update them in place; the caller's tensors stay as they were)."""
    copies = {id(x): x.detach().clone() for x in given.tensors}
    leaves, inputs = [], []
    for x in given.leaves:
        if isinstance(x, torch.Tensor):
            x = copies.pop(id(x), None)
            x = x if x is not None else inputs[-1].clone()  # the same tensor twice
            inputs.append(x)
        leaves.append(x)
    args = pytree.tree_unflatten(leaves, given.in_spec)
    with tracing(network, module, options, fallback, partial) as tracer:
        ctx = tracer.ctx
        bound = []
        for name, x in zip(given.names, inputs):
            dtype = x.dtype
            if dtype == torch.float64:
                ctx.warn(f"input {name!r} is float64: the engine computes in float32 (TensorRT "
                         f"has no float64); the TRTModule takes and returns float64")
                dtype = torch.float32
            dims = network_dims([p[name] for p in given.profiles])
            bound.append(network.add_input(name, trt.trt_dtype(dtype), dims))
            ctx.bind(x, bound[-1])
        with torch.no_grad():
            outputs = module(*args)
        for name, x, itensor in zip(given.names, inputs, bound):
            if ctx.lookup(x) is not itensor:
                ctx.warn(f"the model updates its input {name!r} in place: the engine computes "
                         f"with the update but does not write it into the tensor passed")
    return outputs, tracer


@contextmanager
def _untouched(module: Any) -> Iterator[None]:
    """The model's parameters and buffers, swapped for copies during the trace and put back
    after: whatever the forward updates in place, the originals keep their values and
    versions. Tied weights stay tied (one copy per tensor)."""
    modules = list(module.modules()) if isinstance(module, torch.nn.Module) else []
    saved: list[tuple[dict[str, Any], str, Any]] = []
    copies: dict[int, Any] = {}
    try:
        for m in modules:
            for table in (m._parameters, m._buffers):
                for name, value in table.items():
                    if value is None:
                        continue
                    if id(value) not in copies:
                        copies[id(value)] = _copy_of(value)
                    saved.append((table, name, value))
                    table[name] = copies[id(value)]
        yield
    finally:
        for table, name, value in reversed(saved):
            table[name] = value


def _copy_of(value: torch.Tensor) -> torch.Tensor:
    copy = value.detach().clone()
    if isinstance(value, torch.nn.Parameter):
        return torch.nn.Parameter(copy, requires_grad=value.requires_grad)
    return copy


def _finish(module: Any, given: Examples, traced: Traced, settings: Settings) -> TRTModule:
    """Lower the precision, build the plan, and wrap it in a TRTModule."""
    network, report, bar = traced.network, traced.report, settings.bar
    started = time.perf_counter()
    if settings.auto is not None:
        settings.auto.finish(report.calls, describe(traced.outputs)[0])
    examples_now = [x.detach().clone() for x in given.tensors]
    lowering = bar.stage(f"lowering to {settings.precision}") \
        if settings.precision != "fp32" else nullcontext()
    with lowering:
        network, precision_info = _lower(network, given.profiles, settings.precision,
                                         examples_now, settings.keep_fp32,
                                         *settings.calibration, settings.auto, bar)
    with bar.stage(f"building ({settings.backend.name})"):
        plan = _build(settings.backend, network, given.profiles, **settings.build,
                      level=settings.level, bar=bar)
    metadata = _metadata(module, network, traced, settings, given, precision_info,
                         time.perf_counter() - started)
    result = TRTModule(plan, backend=settings.backend.name, input_names=given.names,
                       output_names=[network.get_output(i).name
                                     for i in range(network.num_outputs)
                                     if not network.get_output(i).name.startswith(
                                         GUARD_OUTPUT_PREFIX)],
                       input_spec=pytree.treespec_dumps(given.in_spec),
                       output_structure=traced.structure, metadata=metadata,
                       guards=[g.to_state() for g in traced.tracer.ctx.guards],
                       constant_args=constant_args(module, given.args))
    report.stats.update({k: metadata[k] for k in ("trace_seconds", "build_seconds",
                                                  "fp32_islands", "keep_fp32_auto", "guards")
                         if k in metadata})
    result.report = report
    result.reference_recording = record_network(network, given.profiles)  # graph(), to_onnx()
    return result


def _metadata(module: Any, network: Any, traced: Traced, settings: Settings, given: Examples,
              precision_info: dict[str, Any], build_seconds: float) -> dict[str, Any]:
    report = traced.report
    return {"tensorrt": settings.backend.version(), "num_layers": network.num_layers,
            "trace_seconds": report.trace_seconds, "build_seconds": build_seconds,
            "warnings": list(report.warnings), "precision": settings.precision,
            "io_dtypes": _io_dtypes(given, traced), **precision_info,
            **plugins.metadata_for(network),
            **conversion_facts(module, settings.backend, network, given.profiles),
            **_counts(network, module, report)}


def _io_dtypes(given: Examples, traced: Traced) -> dict[str, list[str]]:
    """PyTorch's dtypes of the inputs and outputs (the engine's may differ: float64 runs as
    float32), so the TRTModule takes and returns what the model did."""
    outputs = describe(traced.outputs)[0] if traced.structure is not None else []
    return {"inputs": [str(x.dtype) for x in given.tensors],
            "outputs": [str(x.dtype) for x in outputs]}


def _lower(network: Any, profiles: list[dict[str, list[list[int]]]], precision: str,
           examples: list[torch.Tensor], keep_fp32: Sequence[str],
           calibration_data: Iterable[Any] | None, calibration_method: str,
           calibration_cache: str | Path | None, auto: AutoFp32 | None,
           bar: Progress) -> tuple[Any, dict[str, Any]]:
    """The network rewritten for `precision` (fp32: unchanged), and what the rewrite did."""
    if precision == "fp32":
        return network, {}
    recording = record_network(network, profiles)
    if precision == "int8":
        try:
            lowered, _, count = quantization.prepare(
                network, recording, calibration_data, calibration_method, calibration_cache,
                progress=bar.counter("calibration passes") if bar.enabled else None)
        except ValueError as e:
            raise InputError(str(e)) from None
        return rebuild(lowered), {"quantized_inputs": count}
    if auto is not None:
        return auto.lower(network, recording, precision, examples, keep_fp32)
    lowered, report = lower_precision(network, recording, precision, examples, keep_fp32)
    return rebuild(lowered), {"fp32_islands": dict(report.islands)}


def _build(chosen: backends.Backend, network: Any, profiles: list[dict[str, list[list[int]]]],
           workspace_size: int | None, optimization_level: int | None,
           timing_cache: str | Path | None, *, level: Any, bar: Progress) -> bytes:
    """Plan bytes from the backend; a timing cache file is read before and written after."""
    cache_path = Path(timing_cache) if timing_cache is not None else None
    cache = None
    if cache_path is not None:
        cache = cache_path.read_bytes() if cache_path.exists() else b""
    monitor = bar.monitor(chosen.trt()) if chosen.name != "reference" else None
    plan, new_cache = chosen.build(network, profiles, workspace_size=workspace_size,
                                   optimization_level=optimization_level, timing_cache=cache,
                                   log_level=level, progress_monitor=monitor)
    if cache_path is not None and new_cache:
        cache_path.write_bytes(new_cache)
    return plan


def _counts(network: Any, module: Any, report: ConversionReport) -> dict[str, Any]:
    """Layers per type and module (and the modules' classes) for the metadata; the report's
    summary shows them with the precision and timing entries."""
    by_type, by_module = layer_counts(network)
    report.stats.update(layers_by_type=by_type, layers_by_module=by_module)
    return {"layers_by_type": by_type, "layers_by_module": by_module,
            "module_types": module_types(module, by_module)}


def _keep_fp32(keep_fp32: Sequence[str] | str, tolerance: float | None, precision: str
               ) -> tuple[Sequence[str], AutoFp32 | None]:
    try:
        return keep_fp32_setting(keep_fp32, tolerance, precision)
    except ValueError as e:
        raise InputError(str(e)) from None


def _severity(level: str) -> Any:
    try:
        return trt.ILogger.Severity[level.upper()]
    except KeyError:
        raise InputError(f"log_level must be one of error, warning, info, verbose; got "
                         f"{level!r}") from None
