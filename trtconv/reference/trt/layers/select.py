"""ISelectLayer: elementwise choice by a BOOL condition, with equal-rank 1-broadcasting."""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, broadcast_shapes
from ..core import network_method as _method
from ..enums import DataType, LayerType


class ISelectLayer(ILayer):
    """then_input where condition is true, else_input elsewhere; all three broadcast."""

    layer_type = LayerType.SELECT

    def max_inputs(self) -> int:
        return 2

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        cond, then, other = self.require_inputs(ins, 3)[:3]
        if cond.dtype != DataType.BOOL:
            raise self.fail(f"condition has type {cond.dtype.name} but must be BOOL")
        if then.dtype != other.dtype:
            raise self.fail(f"then_input and else_input must have the same type, got "
                            f"{then.dtype.name} and {other.dtype.name}")
        shape = broadcast_shapes([cond.shape, then.shape, other.shape], self.name)
        return [TensorInfo(shape, then.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [torch.where(*ins[:3])]


@_method
def add_select(self: Any, condition: ITensor, then_input: ITensor,
               else_input: ITensor) -> ISelectLayer:
    return add_layer(self, ISelectLayer, "add_select",
                     {"condition": condition, "then_input": then_input, "else_input": else_input},
                     [condition, then_input, else_input])
