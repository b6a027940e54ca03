"""Per-call comparison of an engine against PyTorch: the table behind `trtconv.debug.compare`
and `keep_fp32="auto"`.

The trace knows every converted torch call (`report.calls`: op, module path, source line, the
ITensors of its results). A `TorchValues` observer records PyTorch's value of each call while
the trace runs; the engine's value of the same tensors is read by name from its execution.
`compare_calls` lines them up in trace order: each row has the call's error against PyTorch,
the largest error among the tensors it read (its inputs), and how much the call amplified it.
The first row whose error jumps (above `min_error` and `jump` times its inputs' error, or
non-finite where PyTorch is finite) is where accuracy goes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from . import tracing
from .calls import CallRecord
from .reference import walk

# The unit roundoff of each precision: an input error below it is as good as exact.
UNIT_ROUNDOFF = {"fp32": 2.0 ** -24, "fp16": 2.0 ** -11, "bf16": 2.0 ** -8, "int8": 2.0 ** -8}
# Errors (max abs error over PyTorch's max abs) below these are never called a jump.
MIN_ERROR = {"fp32": 1e-4, "fp16": 5e-3, "bf16": 3e-2, "int8": 5e-2}
JUMP = 10.0  # a call's error must be this many times its inputs' error to be a jump


class TorchValues:
    """A call observer (see `observing`): PyTorch's result tensors of every converted call,
    copied when the call returns (later in-place updates do not reach them)."""

    def __init__(self) -> None:
        self._values: dict[int, tuple[CallRecord, list[torch.Tensor]]] = {}

    def __call__(self, record: CallRecord, results: list[torch.Tensor]) -> None:
        self._values[id(record)] = (record, [t.detach().clone() for t in results])

    def get(self, record: CallRecord) -> list[torch.Tensor] | None:
        entry = self._values.get(id(record))
        return None if entry is None else entry[1]


@contextmanager
def observing(*observers: Any) -> Iterator[None]:
    """Call each `observer(record, torch_results)` after each converted call of every trace
    this thread starts inside the block."""
    active = getattr(tracing.call_observers, "active", ())
    tracing.call_observers.active = (*active, *observers)
    try:
        yield
    finally:
        tracing.call_observers.active = active


@dataclass(frozen=True)
class TensorError:
    """One engine tensor against PyTorch's value."""

    max_abs: float
    max_rel: float  # max abs error over PyTorch's max abs (the tolerance measure)
    note: str = ""


def tensor_error(want: torch.Tensor, got: torch.Tensor | None) -> TensorError | None:
    """The engine's value `got` against PyTorch's `want` (None: the engine has no value).
    Equal infinities and NaN where PyTorch has NaN count as equal."""
    if got is None:
        return None
    want = want.detach().to(torch.float64)
    got = got.detach().to(torch.float64)
    if got.shape != want.shape:
        if got.numel() != want.numel():
            return TensorError(math.inf, math.inf, f"engine shape {tuple(got.shape)}")
        got = got.reshape(want.shape)
    if want.numel() == 0:
        return TensorError(0.0, 0.0)
    diff = (got - want).abs()
    diff[(got == want) | (got.isnan() & want.isnan())] = 0.0
    bad = ~torch.isfinite(diff)
    max_abs = math.inf if bool(bad.any()) else float(diff.max())
    finite = want[torch.isfinite(want)]
    scale = float(finite.abs().max()) if finite.numel() else 0.0
    rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    note = "inf/nan where PyTorch is finite" if bool(bad.any()) else ""
    return TensorError(max_abs, rel, note)


@dataclass(frozen=True)
class CallRow:
    """One converted torch call: where it is, and its error against PyTorch."""

    index: int  # position in `report.calls`
    op: str
    module_path: str
    source: str
    layers: tuple[int, int]
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float
    input_rel: float  # the largest max_rel among the tensors the call read
    amplification: float  # max_rel over max(input_rel, the precision's unit roundoff)
    jumps: bool
    note: str = ""

    @property
    def module(self) -> str:
        return self.module_path or "<root>"

    def describe(self) -> str:
        return (f"{self.op} in module '{self.module}' at {self.source}: max rel error "
                f"{self.max_rel:.3g} ({times(self.amplification)} its inputs' "
                f"{self.input_rel:.3g})")


def times(value: float) -> str:
    return "inf x" if math.isinf(value) else f"{value:.3g}x"


def call_inputs(call: CallRecord) -> list[str]:
    """Names of the tensors a call's layers read that other layers (or inputs) made."""
    if not call.outputs:
        return []
    network = call.outputs[0]._network
    first, end = call.layers
    own = walk.layers(network, first, end)
    made_here = {out.name for layer in own for out in walk.layer_outputs(layer)}
    names: list[str] = []
    for layer in own:
        for t in walk.layer_inputs(layer):
            if t is not None and t.name not in made_here and t.name not in names:
                names.append(t.name)
    return names


def compare_calls(calls: Sequence[CallRecord], torch_values: TorchValues,
                  engine_values: dict[str, torch.Tensor], precision: str, *,
                  jump: float = JUMP, min_error: float | None = None) -> list[CallRow]:
    """The table: one row per converted call whose results the engine computed."""
    unit = UNIT_ROUNDOFF[precision]
    floor = MIN_ERROR[precision] if min_error is None else min_error
    errors: dict[str, float] = {}  # tensor name -> max_rel, for the calls that read it
    rows: list[CallRow] = []
    for index, call in enumerate(calls):
        values = torch_values.get(call) if call.converted else None
        if not values or len(values) != len(call.outputs):
            continue
        input_rel = max((errors.get(n, 0.0) for n in call_inputs(call)), default=0.0)
        measured = [(t.name, want, tensor_error(want, engine_values.get(t.name)))
                    for t, want in zip(call.outputs, values)]
        if any(err is None for _, _, err in measured):
            continue  # the engine does not compute it: nothing reads it
        for name, _, err in measured:
            errors[name] = err.max_rel  # type: ignore[union-attr]
        worst = max((err for _, _, err in measured), key=lambda e: e.max_rel)  # type: ignore
        rows.append(_row(index, call, values[0], worst, input_rel, unit, floor, jump,
                         _copy_note(measured, engine_values, precision)))
    return rows


def _row(index: int, call: CallRecord, value: torch.Tensor, err: TensorError, input_rel: float,
         unit: float, floor: float, jump: float, extra: str) -> CallRow:
    if math.isfinite(input_rel):
        amplification = err.max_rel / max(input_rel, unit)
        jumps = not math.isfinite(err.max_rel) or (err.max_rel > floor
                                                   and amplification >= jump)
    else:  # non-finite values came in: not this call's doing
        amplification, jumps = (1.0 if not math.isfinite(err.max_rel) else 0.0), False
    note = "; ".join(n for n in (err.note, extra) if n)
    return CallRow(index, short_op(call.op), call.module_path, call.source.short, call.layers,
                   tuple(value.shape), err.max_abs, err.max_rel, input_rel, amplification,
                   jumps, note)


def _copy_note(measured: list[tuple[str, torch.Tensor, TensorError | None]],
               engine_values: dict[str, torch.Tensor], precision: str) -> str:
    """Where a result kept in fp32 has a low-precision copy for its consumers (the precision
    pass casts island outputs back), say when that copy overflows."""
    for name, want, _ in measured:
        copy = engine_values.get(f"{name}__{precision}")
        if copy is not None and bool((torch.isfinite(want) & ~torch.isfinite(
                copy.reshape(want.shape).float())).any()):
            return f"its {precision} copy for later layers overflows"
    return ""


def short_op(op: str) -> str:
    """`torch.nn.functional.linear` -> `linear`, `torch.nn.Conv2d.forward` -> `Conv2d`."""
    parts = op.split(".")
    return parts[-2] if parts[-1] == "forward" and len(parts) > 1 else parts[-1]


def output_error(got: Sequence[torch.Tensor], want: Sequence[torch.Tensor]) -> float:
    """Max abs error over all outputs divided by PyTorch's max abs output."""
    worst, scale = 0.0, 0.0
    for g, w in zip(got, want):
        err = tensor_error(w, g)
        assert err is not None
        worst = max(worst, err.max_abs)
        finite = w.detach().double()[torch.isfinite(w.detach().double())]
        if finite.numel():
            scale = max(scale, float(finite.abs().max()))
    if worst == 0:
        return 0.0
    return worst / scale if scale > 0 else math.inf


@dataclass
class Comparison:
    """`trtconv.debug.compare`'s result: `rows` in trace order and the `first_divergent` one.

    `method` says how the engine's intermediate values were read (the reference engine is
    inspected as it runs; TensorRT uses debug tensors, or extra outputs where it has none).
    """

    rows: list[CallRow]
    precision: str
    backend: str
    method: str
    output_error: float
    not_computed: int = 0  # converted calls whose results the engine never computes
    notes: list[str] = field(default_factory=list)

    @property
    def first_divergent(self) -> CallRow | None:
        return next((r for r in self.rows if r.jumps), None)

    def table(self, rows: Sequence[CallRow] | None = None) -> str:
        """The rows as aligned text (all rows unless given), the first jump marked `<<`."""
        rows = self.rows if rows is None else rows
        first = self.first_divergent
        header = ("#", "module", "op", "source", "shape", "max abs", "max rel", "inputs rel",
                  "x inputs", "")
        lines = [header]
        for r in rows:
            mark = "<< first jump" if r is first else "<<" if r.jumps else ""
            if r.note:
                mark = f"{mark} ({r.note})".strip()
            lines.append((str(r.index), r.module, r.op, r.source,
                          "x".join(map(str, r.shape)) or "()", f"{r.max_abs:.3g}",
                          f"{r.max_rel:.3g}", f"{r.input_rel:.3g}", times(r.amplification),
                          mark))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        text = [" ".join(c.ljust(w) for c, w in zip(line, widths)) + " " + line[-1]
                for line in lines]
        return "\n".join(t.rstrip() for t in text)

    def summary(self) -> str:
        first = self.first_divergent
        lines = [f"{self.backend} engine, {self.precision}: output error {self.output_error:.3g}"
                 f" (max abs error / max abs output) over {len(self.rows)} calls; values read "
                 f"by {self.method}"]
        lines.append(f"first divergent call: #{first.index} {first.describe()}" if first else
                     "no call's error jumps")
        if self.not_computed:
            lines.append(f"{self.not_computed} converted call(s) are not computed by the engine "
                         f"(nothing reads them)")
        return "\n".join(lines + self.notes)

    def __str__(self) -> str:
        return self.table() + os.linesep + self.summary()
