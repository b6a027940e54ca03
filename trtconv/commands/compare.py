"""`trtconv compare file.py:Net --input 1x3x64x64 --precision fp16`: per-call error of the
engine against eager PyTorch, in trace order, and the first call where it jumps.

Convert a PyTorch model with the given settings, run the engine and eager PyTorch on the same
inputs, and print one row per converted torch call in trace order (module, source line, op,
output shape, max abs and relative error, the error of its inputs and the ratio), marking the
first call where the error jumps. On the reference backend the engine is inspected as it runs
(nothing is marked); on TensorRT its debug tensors are read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from ..errors import TrtconvError
from ._loading import add_input_arguments, inputs_from, load_model

HELP = 'find the first torch call whose error against PyTorch jumps'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--backend", default="reference",
                        help="reference (default), tensorrt or tensorrt_rtx")
    parser.add_argument("--precision", default="fp32", help="fp32, fp16, bf16 (int8 needs "
                        "calibration data: use trtconv.debug.compare from Python)")
    parser.add_argument("--keep-fp32", default="", metavar="auto|NAMES",
                        help="'auto', or comma-separated module paths / op names kept in fp32")
    parser.add_argument("--tolerance", type=float, help="with --keep-fp32 auto: the output's "
                        "max abs error over its max abs to meet (default 1e-2)")
    parser.add_argument("--jump", type=float, default=10.0, help="how many times its inputs' "
                        "error a call's error must be to count as a jump (default 10)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")


def _keep(text: str) -> Any:
    if text == "auto":
        return "auto"
    return [name for name in text.split(",") if name]


def run(args: argparse.Namespace) -> int:
    from ..debug import compare

    options: dict[str, Any] = {"backend": args.backend, "precision": args.precision,
                               "keep_fp32": _keep(args.keep_fp32)}
    if args.tolerance is not None:
        options["tolerance"] = args.tolerance
    try:
        result = compare(load_model(args.model), inputs_from(args), jump=args.jump, **options)
    except TrtconvError as e:
        print(f"trtconv compare: {e}", file=sys.stderr)
        return 1
    print(result)
    if args.json:
        first = result.first_divergent
        doc = {"rows": [asdict(r) for r in result.rows], "output_error": result.output_error,
               "first_divergent": None if first is None else first.index,
               "method": result.method, "precision": result.precision}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1, default=str)
    return 0
