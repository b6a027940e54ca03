"""trtconv: convert PyTorch models to TensorRT; inspect, time, export and serve the result.

    trtconv convert  MODULE:FACTORY --input NAME:SHAPE -o model.pth   convert a model
    trtconv inspect  model.pth|model.plan                           I/O, profiles, layers
    trtconv run      model.pth --shapes NAME:SHAPE                  latency and throughput
    trtconv export   model.pth --triton repo/ --name NAME           Triton repository, engine file
    trtconv serve    model.pth|repo/                                a Triton server for it
    trtconv ops                                                     supported torch callables
    trtconv info     model.pth                                      short summary of a saved module
    trtconv graph    model.pth -o net.html                          its network as one HTML page
    trtconv export-onnx model.pth -o net.onnx                       its network as ONNX (Netron)
    trtconv compare  file.py:Net --input 1x8 --precision fp16       per-call error vs PyTorch

Each command is one module under `trtconv/commands/` with `HELP` (one line),
`add_arguments(parser)` and `run(args) -> int`; a new command is one entry in `COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from .errors import TrtconvError

COMMANDS: dict[str, str] = {
    "convert": "trtconv.commands.convert",
    "inspect": "trtconv.commands.inspect",
    "run": "trtconv.commands.run",
    "export": "trtconv.commands.export",
    "serve": "trtconv.commands.serve",
    "ops": "trtconv.commands.ops",
    "info": "trtconv.commands.info",
    "graph": "trtconv.commands.graph",
    "export-onnx": "trtconv.commands.export_onnx",
    "compare": "trtconv.commands.compare",
}


def _command(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trtconv", description=__doc__.split("\n\n")[0].splitlines()[0],
        epilog="Run `trtconv COMMAND --help` for a command's options.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = _command(name)
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .commands._common import CommandError

    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `trtconv inspect ... | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CommandError as e:
        print(f"trtconv {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (TrtconvError, ValueError, OSError) as e:
        print(f"trtconv {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
