"""Backends: where a traced reference network becomes a plan, and where that plan runs.

| backend        | builds with                       | runs on                       |
|----------------|-----------------------------------|-------------------------------|
| `reference`    | `trtconv.reference.trt`           | CPU (host pointers)           |
| `tensorrt`     | replay onto `tensorrt` (10.x/11.x) | CUDA, torch's current stream  |
| `tensorrt_rtx` | replay onto `tensorrt_rtx`        | RTX GPU; builds on CPU too    |
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch

from ..errors import TrtconvError
from .replay import (
    BuildFailedError,
    ReplayMismatchError,
    capturing_logger,
    make_config,
    replay_check_build,
)

NAMES = ("reference", "tensorrt", "tensorrt_rtx")


def torch_dtype(dtype: Any) -> torch.dtype:
    """The torch dtype of any module's `DataType` (matched by member name)."""
    from ..reference import trt as ref

    return ref.torch_dtype(ref.DataType[dtype.name])


@dataclass(frozen=True)
class Backend:
    """A `trt`-like module and how to build and run with it."""

    name: str
    module_name: str
    runs_on_cuda: bool

    def trt(self) -> ModuleType:
        try:
            return importlib.import_module(self.module_name)
        except ImportError as e:
            raise TrtconvError(f"backend {self.name!r} needs the {self.module_name!r} module, "
                               f"which does not import here: {e}") from None

    def logger(self) -> Any:
        return capturing_logger(self.trt())

    def can_run(self) -> bool:
        return not self.runs_on_cuda or torch.cuda.is_available()

    def require_runnable(self) -> None:
        if not self.can_run():
            extra = (" (TensorRT-RTX plans need an NVIDIA RTX GPU)"
                     if self.name == "tensorrt_rtx" else "")
            raise TrtconvError(f"this TRTModule holds a {self.name} plan, which runs only on an "
                               f"NVIDIA GPU; torch sees no CUDA device here{extra}. Convert with "
                               f"backend='reference' to run on the CPU.")

    def device(self) -> torch.device:
        return torch.device("cuda" if self.runs_on_cuda else "cpu")

    def stream_handle(self) -> int:
        return torch.cuda.current_stream().cuda_stream if self.runs_on_cuda else 0

    def build(self, network: Any, profiles: list[dict[str, list[list[int]]]],
              log_level: Any = None, **options: Any) -> tuple[bytes, bytes | None]:
        """Plan bytes for a reference network (replayed and checked on real modules), and
        the serialized timing cache when one was asked for."""
        if self.name == "reference":
            return _build_reference(network, profiles, **options), None
        return replay_check_build(network, self.trt(), profiles, log_level=log_level,
                                  **options)

    def prepare_plugins(self, metadata: dict[str, Any]) -> None:
        """Register the plugin ops a saved engine needs with this backend's module (the
        `tensorrt` backend registers them with `tensorrt.plugin` before deserializing)."""
        if metadata.get("plugins") and self.name == "tensorrt":
            from .tensorrt_plugins import register_saved

            register_saved(self.trt(), metadata)

    def version(self) -> str:
        return str(getattr(self.trt(), "__version__", "unknown"))


_BACKENDS = {
    "reference": Backend("reference", "trtconv.reference.trt", runs_on_cuda=False),
    "tensorrt": Backend("tensorrt", "tensorrt", runs_on_cuda=True),
    "tensorrt_rtx": Backend("tensorrt_rtx", "tensorrt_rtx", runs_on_cuda=True),
}


def get(name: str) -> Backend:
    if name == "auto":
        name = auto()
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of auto, "
                         + ", ".join(NAMES)) from None


def auto() -> str:
    """`tensorrt` when it imports and a CUDA device exists, else `reference`."""
    if torch.cuda.is_available():
        try:
            importlib.import_module("tensorrt")
            return "tensorrt"
        except ImportError:
            pass
    return "reference"


def _build_reference(network: Any, profiles: list[dict[str, list[list[int]]]],
                     workspace_size: int | None = None, optimization_level: int | None = None,
                     timing_cache: bytes | None = None, progress_monitor: Any = None) -> bytes:
    from ..reference import trt

    builder = network.builder
    config = make_config(trt, builder, profiles, workspace_size, optimization_level)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        log = "\n  ".join(builder.logger.errors()[-10:]) or "(nothing logged)"
        raise BuildFailedError(f"the reference builder could not build the network:\n  {log}")
    return bytes(plan)


__all__ = ["Backend", "BuildFailedError", "ReplayMismatchError", "get", "auto", "NAMES",
           "torch_dtype"]
