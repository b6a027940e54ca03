"""IAssertionLayer: a condition the engine checks, failing with `message` where it is false.

The input is a BOOL shape tensor (rank 0 or 1) and the layer has no output. A condition the
builder can decide while checking a profile's extremes is only warned about there, as
TensorRT does; the engine checks it at every execution (after the sizes it depends on are
known, data-dependent ones included) and fails the execution with the message.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import DataType, LayerType
from ._common import init_prop, set_initial


class IAssertionLayer(ILayer):
    layer_type = LayerType.ASSERTION
    num_fixed_outputs = 0
    shape_inputs = frozenset({0})
    message = init_prop("", str)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (condition,) = self.require_inputs(ins, 1)[:1]
        if condition.dtype != DataType.BOOL or condition.rank > 1:
            raise self.fail(f"the condition must be a BOOL tensor of rank 0 or 1, got "
                            f"{condition.dtype.name} of shape {condition.shape}")
        return []

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        if not bool(ins[0].all()):
            raise RuntimeError(f"assertion {self.name!r} failed: {self.message}")
        return []


@_method
def add_assertion(self: Any, condition: ITensor, message: str) -> IAssertionLayer:
    layer = add_layer(self, IAssertionLayer, "add_assertion",
                      {"condition": condition, "message": str(message)}, [condition])
    set_initial(layer, message=str(message))
    return layer
