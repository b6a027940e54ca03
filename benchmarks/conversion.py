"""Conversion time of torchvision resnet50 (issue "convert()").

trtconv's trace+emit (one traced forward pass emitting reference layers, `report.trace_seconds`)
and its plan builds (reference backend, tensorrt_rtx backend: `metadata["build_seconds"]`) next to
one eager forward, `torch.export.export`, and `torch.onnx.export` (TorchScript exporter,
`dynamo=False`, and the dynamo exporter, `dynamo=True`), all in one process, interleaved, median
of N. Goal: trace+emit < torch.export.export.
"""

from __future__ import annotations

import argparse
import io
import warnings
from collections.abc import Callable
from typing import Any

import torch

from . import common
from .common import first_line, fmt_s, log, md_table

GOAL = "trace+emit < torch.export.export"


def _model() -> tuple[torch.nn.Module, torch.Tensor]:
    from ._torchvision import import_torchvision

    tv = import_torchvision()
    torch.manual_seed(0)
    model = tv.models.resnet50(weights=None).eval()
    return model, torch.randn(1, 3, 224, 224)


class Step:
    """One measured thing: `fn()` returns the seconds to record (or raises)."""

    def __init__(self, name: str, fn: Callable[[], float], note: str = ""):
        self.name, self.fn, self.note = name, fn, note
        self.times: list[float] = []
        self.error: str | None = None

    def __call__(self) -> None:
        if self.error is not None:
            return
        try:
            self.times.append(self.fn())
        except Exception as e:  # recorded in the table, the other steps go on
            self.error = first_line(e)
            log(f"{self.name}: {self.error}")


def _steps(model: torch.nn.Module, x: torch.Tensor) -> list[Step]:
    import trtconv

    def wall(fn: Callable[[], Any]) -> float:
        return common.timed(fn)[0]

    def eager() -> float:
        with torch.no_grad():
            return wall(lambda: model(x))

    def trace() -> float:
        report = trtconv.convert(model, [x], backend="reference", dry_run=True)
        if not report.ok:
            ops = sorted({u.op for u in report.unsupported})
            raise RuntimeError(f"{len(ops)} unsupported op(s): {', '.join(ops[:6])}"
                               + (" …" if len(ops) > 6 else ""))
        return report.trace_seconds

    def build(backend: str) -> Callable[[], float]:
        def fn() -> float:
            module = trtconv.convert(model, [x], backend=backend)
            return float(module.metadata["build_seconds"])
        return fn

    def export() -> float:
        return wall(lambda: torch.export.export(model, (x,)))

    def onnx(dynamo: bool) -> Callable[[], float]:
        def fn() -> float:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return wall(lambda: torch.onnx.export(model, (x,), io.BytesIO(), dynamo=dynamo,
                                                      input_names=["input"],
                                                      output_names=["output"], verbose=False))
        return fn

    return [
        Step("eager forward", eager, "`model(x)` under `torch.no_grad()`"),
        Step("trtconv trace+emit", trace, "`convert(..., dry_run=True)`: `report.trace_seconds`"),
        Step("trtconv build (reference)", build("reference"),
             "`convert(..., backend='reference')`: `metadata['build_seconds']`"),
        Step("trtconv build (tensorrt_rtx)", build("tensorrt_rtx"),
             "`convert(..., backend='tensorrt_rtx')`: replay onto TensorRT-RTX, check, build"),
        Step("torch.export.export", export, "`torch.export.export(model, (x,))`"),
        Step("torch.onnx.export (TorchScript)", onnx(False),
             "`dynamo=False`, to an in-memory file"),
        Step("torch.onnx.export (dynamo)", onnx(True), "`dynamo=True`, to an in-memory file"),
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    reps = args.reps or (1 if args.quick else 3)
    log("conversion: torchvision resnet50 (random weights, eval), input 1x3x224x224")
    model, x = _model()
    steps = _steps(model, x)
    log("conversion: warm-up (one run of each step; first-call costs such as imports)")
    for step in steps:
        seconds, _ = common.timed(step)
        log(f"  warm-up {step.name}: {seconds:.2f} s")
    for step in steps:
        step.times.clear()
    for rep in range(reps):
        order = steps[rep % len(steps):] + steps[:rep % len(steps)]
        for step in order:
            step()
        log(f"conversion rep {rep + 1}/{reps}: " + ", ".join(
            f"{s.name} {s.times[-1]:.2f} s" for s in steps if s.times))
    results = {s.name: (common.Samples({s.name: s.times}).median(s.name) if s.times else None)
               for s in steps}
    text = _report(steps, results, reps)
    common.write_result("conversion.md", text, args.results)
    _plot(steps, results, args)
    return results


def _report(steps: list[Step], results: dict[str, float | None], reps: int) -> str:
    export = results.get("torch.export.export")
    eager = results.get("eager forward")
    rows = []
    for s in steps:
        median = results[s.name]
        lo_hi = "–"
        if len(s.times) > 1:
            lo, hi = common.Samples({s.name: s.times}).spread(s.name)
            lo_hi = f"{fmt_s(lo)}–{fmt_s(hi)}"
        rows.append([s.name, fmt_s(median) if median is not None else "failed", lo_hi,
                     f"{median / export:.2f}" if median and export else "–",
                     f"{median / eager:.1f}" if median and eager else "–",
                     s.error or s.note])
    trace = results.get("trtconv trace+emit")
    if trace is not None and eager is not None:
        rows.insert(2, ["↳ trace+emit − eager forward", fmt_s(trace - eager), "–",
                        f"{(trace - eager) / export:.2f}" if export else "–", "–",
                        "what tracing and emitting add to the forward pass it runs"])
    if trace is not None and export is not None:
        verdict = (f"**Goal ({GOAL}): {'met' if trace < export else 'not met'}**: trace+emit "
                   f"{fmt_s(trace)} vs torch.export.export {fmt_s(export)} "
                   f"(ratio {trace / export:.2f}).")
    else:
        failed = next((s.error for s in steps if s.name == "trtconv trace+emit"), None)
        verdict = (f"**Goal ({GOAL}): not measurable yet**: trace+emit failed ({failed}).")
    lines = [
        "# Conversion time: torchvision resnet50", "",
        "torchvision `resnet50(weights=None).eval()`, input 1x3x224x224, CPU. Every step runs "
        f"once as warm-up, then {reps} timed repetition(s) of all steps in one process, in an "
        "order that rotates each repetition; the table gives medians (interquartile range when "
        "there are 4+ repetitions, else min–max).", "",
        verdict, "",
        md_table(["step", "median", "spread", "÷ torch.export", "÷ eager fwd", "what / error"],
                 rows, align=["l", "r", "r", "r", "r", "l"]), "",
        "trace+emit is the traced forward pass that emits the reference network (it includes "
        "running the model once in torch); the builds are measured on their own, after the "
        "trace. The TensorRT-RTX build runs on the CPU here (no RTX GPU): it replays the "
        "network onto `tensorrt_rtx`, checks every tensor's shape and dtype, and builds the "
        "plan.", "",
        "## Environment", "", common.environment_md(), "",
    ]
    return "\n".join(lines)


def _plot(steps: list[Step], results: dict[str, float | None], args: argparse.Namespace) -> None:
    plt = common.pyplot()
    names = [s.name for s in steps][::-1]
    values = [results[n] or 0.0 for n in names]
    colors = ["tab:orange" if n.startswith("trtconv") else "tab:gray" for n in names]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    bars = ax.barh(names, values, color=colors)
    for bar, n in zip(bars, names):
        label = fmt_s(results[n]) if results[n] is not None else "failed"
        ax.annotate(f" {label}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center", fontsize=8)
    export = results.get("torch.export.export")
    if export:
        ax.axvline(export, color="black", linestyle="--", linewidth=1,
                   label="torch.export.export (goal: trace+emit below)")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel("seconds (median)")
    ax.set_xlim(0, max(values + [1e-3]) * 1.25)
    ax.set_title("resnet50 conversion time on CPU (trtconv in orange)")
    fig.tight_layout()
    path = (args.results or common.RESULTS) / "conversion.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    log(f"wrote {path.name}")
