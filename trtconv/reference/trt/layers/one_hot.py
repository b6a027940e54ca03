"""IOneHotLayer: indices -> one-hot encodings along a new axis, filled from values [off, on].

Inputs: indices (INT32/INT64, any rank), values (a 1-D tensor of exactly two elements,
`[off_value, on_value]`, whose type is the output type) and depth (a 0-d INT32/INT64 shape
tensor; when its value is not known at build time the new dimension is -1). `axis` (in
`[-rank-1, rank]`, where rank is the indices' rank) is where the new dimension goes.

Indices in `[-depth, depth)` are encoded, negative ones counting from the end (ONNX OneHot);
others give an all-off row.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, int_prop
from ..core import network_method as _method
from ..enums import DataType, LayerType

_INDEX_TYPES = frozenset({DataType.INT32, DataType.INT64})


class IOneHotLayer(ILayer):
    layer_type = LayerType.ONE_HOT
    shape_inputs = frozenset({2})
    axis = int_prop(-1)

    def _axis(self, rank: int) -> int:
        axis = self.axis
        if not -rank - 1 <= axis <= rank:
            raise self.fail(f"axis {axis} is outside of the valid range [{-rank - 1}, {rank}] "
                            f"for indices of rank {rank}")
        return axis % (rank + 1)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        indices, values, depth = self.require_inputs(ins, 3)[:3]
        if indices.dtype not in _INDEX_TYPES:
            raise self.fail(f"indices have type {indices.dtype.name} but must be INT32 or INT64")
        if depth.dtype not in _INDEX_TYPES:
            raise self.fail(f"depth has type {depth.dtype.name} but must be INT32 or INT64")
        if depth.rank != 0:
            raise self.fail(f"depth must be a scalar (0-d) tensor, got shape {depth.shape}")
        if values.rank != 1:
            raise self.fail(f"values must be a 1-D tensor [off_value, on_value], got rank "
                            f"{values.rank}")
        if values.shape[0] >= 0 and values.shape[0] != 2:
            raise self.fail(f"values must contain exactly 2 elements [off_value, on_value], got "
                            f"{values.shape[0]}")
        axis = self._axis(indices.rank)
        known = depth.known_value()
        size = -1 if known is None else int(known[0])
        if size < -1:
            raise self.fail(f"depth must not be negative, got {size}")
        shape = list(indices.shape)
        shape.insert(axis, size)
        return [TensorInfo(tuple(shape), values.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        indices, values, depth = ins[0], ins[1], int(ins[2].item())
        axis = self._axis(indices.dim())
        index = indices.to(torch.int64)
        index = torch.where(index < 0, index + depth, index)
        classes = torch.arange(depth, dtype=torch.int64)
        hot = index.unsqueeze(-1) == classes  # [..., depth]; out-of-range rows stay all off
        out = torch.where(hot, values[1], values[0])
        return [out.movedim(-1, axis).contiguous()]


@_method
def add_one_hot(self: Any, indices: ITensor, values: ITensor, depth: ITensor,
                axis: int) -> IOneHotLayer:
    layer = add_layer(self, IOneHotLayer, "add_one_hot",
                      {"indices": indices, "values": values, "depth": depth, "axis": int(axis)},
                      [indices, values, depth])
    layer.axis = axis
    return layer
