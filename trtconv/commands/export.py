"""Write files other tools load from a saved module.

    trtconv export model.pth --triton repo/ --name resnet50     a Triton model repository entry
    trtconv export model.pth --engine model.plan                raw plan + model.plan.json

The Triton entry is a `tensorrt_plan` model for a TensorRT engine that needs no Python, and a
Python-backend model (which runs the module through trtconv) for everything else; see
`trtconv.export.triton`.
"""

from __future__ import annotations

import argparse

from ..export.triton import PLATFORMS
from ._common import CommandError, load_saved

HELP = "write a Triton repository entry (--triton) or an engine file (--engine)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="model.pth (TRTModule state_dict) or model.plan")
    parser.add_argument("--triton", metavar="REPO", help="the model repository directory")
    parser.add_argument("--name", help="Triton model name (default: the file's stem)")
    parser.add_argument("--version", type=int, default=1, help="Triton model version")
    parser.add_argument("--platform", choices=PLATFORMS, default="auto",
                        help="auto: tensorrt_plan when no Python is needed, else python")
    parser.add_argument("--no-batching", action="store_true",
                        help="dim 0 is not a batch of independent samples")
    parser.add_argument("--instances", type=int, default=1, help="instances per group")
    parser.add_argument("--engine", metavar="model.plan", help="write the raw plan + sidecar")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..export import export_triton

    if not args.triton and not args.engine:
        raise CommandError("nothing to write: give --triton REPO and/or --engine FILE")
    module = load_saved(args.path)
    if args.engine:
        print(f"{args.engine}: plan; sidecar {module.save_engine(args.engine)}")
    if args.triton:
        name = args.name or Path(args.path).name.split(".")[0]
        model_dir = export_triton(module, args.triton, name, args.version,
                                  platform=args.platform,
                                  batching=False if args.no_batching else None,
                                  instances=args.instances)
        print(f"{model_dir}: Triton model {name!r} version {args.version}")
        print((model_dir / "config.pbtxt").read_text().rstrip())
    return 0
