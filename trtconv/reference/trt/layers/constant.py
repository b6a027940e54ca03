"""IConstantLayer: weights as a tensor (small integer constants also carry a host value)."""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    INT_TYPES,
    ILayer,
    TensorInfo,
    Weights,
    add_layer,
    as_dims,
    as_weights,
    dims_prop,
    volume,
    weights_prop,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType

MAX_HOST_VALUE = 64  # integer constants up to this size are tracked as shape-tensor values


class IConstantLayer(ILayer):
    layer_type = LayerType.CONSTANT
    shape = dims_prop()
    weights = weights_prop()

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        shape, weights = tuple(self.shape), self.weights
        if any(d < 0 for d in shape):
            raise self.fail(f"constant shape {shape} must not have dynamic dimensions")
        if weights is None or weights.dtype == DataType.BOOL:
            raise self.fail("constant weights must be set and must not be BOOL "
                            "(use INT32 weights and a cast)")
        if weights.size != volume(shape):
            raise self.fail(f"weights have {weights.size} values, shape {shape} needs "
                            f"{volume(shape)}")
        value = None
        if weights.dtype in INT_TYPES and weights.size <= MAX_HOST_VALUE:
            value = tuple(int(v) for v in weights.tensor.tolist())
        return [TensorInfo(shape, weights.dtype, value)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        if not hasattr(self, "_cached"):
            self._cached = self.weights.tensor.reshape(tuple(self.shape))
        return [self._cached]


@_method
def add_constant(self: Any, shape: Any, weights: Weights) -> IConstantLayer:
    weights = as_weights(weights, "add_constant weights")
    layer = add_layer(self, IConstantLayer, "add_constant",
                      {"shape": as_dims(shape, "shape"), "weights": weights}, [])
    layer.shape = shape
    layer.weights = weights
    return layer
