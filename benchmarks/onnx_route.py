"""The model zoo: trtconv vs the ONNX route onto the same TensorRT-RTX builder (issue
"Benchmarks").

Each model runs in its own process (benchmarks/zoo_worker.py) under a timeout, so a crash or a
hang of one model costs only that model. Writes benchmarks/results/zoo.md (tables, success
counts, failure reasons), zoo.json (every measurement) and zoo.png.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import common
from .common import log, md_table
from .zoo_models import MODELS, QUICK

ROUTES = [("ts_static", "TorchScript, static"), ("ts_dyn", "TorchScript, dynamic batch"),
          ("dynamo_static", "dynamo, static"), ("dynamo_dyn", "dynamo, dynamic batch")]
YES, NO = "✓", "✗"


def _models(args: argparse.Namespace) -> list[str]:
    if args.models:
        names = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in names if m not in MODELS]
        if unknown:
            raise SystemExit(f"unknown zoo model(s): {', '.join(unknown)} "
                             f"(python -m benchmarks --models list)")
        return names
    return list(QUICK) if args.quick else list(MODELS)


def run_worker(name: str, timeout: float, reps: int, threads: int | None = None,
               trtconv_dynamic: bool = False) -> dict[str, Any]:
    """Run one model's worker process; its result, with `status` ok/timeout/crashed."""
    with tempfile.TemporaryDirectory(prefix="trtconv-zoo-") as tmp:
        path = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, "-m", "benchmarks.zoo_worker", name, "--json", str(path),
               "--reps", str(reps)] + (["--threads", str(threads)] if threads else [])
        if trtconv_dynamic:
            cmd.append("--trtconv-dynamic")
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=common.REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=env)
        tail: collections.deque[str] = collections.deque(maxlen=20)
        reader = threading.Thread(target=_forward, args=(proc, tail), daemon=True)
        reader.start()
        status = "ok"
        try:
            code = proc.wait(timeout=timeout)
            if code != 0:
                status = f"crashed (exit code {code})"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = f"timeout after {timeout:.0f} s"
        reader.join(timeout=5)
        data: dict[str, Any] = {"model": name}
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                pass
        data["status"] = status
        data["wall_s"] = time.perf_counter() - started
        if status != "ok":
            data["status_detail"] = f"{status} during stage '{data.get('stage', 'start')}'"
            errors = [ln for ln in tail if "Error" in ln or "error" in ln]
            if errors:
                data["status_detail"] += f": {common.first_line(errors[-1])}"
        return data


def _forward(proc: subprocess.Popen, tail: collections.deque[str]) -> None:
    """Pass the worker's progress lines on to stderr; keep the rest for crash reports."""
    assert proc.stderr is not None
    for line in proc.stderr:
        line = line.rstrip()
        if line.startswith("[bench"):
            print("  " + line, file=sys.stderr, flush=True)
        elif line:
            tail.append(line)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    names = _models(args)
    reps = args.reps or (2 if args.quick else 3)
    # several workers at a time share the cores: give each its slice (unless --threads says)
    threads = args.threads or (max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1
                               else None)
    if args.threads and args.jobs * args.threads > (os.cpu_count() or 1):
        log(f"onnx_route: {args.jobs} jobs x {args.threads} threads exceed the "
            f"{os.cpu_count()} cores")
    log(f"onnx_route: {len(names)} models, one process each (timeout {args.timeout:.0f} s, "
        f"{args.jobs} at a time, torch threads {threads or 'default'}), reference forward "
        f"{reps} interleaved reps")
    def one(item: tuple[int, str]) -> dict[str, Any]:
        i, name = item
        log(f"[{i}/{len(names)}] {name} ({MODELS[name].describe_input()})")
        data = run_worker(name, args.timeout, reps, threads, args.trtconv_dynamic)
        log(f"[{i}/{len(names)}] {name}: {_summary(data)} ({data['wall_s']:.0f} s)")
        return data

    items = list(enumerate(names, 1))
    if args.jobs > 1:  # faster, but the workers then share the CPU: timings get worse
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(one, items))
    else:
        results = [one(item) for item in items]
    folder = args.results or common.RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zoo.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    common.write_result("zoo.md", _report(results, args, reps, threads), args.results)
    _plot(results, folder / "zoo.png")
    return results


def _summary(d: dict[str, Any]) -> str:
    parts = [f"trtconv {YES if d.get('rtx_ok') else NO}"]
    parts += [f"{key} {YES if d.get(f'{key}_ok') else NO}" for key, _ in ROUTES]
    if d.get("ref_ratio") is not None:
        parts.append(f"ref/eager {d['ref_ratio']:.2f}")
    if d["status"] != "ok":
        parts.append(d["status"])
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# report

def _mark(d: dict[str, Any], key: str) -> str:
    value = d.get(f"{key}_ok")
    return "–" if value is None else (YES if value else NO)


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _trtconv_ok(d: dict[str, Any]) -> bool:
    return bool(d.get("rtx_ok"))


def _onnx_best(d: dict[str, Any]) -> tuple[str | None, float | None, float | None]:
    """(route, export+parse s, build s) of the static ONNX route: TorchScript, else dynamo."""
    for key in ("ts_static", "dynamo_static"):
        if d.get(f"{key}_ok"):
            return key, d[f"{key}_export_s"] + d[f"{key}_parse_s"], d[f"{key}_build_s"]
    return None, None, None


def _report(results: list[dict[str, Any]], args: argparse.Namespace, reps: int,
            threads: int | None) -> str:
    rows = []
    for d in results:
        route, onnx_s, onnx_build = _onnx_best(d)
        trace = d.get("trace_s") if _trtconv_ok(d) else None
        ratio = f"{trace / onnx_s:.2f}" if trace and onnx_s else "–"
        if route == "dynamo_static" and ratio != "–":
            ratio += " ᵈ"
        ref = d.get("ref_ratio")
        rows.append([
            d["model"], d.get("input_desc", "–"),
            YES if _trtconv_ok(d) else NO, _s(trace), _s(d.get("rtx_build_s")),
            f"{_mark(d, 'ts_static')} {_mark(d, 'ts_dyn')}",
            f"{_mark(d, 'dynamo_static')} {_mark(d, 'dynamo_dyn')}",
            _s(onnx_s) + (" ᵈ" if route == "dynamo_static" else ""), _s(onnx_build), ratio,
            f"{ref:.2f}" if ref is not None else "–",
        ])
    n = len(results)
    count = collections.Counter()
    for d in results:
        count["trtconv"] += _trtconv_ok(d)
        count["trtconv_dyn"] += bool(d.get("rtx_dyn_ok"))
        count["reference"] += d.get("ref_ratio") is not None
        for key, _ in ROUTES:
            count[key] += bool(d.get(f"{key}_ok"))
        count["onnx_any"] += any(d.get(f"{key}_ok") for key, _ in ROUTES[::2])
    ratios = [r for d in results if (r := d.get("ref_ratio")) is not None]
    conv = [d["trace_s"] / s for d in results
            if _trtconv_ok(d) and (s := _onnx_best(d)[1]) and d.get("trace_s")]
    gpu = common.gpu_status()
    lines = [
        "# Model zoo: trtconv vs the ONNX route onto TensorRT-RTX", "",
        f"{n} models (torchvision, random weights, eval; plus transformer blocks), each in its "
        f"own process with a {args.timeout:.0f} s timeout"
        f"{f', {args.jobs} at a time' if args.jobs > 1 else ', one at a time'}"
        f"{f' with {threads} torch thread(s) each' if threads else ''}. Both routes "
        "end in the same builder: TensorRT-RTX 1.7 building plans on the CPU (no RTX GPU "
        "here, so its plans are built, never run).", "",
        "- **trtconv**: `trtconv.convert(model, [x], backend=...)`. trace+emit is "
        "`metadata['trace_seconds']`; build is the `tensorrt_rtx` backend's replay + check + "
        "build (`metadata['build_seconds']`).",
        "- **ONNX route**: `torch.onnx.export` (TorchScript exporter `dynamo=False`, and "
        "`dynamo=True`) to memory, `tensorrt_rtx.OnnxParser.parse`, "
        "`build_serialized_network`; static, and dynamic batch (`dynamic_axes` / "
        "`dynamic_shapes`, exported at batch 2, optimization profile 1..8).",
        "- **ref fwd / eager**: the trtconv `reference` backend's `TRTModule` forward on the "
        f"CPU vs the eager module, batch 1, median of {reps} interleaved repetitions "
        f"(input sizes in the table); a repetition of a fast model runs it several times, "
        f"to last at least {common.MIN_REP_SECONDS * 1e3:.0f} ms.",
        "- Conversion times are single measurements on a shared 2-core machine: read them as "
        "rough magnitudes; the ratio column puts the two routes of one model side by side.", "",
        "## Success counts", "",
        md_table(["route", "models converted and built", "of"], [
            ["trtconv → TensorRT-RTX, static", count["trtconv"], n],
            *([["trtconv → TensorRT-RTX, dynamic batch", count["trtconv_dyn"], n]]
              if any("rtx_dyn_ok" in d for d in results) else []),
            ["trtconv → reference runtime (runs on CPU)", count["reference"], n],
            *[[f"ONNX ({label}) → TensorRT-RTX", count[key], n] for key, label in ROUTES],
            ["ONNX, either exporter (static)", count["onnx_any"], n],
        ], align=["l", "r", "r"]), "",
    ]
    if conv:
        conv.sort()
        lines.append(f"Median conversion-time ratio trtconv trace+emit / (ONNX export+parse) over "
                     f"the {len(conv)} models both routes convert: **{conv[len(conv) // 2]:.2f}**.")
    if ratios:
        ratios.sort()
        lines.append(f"Median reference forward / eager forward over {len(ratios)} models: "
                     f"**{ratios[len(ratios) // 2]:.2f}** (range {ratios[0]:.2f}–"
                     f"{ratios[-1]:.2f}).")
    lines += ["", "## Per model", "",
              "Times in seconds. onnx ok: static, dynamic batch. ONNX export+parse and build: "
              "the TorchScript exporter, static (ᵈ: the dynamo exporter, where TorchScript "
              "failed). ratio: trtconv trace+emit / ONNX export+parse.", "",
              md_table(["model", "input", "trtconv ok", "trace+emit s", "build s",
                        "onnx-ts ok", "onnx-dynamo ok", "export+parse s", "build s",
                        "ratio trtconv/(export+parse)", "ref fwd/eager fwd"], rows,
                       align=["l", "l", "c", "r", "r", "c", "c", "r", "r", "r", "r"]), "",
              "## Details", "",
              md_table(["model", "params M", "layers", "reference build s", "trtconv dyn ok",
                        "ref max abs err", "eager fwd ms", "ref fwd ms", "ref/eager CPU time",
                        *[f"{k} export / parse / build s" for k, _ in ROUTES[1:]],
                        "worker wall s"],
                       [_detail_row(d) for d in results],
                       align=["l", "r", "r", "r", "c", "r", "r", "r", "r", "r", "r", "r", "r"]),
              "",
              "## Failure reasons", ""]
    failures = []
    for d in results:
        reasons = []
        if d.get("status", "ok") != "ok":
            reasons.append(f"**{d.get('status_detail', d['status'])}**")
        if d.get("trtconv_error"):
            reasons.append(f"trtconv: {d['trtconv_error']}")
        elif d.get("rtx_error"):
            reasons.append(f"trtconv tensorrt_rtx: {d['rtx_error']}")
        if d.get("rtx_dyn_error") and d.get("rtx_dyn_error") != d.get("rtx_error"):
            reasons.append(f"trtconv dynamic: {d['rtx_dyn_error']}")
        if d.get("ref_fwd_error"):
            reasons.append(f"reference forward: {d['ref_fwd_error']}")
        for key, label in ROUTES:
            if d.get(f"{key}_error"):
                reasons.append(f"ONNX {label}: {d[f'{key}_error']}")
        if reasons:
            failures.append(f"- **{d['model']}**: " + "; ".join(reasons))
    lines += failures or ["None."]
    lines += ["", "## GPU latency / throughput", "",
              f"**{gpu}**." if gpu else "CUDA and TensorRT are available: not yet measured by "
              "this benchmark.", "",
              "## Environment", "", common.environment_md(), ""]
    return "\n".join(lines)


def _detail_row(d: dict[str, Any]) -> list[Any]:
    def triple(key: str) -> str:
        if not d.get(f"{key}_ok"):
            return NO if d.get(f"{key}_ok") is False else "–"
        return " / ".join(f"{d[f'{key}_{p}_s']:.2f}" for p in ("export", "parse", "build"))

    return [d["model"], f"{d['params_m']:.1f}" if "params_m" in d else "–",
            d.get("layers", "–"), _s(d.get("ref_build_s")), _mark(d, "rtx_dyn"),
            f"{d['ref_err']:.1g}" if d.get("ref_err") is not None else "–",
            f"{d['eager_fwd_s'] * 1e3:.1f}" if d.get("eager_fwd_s") else (
                f"{d['eager_s'] * 1e3:.1f}" if d.get("eager_s") else "–"),
            f"{d['ref_fwd_s'] * 1e3:.1f}" if d.get("ref_fwd_s") else "–",
            f"{d['ref_cpu_ratio']:.2f}" if d.get("ref_cpu_ratio") else "–",
            *[triple(k) for k, _ in ROUTES[1:]], f"{d.get('wall_s', 0):.0f}"]


# ---------------------------------------------------------------------------------------------
# plot

def _plot(results: list[dict[str, Any]], path: Path) -> None:
    plt = common.pyplot()
    import numpy as np

    names = [d["model"] for d in results]
    n = len(names)
    fig, axes = plt.subplots(1, 3, figsize=(15, 1.6 + 0.28 * n), sharey=True,
                             gridspec_kw={"width_ratios": [1.1, 2.2, 1.4]})
    y = np.arange(n)
    # 1. success grid
    ax = axes[0]
    cols = [("trtconv", "rtx_ok"), ("trtconv dyn", "rtx_dyn_ok"), ("onnx ts", "ts_static_ok"),
            ("ts dyn", "ts_dyn_ok"), ("onnx dynamo", "dynamo_static_ok"),
            ("dynamo dyn", "dynamo_dyn_ok")]
    if not any("rtx_dyn_ok" in d for d in results):
        cols.pop(1)
    grid = np.array([[1.0 if d.get(k) else (0.0 if d.get(k) is False else 0.5) for _, k in cols]
                     for d in results])
    ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for i in range(n):
        for j in range(len(cols)):
            ax.text(j, i, YES if grid[i, j] == 1 else (NO if grid[i, j] == 0 else "?"),
                    ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(cols)), [c for c, _ in cols], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    totals = [int((grid[:, j] == 1).sum()) for j in range(len(cols))]
    ax.set_title("converted + built\n" + " ".join(f"{t}" for t in totals) + f"  (of {n})",
                 fontsize=9)
    # 2. conversion time
    ax = axes[1]
    series = [("trtconv trace+emit", lambda d: d.get("trace_s") if d.get("rtx_ok") else None,
               "tab:orange", "o"),
              ("trtconv RTX build", lambda d: d.get("rtx_build_s"), "tab:red", "|"),
              ("ONNX TorchScript export+parse", lambda d: _route_s(d, "ts_static"), "tab:blue",
               "s"),
              ("ONNX dynamo export+parse", lambda d: _route_s(d, "dynamo_static"), "tab:green",
               "^"),
              ("ONNX RTX build (TorchScript)", lambda d: d.get("ts_static_build_s"),
               "tab:purple", "|")]
    for label, get, color, marker in series:
        pts = [(get(d), i) for i, d in enumerate(results) if get(d)]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], label=label, color=color,
                       marker=marker, s=28)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (log scale)")
    ax.set_title("conversion time (failed steps not shown)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    # 3. reference forward / eager
    ax = axes[2]
    ratios = [d.get("ref_ratio") or 0.0 for d in results]
    colors = ["tab:green" if r and r <= 1.15 else "tab:red" for r in ratios]
    ax.barh(y, ratios, color=colors)
    for i, r in enumerate(ratios):
        ax.text(r, i, f" {r:.2f}" if r else " n/a", va="center", fontsize=7)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.15, color="black", linestyle="--", linewidth=0.8, label="1.15")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xlabel("reference fwd / eager fwd (CPU)")
    ax.set_title("reference runtime speed (lower is faster)", fontsize=9)
    ax.set_xlim(0, max([1.5] + ratios) * 1.2)
    fig.suptitle("Model zoo on TensorRT-RTX: trtconv vs ONNX (CPU build, random weights)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    log(f"wrote {path.name}")


def _route_s(d: dict[str, Any], key: str) -> float | None:
    if not d.get(f"{key}_ok"):
        return None
    return d[f"{key}_export_s"] + d[f"{key}_parse_s"]


__all__ = ["run", "run_worker"]
