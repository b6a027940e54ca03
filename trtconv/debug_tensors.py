"""Reading a real engine's intermediate tensors: debug tensors, or extra outputs where the
TensorRT version has none.

`trtconv.debug.compare` needs the engine's value of every converted call. On the reference
backend it inspects the engine as it runs (nothing is marked). On TensorRT the network is
replayed once more with those tensors marked as *debug tensors*
(`INetworkDefinition.mark_debug`, TensorRT 10 and later: 10.16, 11.4 and TensorRT-RTX 1.7 all
have it, see /work/shared/tensorrt-api): TensorRT hands their values to an `IDebugListener`
during `execute_async_v3` and computes the outputs as it would without them. Where a module has
no `mark_debug`, the tensors become extra network outputs instead, which changes the engine
(layers cannot be fused across an output); the result says so.

The GPU half (listener, device pointers) follows the recorded API of TensorRT 10.16/11.4; it
has not run on a GPU in this project's CI.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch

from .backends import torch_dtype
from .backends.replay import build_replayed, capturing_logger, replay_network
from .errors import TrtconvError
from .reference.trt.plan import Recording

DEBUG_TENSORS = "debug tensors (mark_debug: the engine computes its outputs as without them)"
EXTRA_OUTPUTS = ("extra network outputs (this TensorRT has no mark_debug, so the tensors were "
                 "marked as outputs: the engine measured is not quite the one deployed)")


@dataclass
class DebugEngine:
    """A plan built with `names` readable, and how (`DEBUG_TENSORS` or `EXTRA_OUTPUTS`)."""

    plan: bytes
    names: list[str]
    method: str


def mark_readable(network: Any, tensors: dict[str, Any], names: list[str],
                  use_debug_tensors: bool = True) -> tuple[list[str], str]:
    """Mark the named tensors (those the network has, outputs and inputs aside) as debug
    tensors, or as outputs where the module has no `mark_debug`; return them and how."""
    outputs = {network.get_output(i).name for i in range(network.num_outputs)}
    readable = [n for n in names if n in tensors and n not in outputs
                and not tensors[n].is_network_input]
    debug = use_debug_tensors and hasattr(network, "mark_debug")
    for name in readable:
        if debug:
            network.mark_debug(tensors[name])
        else:
            network.mark_output(tensors[name])
    return readable, DEBUG_TENSORS if debug else EXTRA_OUTPUTS


def build_debug_engine(recording: Recording, trt: ModuleType, names: list[str],
                       use_debug_tensors: bool = True) -> DebugEngine:
    """Replay `recording` onto `trt` with `names` marked, and build it."""
    replayed = replay_network(recording, trt)
    readable, method = mark_readable(replayed.network, replayed.tensors, names,
                                     use_debug_tensors)
    plan, _ = build_replayed(replayed, recording)
    return DebugEngine(plan, readable, method)


def run_debug_engine(trt: ModuleType, built: DebugEngine, inputs: dict[str, torch.Tensor],
                     device: torch.device) -> dict[str, torch.Tensor]:
    """Run the plan on `inputs` (by name); return every output and debug tensor by name."""
    logger = capturing_logger(trt)
    engine = trt.Runtime(logger).deserialize_cuda_engine(built.plan)
    if engine is None:
        raise TrtconvError(f"cannot load the debug engine: {'; '.join(logger.errors()[-3:])}")
    context = engine.create_execution_context()
    captured: dict[str, torch.Tensor] = {}
    listener = None
    if built.method == DEBUG_TENSORS:
        listener = _listener(trt, captured)
        context.set_debug_listener(listener)
        for name in built.names:
            context.set_tensor_debug_state(name, True)
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    for name, value in inputs.items():
        context.set_input_shape(name, tuple(value.shape))
        context.set_tensor_address(name, value.data_ptr())
    outputs = {}
    for name in names:
        if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
            continue
        shape = tuple(context.get_tensor_shape(name))
        outputs[name] = torch.empty(shape, dtype=torch_dtype(engine.get_tensor_dtype(name)),
                                    device=device)
        context.set_tensor_address(name, outputs[name].data_ptr())
    stream = torch.cuda.current_stream().cuda_stream if device.type == "cuda" else 0
    if not context.execute_async_v3(stream):
        raise TrtconvError(f"the debug engine failed: {'; '.join(logger.errors()[-3:])}")
    if device.type == "cuda":
        torch.cuda.current_stream().synchronize()
    del listener
    return {**outputs, **captured}


def _listener(trt: ModuleType, captured: dict[str, torch.Tensor]) -> Any:
    class Listener(trt.IDebugListener):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            trt.IDebugListener.__init__(self)

        def process_debug_tensor(self, addr: Any, location: Any, type: Any, shape: Any,
                                 name: str, stream: int) -> None:
            # The value is valid for this call only: copy it on the engine's stream.
            view = _device_view(_capsule_pointer(addr), tuple(shape), torch_dtype(type))
            with torch.cuda.stream(torch.cuda.ExternalStream(int(stream))):
                captured[name] = view.clone()

    return Listener()


def _capsule_pointer(capsule: Any) -> int:
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return int(api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule)))


_TYPESTR = {torch.float32: "<f4", torch.float16: "<f2", torch.bfloat16: "<i2",
            torch.int32: "<i4", torch.int64: "<i8", torch.int8: "|i1", torch.uint8: "|u1",
            torch.bool: "|b1", torch.float8_e4m3fn: "|u1"}


def _device_view(pointer: int, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """A CUDA tensor over device memory TensorRT owns (through __cuda_array_interface__)."""

    class _Array:
        __cuda_array_interface__ = {"data": (pointer, False), "shape": shape,
                                    "typestr": _TYPESTR[dtype], "version": 3, "strides": None}

    view = torch.as_tensor(_Array(), device="cuda")
    return view.view(dtype) if view.dtype != dtype else view
