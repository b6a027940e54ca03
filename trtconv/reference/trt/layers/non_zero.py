"""INonZeroLayer: the indices of the non-zero elements, as a (rank, count) tensor.

The count is data-dependent, so the output shape is `(rank, -1)` even for static inputs.
Indices are in row-major order. `indices_type` is INT64 (TensorRT 11's default) unless the
call or the property says INT32; the reference always records it, because TensorRT-RTX's own
default is INT32 and a replay must not depend on the defaults of the target.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, enum_prop, torch_dtype
from ..core import network_method as _method
from ..enums import DataType, LayerType

_TYPES = frozenset({DataType.FLOAT, DataType.HALF, DataType.BF16, DataType.INT32,
                    DataType.INT64, DataType.BOOL})
_INDEX_TYPES = frozenset({DataType.INT32, DataType.INT64})


class INonZeroLayer(ILayer):
    layer_type = LayerType.NON_ZERO
    indices_type = enum_prop(DataType, DataType.INT64)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)[:1]
        if x.dtype not in _TYPES:
            raise self.fail(f"input has type {x.dtype.name} but must have type FLOAT, HALF, "
                            "BF16, INT32, INT64 or BOOL")
        if self.indices_type not in _INDEX_TYPES:
            raise self.fail(f"indices_type must be INT32 or INT64, got {self.indices_type.name}")
        return [TensorInfo((x.rank, -1), self.indices_type)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        found = torch.nonzero(x.reshape(1) if x.dim() == 0 else x).t()
        if x.dim() == 0:
            found = found[:0]
        return [found.to(torch_dtype(self.indices_type)).contiguous()]


@_method
def add_non_zero(self: Any, input: ITensor,
                 indices_type: DataType = DataType.INT64) -> INonZeroLayer:
    args: dict[str, Any] = {"input": input}
    layer = add_layer(self, INonZeroLayer, "add_non_zero", args, [input])
    layer.indices_type = indices_type
    return layer
