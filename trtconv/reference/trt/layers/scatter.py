"""IScatterLayer: a copy of `data` with `updates` written at `indices` (ELEMENT or ND mode).

ELEMENT (ONNX ScatterElements): data, indices and updates have the same rank, indices and
updates the same shape, no larger than data in any dimension; along `axis`,
`out[.., indices[i, j], ..] = updates[i, j]`. ND (ONNX ScatterND): the last dimension of indices
(k <= rank of data) addresses the first k dimensions of data, and updates have shape
`indices.shape[:-1] + data.shape[k:]`; `axis` is ignored.

Indices are INT32/INT64, negative ones counting from the end. With duplicate indices the last
write wins in the reference; TensorRT does not define which one wins.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, enum_prop, int_prop
from ..core import network_method as _method
from ..enums import DataType, LayerType, ScatterMode

_INDEX_TYPES = frozenset({DataType.INT32, DataType.INT64})


def _fits(small: int, big: int) -> bool:
    return small < 0 or big < 0 or small <= big


def _same(a: int, b: int) -> bool:
    return a < 0 or b < 0 or a == b


class IScatterLayer(ILayer):
    layer_type = LayerType.SCATTER
    mode = enum_prop(ScatterMode, ScatterMode.ELEMENT)
    axis = int_prop(0)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        data, indices, updates = self.require_inputs(ins, 3)[:3]
        if indices.dtype not in _INDEX_TYPES:
            raise self.fail(f"indices have type {indices.dtype.name} but must be INT32 or INT64")
        if updates.dtype != data.dtype:
            raise self.fail(f"data and updates must have identical types, got "
                            f"{data.dtype.name} and {updates.dtype.name}")
        if self.mode == ScatterMode.ELEMENT:
            self._check_element(data, indices, updates)
        else:
            self._check_nd(data, indices, updates)
        return [TensorInfo(data.shape, data.dtype)]

    def _check_element(self, data: TensorInfo, indices: TensorInfo, updates: TensorInfo) -> None:
        if not data.rank == indices.rank == updates.rank:
            raise self.fail(f"in ELEMENT mode all inputs must have the same rank, got data "
                            f"{data.rank}, indices {indices.rank}, updates {updates.rank}")
        if not -data.rank <= self.axis < data.rank:
            raise self.fail(f"axis {self.axis} is out of range for rank {data.rank}")
        if not all(_same(i, u) for i, u in zip(indices.shape, updates.shape)):
            raise self.fail(f"indices {indices.shape} and updates {updates.shape} must have the "
                            "same shape")
        if not all(_fits(i, d) for i, d in zip(indices.shape, data.shape)):
            raise self.fail(f"indices {indices.shape} must not be larger than data {data.shape} "
                            "in any dimension")

    def _check_nd(self, data: TensorInfo, indices: TensorInfo, updates: TensorInfo) -> None:
        if indices.rank < 1:
            raise self.fail("in ND mode indices must have rank >= 1")
        k = indices.shape[-1]
        if k < 0:
            raise self.fail("in ND mode the last dimension of indices must be known at build "
                            "time")
        if k > data.rank:
            raise self.fail(f"in ND mode the last dimension of indices ({k}) must not exceed the "
                            f"rank of data ({data.rank})")
        want = tuple(indices.shape[:-1]) + tuple(data.shape[k:])
        if len(want) != updates.rank or not all(_same(a, b) for a, b in zip(want, updates.shape)):
            raise self.fail(f"in ND mode updates must have shape indices.shape[:-1] + "
                            f"data.shape[{k}:] = {want}, got {updates.shape}")

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        data, indices, updates = ins[0], ins[1].to(torch.int64), ins[2]
        out = data.clone()
        if self.mode == ScatterMode.ELEMENT:
            axis = self.axis % data.dim()
            indices = torch.where(indices < 0, indices + data.shape[axis], indices)
            return [out.scatter_(axis, indices, updates)]
        k = indices.shape[-1]
        flat = indices.reshape(-1, k)
        sizes = torch.tensor(data.shape[:k], dtype=torch.int64)
        flat = torch.where(flat < 0, flat + sizes, flat)
        rows = updates.reshape((flat.shape[0],) + tuple(data.shape[k:]))
        return [out.index_put_(tuple(flat.t()), rows)]


@_method
def add_scatter(self: Any, data: ITensor, indices: ITensor, updates: ITensor,
                mode: ScatterMode) -> IScatterLayer:
    layer = add_layer(self, IScatterLayer, "add_scatter",
                      {"data": data, "indices": indices, "updates": updates, "mode": mode},
                      [data, indices, updates])
    layer.mode = mode
    return layer
