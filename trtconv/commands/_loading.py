"""What the commands read: a saved TRTModule, a model named by `file.py:factory`, inputs."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from ..module import TRTModule


def load_trt_module(path: str) -> TRTModule:
    """The TRTModule saved in a state_dict file (`torch.save(model_trt.state_dict(), path)`)."""
    try:
        state = torch.load(path, weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError) as e:
        raise InputError(f"{path}: cannot read a saved state_dict: {e}") from None
    except Exception as e:  # torch's unpickler rejects what weights_only forbids
        raise InputError(f"{path}: not a weights-only state_dict: {e}") from None
    extra = {k: v for k, v in state.items() if k.endswith("_extra_state")} \
        if isinstance(state, dict) else {}
    if len(extra) != 1:
        found = "no TRTModule state" if not extra else f"{len(extra)} TRTModule states"
        raise InputError(f"{path}: {found} found; expected the state_dict of one TRTModule")
    module = TRTModule()
    module.set_extra_state(next(iter(extra.values())))
    return module


def load_model(spec: str) -> torch.nn.Module:
    """`path/to/file.py:Name` or `package.module:Name`: the module's `Name()`, in eval mode."""
    where, _, attr = spec.rpartition(":")
    if not where or not attr:
        raise InputError(f"model {spec!r}: write it as path/to/file.py:Name or package.module:Name")
    if where.endswith(".py"):
        path = Path(where).resolve()
        if not path.exists():
            raise InputError(f"model {spec!r}: no file {where}")
        sys.path.insert(0, str(path.parent))
        loader = importlib.util.spec_from_file_location(path.stem, path)
        assert loader is not None and loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    factory = getattr(module, attr, None)
    if factory is None:
        raise InputError(f"model {spec!r}: {where} has no {attr!r}")
    model = factory()
    if not isinstance(model, torch.nn.Module):
        raise InputError(f"model {spec!r}: {attr}() returned {type(model).__name__}, not an "
                         f"nn.Module")
    return model.eval()


def shape(text: str) -> tuple[int, ...]:
    """`1x3x224x224` -> (1, 3, 224, 224)."""
    try:
        dims = tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1x3x224x224") from None
    if not dims or any(d < 0 for d in dims):
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1x3x224x224")
    return dims


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="the PyTorch model: path/to/file.py:Name or "
                        "package.module:Name (called with no arguments)")
    parser.add_argument("--input", type=shape, action="append", default=[], metavar="SHAPE",
                        help="one random input (torch.randn) of this shape, e.g. 1x3x64x64; "
                        "repeat for several inputs")
    parser.add_argument("--inputs", metavar="FILE.pt",
                        help="the inputs saved with torch.save (a tensor or a list of tensors)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def inputs_from(args: argparse.Namespace) -> list[Any]:
    if args.inputs:
        loaded = torch.load(args.inputs, weights_only=True)
        return list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]
    if not args.input:
        raise InputError("give the inputs: --input SHAPE (repeatable) or --inputs FILE.pt")
    generator = torch.Generator().manual_seed(args.seed)
    return [torch.randn(s, generator=generator) for s in args.input]
