"""ICumulativeLayer: a running reduction (SUM, TensorRT's only CumulativeOperation) along an axis.

The axis is input 1: a 0-d INT32/INT64 tensor whose value must be known at build time (a
constant), negative values counting from the end. `exclusive` drops the current element and
`reverse` runs from the end; the output has the input's shape and type. HALF/BF16 inputs are
accumulated in FLOAT and rounded once at the end; integer sums wrap like the GPU's.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, bool_prop, enum_prop
from ..core import network_method as _method
from ..enums import CumulativeOperation, DataType, LayerType

_TYPES = frozenset({DataType.FLOAT, DataType.HALF, DataType.BF16, DataType.INT32, DataType.INT64})


class ICumulativeLayer(ILayer):
    layer_type = LayerType.CUMULATIVE
    shape_inputs = frozenset({1})
    op = enum_prop(CumulativeOperation, CumulativeOperation.SUM)
    exclusive = bool_prop(False)
    reverse = bool_prop(False)

    def _axis(self, x: TensorInfo, axis: TensorInfo) -> int:
        if axis.rank != 0:
            raise self.fail(f"the axis (input 1) must be a 0-d tensor, got shape {axis.shape}")
        if axis.dtype not in (DataType.INT32, DataType.INT64):
            raise self.fail(f"the axis (input 1) has type {axis.dtype.name} but must have type "
                            "INT32 or INT64")
        value = axis.known_value()
        if value is None:
            raise self.fail("the axis (input 1) must be a build-time constant")
        a = int(value[0])
        if not -x.rank <= a < x.rank:
            raise self.fail(f"axis {a} is out of range for an input of rank {x.rank}")
        return a % x.rank

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, axis = self.require_inputs(ins, 2)[:2]
        if x.rank < 1:
            raise self.fail("the input must have rank >= 1")
        if x.dtype not in _TYPES:
            raise self.fail(f"input has type {x.dtype.name} but must have type FLOAT, HALF, "
                            "BF16, INT32 or INT64")
        self._axis(x, axis)
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        axis = int(ins[1].item()) % x.dim()
        work = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        if self.reverse:
            work = work.flip(axis)
        out = torch.cumsum(work, dim=axis, dtype=work.dtype)
        if self.exclusive:  # shift by one (not `out - work`, which would round differently)
            out = torch.cat([torch.zeros_like(out.narrow(axis, 0, 1)),
                             out.narrow(axis, 0, out.shape[axis] - 1)], dim=axis) if (
                out.shape[axis]) else out
        if self.reverse:
            out = out.flip(axis)
        return [out.to(x.dtype)]


@_method
def add_cumulative(self: Any, input: ITensor, axis: ITensor, op: CumulativeOperation,
                   exclusive: bool, reverse: bool) -> ICumulativeLayer:
    layer = add_layer(self, ICumulativeLayer, "add_cumulative",
                      {"input": input, "axis": axis, "op": op, "exclusive": exclusive,
                       "reverse": reverse}, [input, axis])
    layer.op = op
    layer.exclusive = exclusive
    layer.reverse = reverse
    return layer
