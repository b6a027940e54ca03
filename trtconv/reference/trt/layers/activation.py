"""IActivationLayer: the 14 activation functions, with TensorRT's alpha/beta meanings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer, enum_prop, float_prop
from ..core import network_method as _method
from ..enums import ActivationType, DataType, LayerType

_A = ActivationType
_FORMULAS: dict[ActivationType, Callable[[torch.Tensor, float, float], torch.Tensor]] = {
    _A.RELU: lambda x, a, b: torch.relu(x),
    _A.SIGMOID: lambda x, a, b: torch.sigmoid(x),
    _A.TANH: lambda x, a, b: torch.tanh(x),
    _A.LEAKY_RELU: lambda x, a, b: torch.where(x >= 0, x, x * a),
    _A.ELU: lambda x, a, b: torch.where(x >= 0, x, a * torch.expm1(x)),
    _A.SELU: lambda x, a, b: b * torch.where(x >= 0, x, a * torch.expm1(x)),
    _A.SOFTSIGN: lambda x, a, b: x / (1 + x.abs()),
    _A.SOFTPLUS: lambda x, a, b: a * torch.log1p(torch.exp(b * x)),
    _A.CLIP: lambda x, a, b: x.clamp(a, b),
    _A.HARD_SIGMOID: lambda x, a, b: (a * x + b).clamp(0, 1),
    _A.SCALED_TANH: lambda x, a, b: a * torch.tanh(b * x),
    _A.THRESHOLDED_RELU: lambda x, a, b: torch.where(x > a, x, torch.zeros_like(x)),
    # 0.5 x (1 + erf(x / sqrt(2))) and 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), each
    # in one kernel
    _A.GELU_ERF: lambda x, a, b: torch.nn.functional.gelu(x),
    _A.GELU_TANH: lambda x, a, b: torch.nn.functional.gelu(x, approximate="tanh"),
}
# TensorRT accepts integer inputs for RELU only (checked against TensorRT-RTX).
_RELU_INTS = frozenset({DataType.INT8, DataType.INT32, DataType.INT64})


class IActivationLayer(ILayer):
    layer_type = LayerType.ACTIVATION
    type = enum_prop(ActivationType, ActivationType.RELU)
    alpha = float_prop(0.0)
    beta = float_prop(0.0)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)
        allowed = FLOAT_TYPES | _RELU_INTS if self.type == ActivationType.RELU else FLOAT_TYPES
        if x.dtype not in allowed:
            raise self.fail(f"{self.type.name} needs a float input, got {x.dtype.name}")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [_FORMULAS[self.type](ins[0], self.alpha, self.beta)]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        formula, alpha, beta = _FORMULAS[self.type], self.alpha, self.beta
        return lambda ins: [formula(ins[0], alpha, beta)]


@_method
def add_activation(self: Any, input: ITensor, type: ActivationType) -> IActivationLayer:
    layer = add_layer(self, IActivationLayer, "add_activation", {"input": input, "type": type},
                      [input])
    layer.type = type
    return layer
