"""Generate docs/models.md: how each model of the zoo (tests/models/zoo.py) converts.

    python tools/model_table.py                     # every model; rewrites docs/models.md
    python tools/model_table.py -m resnet18 -m vgg11 --output /tmp/models.md
    python tools/model_table.py --jobs 2 --timeout 600

Each model runs in its own subprocess (``--worker NAME``) with a timeout, so a crash, a hang
or a memory blow-up costs one row, not the table. The worker builds the model exactly as the
model tests do (seeded random weights, eval, batch 2 at the zoo's input size), then:

1. ``convert(backend="reference")`` with the zoo's dynamic profile (batch 1-16, and H/W for
   segmentation models): converted or not (with the unsupported ops first met), layer count,
   trace+emit seconds and reference build seconds (``TRTModule.metadata``);
2. runs that TRTModule at the example input and at each of the zoo's run shapes: the largest
   max |trt - torch| / max |torch| over all outputs;
3. ``convert(precision="fp16")`` and ``"bf16"``: the same error against fp32 PyTorch, beside
   PyTorch's own error running the model in that dtype;
4. ``convert(backend="tensorrt_rtx")`` for the dynamic fp32, the fp16 and the bf16 networks:
   replay onto TensorRT-RTX, check, build a plan on CPU (build seconds include the replay and
   the check, not the trace).

Each stage's results are written to a JSON file as soon as the stage ends, so a timeout keeps
what came before.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
MODELS_MD = ROOT / "docs" / "models.md"
MAX_OPS_SHOWN = 6

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import transformers_table  # noqa: E402  (tools/transformers_table.py: the transformers section)
from models.zoo import (  # noqa: E402  (needs tests/ on sys.path)
    BY_NAME,
    LOW_PRECISION_FACTOR,
    LOW_PRECISIONS,
    MAX_REL_ERROR,
    MODELS,
    RUN_BATCHES,
    low_precision_bound,
)
from worker_record import Record, convert_on_reference, first_line, notes_of  # noqa: E402

# --- worker: one model, in this process ----------------------------------------------------------

def run_worker(name: str, out: Path, threads: int = 0) -> int:
    warnings.filterwarnings("ignore")
    record = Record(name, out)

    import torch
    from models.zoo import LOW_PRECISIONS, relative_error, torch_low_precision_error
    from support.torchvision_cpu import import_torchvision

    import trtconv

    if threads:
        torch.set_num_threads(threads)
    spec = BY_NAME[name]
    started = time.perf_counter()
    model = spec.build(import_torchvision())
    x = spec.example_input()
    with torch.no_grad():
        want = model(x.clone())
    record["eager_seconds"] = time.perf_counter() - started
    record.save("eager")

    converted = convert_on_reference(record, model, [x.clone()], **spec.dynamic_profile())
    if converted is None:
        return 0

    try:
        errors = [relative_error(converted(x.clone()), want)]
        for shape in spec.dynamic_run_shapes():
            xs = spec.input_of(shape)
            with torch.no_grad():
                errors.append(relative_error(converted(xs.clone()), model(xs.clone())))
        record["max_rel_error"] = max(errors)
    except Exception as e:
        record["run_error"] = first_line(e)
    del converted
    record.save("compared")

    for precision, dtype in LOW_PRECISIONS.items():
        try:
            low = trtconv.convert(model, [x.clone()], backend="reference", precision=precision)
            record[f"{precision}_error"] = relative_error(low(x.clone()), want)
            record[f"{precision}_torch_error"] = torch_low_precision_error(model, x, want, dtype)
        except Exception as e:
            record[f"{precision}_failure"] = first_line(e)
        record.save(precision)

    builds = [("rtx", spec.dynamic_profile())] + [
        (f"rtx_{precision}", {"precision": precision}) for precision in LOW_PRECISIONS]
    for key, options in builds:
        try:
            on_rtx = trtconv.convert(model, [x.clone()], backend="tensorrt_rtx", **options)
            record.update({f"{key}_ok": bool(on_rtx.engine_bytes),
                           f"{key}_build_seconds": on_rtx.metadata["build_seconds"]})
        except Exception as e:
            record.update({f"{key}_ok": False, f"{key}_error": first_line(e)})
        record.save(key)
    record.save("done")
    return 0


# --- driver: one subprocess per model ------------------------------------------------------------

def measure(name: str, timeout: float, threads: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="model_table_") as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
               "--json", str(out), "--threads", str(threads)]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            failure = None if proc.returncode == 0 else (
                f"worker exited with {proc.returncode}: "
                f"{(proc.stderr.strip().splitlines() or [''])[-1][:200]}")
        except subprocess.TimeoutExpired:
            failure = f"timed out after {timeout:.0f} s"
        record = json.loads(out.read_text()) if out.exists() else {"model": name}
    record["wall_seconds"] = time.perf_counter() - started
    if failure is not None:
        record["failure"] = f"{failure} (during stage after '{record.get('stage', 'start')}')"
    return record


def _seconds(value: Any) -> str:
    return "" if value is None else f"{value:.1f}"


def _low_precision_cell(record: dict[str, Any], precision: str) -> str:
    error, torch_error = record.get(f"{precision}_error"), record.get(f"{precision}_torch_error")
    if error is None:
        return "failed" if record.get(f"{precision}_failure") else ""
    return f"{error:.1e} ({torch_error:.1e})" if torch_error is not None else f"{error:.1e}"


def _within_low_bound(record: dict[str, Any], precision: str) -> bool:
    error, torch_error = record.get(f"{precision}_error"), record.get(f"{precision}_torch_error")
    return error is not None and torch_error is not None and (
        0 < error <= low_precision_bound(torch_error))


def _rtx_cell(record: dict[str, Any]) -> str:
    cells = []
    for key, label in (("rtx", "dynamic"), *((f"rtx_{p}", p) for p in LOW_PRECISIONS)):
        ok = record.get(f"{key}_ok")
        if ok is None:
            continue
        cells.append(f"{label} {_seconds(record.get(f'{key}_build_seconds'))}" if ok
                     else f"{label} failed")
    return ", ".join(cells)


def _row(record: dict[str, Any]) -> str:
    spec = BY_NAME[record["model"]]
    notes = []
    converted = record.get("converted")
    if record.get("unsupported"):
        ops = record["unsupported"]
        shown = ", ".join(f"`{op}`" for op in ops[:MAX_OPS_SHOWN])
        more = f" and {len(ops) - MAX_OPS_SHOWN} more" if len(ops) > MAX_OPS_SHOWN else ""
        notes.append(f"unsupported: {shown}{more}")
    error = record.get("max_rel_error")
    notes += notes_of(record, ("error", "run_error", "fp16_failure", "bf16_failure", "rtx_error",
                               "rtx_fp16_error", "rtx_bf16_error", "failure"), MAX_REL_ERROR)
    for precision in LOW_PRECISIONS:
        if record.get(f"{precision}_error") is not None and not _within_low_bound(
                record, precision):
            notes.append(f"{precision} error outside the bound")
    cells = [
        f"`{spec.name}`",
        spec.describe_size(),
        spec.describe_dynamic(),
        {True: "yes", False: "no"}.get(converted, "?"),
        str(record["layers"]) if converted and record.get("layers") else "",
        "" if error is None else f"{error:.1e}",
        *(_low_precision_cell(record, p) for p in LOW_PRECISIONS),
        _seconds(record.get("trace_seconds")),
        _seconds(record.get("reference_build_seconds")),
        _rtx_cell(record),
        "; ".join(notes),
    ]
    return "| " + " | ".join(cells) + " |"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", 1-min load average {os.getloadavg()[0]:.1f} at the end"
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}{load}")


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _versions() -> str:
    from importlib import metadata

    parts = []
    for dist in ("torch", "torchvision", "trtconv", "tensorrt-rtx-cu13"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(parts)


def table(records: list[dict[str, Any]], total_seconds: float, jobs: int = 1) -> str:
    n = len(records)
    converted = sum(1 for r in records if r.get("converted"))
    matching = sum(1 for r in records if (r.get("max_rel_error") is not None
                                          and r["max_rel_error"] <= MAX_REL_ERROR))
    rtx = sum(1 for r in records if r.get("rtx_ok"))
    low = {p: sum(1 for r in records if _within_low_bound(r, p)) for p in LOW_PRECISIONS}
    rtx_low = sum(1 for r in records if all(r.get(f"rtx_{p}_ok") for p in LOW_PRECISIONS))
    runs = ", ".join(str(b) for b in RUN_BATCHES)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Model zoo",
        "",
        "Generated by `python tools/model_table.py` (`make docs`) from the model lists in "
        "`tests/models/zoo.py` and `tests/models/transformers_zoo.py` (section *Transformers* "
        "below); do not edit. The same models are tested by `tests/models/test_zoo.py` and "
        "`tests/models/test_transformers.py` (`pytest -m models`).",
        "",
        f"Measured {now} on {_machine()}; {_versions()}. "
        f"{'One model' if jobs == 1 else f'{jobs} models'} at a time, "
        f"{total_seconds / 60:.1f} min in all.",
        "",
        "Every model has random weights (seeded; batch-norm statistics set from one random "
        "batch and an all-zero head redrawn, see `settle` in `tests/models/zoo.py`), runs in "
        "`eval()` mode, and is fed `randn(2, 3, H, W)` in fp32 (batch 2, H x W in the *input* "
        "column).",
        "",
        "- *converted*: `trtconv.convert(model, [x], backend=\"reference\", min_shapes=..., "
        "opt_shapes=..., max_shapes=...)` with the *dynamic* range succeeded (one conversion);",
        "- *fp32 error*: max |trt - torch| / max |torch| over all outputs, the largest of the "
        f"runs at the example input and at batch {runs} at the smallest, a middle and the "
        "largest H x W of the *dynamic* range (`dynamic_run_shapes` in `tests/models/zoo.py`); "
        f"the tests require <= {MAX_REL_ERROR:g};",
        "- *fp16 error*, *bf16 error*: the same measure for `precision=\"fp16\"`/`\"bf16\"` "
        "(batch 2) against fp32 PyTorch, and in parentheses PyTorch's own error running the "
        "model in that dtype; the tests require the engine's to be above 0 and at most "
        f"{LOW_PRECISION_FACTOR:g} times PyTorch's (`low_precision_bound` explains why);",
        "- *trace s*: the traced forward pass that emits the network; *reference build s*: "
        "serializing the reference plan;",
        "- *rtx builds s*: replaying the network onto TensorRT-RTX, checking every tensor's "
        "shape and dtype against the reference, and building the plan on CPU: the dynamic "
        "fp32 network, and the fp16 and bf16 networks (strongly typed).",
        "",
        "Times are wall-clock seconds from one run on the machine above (other work on it "
        "inflates them).",
        "",
        f"**{converted}/{n} convert with their dynamic range, {matching}/{n} match PyTorch within "
        f"{MAX_REL_ERROR:g} at every batch, {low['fp16']}/{n} within the fp16 bound, "
        f"{low['bf16']}/{n} within the bf16 bound; {rtx}/{n} dynamic and {rtx_low}/{n} "
        "fp16+bf16 networks build on TensorRT-RTX.**",
        "",
        "| model | input | dynamic | converted | layers | fp32 error | fp16 error (torch) "
        "| bf16 error (torch) | trace s | reference build s | rtx builds s | notes |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
        *(_row(r) for r in records),
        "",
    ]
    return "\n".join(lines)


def _document(path: Path, vision: list[dict[str, Any]], hf: list[dict[str, Any]],
              total_seconds: float, jobs: int) -> str:
    """The torchvision table and the transformers section; a section whose models were not
    measured this run is kept from the existing file at `path`."""
    old = path.read_text() if path.exists() else ""
    at = old.find(transformers_table.TITLE)
    kept_vision = (old[:at] if at >= 0 else old).rstrip("\n") + "\n"
    first = table(vision, total_seconds, jobs) if vision or not old else kept_vision
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    measured = (f"Measured {now} on {_machine()}; {_versions()}, transformers "
                f"{_version('transformers')}; {total_seconds / 60:.1f} min in all (with the "
                f"other section's models when both were measured).")
    second = (transformers_table.section(hf, measured) if hf else
              transformers_table.kept_section(path))
    return first if second is None else first.rstrip("\n") + "\n\n" + second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="generate docs/models.md from tests/models/zoo.py and "
                    "tests/models/transformers_zoo.py")
    parser.add_argument("-m", "--model", action="append",
                        choices=list(BY_NAME) + transformers_table.NAMES, metavar="NAME",
                        help="only this model (repeatable); default: every model of the zoo "
                             "and of the transformers zoo. A section none of whose models is "
                             "measured is kept as it is in --output")
    parser.add_argument("--output", type=Path, default=MODELS_MD)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per model")
    parser.add_argument("--jobs", type=int, default=1, help="models measured at once")
    parser.add_argument("--worker", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker in transformers_table.NAMES:
        return transformers_table.run_worker(args.worker, args.json)
    if args.worker:
        return run_worker(args.worker, args.json, args.threads)

    names = args.model or [m.name for m in MODELS] + transformers_table.NAMES
    started = time.perf_counter()
    records: dict[str, dict[str, Any]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        threads = max(1, (os.cpu_count() or 1) // max(1, args.jobs)) if args.jobs > 1 else 0
        futures = {pool.submit(measure, name, args.timeout, threads): name for name in names}
        for future in concurrent.futures.as_completed(futures):
            record = future.result()
            records[record["model"]] = record
            status = ("converted" if record.get("converted") else
                      f"not converted ({', '.join(record.get('unsupported', [])[:3])})"
                      if record.get("unsupported") else
                      record.get("error") or record.get("failure") or "not converted")
            print(f"{record['model']:32s} {record['wall_seconds']:6.1f} s  {status}", flush=True)
    text = _document(args.output, [records[n] for n in names if n in BY_NAME],
                     [records[n] for n in names if n in transformers_table.NAMES],
                     time.perf_counter() - started, args.jobs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
