"""IParametricReLULayer: x where x >= 0, else x * slopes (slopes broadcast to the input)."""

from __future__ import annotations

from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import LayerType
from ._common import check_dtype, check_same_dtype, from_compute, to_compute


class IParametricReLULayer(ILayer):
    """Leaky ReLU with per-element slopes, unidirectionally broadcast (equal rank, each slope
    dimension 1 or the input's)."""

    layer_type = LayerType.PARAMETRIC_RELU

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, slopes = self.require_inputs(ins, 2)[:2]
        check_dtype(self, x, FLOAT_TYPES)
        check_same_dtype(self, x, slopes.dtype, "slopes")
        fits = slopes.rank == x.rank and all(
            s in (1, d) or min(s, d) < 0 for s, d in zip(slopes.shape, x.shape))
        if not fits:
            raise self.fail(f"slopes {slopes.shape} must be unidirectionally broadcastable to "
                            f"the input {x.shape}")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, slopes = to_compute(ins[0]), to_compute(ins[1])
        return [from_compute(torch.where(x >= 0, x, x * slopes), ins[0].dtype)]


@_method
def add_parametric_relu(self: Any, input: ITensor, slopes: ITensor) -> IParametricReLULayer:
    return add_layer(self, IParametricReLULayer, "add_parametric_relu",
                     {"input": input, "slopes": slopes}, [input, slopes])
