"""What the commands share: argument parsing (shapes, factories) and loading saved modules."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import TrtconvError

DTYPES = {
    "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
    "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "int8": torch.int8, "uint8": torch.uint8,
    "bool": torch.bool,
}


class CommandError(TrtconvError):
    """A bad command-line argument: printed as `trtconv CMD: error: ...`, exit status 2."""


def parse_shape(text: str, what: str) -> tuple[int, ...]:
    """`1x3x224x224` (or `1,3,224,224`; empty for a scalar) -> (1, 3, 224, 224)."""
    text = text.strip()
    if not text:
        return ()
    parts = text.replace(",", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise CommandError(f"{what}: bad shape {text!r}; write dims like 1x3x224x224") from None
    if any(d < 0 for d in shape):
        raise CommandError(f"{what}: shape {text!r} has a negative dim")
    return shape


def parse_dtype(text: str, what: str) -> torch.dtype:
    try:
        return DTYPES[text.lower()]
    except KeyError:
        raise CommandError(f"{what}: unknown dtype {text!r}; use one of "
                           f"{', '.join(sorted(DTYPES))}") from None


def parse_named_shape(text: str, option: str) -> tuple[str, tuple[int, ...], torch.dtype | None]:
    """`NAME:SHAPE[:DTYPE]` -> (name, shape, dtype or None)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise CommandError(f"{option} {text!r}: expected NAME:SHAPE[:DTYPE], e.g. "
                           f"image:1x3x224x224 or ids:1x128:int64")
    what = f"{option} {text!r}"
    dtype = parse_dtype(parts[2], what) if len(parts) == 3 else None
    return parts[0], parse_shape(parts[1], what), dtype


def _import_file(path: Path, spec_text: str) -> Any:
    if not path.is_file():
        raise CommandError(f"factory {spec_text!r}: no such file {path}")
    name = path.stem if path.stem.isidentifier() and path.stem not in sys.modules else \
        f"trtconv_factory_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"factory {spec_text!r}: cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))  # its own imports of neighbouring files
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise CommandError(f"factory {spec_text!r}: importing {path} failed: "
                           f"{type(e).__name__}: {e}") from e
    return module


def _import_module(name: str, spec_text: str) -> Any:
    try:
        return importlib.import_module(name)
    except Exception as e:
        raise CommandError(f"factory {spec_text!r}: cannot import module {name!r}: "
                           f"{type(e).__name__}: {e}") from e


def load_factory(spec_text: str) -> Any:
    """The callable named by `pkg.module:factory` or `path/to/file.py:factory`."""
    where, sep, attr = spec_text.rpartition(":")
    if not sep or not where or not attr:
        raise CommandError(f"factory {spec_text!r}: expected MODULE:FACTORY (e.g. "
                           f"torchvision.models:resnet50) or path/to/file.py:FACTORY")
    is_file = where.endswith(".py") or "/" in where or "\\" in where
    module = _import_file(Path(where), spec_text) if is_file else _import_module(where,
                                                                               spec_text)
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise CommandError(f"factory {spec_text!r}: {where} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise CommandError(f"factory {spec_text!r}: {attr} is a {type(target).__name__}, "
                           f"not a callable that returns a model")
    return target


def build_model(spec_text: str) -> torch.nn.Module:
    """Call the factory and put its model in eval mode."""
    factory = load_factory(spec_text)
    try:
        model = factory()
    except Exception as e:
        raise CommandError(f"factory {spec_text!r} raised {type(e).__name__}: {e}") from e
    if not isinstance(model, torch.nn.Module):
        raise CommandError(f"factory {spec_text!r} returned a {type(model).__name__}, not a "
                           f"torch.nn.Module")
    return model.eval()


def existing_file(path: str, what: str = "file") -> Path:
    result = Path(path)
    if not result.exists():
        raise CommandError(f"no such {what}: {path}")
    if result.is_dir():
        raise CommandError(f"{path} is a directory, expected a {what}")
    return result


def load_saved(path: str) -> torch.nn.Module:
    """A `TRTModule` from a saved state_dict (.pth) or an engine file with its sidecar."""
    from ..export.engine import load_engine
    from ..export.loader import module_from_state
    from ..reference.trt.plan import MAGIC

    file = existing_file(path, "model file")
    with open(file, "rb") as f:
        head = f.read(len(MAGIC))
    if head == MAGIC or file.suffix in (".plan", ".engine", ".trt"):
        return load_engine(file)
    try:
        state = torch.load(file, weights_only=True, map_location="cpu")
    except Exception as e:
        raise CommandError(f"{path}: not a torch.save file that loads with weights_only=True "
                           f"({type(e).__name__})") from None
    if not isinstance(state, dict) or "_extra_state" not in state:
        keys = list(state)[:5] if isinstance(state, dict) else type(state).__name__
        raise CommandError(f"{path}: no TRTModule state found (keys: {keys}); save one with "
                           f"torch.save(model_trt.state_dict(), path)")
    return module_from_state(state, "trtconv.module.TRTModule")
