"""`keep_fp32="auto"`: the fewest torch calls to keep in fp32 so that an fp16/bf16 engine's
output stays within a tolerance on the example inputs.

The error measure is the one the tests use: max abs error over all outputs divided by the
max abs output, against the fp32 PyTorch outputs of the trace. The search works on the traced
network's calls in trace order (each call's layers are kept together):

1. lower with the usual islands only; done if within the tolerance;
2. guided by the comparison table (`trtconv.comparison`): try keeping each of the first
   calls whose error jumps; accept one that meets the tolerance or halves the error;
3. otherwise bisect: the smallest prefix of the remaining calls whose fp32 meets the tolerance
   names its last call as needed; keep it and repeat;
4. finally drop every kept call the tolerance does not need.

Every kept call is recorded with the reason in `metadata["fp32_islands"]` (per layer) and
`metadata["keep_fp32_auto"]` (per call).

>>> import torch, trtconv
>>> model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU()).eval()
>>> m = trtconv.convert(model, [torch.randn(2, 8)], backend="reference", precision="fp16",
...                     keep_fp32="auto", tolerance=1e-2)
>>> m.metadata["keep_fp32_auto"]["kept"]  # fp16 is within the tolerance as it is
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from .backends.replay import rebuild
from .calls import CallRecord
from .comparison import TorchValues, compare_calls, output_error, short_op, times
from .errors import InputError
from .precision import PrecisionReport, lower_precision, peak_values
from .reference import walk
from .reference.trt.plan import Recording

DEFAULT_TOLERANCE = 1e-2
GUIDED_TRIES = 3  # jumping calls tried one by one before bisecting


@dataclass
class Evaluation:
    """One lowering tried: kept calls, its output error, its values, what the pass did."""

    kept: tuple[int, ...]
    error: float
    values: dict[str, torch.Tensor]
    lowered: Recording
    report: PrecisionReport


@dataclass
class AutoResult:
    """What the search kept (call index -> reason) and what it measured."""

    tolerance: float
    error_before: float
    final: Evaluation
    reasons: dict[int, str] = field(default_factory=dict)
    evaluations: int = 0

    def metadata(self, calls: Sequence[CallRecord]) -> dict[str, Any]:
        kept = [{"op": calls[i].op, "module_path": calls[i].module_path,
                 "source": str(calls[i].source), "reason": self.reasons[i]}
                for i in self.final.kept]
        return {"tolerance": self.tolerance, "error_before": self.error_before,
                "error": self.final.error, "evaluations": self.evaluations, "kept": kept}


class _Search:
    def __init__(self, network: Any, recording: Recording, precision: str,
                 examples: list[torch.Tensor], keep_fp32: Sequence[str],
                 calls: Sequence[CallRecord], torch_values: TorchValues,
                 want: list[torch.Tensor], tolerance: float):
        self.network, self.recording, self.precision = network, recording, precision
        self.examples, self.keep_fp32, self.calls = examples, keep_fp32, calls
        self.torch_values, self.want, self.tolerance = torch_values, want, tolerance
        self.peaks = peak_values(network, examples)
        self.count = 0
        # calls that own layers, in trace order: the units kept in fp32
        self.units = [i for i, c in enumerate(calls) if c.converted and c.layers[1] > c.layers[0]]

    def evaluate(self, kept: Sequence[int]) -> Evaluation:
        self.count += 1
        layers = {}
        for i in kept:
            first, end = self.calls[i].layers
            reason = f"kept in fp32 by keep_fp32='auto' ({short_op(self.calls[i].op)} call)"
            for layer in walk.layers(self.network)[first:end]:
                layers[layer.name] = reason
        lowered, report = lower_precision(self.network, self.recording, self.precision,
                                          self.examples, self.keep_fp32, layers, self.peaks)
        values = walk.observe(rebuild(lowered), self.examples)
        got = [values[name] for name in self.recording.graph["outputs"]]
        return Evaluation(tuple(kept), output_error(got, self.want), values, lowered, report)

    def fits(self, evaluation: Evaluation) -> bool:
        return evaluation.error <= self.tolerance

    def guided(self, current: Evaluation) -> tuple[Evaluation, int, str] | None:
        """Keep the first of the calls whose error jumps (at most `GUIDED_TRIES` tried) that
        meets the tolerance or halves the error."""
        rows = compare_calls(self.calls, self.torch_values, current.values, self.precision)
        jumps = [r for r in rows if r.jumps and r.index not in current.kept
                 and r.index in self.units]
        for row in jumps[:GUIDED_TRIES]:
            trial = self.evaluate([*current.kept, row.index])
            if self.fits(trial) or trial.error < current.error / 2:
                return trial, row.index, (
                    f"its error jumped to {row.max_rel:.3g} ({times(row.amplification)} its "
                    f"inputs'); in fp32 the output error goes from {current.error:.3g} to "
                    f"{trial.error:.3g}")
        return None  # no jump helps: bisect instead

    def bisect(self, current: Evaluation) -> tuple[int, str]:
        """The call whose fp32 makes a prefix of the remaining calls meet the tolerance."""
        pool = [i for i in self.units if i not in current.kept]
        lo, hi = 1, len(pool)  # keeping all of pool fits (checked before the search)
        last_fail = current.error
        while lo < hi:
            mid = (lo + hi) // 2
            trial = self.evaluate([*current.kept, *pool[:mid]])
            if self.fits(trial):
                hi = mid
            else:
                lo, last_fail = mid + 1, trial.error
        return pool[lo - 1], (f"bisection: with the calls before it also in fp32 the output "
                              f"error is {last_fail:.3g}, above the tolerance; with it, within")


def search(network: Any, recording: Recording, precision: str, examples: list[torch.Tensor],
           keep_fp32: Sequence[str], calls: Sequence[CallRecord], torch_values: TorchValues,
           want: list[torch.Tensor], tolerance: float, max_kept: int | None = None
           ) -> AutoResult:
    """Find the calls to keep in fp32 (see the module docstring)."""
    s = _Search(network, recording, precision, examples, keep_fp32, calls, torch_values, want,
                tolerance)
    current = s.evaluate(())
    result = AutoResult(tolerance, current.error, current)
    if s.fits(current):
        result.evaluations = s.count
        return result
    everything = s.evaluate(s.units)
    if not s.fits(everything):
        raise InputError(f"keep_fp32='auto': even with every call in fp32 the output error is "
                         f"{everything.error:.3g}, above tolerance={tolerance}; the fp32 "
                         f"conversion itself differs (see trtconv.debug.compare)")
    limit = max_kept if max_kept is not None else max(8, len(s.units) // 10)
    while not s.fits(current):
        if len(current.kept) >= limit:
            raise InputError(f"keep_fp32='auto': {len(current.kept)} calls kept in fp32 and the "
                             f"output error is still {current.error:.3g} > tolerance="
                             f"{tolerance}: {precision} cannot meet it here; raise the tolerance "
                             f"or convert in fp32")
        step = s.guided(current)
        if step is None:
            index, reason = s.bisect(current)
            step = (s.evaluate([*current.kept, index]), index, reason)
        current, index, reason = step
        result.reasons[index] = reason
    current = _prune(s, current)
    result.final, result.evaluations = current, s.count
    result.reasons = {i: result.reasons[i] for i in current.kept}
    return result


def _prune(s: _Search, current: Evaluation) -> Evaluation:
    """Drop kept calls the tolerance does not need (the last one found is always needed)."""
    for index in list(current.kept[:-1]):
        trial = s.evaluate([i for i in current.kept if i != index])
        if s.fits(trial):
            current = trial
    return current


def island_reasons(result: AutoResult, network: Any, calls: Sequence[CallRecord]
                   ) -> dict[str, str]:
    """Per layer, the auto reasons (for metadata["fp32_islands"])."""
    islands = {}
    for index in result.final.kept:
        call = calls[index]
        first, end = call.layers
        for layer in walk.layers(network, first, end):
            islands[layer.name] = (f"kept in fp32 by keep_fp32='auto': {short_op(call.op)} at "
                                   f"{call.source.short}: {result.reasons[index]}")
    return islands


@dataclass
class AutoFp32:
    """`keep_fp32="auto"` inside `convert`: records PyTorch's per-call values during the trace
    (`values` is a call observer), then searches while lowering."""

    tolerance: float
    values: TorchValues = field(default_factory=TorchValues)
    calls: list[CallRecord] = field(default_factory=list)
    want: list[torch.Tensor] = field(default_factory=list)

    def finish(self, calls: Sequence[CallRecord], outputs: Sequence[Any]) -> None:
        """The trace's calls and PyTorch's outputs (flattened in network output order)."""
        self.calls = list(calls)
        self.want = [t.detach().clone() for t in outputs if isinstance(t, torch.Tensor)]

    def lower(self, network: Any, recording: Recording, precision: str,
              examples: list[torch.Tensor], keep_fp32: Sequence[str]
              ) -> tuple[Any, dict[str, Any]]:
        """The lowered reference network and the metadata saying what was kept and why."""
        result = search(network, recording, precision, examples, keep_fp32, self.calls,
                        self.values, self.want, self.tolerance)
        islands = {**result.final.report.islands,
                   **island_reasons(result, network, self.calls)}
        return rebuild(result.final.lowered), {"fp32_islands": islands,
                                               "keep_fp32_auto": result.metadata(self.calls)}


def keep_fp32_setting(keep_fp32: Sequence[str] | str, tolerance: float | None, precision: str
                      ) -> tuple[list[str], AutoFp32 | None]:
    """`convert`'s keep_fp32/tolerance arguments as (names to keep, the auto search or None);
    ValueError for combinations that mean nothing."""
    if keep_fp32 != "auto":
        if tolerance is not None:
            raise ValueError("tolerance= applies to keep_fp32='auto'")
        return ([keep_fp32] if isinstance(keep_fp32, str) else list(keep_fp32)), None
    if precision not in ("fp16", "bf16"):
        raise ValueError(f"keep_fp32='auto' applies to precision='fp16' or 'bf16', not "
                         f"{precision!r}")
    value = DEFAULT_TOLERANCE if tolerance is None else float(tolerance)
    if not value > 0:
        raise ValueError(f"tolerance must be positive, got {tolerance!r}")
    return [], AutoFp32(value)
