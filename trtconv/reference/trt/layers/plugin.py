"""IPluginV3Layer: a plugin op, TensorRT 11's way (`network.add_plugin(op.ns.name(...))`).

`add_plugin` takes what `trtconv.plugins.op.ns.name(*inputs, **attrs)` returns (or
`tensorrt.plugin.op...` in TensorRT): a function giving (inputs, shape inputs, plugin), or that
tuple itself. Inference asks the plugin's descriptor for the outputs' shape expressions and
dtypes and evaluates them for the inputs' shapes; execution runs its PyTorch implementation and
checks the results against the descriptor. A recording stores the plugin by op name and its
attributes as JSON, never code: replaying a plan looks the op up in the loading process.
"""

from __future__ import annotations

import json
from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, torch_dtype, trt_dtype
from ..core import network_method as _method
from ..enums import LayerType


class IPluginV3Layer(ILayer):
    layer_type = LayerType.PLUGIN_V3

    @property
    def plugin(self) -> Any:
        """The plugin instance (op name, attributes, definition)."""
        return self._plugin

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        infos = self.require_inputs(ins, len(self._inputs))
        shapes = [info.shape for info in infos]
        try:
            descs = self._plugin.describe([(s, torch_dtype(i.dtype))
                                           for s, i in zip(shapes, infos)])
            outputs = [TensorInfo(tuple(_size(e.tree, shapes) for e in d.shape_expr),
                                  trt_dtype(d.dtype)) for d in descs]
        except Exception as e:  # noqa: BLE001  (a user's descriptor may raise anything)
            raise self.fail(f"plugin {self._plugin.plugin_id}: {type(e).__name__}: {e}") from e
        if len(outputs) != self.num_outputs:
            raise self.fail(f"plugin {self._plugin.plugin_id} describes {len(outputs)} "
                            f"outputs, the layer has {self.num_outputs}")
        return outputs

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        results = self._plugin.run(ins)
        expected = self.infer([TensorInfo(tuple(x.shape), trt_dtype(x.dtype)) for x in ins])
        if len(results) != len(expected):
            raise RuntimeError(f"plugin {self._plugin.plugin_id} returned {len(results)} "
                               f"tensor(s), its descriptor says {len(expected)}")
        checked = []
        for k, (out, info) in enumerate(zip(results, expected)):
            if not isinstance(out, torch.Tensor) or tuple(out.shape) != info.shape \
                    or out.dtype != torch_dtype(info.dtype):
                got = (f"{tuple(out.shape)} {out.dtype}" if isinstance(out, torch.Tensor)
                       else type(out).__name__)
                raise RuntimeError(f"plugin {self._plugin.plugin_id} output {k}: the "
                                   f"implementation gives {got}, its descriptor says "
                                   f"{info.shape} {torch_dtype(info.dtype)}")
            checked.append(out.contiguous())
        return checked


def _size(tree: Any, shapes: list[tuple[int, ...]]) -> int:
    from trtconv.plugins.exprs import evaluate

    return evaluate(tree, shapes)


@_method
def add_plugin(self: Any, func: Any, aot: bool = False) -> IPluginV3Layer:
    if aot:
        raise ValueError("add_plugin: the reference runs plugins just in time; aot=True "
                         "(ahead-of-time kernels) is not supported")
    inputs, shape_inputs, plugin = func() if callable(func) else func
    if shape_inputs:
        raise ValueError("add_plugin: plugins with shape inputs are not supported")
    for t in inputs:
        if not isinstance(t, ITensor):
            raise TypeError(f"add_plugin: plugin inputs must be ITensors, got "
                            f"{type(t).__name__}")
    descs = plugin.describe([(tuple(t.shape), torch_dtype(t.dtype)) for t in inputs])
    args = {"inputs": list(inputs), "plugin": plugin.plugin_id, "attrs": plugin.attrs_json}
    layer = add_layer(self, IPluginV3Layer, "add_plugin", args, list(inputs),
                      num_outputs=len(descs))
    layer._plugin = plugin
    return layer


def replay_plugin(network: Any, inputs: list[ITensor], plugin_id: str, attrs_json: str,
                  num_outputs: int) -> IPluginV3Layer:
    """A recorded plugin layer, added again to a reference network (the op must be
    registered in this process: `trtconv.plugins.PluginNotFoundError` says what to import)."""
    from trtconv.plugins import lookup

    attrs = json.loads(attrs_json)
    if not isinstance(attrs, dict):
        raise ValueError(f"plugin {plugin_id}: recorded attributes are not a mapping")
    layer = network.add_plugin(lookup(plugin_id)(*inputs, **attrs))
    if layer.num_outputs != num_outputs:
        raise ValueError(f"plugin {plugin_id} now has {layer.num_outputs} outputs, the plan "
                         f"was built with {num_outputs}")
    return layer
