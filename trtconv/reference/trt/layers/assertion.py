"""IAssertionLayer: a condition on shape tensors, checked whenever shapes are known.

TensorRT evaluates the condition when it can: at build time if the builder can prove an element
false (the build fails), otherwise when input shapes are set, before anything runs (an error
that names the message). The condition is a BOOL shape tensor of rank 0 or 1, at most 64
elements.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, LayerError, Prop, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import DataType, LayerType

MAX_ELEMENTS = 64


class AssertionFailed(LayerError):
    """An assertion layer's condition is false for the shapes being inferred."""


class IAssertionLayer(ILayer):
    layer_type = LayerType.ASSERTION
    num_fixed_outputs = 0
    shape_inputs = frozenset({0})
    message = Prop("", str)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (condition,) = self.require_inputs(ins, 1)
        if condition.dtype != DataType.BOOL:
            raise self.fail(f"the condition must be BOOL, got {condition.dtype.name}")
        if condition.rank > 1 or (condition.rank == 1 and condition.shape[0] > MAX_ELEMENTS):
            raise self.fail(f"the condition must be a shape tensor of rank <= 1 with at most "
                            f"{MAX_ELEMENTS} elements, got shape {condition.shape}")
        value = condition.value
        if value is not None and any(v is not None and not v for v in value):
            raise AssertionFailed(f"{self.name} [ASSERTION]: condition is false: "
                                  f"{self.message}")
        return []

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return []  # checked by inference when shapes are set; nothing runs


@_method
def add_assertion(self: Any, condition: ITensor, message: str) -> IAssertionLayer:
    layer = add_layer(self, IAssertionLayer, "add_assertion",
                      {"condition": condition, "message": str(message)}, [condition])
    layer._props["message"] = str(message)
    return layer
