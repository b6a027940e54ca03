"""`python -m benchmarks [BENCH ...]`: run the benchmarks and write benchmarks/results/.

Benchmarks (all by default, in this order):

  reference_runtime  ResNet-50 on the reference TensorRT runtime vs eager PyTorch (batch 1, 8)
  conversion         convert() of torchvision resnet50 vs torch.export / torch.onnx.export
  onnx_route         the model zoo: trtconv vs the ONNX route onto TensorRT-RTX (alias: zoo)
  guards             per-call cost of guarded value reads: 0, 1 and 20 guards (reference)
  threads            TRTModule throughput from 1, 2 and 4 threads (reference)
  partition          one engine vs the same model split into 2 and 4 (fallback=True)

Examples:

  python -m benchmarks                                  # everything (~15-20 min on 2 cores)
  python -m benchmarks --quick                          # fewer repetitions, smaller zoo
  python -m benchmarks --only reference_runtime
  python -m benchmarks onnx_route --models resnet18,vit_b_16,gpt_block
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from . import common

BENCHES = ("reference_runtime", "conversion", "onnx_route", "guards", "threads", "partition")
ALIASES = {"zoo": "onnx_route", "reference": "reference_runtime", "convert": "conversion"}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benches", nargs="*", metavar="BENCH",
                        help=f"which to run: {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--only", action="append", default=[], metavar="BENCH",
                        help="run only this benchmark (repeatable; same as naming it)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and a short zoo: a smoke run in a few minutes")
    parser.add_argument("--models", default=None,
                        help="onnx_route: comma-separated zoo models (default: all; "
                             "'list' prints them)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="onnx_route: seconds per model subprocess (default 300)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="onnx_route: model processes at a time (default 2), each with "
                             "--threads torch threads (--threads 0: cores/jobs)")
    parser.add_argument("--trtconv-dynamic", action="store_true",
                        help="onnx_route: also convert each model with a dynamic batch (1..8)")
    parser.add_argument("--reps", type=int, default=None,
                        help="conversion/onnx_route: timed repetitions (default 3/3, quick 1/2)")
    parser.add_argument("--width", type=int, default=64,
                        help="reference_runtime: ResNet base width (default 64 = ResNet-50)")
    parser.add_argument("--size", type=int, default=224,
                        help="reference_runtime: input height and width (default 224)")
    parser.add_argument("--budget", type=float, default=None,
                        help="reference_runtime: seconds of timed repetitions per batch before "
                             "stopping early (at least 3 reps; default 150, quick 40)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for every benchmark and zoo process "
                             "(default 1: on a shared machine, intra-op threads spin-wait while "
                             "other processes hold the cores, and 2-thread timings swing by "
                             "10x or more; 0 keeps torch's default, for an idle machine)")
    parser.add_argument("--results", type=Path, default=None,
                        help=f"output folder (default {common.RESULTS})")
    args = parser.parse_args(argv)
    chosen = [ALIASES.get(b, b) for b in [*args.benches, *args.only]]
    unknown = [b for b in chosen if b not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(BENCHES)}")
    args.chosen = [b for b in BENCHES if b in chosen] or list(BENCHES)
    if args.budget is None:
        args.budget = 40.0 if args.quick else 150.0
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    common.COMMAND = shlex.join(["python", "-m", "benchmarks", *argv])
    args = parse(argv)
    if args.models == "list":
        from .zoo_models import MODELS

        print("\n".join(MODELS))
        return 0
    import importlib

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    failed = []
    for name in args.chosen:
        common.log(f"=== {name} ===")
        started = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").run(args)
        except Exception as e:  # report and go on with the next benchmark
            import traceback

            traceback.print_exc()
            common.log(f"{name} failed: {common.first_line(e)}")
            failed.append(name)
        common.log(f"=== {name} done in {time.perf_counter() - started:.0f} s ===")
    if failed:
        common.log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
