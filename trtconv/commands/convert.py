"""Convert a model built by a factory, like trtexec builds an engine from a file.

    trtconv convert torchvision.models:resnet50 --input image:1x3x224x224 -o resnet50.pth
    trtconv convert models/net.py:build --input x:1x3x64x64 --batch 1:8:32 \\
        --precision fp16 -o net.pth --engine net.plan --triton repo/

MODULE:FACTORY names an importable module and a callable in it; path/to/file.py:FACTORY a
file. The factory is called with no arguments and its model put in eval mode. Each --input
is one positional argument of forward(), traced at its shape (random values; integer dtypes
zeros). Dynamic dims: --batch MIN:OPT:MAX for dim 0 of every input, or whole shapes with
--min/--opt/--max NAME:SHAPE.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import time
from pathlib import Path
from typing import Any

import torch

from .. import backends
from ..inputs import Input
from ._common import CommandError, build_model, parse_named_shape, parse_shape

HELP = "convert a model from MODULE:FACTORY (trtexec-style)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("factory", metavar="MODULE:FACTORY",
                        help="e.g. torchvision.models:resnet50, my_pkg.models:build, "
                             "path/to/file.py:build")
    parser.add_argument("--input", "-i", action="append", required=True,
                        metavar="NAME:SHAPE[:DTYPE]",
                        help="one per forward() argument, in order: image:1x3x224x224, "
                             "ids:1x128:int64")
    for which in ("min", "opt", "max"):
        parser.add_argument(f"--{which}", action="append", default=[], metavar="NAME:SHAPE",
                            help=f"{which} shape of a dynamic input")
    parser.add_argument("--batch", metavar="MIN:OPT:MAX",
                        help="dynamic dim 0 for every input, e.g. 1:8:32 (or MIN:MAX)")
    parser.add_argument("--precision", choices=["fp32", "fp16", "bf16", "int8"],
                        default="fp32")
    parser.add_argument("--calib", metavar="DIR",
                        help="int8 calibration data: .pt files (a tensor or a tuple of "
                             "tensors each) or .npy files")
    parser.add_argument("--calib-method", choices=["entropy", "max", "percentile"],
                        default="entropy")
    parser.add_argument("--fallback", action="store_true",
                        help="run unsupported calls in PyTorch (partial conversion)")
    parser.add_argument("--backend", choices=["auto", *backends.NAMES], default="auto")
    parser.add_argument("-o", "--output", required=True, metavar="model.pth",
                        help="the TRTModule state_dict")
    parser.add_argument("--engine", metavar="model.plan",
                        help="also write the raw plan and its JSON sidecar")
    parser.add_argument("--triton", metavar="REPO",
                        help="also export a Triton model repository entry")
    parser.add_argument("--name", help="Triton model name (default: the factory's name)")
    parser.add_argument("--seed", type=int, default=0, help="seed for example inputs")


def _shape_table(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """name -> {"shape", "dtype", "min", "opt", "max"} from --input/--min/--opt/--max."""
    table: dict[str, dict[str, Any]] = {}
    for text in args.input:
        name, shape, dtype = parse_named_shape(text, "--input")
        if name in table:
            raise CommandError(f"--input {name!r} given twice")
        table[name] = {"dtype": dtype or torch.float32, "min": shape, "opt": shape,
                       "max": shape}
    if args.batch:
        _apply_batch(table, args.batch)
    for which in ("min", "opt", "max"):
        for text in getattr(args, which):
            name, shape, _ = parse_named_shape(text, f"--{which}")
            if name not in table:
                raise CommandError(f"--{which} {text!r}: no --input named {name!r} (inputs: "
                                   f"{', '.join(table)})")
            table[name][which] = shape
    return table


def _apply_batch(table: dict[str, dict[str, Any]], text: str) -> None:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise CommandError(f"--batch {text!r}: expected MIN:OPT:MAX or MIN:MAX, e.g. 1:8:32")
    sizes = [parse_shape(p, f"--batch {text!r}") for p in parts]
    if any(len(s) != 1 for s in sizes):
        raise CommandError(f"--batch {text!r}: each part is one number")
    lo, hi = sizes[0][0], sizes[-1][0]
    for name, entry in table.items():
        if not entry["opt"]:
            raise CommandError(f"--batch: input {name!r} is a scalar, it has no dim 0")
        opt = sizes[1][0] if len(sizes) == 3 else min(max(entry["opt"][0], lo), hi)
        for which, size in (("min", lo), ("opt", opt), ("max", hi)):
            entry[which] = (size, *entry[which][1:])


def make_inputs(args: argparse.Namespace) -> tuple[list[str], list[Input]]:
    table = _shape_table(args)
    inputs = []
    for name, e in table.items():
        try:
            inputs.append(Input(e["min"], e["opt"], e["max"], dtype=e["dtype"]))
        except ValueError as err:
            raise CommandError(f"input {name!r}: {err}") from None
    return list(table), inputs


def calibration_batches(directory: str) -> list[Any]:
    """Each .pt/.npy file of `directory` (sorted) as one calibration batch."""
    import numpy as np

    path = Path(directory)
    if not path.is_dir():
        raise CommandError(f"--calib {directory}: no such directory")
    files = sorted(p for p in path.iterdir() if p.suffix in (".pt", ".pth", ".npy"))
    if not files:
        raise CommandError(f"--calib {directory}: no .pt or .npy files in it")
    batches = []
    for file in files:
        if file.suffix == ".npy":
            batches.append(torch.from_numpy(np.load(file, allow_pickle=False)))
        else:
            batches.append(torch.load(file, weights_only=True))
    return batches


def _options(args: argparse.Namespace, convert: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"backend": args.backend, "precision": args.precision}
    if args.fallback:
        if "fallback" not in inspect.signature(convert).parameters:
            raise CommandError("--fallback: partial conversion is not available yet in this "
                               "trtconv (convert() has no fallback parameter)")
        options["fallback"] = True
    if args.precision == "int8":
        if not args.calib:
            raise CommandError("--precision int8 needs --calib DIR (calibration data)")
        options["calibration_data"] = calibration_batches(args.calib)
        options["calibration_method"] = args.calib_method
    elif args.calib:
        raise CommandError("--calib is for --precision int8")
    return options


def default_name(factory: str) -> str:
    """`torchvision.models:resnet50` -> resnet50; `path/to/net.py:build` -> net."""
    where, _, attr = factory.rpartition(":")
    name = Path(where).stem if where.endswith(".py") else attr.rpartition(".")[2]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "model"


class Progress:
    """`[n/N] step ... 1.2 s` lines on stderr."""

    def __init__(self, steps: int):
        self.steps, self.done, self.started = steps, 0, time.perf_counter()

    def step(self, text: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.steps}] {text}", file=sys.stderr, flush=True)
        self.started = time.perf_counter()

    def took(self) -> str:
        return f"{time.perf_counter() - self.started:.1f} s"


def run(args: argparse.Namespace) -> int:
    from .. import convert as convert_fn
    from ..export import export_triton

    names, inputs = make_inputs(args)
    options = _options(args, convert_fn)
    torch.manual_seed(args.seed)
    progress = Progress(2 + bool(args.engine) + bool(args.triton))
    progress.step(f"building the model: {args.factory}")
    model = build_model(args.factory)
    progress.step(f"converting ({type(model).__name__}, backend {args.backend}, "
                  f"{args.precision})")
    model_trt = convert_fn(model, inputs, input_names=names, **options)
    meta = model_trt.metadata
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model_trt.state_dict(), args.output)
    print(f"{args.output}: {model_trt.backend} engine, {meta.get('num_layers')} layers, "
          f"{len(model_trt.engine_bytes)} bytes ({progress.took()})")
    for warning in meta.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    if args.engine:
        progress.step(f"writing the engine file {args.engine}")
        print(f"{args.engine}: plan; sidecar {model_trt.save_engine(args.engine)}")
    if args.triton:
        name = args.name or default_name(args.factory)
        progress.step(f"exporting Triton model {name!r} to {args.triton}")
        print(f"{export_triton(model_trt, args.triton, name)}: Triton model")
    return 0
