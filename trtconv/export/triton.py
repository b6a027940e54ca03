"""A Triton Inference Server model repository entry for a converted module.

Two flavours, chosen by what the engine needs at run time:

- `tensorrt_plan`: a TensorRT engine that needs no Python (no plugins in Python, no guards,
  no PyTorch fallbacks): `config.pbtxt` with `platform: "tensorrt_plan"` and
  `<version>/model.plan`, loaded by Triton's TensorRT backend with no trtconv at all.
- `python`: everything else (the reference backend included): `backend: "python"`, and in
  `<version>/` the module's state_dict (`model.pth`), `trtconv_model.json` saying which
  trtconv class to rebuild, and `model.py`, which loads it with `weights_only=True` and runs
  it, concatenating the requests Triton's dynamic batcher hands over and splitting the result.

When the first dim of every input and output is a dynamic batch starting at 1, the config
says `max_batch_size` (the largest batch every profile holds) and `dynamic_batching`, and the
dims leave the batch out; otherwise `max_batch_size: 0` and full shapes (-1 for dynamic dims).
Where the engine runs at export time, two samples are run together and one by one first: a
model whose dim 0 mixes samples (`x - x.mean(0)`) is not batched (a warning says why).

>>> import tempfile, torch, trtconv
>>> m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference",
...                     min_shapes=[(1, 3)], max_shapes=[(8, 3)])
>>> path = trtconv.export_triton(m, tempfile.mkdtemp(), "relu")
>>> print((path / "config.pbtxt").read_text().strip())  # doctest: +ELLIPSIS
name: "relu"
backend: "python"
max_batch_size: 8
input [
  {
    name: "input_0"
    data_type: TYPE_FP32
    dims: [ 3 ]
  }
]
...
dynamic_batching {
  max_queue_delay_microseconds: 100
}
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import torch

from ..errors import TrtconvError
from . import triton_model
from .describe import EngineInfo, Tensor, describe
from .loader import SERVABLE_CLASSES
from .pbtxt import Token, to_pbtxt

TRITON_DTYPES = {
    "bool": "TYPE_BOOL", "uint8": "TYPE_UINT8", "int8": "TYPE_INT8", "int16": "TYPE_INT16",
    "int32": "TYPE_INT32", "int64": "TYPE_INT64", "float16": "TYPE_FP16",
    "bfloat16": "TYPE_BF16", "float32": "TYPE_FP32", "float64": "TYPE_FP64",
}
PLATFORMS = ("auto", "tensorrt_plan", "python")
MODEL_SPEC = "trtconv_model.json"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def triton_dtype(tensor: Tensor) -> Token:
    try:
        return Token(TRITON_DTYPES[tensor.dtype])
    except KeyError:
        raise TrtconvError(f"tensor {tensor.name!r} has dtype {tensor.dtype}, which Triton has "
                           f"no data type for") from None


def batch_limit(info: EngineInfo) -> tuple[int, str]:
    """(max batch size, "") when dim 0 is a dynamic batch from 1 in every input, output and
    profile; else (0, why not)."""
    tensors = info.inputs + info.outputs
    fixed = [t.name for t in tensors if not t.shape or t.shape[0] != -1]
    if fixed:
        return 0, f"dim 0 of {', '.join(fixed)} is not dynamic"
    mins = {r.min[0] for p in info.profiles for r in p.values()}
    if mins != {1}:
        return 0, f"dim 0 starts at {sorted(mins)}, not 1, in the profiles"
    return min(r.max[0] for p in info.profiles for r in p.values()), ""


def _example(tensor: Tensor, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    dtype = getattr(torch, tensor.dtype)
    if dtype.is_floating_point:
        return torch.randn(shape, dtype=dtype, device=device)
    return torch.zeros(shape, dtype=dtype, device=device)


def samples_independent(module: torch.nn.Module, info: EngineInfo) -> str:
    """"" when two samples run together give what each gives alone (so requests may be
    concatenated), else why not. Skipped ("") where the engine cannot run here."""
    from .. import backends
    from .loader import flat_runner

    backend = backends.get(info.backend) if info.backend in backends.NAMES else None
    if backend is None or not backend.can_run():
        return ""
    lows = {name: r.min for name, r in info.profiles[0].items()}
    pair = [_example(t, (2, *lows[t.name][1:]), backend.device()) for t in info.inputs]
    run = flat_runner(module, info.input_spec)
    together = run(pair)
    apart = [run([x[i:i + 1] for x in pair]) for i in range(2)]
    for k, out in enumerate(together):
        alone = torch.cat([a[k] for a in apart])
        if out.shape != alone.shape or not torch.allclose(out.float(), alone.float(),
                                                          rtol=1e-3, atol=1e-4):
            return (f"output {info.outputs[k].name!r} of two samples run together differs "
                    f"from running them one by one: dim 0 is not a batch of independent "
                    f"samples")
    return ""


def choose_platform(info: EngineInfo, platform: str = "auto") -> str:
    """`tensorrt_plan` for a `tensorrt` engine that needs no Python; `python` otherwise."""
    if platform not in PLATFORMS:
        raise TrtconvError(f"platform must be one of {', '.join(PLATFORMS)}; got {platform!r}")
    reasons = info.needs_python
    if platform == "tensorrt_plan" and reasons:
        raise TrtconvError(f"this module cannot be a tensorrt_plan model: "
                           f"{'; '.join(reasons)}. Export it with platform='python'")
    if platform == "auto":
        return "tensorrt_plan" if info.backend == "tensorrt" and not reasons else "python"
    return platform


def _io_entries(tensors: tuple[Tensor, ...], batched: bool) -> list[dict[str, Any]]:
    return [{"name": t.name, "data_type": triton_dtype(t),
             "dims": list(t.shape[1:] if batched else t.shape)} for t in tensors]


def model_config(info: EngineInfo, name: str, platform: str, max_batch_size: int,
                 instances: int = 1, max_queue_delay_us: int = 100) -> dict[str, Any]:
    """Triton's `ModelConfig` for the engine, as a dict in field order."""
    config: dict[str, Any] = {"name": name}
    if platform == "tensorrt_plan":
        config["platform"] = "tensorrt_plan"
    else:
        config["backend"] = "python"
    batched = max_batch_size > 0
    config["max_batch_size"] = max_batch_size
    config["input"] = _io_entries(info.inputs, batched)
    config["output"] = _io_entries(info.outputs, batched)
    if platform == "tensorrt_plan":  # one instance group per optimization profile
        config["instance_group"] = [
            {"count": instances, "kind": Token("KIND_GPU"), "profile": [str(i)]}
            for i in range(len(info.profiles))]
    else:
        kind = "KIND_CPU" if info.backend == "reference" else "KIND_GPU"
        config["instance_group"] = [{"count": instances, "kind": Token(kind)}]
    if batched:
        config["dynamic_batching"] = {"max_queue_delay_microseconds": max_queue_delay_us}
    return config


def _check_names(name: str, version: int, info: EngineInfo) -> None:
    if not _NAME.match(name):
        raise TrtconvError(f"Triton model name {name!r}: use letters, digits, '_', '-', '.'")
    if not isinstance(version, int) or version < 1:
        raise TrtconvError(f"Triton model version must be an int >= 1, got {version!r}")
    for t in info.inputs + info.outputs:
        if not t.name.isascii() or not t.name.isprintable():
            raise TrtconvError(f"tensor name {t.name!r} cannot be a Triton tensor name")


def export_triton(module: torch.nn.Module, repo_dir: str | Path, name: str, version: int = 1,
                  *, platform: str = "auto", batching: bool | None = None, instances: int = 1,
                  max_queue_delay_us: int = 100) -> Path:
    """Write `<repo_dir>/<name>/config.pbtxt` and `<repo_dir>/<name>/<version>/`; returns
    the model directory.

    `platform`: "auto" (tensorrt_plan for a `tensorrt` engine that needs no Python, else
    python), "tensorrt_plan" (refused when Python is needed; for a `tensorrt_rtx` plan only
    with a Triton TensorRT backend built for TensorRT-RTX) or "python". `batching`: None lets
    dim 0 be a batch when it is dynamic from 1 everywhere; False when dim 0 is not independent
    samples (requests are then never concatenated); True insists (error when impossible).
    """
    info = describe(module)
    _check_names(name, version, info)
    chosen = choose_platform(info, platform)
    max_batch = 0 if batching is False else _max_batch(module, info, batching)
    model_dir = Path(repo_dir) / name
    version_dir = model_dir / str(version)
    if version_dir.exists():
        shutil.rmtree(version_dir)
    version_dir.mkdir(parents=True)
    config = model_config(info, name, chosen, max_batch, instances, max_queue_delay_us)
    (model_dir / "config.pbtxt").write_text(to_pbtxt(config) + "\n")
    if chosen == "tensorrt_plan":
        from .engine import save_engine

        save_engine(module, version_dir / "model.plan")
    else:
        _write_python_model(module, info, version_dir, max_batch)
    return model_dir


def _max_batch(module: torch.nn.Module, info: EngineInfo, batching: bool | None) -> int:
    limit, why_not = batch_limit(info)
    if limit > 1:
        why_not = samples_independent(module, info)
    if why_not and batching:
        raise TrtconvError(f"batching=True but the engine has no batch dimension: {why_not}")
    if why_not and limit:
        warnings.warn(f"export_triton: no dynamic batching ({why_not})", stacklevel=3)
        return 0
    return limit


def _write_python_model(module: torch.nn.Module, info: EngineInfo, version_dir: Path,
                        max_batch: int) -> None:
    if info.module_class not in SERVABLE_CLASSES:
        raise TrtconvError(f"{info.module_class} is not a class a served trtconv model may "
                           f"be (allowed: {', '.join(SERVABLE_CLASSES)})")
    torch.save(module.state_dict(), version_dir / "model.pth")
    spec = {
        "format": "trtconv-triton-model", "format_version": 1,
        "module_class": info.module_class, "state": "model.pth",
        "inputs": [t.name for t in info.inputs], "outputs": [t.name for t in info.outputs],
        "input_spec": info.input_spec, "max_batch_size": max_batch,
        "device": "cpu" if info.backend == "reference" else "cuda",
    }
    (version_dir / MODEL_SPEC).write_text(json.dumps(spec, indent=2) + "\n")
    shutil.copyfile(triton_model.__file__, version_dir / "model.py")
