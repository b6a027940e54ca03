"""The `trtconv` command line.

    trtconv ops                 list the torch callables that have converters
    trtconv info model_trt.pth  describe a saved TRTModule state_dict (backend, I/O, layers)
    trtconv graph model_trt.pth -o net.html        draw its network (one HTML file)
    trtconv export-onnx model_trt.pth -o net.onnx  its network as ONNX (Netron)
    trtconv compare file.py:Net --input 1x8 --precision fp16   per-call error vs PyTorch
"""

from __future__ import annotations

import argparse
import sys

import torch

from . import registry
from .commands import compare, export_onnx, graph
from .module import TRTModule


def _ops(args: argparse.Namespace) -> int:
    for target in registry.supported_ops():
        print(target)
    return 0


def _info(args: argparse.Namespace) -> int:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trtconv", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ops", help="list supported torch callables").set_defaults(run=_ops)
    info = commands.add_parser("info", help="describe a saved TRTModule state_dict")
    info.add_argument("path")
    info.set_defaults(run=_info)
    for command in (graph, export_onnx, compare):
        command.add_parser(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
