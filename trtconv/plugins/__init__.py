"""Plugins: ops TensorRT has no layer for, run as PyTorch code inside the engine.

Declare a plugin op once: a descriptor (output shapes as expressions of the input shapes, and
dtypes) and an implementation written in PyTorch. A converter adds it to the network the way
TensorRT 11 takes plugins (`network.add_plugin(op.ns.name(*inputs, **attributes))`); the
reference runs the implementation, and the `tensorrt` backend registers the same op with
`tensorrt.plugin` (TensorRT 10.6+ "quickly deployable plugins"). TensorRT-RTX has no plugins.

>>> import torch, trtconv
>>> from trtconv import plugins
>>> @plugins.register("docs::repeat_rows")
... def repeat_rows_desc(x: plugins.TensorDesc, times: int) -> plugins.TensorDesc:
...     return plugins.from_shape_expr((x.shape_expr[0] * times, x.shape_expr[1]), x.dtype)
>>> @plugins.impl("docs::repeat_rows")
... def repeat_rows(x, times):
...     return x.repeat(times, 1)
>>> def convert_repeat(ctx, input, *sizes):
...     if len(sizes) != 2 or sizes[1] != 1:
...         raise ctx.unsupported("only x.repeat(n, 1) is a repeat_rows plugin")
...     call = plugins.op.docs.repeat_rows(ctx.trt(input), times=sizes[0])
...     return ctx.network.add_plugin(call).get_output(0)
>>> class Repeat(torch.nn.Module):
...     def forward(self, x):
...         return x.repeat(3, 1) + 1
>>> x = torch.randn(2, 4)
>>> with trtconv.registry.override("torch.Tensor.repeat", convert_repeat):
...     m = trtconv.convert(Repeat(), [x], backend="reference")
>>> bool(torch.equal(m(x), Repeat()(x))), m.metadata["plugins"]
(True, ['docs::repeat_rows'])
>>> plugins.unregister("docs::repeat_rows")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .custom_ops import ShapeRefusedError, plugin_for_op, unsupported_reason
from .defs import (
    PluginCall,
    PluginDef,
    PluginError,
    PluginInstance,
    PluginNotFoundError,
    declared,
    impl,
    lookup,
    op,
    register,
    require,
    unregister,
)
from .exprs import ShapeExpr, TensorDesc, cdiv, from_shape_expr, max, min  # noqa: A004


def network_plugins(network: Any) -> dict[str, dict[str, Any]]:
    """The plugin ops a reference network uses: {op name: {"source": module that defines it,
    "num_outputs": n}} (what a saved TRTModule records)."""
    found: dict[str, dict[str, Any]] = {}
    for layer in network:
        plugin = getattr(layer, "_plugin", None)
        if plugin is not None:
            found[plugin.plugin_id] = {"source": plugin.definition.source,
                                       "num_outputs": layer.num_outputs}
    return found


def metadata_for(network: Any) -> dict[str, Any]:
    """TRTModule metadata for a network's plugins: "plugins" (op names) and "plugin_info"."""
    found = network_plugins(network)
    if not found:
        return {}
    return {"plugins": sorted(found), "plugin_info": found}


def require_for(metadata: dict[str, Any]) -> None:
    """Check that the plugins a saved TRTModule needs are registered here (loading never
    imports anything: the error says what to import)."""
    names: Iterable[str] = metadata.get("plugins") or []
    info = metadata.get("plugin_info") or {}
    require(names, {k: str(v.get("source", "")) for k, v in info.items()
                    if isinstance(v, dict)})


__all__ = ["register", "impl", "op", "lookup", "require", "unregister", "declared",
           "TensorDesc", "ShapeExpr", "from_shape_expr", "cdiv", "max", "min", "PluginDef",
           "PluginCall", "PluginInstance", "PluginError", "PluginNotFoundError",
           "ShapeRefusedError", "plugin_for_op", "unsupported_reason", "network_plugins",
           "metadata_for", "require_for"]
