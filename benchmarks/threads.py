"""TRTModule throughput from 1, 2 and 4 threads (issue "TRTModule and convert() hold up under
threads, copies and misuse").

One converted MLP (reference backend, dynamic batch) is called by 1, 2 and 4 threads at once,
each making the same number of calls of mixed batch sizes; every thread uses the one engine
and its own execution context. The table gives calls per second and the speedup over one
thread. On the reference backend the layers run in PyTorch, whose kernels release the GIL, so
threads overlap where the kernels are large enough; on a GPU the engine's kernels overlap on
the threads' streams.
"""

from __future__ import annotations

import argparse
import threading
import time

import torch

import trtconv

from . import common
from .common import log, md_table

BATCHES = (1, 4, 16, 64)


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.GELU(),
                               torch.nn.Linear(1024, 256)).eval()


def _throughput(converted: trtconv.TRTModule, threads: int, calls: int) -> float:
    inputs = [torch.randn(BATCHES[i % len(BATCHES)], 256) for i in range(calls)]
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for x in inputs:
            converted(x)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    return threads * calls / (time.perf_counter() - started)


def run(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)  # one intra-op thread per caller: the callers are the parallelism
    converted = trtconv.convert(_model(), [torch.randn(4, 256)], backend="reference",
                                min_shapes=[(1, 256)], max_shapes=[(64, 256)])
    calls = 40 if args.quick else 200
    _throughput(converted, 2, 10)  # warm every thread's first context
    rates = {n: [] for n in (1, 2, 4)}
    for _ in range(1 if args.quick else 3):  # interleaved rounds: the machine is noisy
        for n in rates:
            rates[n].append(_throughput(converted, n, calls))
    best = {n: max(r) for n, r in rates.items()}
    rows = [[n, f"{best[n]:.0f}", f"{best[n] / best[1]:.2f}x"] for n in rates]
    for row in rows:
        log(" | ".join(map(str, row)))
    text = "\n".join([
        "# TRTModule throughput from several threads", "", __doc__.strip(), "",
        f"MLP 256-1024-256 (GELU), batches {', '.join(map(str, BATCHES))} in turn, {calls} calls "
        f"per thread, best of {len(rates[1])} interleaved rounds, torch intra-op threads: 1.",
        "", md_table(["threads", "calls per second", "vs 1 thread"], rows), "",
        common.environment_md(), ""])
    common.write_result("threads.md", text, args.results)
