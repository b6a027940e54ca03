"""Partial conversion: what TensorRT cannot run stays in PyTorch, and the rest becomes engines.

With `convert(..., fallback=True)` the trace keeps going where a call has no converter (or its
converter refuses the arguments, or the user asked for PyTorch): the call becomes a *PyTorch
step*, and its results enter the network as placeholder inputs, so what follows still
converts. The trace is then a sequence of steps, each converted or not. Runs of converted
steps are *segments*; a segment with fewer than `min_block_size` converted calls runs in
PyTorch too (each boundary costs a synchronisation and copies). Each segment becomes one
engine (`trtconv.segments` cuts the traced network into one network per segment), and
`trtconv.partitioned.PartitionedModule` runs engines and PyTorch steps in trace order.

Tensors crossing a boundary keep their dynamic dims. Their shape ranges come from the model's
profiles, propagated through the trace: the network's own shape inference for what TensorRT
computes, and each PyTorch step run on meta tensors for what PyTorch computes (an op whose
output size depends on the data gets the range 0 .. the largest input's element count).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils import _pytree as pytree

from .calls import Source, user_source
from .errors import InputError
from .reference import trt
from .reference.trt.builder import infer_concrete
from .registry import qualified_name
from .symbolic import DimInt, evaluate

# How a step runs: "tensorrt" (in a segment's engine) or "pytorch", and why.
NO_CONVERTER = "no converter"
REFUSED = "refused by its converter"
ASKED = "asked to run in PyTorch"
TOO_SMALL = "block too small"


@dataclass(frozen=True)
class PartialOptions:
    """`convert(fallback=True, torch_executed_ops=..., torch_executed_modules=...,
    min_block_size=...)`, checked."""

    torch_executed_ops: frozenset[str] = frozenset()
    torch_executed_modules: tuple[str, ...] = ()
    torch_executed_classes: tuple[type, ...] = ()
    min_block_size: int = 5

    @classmethod
    def of(cls, ops: Sequence[Any], modules: Sequence[Any], min_block_size: int
           ) -> PartialOptions:
        if isinstance(min_block_size, bool) or not isinstance(min_block_size, int) \
                or min_block_size < 1:
            raise InputError(f"min_block_size must be a positive int, got {min_block_size!r}")
        names = frozenset(_op_name(op) for op in ops)
        paths = tuple(m for m in modules if isinstance(m, str))
        classes = tuple(m for m in modules if isinstance(m, type))
        odd = [m for m in modules if not isinstance(m, (str, type))]
        if odd:
            raise InputError(f"torch_executed_modules takes module paths ('layer3') or module "
                             f"classes (torch.nn.GELU), got {odd!r}")
        return cls(names, paths, classes, min_block_size)

    def runs_in_torch(self, op: str, module_path: str, module_classes: Sequence[type]) -> bool:
        if op in self.torch_executed_ops:
            return True
        if any(module_path == p or module_path.startswith(p + ".")
               for p in self.torch_executed_modules):
            return True
        return any(issubclass(c, self.torch_executed_classes) for c in module_classes) \
            if self.torch_executed_classes else False


def _op_name(op: Any) -> str:
    if isinstance(op, str):
        return op
    try:
        return qualified_name(op)
    except (TypeError, ValueError) as e:
        raise InputError(f"torch_executed_ops: cannot name {op!r}: {e}") from None


@dataclass
class Step:
    """One torch call of the trace, converted or not (kept alive: its tensors name values)."""

    index: int
    op: str
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    result: Any
    module_path: str
    source: Source
    converted: bool
    reason: str = ""
    layers: tuple[int, int] = (0, 0)
    segment: int = -1  # the engine it runs in; -1: PyTorch
    # the network tensor each tensor the call reads was at the call (by id of the torch
    # tensor), and each result's afterwards: how values are named when the steps run
    arg_keys: dict[int, str] = field(default_factory=dict)
    output_keys: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> list[torch.Tensor]:
        return [x for x in pytree.tree_leaves(self.result) if isinstance(x, torch.Tensor)]

    @property
    def inputs(self) -> list[Any]:
        """The tensors and DimInts the call reads."""
        found = []
        for leaf in pytree.tree_leaves((self.args, self.kwargs)):
            values = (leaf.start, leaf.stop, leaf.step) if isinstance(leaf, slice) else (leaf,)
            found.extend(v for v in values if isinstance(v, (torch.Tensor, DimInt)))
        return found


# A corner of a profile: the model's input shapes at min, opt or max, and where a PyTorch
# step's output size depends on the data, whether it takes its low end, the example's or the
# high end.
Corner = tuple[dict[str, tuple[int, ...]], str]


@dataclass
class PartialTrace:
    """What a trace with fallback=True records: every step, and each placeholder's shapes at
    every corner of the profiles."""

    options: PartialOptions
    network: Any
    corners: list[Corner]
    steps: list[Step] = field(default_factory=list)
    # placeholder input name -> its torch tensor, and its shape at each corner
    placeholders: dict[str, torch.Tensor] = field(default_factory=dict)
    corner_shapes: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    _inferred: dict[int, tuple[int, dict[Any, Any]]] = field(default_factory=dict)

    # --- recording --------------------------------------------------------------------------
    def keys(self, ctx: Any, tree: Any) -> dict[int, str]:
        """The network tensor each tensor in `tree` (slices and sizes' expressions too) is
        bound to now, by id of the torch tensor."""
        found: dict[int, str] = {}
        for value in _tensors_read(tree):
            itensor = ctx.tensors.lookup(value)
            if itensor is not None:
                found[id(value)] = itensor.name
        return found

    def converted(self, ctx: Any, op: str, func: Callable[..., Any], args: tuple[Any, ...],
                  kwargs: dict[str, Any], result: Any, layers: tuple[int, int],
                  arg_keys: dict[int, str]) -> None:
        step = Step(len(self.steps), op, func, args, kwargs, result, ctx.module_path,
                    user_source(), True, layers=layers, arg_keys=arg_keys)
        step.output_keys = [ctx.tensors.lookup(t).name for t in step.outputs]
        self.steps.append(step)

    def in_torch(self, ctx: Any, op: str, func: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], result: Any, reason: str) -> None:
        """A call that runs in PyTorch: a step, and its tensor results as placeholders the
        network reads from (with the shape ranges they take over the profiles)."""
        ctx.tensors.refresh_versions((args, kwargs))  # an in-place call: its own update
        step = Step(len(self.steps), op, func, args, kwargs, result, ctx.module_path,
                    user_source(), False, reason, arg_keys=self.keys(ctx, (args, kwargs)))
        self.steps.append(step)
        shapes = [self._step_shapes(ctx, step, corner) for corner in range(len(self.corners))]
        for i, value in enumerate(step.outputs):
            name = f"__pytorch_{step.index}_{i}"
            per_corner = [s[i] for s in shapes]
            dims = tuple(-1 if len({c[a] for c in per_corner}) > 1 else value.shape[a]
                         for a in range(value.dim()))
            dtype = torch.float32 if value.dtype == torch.float64 else value.dtype
            placeholder = self.network.add_input(name, trt.trt_dtype(dtype), dims)
            self.placeholders[name] = value
            self.corner_shapes[name] = per_corner
            step.output_keys.append(name)
            ctx.bind(value, placeholder)

    # --- shapes at the corners of the profiles ------------------------------------------------
    def shape_at(self, ctx: Any, value: Any, corner: int) -> tuple[int, ...]:
        """The shape `value` (a tensor of the trace) has at `corner`."""
        itensor = ctx.tensors.lookup(value) if isinstance(value, torch.Tensor) else None
        if itensor is None:
            return tuple(value.shape)  # a constant
        return self.itensor_shape_at(itensor, corner)

    def itensor_shape_at(self, itensor: Any, corner: int) -> tuple[int, ...]:
        """The shape an ITensor of the traced network has at `corner`."""
        if itensor.is_network_input:
            name = itensor.name
            if name in self.corner_shapes:
                return self.corner_shapes[name][corner]
            return tuple(self.corners[corner][0][name])
        return tuple(self._infos(corner)[itensor].shape)

    def dim_at(self, ctx: Any, value: DimInt, corner: int) -> int:
        return evaluate(value.expr, lambda t, axis: self.shape_at(ctx, t, corner)[axis])

    def _infos(self, corner: int) -> dict[Any, Any]:
        """Inference of the network so far at `corner` (redone when the network grew)."""
        cached = self._inferred.get(corner)
        if cached is None or cached[0] != self.network.num_layers:
            shapes = dict(self.corners[corner][0])
            shapes.update({n: s[corner] for n, s in self.corner_shapes.items()})
            infos = infer_concrete(self.network, shapes, assertions=False)[0]
            cached = self._inferred[corner] = (self.network.num_layers, infos)
        return cached[1]

    def _step_shapes(self, ctx: Any, step: Step, corner: int) -> list[tuple[int, ...]]:
        """The shapes of a PyTorch step's outputs at `corner`: the op run on meta tensors, or,
        where the output size depends on the data, a bound."""
        def meta(leaf: Any) -> Any:
            if isinstance(leaf, torch.Tensor):
                return torch.empty(self.shape_at(ctx, leaf, corner), dtype=leaf.dtype,
                                   device="meta")
            if isinstance(leaf, DimInt):
                return self.dim_at(ctx, leaf, corner)
            return leaf

        try:
            with torch.no_grad():
                result = step.func(*pytree.tree_map(meta, step.args),
                                   **pytree.tree_map(meta, step.kwargs))
            shapes = [tuple(x.shape) for x in pytree.tree_leaves(result)
                      if isinstance(x, torch.Tensor)]
            if len(shapes) == len(step.outputs):
                return shapes
        except Exception:  # noqa: BLE001  (a data-dependent size, or no meta kernel)
            pass
        return [self._bounded(ctx, step, value, corner) for value in step.outputs]

    def _bounded(self, ctx: Any, step: Step, value: torch.Tensor, corner: int
                 ) -> tuple[int, ...]:
        """A shape whose size cannot be known without the data: the example's where the
        corner is the example's, else 0 or the largest element count among the inputs."""
        mode = self.corners[corner][1]
        if mode == "example":
            return tuple(value.shape)
        bound = max([1, *(_numel(self.shape_at(ctx, t, corner)) for t in step.inputs
                          if isinstance(t, torch.Tensor))])
        return tuple(0 if mode == "lo" else max(bound, d) for d in value.shape)


def _tensors_read(tree: Any) -> list[torch.Tensor]:
    """The tensors a call reads: its tensor arguments, slice bounds, and those whose sizes its
    size arguments are computed from."""
    found: list[torch.Tensor] = []

    def visit(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, slice):
            for bound in (value.start, value.stop, value.step):
                visit(bound)
        elif isinstance(value, DimInt):
            visit_expr(value.expr)

    def visit_expr(expr: Any) -> None:
        if isinstance(expr, tuple) and expr and expr[0] == "size":
            visit(expr[1])
        elif isinstance(expr, tuple):
            for part in expr[1:]:
                visit_expr(part)

    for leaf in pytree.tree_leaves(tree):
        visit(leaf)
    return found


def _numel(shape: Sequence[int]) -> int:
    total = 1
    for d in shape:
        total *= d
    return total


def corners_of(profiles: list[dict[str, list[list[int]]]]) -> list[Corner]:
    """Each profile's min, opt and max input shapes as corners (low, example, high)."""
    found: list[Corner] = []
    for profile in profiles:
        for index, mode in ((0, "lo"), (1, "example"), (2, "hi")):
            found.append(({name: tuple(shapes[index]) for name, shapes in profile.items()},
                          mode))
    return found


# --- deciding where each step runs ---------------------------------------------------------

@dataclass
class Plan:
    """Which steps run in which engine; the report of a dry run."""

    steps: list[Step]
    segments: list[list[Step]]

    @property
    def torch_steps(self) -> list[Step]:
        return [s for s in self.steps if s.segment < 0]


def plan(steps: list[Step], min_block_size: int) -> Plan:
    """Cut the steps into segments: maximal runs of converted steps; a run with fewer than
    `min_block_size` converted calls runs in PyTorch."""
    runs: list[list[Step]] = []
    current: list[Step] = []
    for step in steps:
        if step.converted:
            current.append(step)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    segments = []
    for run in runs:
        if len(run) < min_block_size:
            for step in run:
                step.converted, step.reason = False, TOO_SMALL
            continue
        for step in run:
            step.segment = len(segments)
        segments.append(run)
    return Plan(steps, segments)


def describe_plan(partition: Plan) -> list[str]:
    """The partition as report lines: per segment its calls and modules, per PyTorch step the
    op, module, source line and reason."""
    lines = [f"{len(partition.segments)} engine(s), "
             f"{sum(len(s) for s in partition.segments)} of {len(partition.steps)} calls in "
             f"TensorRT"]
    for k, segment in enumerate(partition.segments):
        modules = sorted({s.module_path or "<root>" for s in segment})
        layers = sum(s.layers[1] - s.layers[0] for s in segment)
        lines.append(f"  engine {k}: {len(segment)} calls, {layers} layers, modules "
                     f"{', '.join(modules[:6])}{' ...' if len(modules) > 6 else ''}")
    for step in partition.torch_steps:
        lines.append(f"  PyTorch: {step.op} in module '{step.module_path or '<root>'}' at "
                     f"{step.source} ({step.reason})")
    return lines
