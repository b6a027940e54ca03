"""IGatherLayer: DEFAULT (ONNX Gather), ELEMENT (GatherElements) and ND (GatherND) modes.

Indices are INT32 or INT64. A negative index counts from the end of its axis; an index still
out of range reads zero (TensorRT stores zero for out-of-bounds access).
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    SHAPE_TYPES,
    ILayer,
    ITensor,
    TensorInfo,
    add_layer,
    broadcast_dims,
    enum_prop,
    int_prop,
    moved_value,
    volume,
)
from ..core import network_method as _method
from ..enums import GatherMode, LayerType
from .constant import MAX_HOST_VALUE


def _wrap(index: torch.Tensor, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices with negatives counted from the end, clamped into range, and the in-range mask."""
    index = torch.where(index < 0, index + d, index)
    inside = (index >= 0) & (index < d)
    return index.clamp(0, max(d - 1, 0)), inside


def _zero_outside(out: torch.Tensor, inside: torch.Tensor, outside: int) -> torch.Tensor:
    return torch.where(inside, out, torch.full((), outside, dtype=out.dtype))


def _gather_default(data: torch.Tensor, index: torch.Tensor, axis: int,
                    outside: int) -> torch.Tensor:
    """data[..., index, ...] along `axis`: the axis is replaced by the index's dims."""
    d = data.shape[axis]
    safe, inside = _wrap(index.long(), d)
    shape = data.shape[:axis] + index.shape + data.shape[axis + 1:]
    if d == 0:  # nothing to read; only zeros (index_select refuses an empty source)
        return torch.full(shape, outside, dtype=data.dtype)
    out = data.index_select(axis, safe.reshape(-1)).reshape(shape)
    view = (1,) * axis + tuple(index.shape) + (1,) * (data.dim() - axis - 1)
    return _zero_outside(out, inside.reshape(view), outside)


def _gather_batched(data: torch.Tensor, index: torch.Tensor, axis: int,
                    outside: int) -> torch.Tensor:
    """DEFAULT with one elementwise dim: batch b of data gathers with batch b of the index
    (a batch of size 1 broadcasts)."""
    batch = max(data.shape[0], index.shape[0]) if 0 not in (data.shape[0], index.shape[0]) else 0
    data = data.expand(batch, *data.shape[1:])
    index = index.expand(batch, *index.shape[1:])
    parts = [_gather_default(data[b], index[b], axis - 1, outside) for b in range(batch)]
    if not parts:
        return torch.empty((0, *data.shape[1:axis], *index.shape[1:], *data.shape[axis + 1:]),
                           dtype=data.dtype)
    return torch.stack(parts)


def _gather_element(data: torch.Tensor, index: torch.Tensor, axis: int,
                    outside: int) -> torch.Tensor:
    safe, inside = _wrap(index.long(), data.shape[axis])
    if data.shape[axis] == 0 or index.numel() == 0:
        return torch.full(index.shape, outside, dtype=data.dtype)
    return _zero_outside(torch.gather(data, axis, safe), inside, outside)


def _gather_nd(data: torch.Tensor, index: torch.Tensor, batch_dims: int,
               outside: int) -> torch.Tensor:
    """out[b, i] = data[b, index[b, i, 0], ..., index[b, i, k-1]] for the leading batch dims."""
    k = index.shape[-1]
    out_shape = index.shape[:-1] + data.shape[batch_dims + k:]
    batches = volume(data.shape[:batch_dims])
    data_b = data.reshape(batches, *data.shape[batch_dims:])
    index_b = index.long().reshape(batches, -1, k)
    inside = torch.ones(index_b.shape[:-1], dtype=torch.bool)
    coords = []
    for j in range(k):
        safe, ok = _wrap(index_b[..., j], data.shape[batch_dims + j])
        coords.append(safe)
        inside &= ok
    if data_b.numel() == 0 or index_b.numel() == 0:
        return torch.full(out_shape, outside, dtype=data.dtype)
    rows = torch.arange(batches).unsqueeze(1).expand(index_b.shape[:-1])
    out = data_b[(rows, *coords)]
    view = inside.reshape(*inside.shape, *(1,) * (out.dim() - inside.dim()))
    return _zero_outside(out, view, outside).reshape(out_shape)


class IGatherLayer(ILayer):
    """Gather in all three modes; a DEFAULT gather from a shape tensor carries host values."""

    layer_type = LayerType.GATHER
    axis = int_prop(0)
    mode = enum_prop(GatherMode, GatherMode.DEFAULT)
    num_elementwise_dims = int_prop(0)

    def max_inputs(self) -> int:
        return 1

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        data, index = self.require_inputs(ins, 2)[:2]
        if data.rank < 1:
            raise self.fail("the data input must have rank >= 1, got a scalar")
        if index.dtype not in SHAPE_TYPES:
            raise self.fail(f"indices have type {index.dtype.name} but must have type INT32 "
                            "or INT64")
        shape = {GatherMode.DEFAULT: self._default_shape, GatherMode.ELEMENT: self._element_shape,
                 GatherMode.ND: self._nd_shape}[self.mode](data, index)
        value = symbols = None
        if self.mode == GatherMode.DEFAULT and index.known_value() is not None:
            indices = torch.tensor(index.known_value()).reshape(index.shape)
            value, symbols = moved_value([data], lambda p: self._gather(p, indices, -1),
                                         MAX_HOST_VALUE)
        return [TensorInfo(shape, data.dtype, value, symbols)]

    def _check_axis(self, data: TensorInfo, low: int) -> int:
        if not low <= self.axis < data.rank:
            raise self.fail(f"axis must be in [num_elementwise_dims, rank of input) = "
                            f"[{low}, {data.rank}), got {self.axis}")
        return self.axis

    def _default_shape(self, data: TensorInfo, index: TensorInfo) -> tuple[int, ...]:
        ned = self.num_elementwise_dims
        if ned not in (0, 1):
            raise self.fail(f"num_elementwise_dims must be 0 or 1 in DEFAULT mode, got {ned}")
        axis = self._check_axis(data, ned)
        if ned and index.rank < 1:
            raise self.fail("with num_elementwise_dims 1 the indices need rank >= 1")
        batch = (broadcast_dims(data.shape[0], index.shape[0], self.name),) if ned else ()
        return batch + data.shape[ned:axis] + index.shape[ned:] + data.shape[axis + 1:]

    def _element_shape(self, data: TensorInfo, index: TensorInfo) -> tuple[int, ...]:
        if self.num_elementwise_dims != 0:
            raise self.fail("num_elementwise_dims must be 0 in ELEMENT mode")
        axis = self._check_axis(data, 0)
        if index.rank != data.rank:
            raise self.fail(f"ELEMENT mode needs indices of the data's rank {data.rank}, got "
                            f"shape {index.shape}")
        for d, (i, s) in enumerate(zip(index.shape, data.shape)):
            if d != axis and i >= 0 and s >= 0 and i > s:
                raise self.fail(f"dimension {d} of the indices ({i}) must be <= the data's "
                                f"({s})")
        return index.shape

    def _nd_shape(self, data: TensorInfo, index: TensorInfo) -> tuple[int, ...]:
        ned = self.num_elementwise_dims
        if not 0 <= ned < data.rank:
            raise self.fail(f"num_elementwise_dims must be in [0, {data.rank}) in ND mode, "
                            f"got {ned}")
        if index.rank < 1 or index.shape[-1] < 0:
            raise self.fail("ND mode needs indices of rank >= 1 with a build-time last dim")
        k = index.shape[-1]
        if k > data.rank - ned:
            raise self.fail(f"ND indices address {k} dims but the data has only "
                            f"{data.rank - ned} after the elementwise ones")
        for d in range(ned):
            a, b = data.shape[d], index.shape[d]
            if a >= 0 and b >= 0 and a != b:
                raise self.fail(f"elementwise dim {d} differs: data {a}, indices {b}")
        return index.shape[:-1] + data.shape[ned + k:]

    def _gather(self, data: torch.Tensor, index: torch.Tensor, outside: int) -> torch.Tensor:
        if self.mode == GatherMode.ELEMENT:
            return _gather_element(data, index, self.axis, outside)
        if self.mode == GatherMode.ND:
            return _gather_nd(data, index, self.num_elementwise_dims, outside)
        if self.num_elementwise_dims:
            return _gather_batched(data, index, self.axis, outside)
        return _gather_default(data, index, self.axis, outside)

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [self._gather(ins[0], ins[1], 0)]


@_method
def add_gather(self: Any, input: ITensor, indices: ITensor, axis: int) -> IGatherLayer:
    layer = add_layer(self, IGatherLayer, "add_gather",
                      {"input": input, "indices": indices, "axis": int(axis)}, [input, indices])
    layer.axis = axis
    return layer


@_method
def add_gather_v2(self: Any, input: ITensor, indices: ITensor, mode: GatherMode) -> IGatherLayer:
    layer = add_layer(self, IGatherLayer, "add_gather_v2",
                      {"input": input, "indices": indices, "mode": mode}, [input, indices])
    layer.mode = mode
    return layer
