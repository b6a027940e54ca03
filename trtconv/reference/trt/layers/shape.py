"""IShapeLayer: a tensor's dimensions as a 1-D INT64 shape tensor."""

from __future__ import annotations

from typing import Any

import torch

from ..core import DimRef, ILayer, ITensor, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import DataType, LayerType


class IShapeLayer(ILayer):
    layer_type = LayerType.SHAPE

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)
        value = tuple(None if d < 0 else d for d in x.shape)
        # Unknown entries remember which dimension they are (see TensorInfo.symbols).
        symbols = tuple(DimRef(self._inputs[0], i) if d < 0 else None
                        for i, d in enumerate(x.shape)) if -1 in x.shape else None
        return [TensorInfo((x.rank,), DataType.INT64, value, symbols)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [torch.tensor(ins[0].shape, dtype=torch.int64)]


@_method
def add_shape(self: Any, input: ITensor) -> IShapeLayer:
    return add_layer(self, IShapeLayer, "add_shape", {"input": input}, [input])
