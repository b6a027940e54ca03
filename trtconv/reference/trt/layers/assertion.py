"""IAssertionLayer: a condition the engine checks, failing with `message` where it is false.

The input is a BOOL shape tensor (rank 0 or 1, at most 64 elements) and the layer has no
output. TensorRT evaluates the condition when it can: a condition the builder can decide while
checking a profile's extremes is only warned about there; when input shapes are set, a
condition computed from them is checked before anything runs (an error naming the message);
one that depends on data (a data-dependent size) is checked as the engine executes.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, LayerError, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import DataType, LayerType
from ._common import init_prop, set_initial

MAX_ELEMENTS = 64


class AssertionFailed(LayerError):
    """An assertion layer's condition is false for the shapes being inferred."""


class IAssertionLayer(ILayer):
    layer_type = LayerType.ASSERTION
    num_fixed_outputs = 0
    shape_inputs = frozenset({0})
    message = init_prop("", str)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (condition,) = self.require_inputs(ins, 1)[:1]
        if condition.dtype != DataType.BOOL or condition.rank > 1 or (
                condition.rank == 1 and condition.shape[0] > MAX_ELEMENTS):
            raise self.fail(f"the condition must be a BOOL tensor of rank 0 or 1 with at most "
                            f"{MAX_ELEMENTS} elements, got {condition.dtype.name} of shape "
                            f"{condition.shape}")
        value = condition.value
        if value is not None and any(v is not None and not v for v in value):
            raise AssertionFailed(f"{self.name} [ASSERTION]: condition is false: "
                                  f"{self.message}")
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
