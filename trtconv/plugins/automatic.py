"""The converter that turns a custom op call into a plugin layer, and the trace's fallback
that hands it out for custom ops without a converter (`custom_op_plugins=True`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from torch._ops import OpOverload

from ..reference import trt
from ..registry import ConverterSpec
from ..targets import Target
from .custom_ops import (
    conflicting_declaration,
    is_custom,
    overload_of,
    plugin_for_op,
)
from .defs import PluginError


def plugin_converter(op: OpOverload) -> Callable[..., Any]:
    """A converter that adds `op`'s call as a plugin layer (refusing with the reason when the
    op cannot be a plugin, or its output shapes cannot follow the inputs')."""

    def convert_custom_op(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            plugin = plugin_for_op(op)
            clash = conflicting_declaration(op)
            if clash is not None:
                raise PluginError(f"a trtconv.plugins declaration ({clash.source}) already "
                                  f"uses the name {plugin.id}")
            tensors, attrs = plugin.split_call(args, kwargs)
            inputs = [ctx.trt(t) for t in tensors]
            plugin.describe([(tuple(t.shape), trt.torch_dtype(t.dtype)) for t in inputs], attrs)
            call = plugin(*inputs, **attrs)
        except PluginError as e:
            raise ctx.unsupported(str(e)) from None
        layer = ctx.network.add_plugin(call)
        outputs = [layer.get_output(i) for i in range(layer.num_outputs)]
        return outputs[0] if len(outputs) == 1 else outputs

    convert_custom_op.__qualname__ = f"plugin_converter.<{op}>"
    return convert_custom_op


_SPECS: dict[OpOverload, ConverterSpec] = {}
_LOCK = threading.Lock()


def custom_op_fallback(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                       ) -> ConverterSpec | None:
    """The plugin converter for a call of a custom (non-aten) op, else None."""
    op = overload_of(func, args, kwargs)
    if op is None or not is_custom(op):
        return None
    with _LOCK:
        if op not in _SPECS:
            where = Target(str(op), "op", op=op)
            _SPECS[op] = ConverterSpec(str(op), plugin_converter(op), location=where)
        return _SPECS[op]

