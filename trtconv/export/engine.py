"""Engine files: the raw plan plus a JSON sidecar, and loading them back into a `TRTModule`.

The plan file holds exactly the engine bytes (for the `tensorrt` backend a serialized engine
that `trtexec --loadEngine`, C++ or Triton load); `<plan>.json` beside it says what the plan
needs: I/O names, dtypes and ranks, each profile's shapes, versions, precision, plugins and
guards, whether Python is needed at run time, and a `trtexec` line with valid shapes.

>>> import json, tempfile, torch, trtconv
>>> m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference")
>>> path = tempfile.mkdtemp() + "/relu.plan"
>>> sidecar = json.load(open(m.save_engine(path)))
>>> sidecar["inputs"][0]["shape"], sidecar["needs_python"]
([2, 3], True)
>>> x = torch.randn(2, 3)
>>> bool(torch.equal(trtconv.load_engine(path)(x), m(x)))
True
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import torch

from ..errors import TrtconvError
from ..module import TRTModule
from ..reference.trt.plan import MAGIC
from .describe import EngineInfo, Range, describe

SIDECAR_FORMAT = "trtconv-engine"
SIDECAR_VERSION = 1
# Tools that load a plan with trtexec's flags, by backend (the reference plan has none).
_LOADERS = {"tensorrt": "trtexec", "tensorrt_rtx": "tensorrt_rtx"}


def sidecar_path(plan_path: str | Path) -> Path:
    """`model.plan` -> `model.plan.json`."""
    plan_path = Path(plan_path)
    return plan_path.with_name(plan_path.name + ".json")


def shape_text(shape: tuple[int, ...] | list[int]) -> str:
    """`(1, 3, 224, 224)` -> `"1x3x224x224"` (trtexec's spelling; a scalar is `""`)."""
    return "x".join(str(d) for d in shape)


def trtexec_command(info: EngineInfo, plan_path: str | Path, profile: int = 0) -> str | None:
    """A command line that loads the plan and runs it at profile `profile`'s opt shapes.

    None for the reference backend (only trtconv loads reference plans). Static engines get
    no `--shapes` (trtexec refuses explicit shapes for them).
    """
    tool = _LOADERS.get(info.backend)
    if tool is None:
        return None
    words = [tool, f"--loadEngine={plan_path}"]
    if any(-1 in t.shape for t in info.inputs):
        ranges = info.profiles[profile]
        shapes = ",".join(f"{t.name}:{shape_text(ranges[t.name].opt)}" for t in info.inputs)
        words.append(f"--shapes={shapes}")
        if len(info.profiles) > 1:
            words.append(f"--profile={profile}")
    return " ".join(shlex.quote(w) for w in words)


def _profile_dict(profile: dict[str, Range]) -> dict[str, Any]:
    return {name: r.as_dict() for name, r in profile.items()}


def sidecar(module: torch.nn.Module, plan_path: str | Path,
            engine: bytes | None = None) -> dict[str, Any]:
    """The sidecar's contents for `module` saved as `plan_path`."""
    from .. import __version__

    info = describe(module)
    engine = engine if engine is not None else module.engine_bytes
    meta = info.metadata
    reasons = info.needs_python
    return {
        "format": SIDECAR_FORMAT, "format_version": SIDECAR_VERSION,
        "plan": Path(plan_path).name, "plan_bytes": len(engine),
        "plan_sha256": hashlib.sha256(engine).hexdigest(),
        "backend": info.backend, "tensorrt_version": meta.get("tensorrt"),
        "compute_capability": meta.get("compute_capability"), "gpu": meta.get("gpu"),
        "precision": meta.get("precision", "fp32"),
        "inputs": [t.as_dict() for t in info.inputs],
        "outputs": [t.as_dict() for t in info.outputs],
        "profiles": [_profile_dict(p) for p in info.profiles],
        "plugins": info.plugins, "guards": info.guards,
        "needs_python": bool(reasons), "needs_python_reasons": reasons,
        "trtconv_version": __version__, "source_model": meta.get("source_model"),
        "module_class": info.module_class,
        "trtexec": trtexec_command(info, Path(plan_path).name),
        # what load_engine needs to rebuild the same TRTModule: its state but the engine
        "trtconv": _state_without_engine(module),
    }


def pretty_json(value: Any) -> str:
    """Indented JSON with lists of numbers (shapes) kept on one line. Only multi-line arrays
    are joined: a string never holds a raw newline, so string contents are left alone."""
    def join(match: re.Match[str]) -> str:
        return "[" + ", ".join(match.group(1).replace(",", " ").split()) + "]"

    return re.sub(r"\[\n([\s\d,.eE+-]*?)\]", join, json.dumps(value, indent=2))


def save_engine(module: TRTModule, path: str | Path) -> Path:
    """Write `module`'s raw plan to `path` and its sidecar to `<path>.json`; returns the
    sidecar's path."""
    if not isinstance(module, TRTModule) or module.engine_bytes is None:
        raise TrtconvError(f"save_engine needs a TRTModule holding an engine, got "
                           f"{type(module).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = module.engine_bytes
    side = sidecar(module, path, engine)
    path.write_bytes(engine)
    target = sidecar_path(path)
    target.write_text(pretty_json(side) + "\n")
    return target


def read_sidecar(path: str | Path) -> dict[str, Any] | None:
    """The sidecar of the plan at `path` (None when there is none); checks it is one."""
    side_path = sidecar_path(path)
    if not side_path.exists():
        return None
    try:
        side = json.loads(side_path.read_text())
    except ValueError as e:
        raise TrtconvError(f"{side_path}: not valid JSON ({e})") from None
    if not isinstance(side, dict) or side.get("format") != SIDECAR_FORMAT:
        raise TrtconvError(f"{side_path}: not a trtconv engine sidecar")
    if side.get("format_version") != SIDECAR_VERSION:
        raise TrtconvError(f"{side_path}: sidecar format version {side.get('format_version')}; "
                           f"this trtconv reads version {SIDECAR_VERSION}")
    return side


def load_engine(path: str | Path, backend: str | None = None) -> TRTModule:
    """A `TRTModule` from a plan written by `save_engine` (names, structures and metadata
    from its sidecar). Without a sidecar, a reference plan loads by itself; any other plan
    needs `backend=` and gets the engine's own tensor names.

    >>> import trtconv
    >>> trtconv.load_engine("missing.plan")
    Traceback (most recent call last):
    ...
    trtconv.errors.TrtconvError: no engine file at missing.plan
    """
    path = Path(path)
    if not path.is_file():
        raise TrtconvError(f"no engine file at {path}")
    engine = path.read_bytes()
    side = read_sidecar(path)
    if side is None:
        return _load_bare(path, engine, backend)
    digest = hashlib.sha256(engine).hexdigest()
    if side.get("plan_sha256") not in (None, digest):
        raise TrtconvError(f"{path} does not match its sidecar {sidecar_path(path).name} "
                           f"(checksum differs): the plan was replaced or damaged")
    chosen = backend or side["backend"]
    state = dict(side.get("trtconv") or {})
    state.setdefault("version", 1)
    state.setdefault("input_names", [t["name"] for t in side["inputs"]])
    state.setdefault("output_names", [t["name"] for t in side["outputs"]])
    module = TRTModule()
    module.set_extra_state({**state, "backend": chosen, "engine": engine})
    return module


def _state_without_engine(module: TRTModule) -> dict[str, Any]:
    """The TRTModule's state (names, structures, guards, metadata: plain data) but its
    engine, which is the plan file itself."""
    return {k: v for k, v in module.get_extra_state().items() if k != "engine"}


def _load_bare(path: Path, engine: bytes, backend: str | None) -> TRTModule:
    if backend is None:
        if not engine.startswith(MAGIC):
            raise TrtconvError(f"{path} has no sidecar ({sidecar_path(path).name}) and is not a "
                               f"reference plan: pass backend='tensorrt' or 'tensorrt_rtx'")
        backend = "reference"
    from .. import backends
    from .describe import engine_io

    chosen = backends.get(backend)
    chosen.require_runnable()
    io = engine_io(chosen.trt(), engine)
    return TRTModule(engine, backend=chosen.name,
                     input_names=[t["name"] for t in io["inputs"]],
                     output_names=[t["name"] for t in io["outputs"]], metadata={"io": io})
