"""Describe a saved TRTModule state_dict in a few lines: backend, engine size, I/O names.

For everything (profiles, layers, precision, guards) use `trtconv inspect`.
"""

from __future__ import annotations

import argparse
import sys

import torch

from ..module import TRTModule

HELP = "describe a saved TRTModule state_dict (short)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a file written by torch.save(model_trt.state_dict(), path)")


def run(args: argparse.Namespace) -> int:
    state = torch.load(args.path, weights_only=True)
    extra = {k: v for k, v in state.items() if k.endswith("_extra_state")}
    if not extra:
        print(f"{args.path}: no TRTModule state found", file=sys.stderr)
        return 1
    for key, value in extra.items():
        module = TRTModule()
        module.set_extra_state(value)
        meta = module.metadata
        prefix = key[: -len("_extra_state")].rstrip(".") or "<root>"
        print(f"{prefix}: backend={module.backend}, engine {len(module.engine_bytes)} bytes, "
              f"{meta.get('num_layers')} layers, made with {meta.get('tensorrt')}")
        print(f"  inputs:  {', '.join(value.get('input_names', []))}")
        print(f"  outputs: {', '.join(value.get('output_names', []))}")
    return 0
