"""Time a saved module like trtexec: latency percentiles and throughput, on any backend.

    trtconv run model.pth --shapes image:8x3x224x224 --iterations 100 --warmup 10
    trtconv run model.plan --threads 4

Inputs not named in --shapes run at their profile's opt shape. Values are random (integer
inputs: zeros). With --threads T, T threads each run their own copy of the module (an
execution context is not shared) and throughput counts all of them.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import torch

from .. import backends
from ..export.describe import EngineInfo, describe
from ..export.engine import pretty_json, shape_text
from ._common import CommandError, load_saved, parse_named_shape

HELP = "measure latency (p50/p90/p99) and throughput of a .pth or .plan"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="model.pth (TRTModule state_dict) or model.plan")
    parser.add_argument("--shapes", action="append", default=[], metavar="NAME:SHAPE",
                        help="an input's shape (default: the profile's opt shape)")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="concurrent callers")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def make_inputs(info: EngineInfo, texts: list[str], device: torch.device
                ) -> list[torch.Tensor]:
    shapes = {t.name: info.profiles[0][t.name].opt for t in info.inputs}
    for text in texts:
        name, shape, _ = parse_named_shape(text, "--shapes")
        if name not in shapes:
            raise CommandError(f"--shapes {text!r}: the engine has no input {name!r} (inputs: "
                               f"{', '.join(shapes)})")
        shapes[name] = shape
    tensors = []
    for t in info.inputs:
        dtype = getattr(torch, t.dtype)
        shape = shapes[t.name]
        tensors.append(torch.randn(shape, dtype=dtype, device=device) if dtype.is_floating_point
                       else torch.zeros(shape, dtype=dtype, device=device))
    return tensors


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _worker(module: torch.nn.Module, inputs: list[torch.Tensor], count: int, warmup: int,
            device: torch.device, barrier: threading.Barrier, out: list[float],
            errors: list[BaseException]) -> None:
    try:
        with torch.no_grad():
            for _ in range(warmup):
                module(*inputs)
            _sync(device)
            barrier.wait()
            for _ in range(count):
                started = time.perf_counter()
                module(*inputs)
                _sync(device)
                out.append(time.perf_counter() - started)
    except BaseException as e:  # handed to the main thread, which re-raises it
        errors.append(e)
        barrier.abort()


def _percentiles(ms: list[float]) -> dict[str, float]:
    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

    return {"min": ms[0], "mean": statistics.fmean(ms), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": ms[-1]}


def measure(modules: list[torch.nn.Module], inputs: list[torch.Tensor], iterations: int,
            warmup: int, device: torch.device) -> dict[str, Any]:
    """Each module in its own thread, `iterations` calls in all; latencies in ms."""
    with torch.no_grad():
        modules[0](*inputs)  # fails here, in the main thread, when the module cannot run
    threads = len(modules)
    counts = [iterations // threads + (i < iterations % threads) for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in modules]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)
    workers = [threading.Thread(target=_worker,
                                args=(m, inputs, n, warmup, device, barrier, out, errors))
               for m, n, out in zip(modules, counts, latencies)]
    for w in workers:
        w.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    ms = sorted(x * 1e3 for lat in latencies for x in lat)
    batch = int(inputs[0].shape[0]) if inputs and inputs[0].dim() else 1
    return {"iterations": len(ms), "threads": threads, "wall_s": wall,
            "latency_ms": _percentiles(ms), "throughput_qps": len(ms) / wall, "batch": batch,
            "throughput_samples_s": len(ms) * batch / wall}


def _copies(module: torch.nn.Module, threads: int) -> list[torch.nn.Module]:
    from ..export.facts import qualified_name
    from ..export.loader import module_from_state

    state = module.state_dict()
    name = qualified_name(type(module))
    return [module] + [module_from_state(state, name) for _ in range(threads - 1)]


def run(args: argparse.Namespace) -> int:
    if args.iterations < 1 or args.warmup < 0 or args.threads < 1:
        raise CommandError("--iterations and --threads must be >= 1, --warmup >= 0")
    module = load_saved(args.path)
    info = describe(module)
    backend = backends.get(info.backend)
    backend.require_runnable()  # a GPU plan on a CPU machine: say so before making inputs
    device = backend.device()
    inputs = make_inputs(info, args.shapes, device)
    result = measure(_copies(module, args.threads), inputs, args.iterations, args.warmup,
                     device)
    result.update({"file": args.path, "backend": info.backend,
                   "inputs": {t.name: list(x.shape) for t, x in zip(info.inputs, inputs)}})
    if args.json:
        print(pretty_json(result))
        return 0
    lat = result["latency_ms"]
    shapes = ", ".join(f"{n}:{shape_text(s)}" for n, s in result["inputs"].items())
    print(f"{args.path}: backend {info.backend}, inputs {shapes}, {args.threads} thread(s), "
          f"{result['iterations']} iterations after {args.warmup} warm-up")
    print(f"Latency: min {lat['min']:.3f} ms, mean {lat['mean']:.3f} ms, "
          f"median (p50) {lat['p50']:.3f} ms, p90 {lat['p90']:.3f} ms, p99 {lat['p99']:.3f} ms, "
          f"max {lat['max']:.3f} ms")
    print(f"Throughput: {result['throughput_qps']:.2f} qps, "
          f"{result['throughput_samples_s']:.2f} samples/s (batch {result['batch']}), "
          f"wall {result['wall_s']:.3f} s")
    return 0
