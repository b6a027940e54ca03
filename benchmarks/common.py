"""Shared benchmark helpers: progress lines, interleaved timing, machine info, markdown.

Timings on a shared, noisy 2-core machine are only meaningful as ratios measured side by side in
one run: `interleaved()` alternates the contenders inside every repetition (A B, then B A, ...)
and the tables report medians and the median of the per-repetition ratios.
"""

from __future__ import annotations

import datetime
import gc
import importlib
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

_STARTED = time.perf_counter()
COMMAND = ""  # set by __main__: the exact command line of this run


def log(message: str) -> None:
    """One progress line on stderr, with the seconds since the run started."""
    print(f"[bench {time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr,
          flush=True)


def first_line(error: BaseException | str, limit: int = 160) -> str:
    """The first non-empty line of an error (its type when it has no message), shortened."""
    text = str(error).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if isinstance(error, BaseException):
        line = f"{type(error).__name__}: {line}" if line else type(error).__name__
    line = line.replace("|", "/")
    return line if len(line) <= limit else line[:limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# timing

@dataclass
class Samples:
    """Seconds per repetition for each contender, measured interleaved."""

    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # process CPU seconds

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def cpu_ratio(self, a: str, b: str) -> float:
        """Like `ratio`, on the process's CPU time: less sensitive to other processes' load
        (what a loaded machine takes from both contenders shows in wall time only)."""
        return statistics.median(x / y for x, y in zip(self.cpu[a], self.cpu[b]))

    def spread(self, name: str) -> tuple[float, float]:
        """Lower and upper quartile (min and max under 4 samples)."""
        values = sorted(self.times[name])
        if len(values) < 4:
            return values[0], values[-1]
        q = statistics.quantiles(values, n=4)
        return q[0], q[2]

    def ratio(self, a: str, b: str) -> float:
        """Median over repetitions of a/b, each pair taken in the same repetition."""
        return statistics.median(x / y for x, y in zip(self.times[a], self.times[b]))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


MIN_REP_SECONDS = 0.05  # a repetition shorter than this is mostly timer and scheduler noise


def calls_per_rep(fn: Callable[[], Any], min_seconds: float = MIN_REP_SECONDS) -> int:
    """How many calls of `fn` (warm) make one repetition of at least `min_seconds`."""
    fn()
    seconds, _ = timed(fn)
    return max(1, math.ceil(min_seconds / max(seconds, 1e-6)))


def repeated(fn: Callable[[], Any], calls: int) -> Callable[[], Any]:
    """`fn` called `calls` times in a row (one timed repetition of a fast contender)."""
    def run() -> Any:
        result = None
        for _ in range(calls):
            result = fn()
        return result
    return run


def interleaved(contenders: dict[str, Callable[[], Any]], reps: int, warmup: int = 1,
                label: str = "", collect: bool = True, budget: float | None = None,
                min_reps: int = 3) -> Samples:
    """Run every contender `warmup` times, then `reps` repetitions of all of them, in an order
    that rotates each repetition so no contender always runs first (or last). With `collect`,
    a garbage collection before each timed call keeps collector pauses out of the timings.
    With `budget` (seconds), stop early once it is spent and `min_reps` repetitions are done
    (a loaded machine then still finishes in time; the tables say how many ran)."""
    started = time.perf_counter()
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    samples = Samples({name: [] for name in names}, {name: [] for name in names})
    for rep in range(reps):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            if collect:
                gc.collect()
            cpu = time.process_time()
            seconds, _ = timed(contenders[name])
            samples.cpu[name].append(time.process_time() - cpu)
            samples.times[name].append(seconds)
        if label:
            log(f"{label} rep {rep + 1}/{reps}: " + ", ".join(
                f"{n} {samples.times[n][-1] * 1e3:.1f} ms" for n in names))
        if (budget is not None and rep + 1 >= min_reps and rep + 1 < reps
                and time.perf_counter() - started > budget):
            log(f"{label or 'timing'}: time budget {budget:.0f} s spent after {rep + 1} reps")
            break
    return samples


# ---------------------------------------------------------------------------------------------
# environment

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str:
    if module not in sys.modules:  # installed version without importing the package
        try:
            from importlib import metadata

            return metadata.version(module)
        except Exception:
            pass
    try:
        return str(getattr(importlib.import_module(module), "__version__", "unknown"))
    except Exception as e:  # a missing optional package is reported, not fatal
        return f"not available ({type(e).__name__})"


def _git_revision() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _load() -> str:
    """The 1/5/15-minute load averages: above the core count, other processes compete."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return (f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min, at the time of writing; "
            f"{os.cpu_count()} cores)")


def environment() -> dict[str, str]:
    import torch

    import trtconv

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": COMMAND or shlex.join([os.path.basename(sys.executable), *sys.argv]),
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}",
        "load": _load(),
        "gpu": (torch.cuda.get_device_name(0) if torch.cuda.is_available()
                else "none (CUDA not available)"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _version("torchvision"),
        "trtconv": f"{getattr(trtconv, '__version__', 'unknown')} (git {_git_revision()})",
        "tensorrt_rtx": _version("tensorrt_rtx"),
        "onnx": _version("onnx"),
        "onnxscript": _version("onnxscript"),
    }


def environment_md(keys: Sequence[str] | None = None) -> str:
    env = environment()
    keys = list(keys) if keys is not None else list(env)
    lines = [f"- **{k}**: `{env[k]}`" if k == "command" else f"- **{k}**: {env[k]}"
             for k in keys if k in env]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# markdown and files

def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
             align: Sequence[str] | None = None) -> str:
    """A GitHub markdown table; `align` is one of 'l', 'r', 'c' per column (default right for
    numbers, left otherwise, from the first row)."""
    if align is None:
        first = rows[0] if rows else ["" for _ in headers]
        align = ["r" if isinstance(v, (int, float)) or _numeric(v) else "l" for v in first]
    marks = {"l": ":--", "r": "--:", "c": ":-:"}
    out = ["| " + " | ".join(str(h) for h in headers) + " |",
           "|" + "|".join(marks[a] for a in align) + "|"]
    for row in rows:
        out.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(out)


def _numeric(value: Any) -> bool:
    try:
        float(str(value).rstrip("x×%s"))
        return True
    except ValueError:
        return False


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value).replace("|", "/").replace("\n", " ")


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def write_result(name: str, text: str, results: Path | None = None) -> Path:
    folder = results or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.rstrip() + "\n")
    log(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return path


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def gpu_status() -> str | None:
    """None when CUDA and the `tensorrt` module are both usable, else why not."""
    import torch

    if not torch.cuda.is_available():
        return "skipped: no GPU/TensorRT on this machine (torch sees no CUDA device)"
    try:
        importlib.import_module("tensorrt")
    except Exception:
        return "skipped: no GPU/TensorRT on this machine (the tensorrt module does not import)"
    return None
