"""`convert(..., fallback=True)`: trace with PyTorch steps, plan the segments, build one engine
per segment, and assemble the `PartitionedModule` (see `trtconv.partition`).

>>> import torch, trtconv
>>> class Model(torch.nn.Module):
...     def forward(self, x):
...         y = torch.relu(x) * 2 + 1
...         y = torch.special.i1e(y)             # no converter: runs in PyTorch
...         return torch.sigmoid(y) - 0.5
>>> x = torch.randn(2, 3)
>>> m = trtconv.convert(Model(), [x], backend="reference", fallback=True, min_block_size=1)
>>> bool(torch.allclose(m(x), Model()(x), atol=1e-5))
True
>>> len(m.engines)
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends
from .convert import Settings, _lower, _run_traced, _untouched
from .errors import ConversionError, ConversionReport, InputError, UnsupportedOperatorError
from .examples import Examples
from .export.facts import dtype_name
from .marking import constant_args
from .module import TRTModule
from .partition import PartialOptions, PartialTrace, Plan, Step, corners_of, describe_plan, plan
from .partitioned import STATE_VERSION, PartitionedModule, encode, resolve_step, step_name
from .reference import trt, walk
from .reference.trt.plan import record_network, replay
from .registry import qualified_name
from .segments import SegmentGraph, segment_profiles, segment_recording, split
from .structure import describe

CORNERS_PER_PROFILE = 3


@dataclass
class PartialResult:
    """A partial trace and what it found."""

    network: Any
    tracer: Any
    partial: PartialTrace
    outputs: Any
    report: ConversionReport
    partition: Plan


def convert_partial(module: Any, given: Examples, settings: Settings, options: PartialOptions,
                    dry_run: bool) -> PartitionedModule | ConversionReport:
    if settings.precision == "int8":
        raise InputError("precision='int8' with fallback=True is not supported: calibrate the "
                         "converted parts by converting them as modules of their own")
    traced = _trace(module, given, settings, options)
    if dry_run:
        return traced.report
    if not traced.report.ok:
        raise UnsupportedOperatorError(traced.report)
    return _assemble(module, given, settings, traced)


def _trace(module: Any, given: Examples, settings: Settings, options: PartialOptions
           ) -> PartialResult:
    builder = trt.Builder(backends.capturing_logger(trt, settings.level))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    partial = PartialTrace(options, network, corners_of(given.profiles))
    with settings.bar.stage("tracing"), _untouched(module):
        outputs, tracer = _run_traced(module, network, given, settings.guard_options, None,
                                      partial)
    report = tracer.finish()
    partition = plan(partial.steps, options.min_block_size)
    report.partition = describe_plan(partition)
    report.num_layers = network.num_layers
    return PartialResult(network, tracer, partial, outputs, report, partition)


def _assemble(module: Any, given: Examples, settings: Settings, traced: PartialResult
              ) -> PartitionedModule:
    ctx = traced.tracer.ctx
    leaves, structure = describe(traced.outputs)
    by_name = walk.tensors(ctx.network)
    constants: list[torch.Tensor] = []
    output_keys = [_output_key(ctx, leaf, constants) for leaf in leaves]
    exported = [by_name[k] for step in traced.partition.torch_steps
                for k in step.arg_keys.values()]
    exported += [by_name[k] for k in output_keys if isinstance(k, str)]
    graphs = split(traced.network, traced.partition, exported, ctx.guards, ctx.guard_outputs)
    graphs = _with_outputs(graphs, traced.partition)
    examples = _examples_by_name(ctx, given, traced.partial)
    engines = [_engine(graph, traced, settings, examples) for graph in graphs]
    steps, funcs = _steps(traced.partition, graphs, constants)
    state = {
        "version": STATE_VERSION, "steps": steps, "input_keys": list(given.names),
        "input_spec": pytree.treespec_dumps(given.in_spec), "output_keys": output_keys,
        "output_structure": structure, "constant_args": constant_args(module, given.args),
        "metadata": {"engines": len(engines), "precision": settings.precision,
                     "io": _io(ctx, given, traced, leaves), "backend": settings.backend.name,
                     "source_model": qualified_name(type(module)),
                     "partition": traced.report.partition,
                     "calls_in_tensorrt": sum(len(s) for s in traced.partition.segments),
                     "calls": len(traced.partition.steps),
                     "fallbacks": [f"{s.op} in '{s.module_path or '<root>'}' ({s.reason})"
                                   for s in traced.partition.torch_steps]},
    }
    result = PartitionedModule(None, engines, constants)
    result._state, result._funcs = state, funcs
    result._input_spec = given.in_spec
    result.report = traced.report
    return result


def _with_outputs(graphs: list[SegmentGraph], partition: Plan) -> list[SegmentGraph]:
    """The segments something reads from (a segment of size reads only makes no engine);
    steps of the others run nowhere (their results are sizes, evaluated where used)."""
    kept = [g for g in graphs if g.outputs]
    renumber = {g.index: k for k, g in enumerate(kept)}
    for step in partition.steps:
        if step.segment >= 0:
            step.segment = renumber.get(step.segment, -2)  # -2: computed by no one
    for k, graph in enumerate(kept):
        graph.index = k
    return kept


def _io(ctx: Any, given: Examples, traced: PartialResult, outputs: list[torch.Tensor]
        ) -> dict[str, Any]:
    """Inputs and outputs with -1 for dynamic dims, and the profiles (what deploy tools read:
    engine sidecars, Triton configs)."""
    partial = traced.partial

    def entry(name: str, value: torch.Tensor, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
        dims = [d if all(s[a] == d for s in shapes) else -1
                for a, d in enumerate(value.shape)]
        return {"name": name, "dtype": dtype_name(value.dtype), "shape": dims}

    corners = range(len(partial.corners))
    return {
        "inputs": [entry(n, x, [partial.corners[c][0][n] for c in corners])
                   for n, x in zip(given.names, given.tensors)],
        "outputs": [entry(f"output_{i}", x, [partial.shape_at(ctx, x, c) for c in corners])
                    for i, x in enumerate(outputs)],
        "profiles": [{n: [list(s) for s in shapes] for n, shapes in p.items()}
                     for p in given.profiles],
    }


def _output_key(ctx: Any, value: torch.Tensor, constants: list[torch.Tensor]) -> str | int:
    itensor = ctx.tensors.lookup(value)
    if itensor is not None:
        return itensor.name
    ctx.warn("an output does not depend on the inputs; it is a constant")
    constants.append(value.detach().clone())
    return len(constants) - 1


def _examples_by_name(ctx: Any, given: Examples, partial: PartialTrace
                      ) -> dict[str, torch.Tensor]:
    """A torch example of each network tensor that has one (for precision lowering)."""
    found = {itensor.name: tensor for tensor, itensor in ctx.tensors.traced_items()}
    found.update(partial.placeholders)
    found.update(zip(given.names, given.tensors))
    return found


def _engine(graph: SegmentGraph, traced: PartialResult, settings: Settings,
            examples: dict[str, torch.Tensor]) -> TRTModule:
    """Build one segment's engine."""
    partial = traced.partial
    shapes = {name: _corner_shapes(partial, name, t, examples)
              for name, t in graph.inputs.items()}
    recording = segment_recording(graph, record_network(traced.network), shapes)
    profiles = segment_profiles(graph, partial, CORNERS_PER_PROFILE, shapes)
    network = trt.Builder(backends.capturing_logger(trt, settings.level)).create_network(
        1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    replay(recording, trt, network, is_reference=True)
    missing = [n for n in graph.inputs if n not in examples]
    if settings.precision != "fp32" and missing:
        raise ConversionError(f"segment {graph.index}: no example of {missing} to lower "
                              f"its precision with")
    network, info = _lower(network, profiles, settings.precision,
                           [examples[n].detach() for n in graph.inputs if n in examples],
                           settings.keep_fp32, None, "entropy", None, None, settings.bar)
    with settings.bar.stage(f"building engine {graph.index} ({settings.backend.name})"):
        plan_bytes, _ = settings.backend.build(network, profiles, log_level=settings.level)
    guard_names = {g.output for g in graph.guards}
    outputs = [n for n in graph.outputs if n not in guard_names]
    spec = pytree.treespec_dumps(pytree.tree_flatten(tuple(range(len(graph.inputs))))[1])
    return TRTModule(plan_bytes, backend=settings.backend.name, input_names=list(graph.inputs),
                     output_names=outputs, input_spec=spec,
                     output_structure={"kind": "tuple",
                                       "items": [{"kind": "tensor"} for _ in outputs]},
                     metadata={"precision": settings.precision, **info,
                               "num_layers": network.num_layers},
                     guards=[g.to_state() for g in graph.guards])


def _corner_shapes(partial: PartialTrace, name: str, itensor: Any,
                   examples: dict[str, torch.Tensor]) -> list[tuple[int, ...]]:
    """An engine input's shape at each corner. A size the network computes from the data
    (what a non-zero or NMS layer keeps) is not known at any corner: it ranges from 0 to a
    bound, the largest element count of the trace's tensors scaled to the corner."""
    example = examples.get(name)
    found = []
    for corner, (inputs, mode) in enumerate(partial.corners):
        shape = partial.itensor_shape_at(itensor, corner)
        if all(d >= 0 for d in shape):
            found.append(shape)
            continue
        bound = _data_bound(partial, examples, inputs)
        found.append(tuple(d if d >= 0 else 0 if mode == "lo" else
                           example.shape[a] if mode == "example" and example is not None else
                           bound for a, d in enumerate(shape)))
    return found


def _data_bound(partial: PartialTrace, examples: dict[str, torch.Tensor],
                inputs: dict[str, tuple[int, ...]]) -> int:
    largest = max((t.numel() for t in examples.values()), default=1)
    given = sum(_numel(s) for s in inputs.values())
    traced = sum(examples[n].numel() for n in inputs if n in examples) or 1
    return max(1, largest * max(1, -(-given // traced)))


def _numel(shape: tuple[int, ...]) -> int:
    total = 1
    for d in shape:
        total *= d
    return total


def _steps(partition: Plan, graphs: list[SegmentGraph], constants: list[torch.Tensor]
           ) -> tuple[list[dict[str, Any]], list[Any]]:
    """The run order: each engine where its first call was, PyTorch steps between."""
    steps: list[dict[str, Any]] = []
    funcs: list[Any] = []
    started: set[int] = set()
    for step in partition.steps:
        if step.segment == -2:
            continue
        if step.segment >= 0:
            if step.segment not in started:
                started.add(step.segment)
                graph = graphs[step.segment]
                guard_names = {g.output for g in graph.guards}
                steps.append({"kind": "engine", "index": step.segment,
                              "inputs": list(graph.inputs),
                              "outputs": [n for n in graph.outputs if n not in guard_names]})
                funcs.append(None)
            continue
        steps.append(_torch_step(step, constants))
        funcs.append(step.func)
    return steps, funcs


def _torch_step(step: Step, constants: list[torch.Tensor]) -> dict[str, Any]:
    try:
        args = encode(step.args, step.arg_keys, constants)
        kwargs = encode(step.kwargs, step.arg_keys, constants)
    except TypeError as e:
        raise ConversionError(f"fallback: the PyTorch step {step.op} in module "
                              f"'{step.module_path or '<root>'}' at {step.source} takes {e}, "
                              f"which cannot be recorded") from None
    name = step_name(step.func)
    try:
        saveable = resolve_step(name) == step.func
    except Exception:  # noqa: BLE001  (a name outside torch: runs, but cannot be saved)
        saveable = False
    values = [None if not isinstance(v, (bool, int, float, str)) or hasattr(type(v), "trt_dim")
              else v for v in pytree.tree_leaves(step.result) if not isinstance(v, torch.Tensor)]
    return {"kind": "torch", "op": name, "args": args, "kwargs": kwargs,
            "outputs": list(step.output_keys), "values": values,
            "module_path": step.module_path, "source": str(step.source),
            **({} if saveable else {"unsaved": True})}
