"""Plugin layers on the real TensorRT: `tensorrt.plugin` registration and replay.

A trtconv plugin (declared with `trtconv.plugins`, or made from a torch.library op) is
registered with `tensorrt.plugin` ("quickly deployable plugins", TensorRT 10.6+) under the
same name (`ns::name`; an overload `ns::name.out` becomes `ns::name__out`):

- `register`: a descriptor taking the inputs' `TensorDesc`s and two string attributes, the
  plugin's attributes as JSON (`trtconv_attrs`) and the input shapes the reference saw
  (`trtconv_shapes`, build time only). It runs the trtconv descriptor and rebuilds its
  output shape expressions from `tensorrt.plugin` expressions of the input dims.
- `impl`: views TensorRT's buffers as torch tensors and runs the PyTorch implementation on
  TensorRT's stream, writing the outputs in place. Only `trtconv_attrs` is serialized.

The replay adds each plugin layer with `network.add_plugin(tensorrt.plugin.op.ns.name(...))`.
TensorRT-RTX has no plugins: a network with plugin layers is refused before replay.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import torch

from ..errors import TrtconvError
from ..plugins import PluginDef, lookup
from ..plugins.exprs import rebuild
from ..reference import trt as ref

ATTRS = "trtconv_attrs"
SHAPES = "trtconv_shapes"
_REGISTERED: dict[tuple[str, str], PluginDef] = {}  # (module, TensorRT plugin id) -> plugin


def tensorrt_plugin_id(plugin_id: str) -> str:
    """TensorRT's name for a plugin: no dots in names (`mylib::foo.out` -> `mylib::foo__out`)."""
    ns, _, name = plugin_id.partition("::")
    return f"{ns}::{name.replace('.', '__')}"


def has_plugins(trt: ModuleType) -> bool:
    return hasattr(trt.INetworkDefinition, "add_plugin")


def refuse_without_plugins(recording: Any, trt: ModuleType) -> None:
    """A clear error before replaying plugin layers onto a module that has no plugins."""
    layers = [(spec.get("name", "?"), spec["args"][1]) for spec in recording.graph["layers"]
              if spec.get("ctor") == "add_plugin"]
    if layers and not has_plugins(trt):
        listed = ", ".join(f"{name!r} ({op})" for name, op in layers[:5])
        raise TrtconvError(f"{trt.__name__} has no plugins, and this network has "
                           f"{len(layers)} plugin layer(s): {listed}. Convert with "
                           f"backend='tensorrt' (NVIDIA GPU) or 'reference', or give these "
                           f"ops converters made of TensorRT layers.")


def plugin_adder(trt: ModuleType, device: str = "cuda") -> Callable[..., Any]:
    """`plan.replay`'s hook: add a recorded plugin layer to a network of module `trt`."""

    def add(network: Any, inputs: list[Any], plugin_id: str, attrs_json: str,
            num_outputs: int) -> Any:
        trtp = _plugin_module(trt)
        trt_id = register(trt, lookup(plugin_id), num_outputs, device)
        ns, name = trt_id.split("::")
        make = getattr(getattr(trtp.op, ns), name)
        shapes = json.dumps([[int(d) for d in t.shape] for t in inputs])
        return network.add_plugin(make(*inputs, **{ATTRS: attrs_json, SHAPES: shapes}))

    return add


def register_saved(trt: ModuleType, metadata: dict[str, Any], device: str = "cuda") -> None:
    """Register the plugins a saved engine needs (before TensorRT deserializes it)."""
    info = metadata.get("plugin_info") or {}
    for plugin_id in metadata.get("plugins") or []:
        num_outputs = int((info.get(plugin_id) or {}).get("num_outputs", 1))
        register(trt, lookup(plugin_id), num_outputs, device)


def register(trt: ModuleType, plugin: PluginDef, num_outputs: int, device: str = "cuda") -> str:
    """Register `plugin` with `<trt>.plugin` once; return its TensorRT plugin id."""
    trtp = _plugin_module(trt)
    trt_id = tensorrt_plugin_id(plugin.id)
    key = (trt.__name__, trt_id)
    known = _REGISTERED.get(key)
    if known is not None:
        if known is not plugin:
            raise TrtconvError(f"plugin {plugin.id} was registered with {trtp.__name__} from "
                               f"another declaration ({known.source}) in this process")
        return trt_id
    trtp.register(trt_id)(_descriptor(trt, trtp, plugin, num_outputs))
    trtp.impl(trt_id)(_implementation(plugin, device))
    _REGISTERED[key] = plugin
    return trt_id


def _identifier(plugin_id: str) -> str:
    return plugin_id.replace("::", "_").replace(".", "_")


def _plugin_module(trt: ModuleType) -> ModuleType:
    return importlib.import_module(f"{trt.__name__}.plugin")


def _descriptor(trt: ModuleType, trtp: ModuleType, plugin: PluginDef,
                num_outputs: int) -> Callable[..., Any]:
    """The `tensorrt.plugin.register` function of a plugin (its signature made explicit:
    `tensorrt.plugin` reads the inputs and attributes from it)."""
    operations = {"SUM": lambda a, b: a + b, "SUB": lambda a, b: a - b,
                  "PROD": lambda a, b: a * b, "FLOOR_DIV": lambda a, b: a // b,
                  "CEIL_DIV": trtp.cdiv, "MAX": trtp.max, "MIN": trtp.min}

    def describe(*descs: Any, **attrs: Any) -> tuple[Any, ...]:
        shapes = json.loads(attrs[SHAPES]) if SHAPES in attrs else \
            [[-1] * len(d.shape_expr) for d in descs]
        inputs = [(shape, _torch_dtype(d.dtype)) for shape, d in zip(shapes, descs)]
        outputs = plugin.describe(inputs, json.loads(attrs[ATTRS]))
        results = []
        for out in outputs:
            dims = tuple(rebuild(e.tree, lambda i, j: descs[i].shape_expr[j], int,
                                 lambda op, a, b: _apply(trtp, operations[op], a, b))
                         for e in out.shape_expr)
            results.append(trtp.from_shape_expr(dims, _trt_dtype(trt, out.dtype)))
        return tuple(results)

    params = [inspect.Parameter(f"input{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=trtp.TensorDesc) for i in range(plugin.num_inputs)]
    params += [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)
               for name in (ATTRS, SHAPES)]
    returns = tuple.__class_getitem__((trtp.TensorDesc,) * num_outputs)
    signature = inspect.Signature(params, return_annotation=returns)
    describe.__signature__ = signature  # type: ignore[attr-defined]
    describe.__name__ = describe.__qualname__ = f"describe_{_identifier(plugin.id)}"
    return describe


def _apply(trtp: ModuleType, operation: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """`a op b` on `tensorrt.plugin` expressions (constants fold before this: a constant
    on the left becomes a ShapeExpr, which has no reflected operators)."""
    return operation(trtp.ShapeExpr(a) if isinstance(a, int) else a, b)


def _implementation(plugin: PluginDef, device: str) -> Callable[..., Any]:
    """The `tensorrt.plugin.impl` function: run the PyTorch implementation on TensorRT's
    buffers and stream."""
    target = torch.device(device)

    def run(*args: Any, stream: int) -> None:
        inputs, attrs, outputs = args[:-2], json.loads(args[-2]), args[-1]
        with _on_stream(target, stream):
            results = plugin.run([_view(t, target) for t in inputs], attrs)
            for out, result in zip(outputs, results):
                _view(out, target).copy_(result.reshape(tuple(out.shape)))

    params = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in
              [f"input{i}" for i in range(plugin.num_inputs)] + [ATTRS, "outputs", "stream"]]
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__name__ = run.__qualname__ = f"run_{_identifier(plugin.id)}"
    return run


def _on_stream(device: torch.device, stream: int) -> contextlib.AbstractContextManager:
    if device.type != "cuda":
        return contextlib.nullcontext()
    return torch.cuda.stream(torch.cuda.ExternalStream(stream))


class _CudaArray:
    """A device buffer described by `__cuda_array_interface__` (any dtype: torch reads it
    as raw integers of the same width and views it back)."""

    _RAW = {1: "|u1", 2: "<i2", 4: "<i4", 8: "<i8"}

    def __init__(self, pointer: int, shape: tuple[int, ...], dtype: torch.dtype, stream: int):
        self.__cuda_array_interface__ = {
            "shape": shape, "typestr": self._RAW[dtype.itemsize], "data": (pointer, False),
            "version": 3, "strides": None, "stream": stream or None}


def _view(tensor: Any, device: torch.device) -> torch.Tensor:
    """A torch view of a `tensorrt.plugin.Tensor`'s buffer (contiguous, LINEAR format)."""
    dtype = _torch_dtype(tensor.dtype)
    shape = tuple(int(d) for d in tensor.shape)
    if device.type == "cuda":
        raw = torch.as_tensor(_CudaArray(int(tensor.data_ptr), shape, dtype, 0), device=device)
        return raw.view(dtype)
    from ..reference.trt.runtime import _host_tensor

    return _host_tensor(int(tensor.data_ptr), shape, dtype)


def _torch_dtype(dtype: Any) -> torch.dtype:
    return ref.torch_dtype(ref.DataType[dtype.name])


def _trt_dtype(trt: ModuleType, dtype: torch.dtype) -> Any:
    return getattr(trt.DataType, ref.trt_dtype(dtype).name)
