"""ICastLayer and IIdentityLayer: a change of type, and a copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import (
    INT_TYPES,
    QUANT_TYPES,
    ILayer,
    ITensor,
    TensorInfo,
    add_layer,
    enum_prop,
    torch_dtype,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType


class ICastLayer(ILayer):
    layer_type = LayerType.CAST
    to_type = enum_prop(DataType, DataType.FLOAT)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)
        to = self.to_type
        if to in QUANT_TYPES - {DataType.UINT8} or x.dtype in QUANT_TYPES - {DataType.UINT8}:
            if not (to == DataType.INT8 or x.dtype == DataType.INT8):
                raise self.fail(f"cannot cast {x.dtype.name} to {to.name}; use quantize layers")
        value = x.value if x.dtype in INT_TYPES and to in INT_TYPES else None
        return [TensorInfo(x.shape, to, value)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, to = ins[0], torch_dtype(self.to_type)
        if x.is_floating_point() and not to.is_floating_point and to != torch.bool:
            x = x.trunc()  # TensorRT casts float to int by truncation, like C
        return [x.to(to)]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        to = torch_dtype(self.to_type)
        if torch_dtype(ins[0].dtype).is_floating_point and not to.is_floating_point \
                and to != torch.bool:
            return self.execute
        return lambda ins: [ins[0].to(to)]


@_method
def add_cast(self: Any, input: ITensor, to_type: DataType) -> ICastLayer:
    layer = add_layer(self, ICastLayer, "add_cast", {"input": input, "to_type": to_type}, [input])
    layer.to_type = to_type
    return layer


class IIdentityLayer(ILayer):
    layer_type = LayerType.IDENTITY

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)
        return [x]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [ins[0]]


@_method
def add_identity(self: Any, input: ITensor) -> IIdentityLayer:
    return add_layer(self, IIdentityLayer, "add_identity", {"input": input}, [input])
