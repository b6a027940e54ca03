"""ITopKLayer: the k largest or smallest values along one axis, and their indices.

k is a static property (0..3840) or a 0-D INT32/INT64 shape tensor on input 1, whose value
must not exceed 3840 either (checked when it is known: at build time for the profile's
extremes, else when the engine runs).
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    SHAPE_TYPES,
    ILayer,
    ITensor,
    Prop,
    TensorInfo,
    add_layer,
    axes_from_mask,
    enum_prop,
    int_prop,
    torch_dtype,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType, Severity, TopKOperation, coerce_enum
from ._common import index_type, int_in_range

MAX_K = 3840
_VALUE_TYPES = FLOAT_TYPES | {DataType.INT8, DataType.INT32, DataType.INT64}


class ITopKLayer(ILayer):
    """Outputs 0 (values, sorted) and 1 (indices of type `indices_type`) along one axis."""

    layer_type = LayerType.TOPK
    num_fixed_outputs = 2
    shape_inputs = frozenset({1})
    op = enum_prop(TopKOperation, TopKOperation.MAX)
    k = Prop(1, int_in_range("k", MAX_K))  # TensorRT refuses (and ignores) others
    axes = int_prop(0)
    indices_type = Prop(DataType.INT32, index_type)

    def max_inputs(self) -> int:
        return 1

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        if x.dtype not in _VALUE_TYPES:
            raise self.fail(f"input has type {x.dtype.name}, which top-k does not accept")
        if x.rank < 2:
            raise self.fail(f"at least 2 dimensions are required for input, got {x.shape}")
        axis = self._axis(x.rank)
        k = self._k_of(ins)
        if k is not None and k > MAX_K:
            raise self.fail(f"k of {k} exceeds the limit of {MAX_K}")
        if k is not None and x.shape[axis] >= 0 and k > x.shape[axis]:
            raise self.fail(f"k of {k} exceeds axis {axis} of length {x.shape[axis]}")
        shape = x.shape[:axis] + (-1 if k is None else k,) + x.shape[axis + 1:]
        return [TensorInfo(shape, x.dtype), TensorInfo(shape, self.indices_type)]

    def _axis(self, rank: int) -> int:
        axes = axes_from_mask(self.axes, rank, self.name)
        if len(axes) != 1:
            raise self.fail(f"axes must name exactly one axis, got {self.axes:#b}")
        return axes[0]

    def _k_of(self, ins: list[TensorInfo | None]) -> int | None:
        """k from input 1 (None while its value is unknown) or the property."""
        spec = ins[1] if len(ins) > 1 else None
        if spec is None:
            return self.k
        if spec.dtype not in SHAPE_TYPES or spec.rank != 0:
            raise self.fail(f"the k input must be a 0-D INT32/INT64 scalar, got "
                            f"{spec.dtype.name} of shape {spec.shape}")
        known = spec.known_value()
        return None if known is None else known[0]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        k = int(ins[1]) if len(ins) > 1 and ins[1] is not None else self.k
        if k > MAX_K:  # a k known only now (from a data-dependent size)
            raise ValueError(f"{self.name}: k of {k} exceeds the limit of {MAX_K}")
        values, indices = torch.topk(x, k, self._axis(x.dim()),
                                     largest=self.op == TopKOperation.MAX, sorted=True)
        return [values, indices.to(torch_dtype(self.indices_type))]


@_method
def add_topk(self: Any, input: ITensor, op: TopKOperation, k: int, axes: int,
             indices_type: DataType | None = None) -> ITopKLayer | None:
    problem = None
    if not 0 <= int(k) <= MAX_K:
        problem = f"invalid TopK k {k}: the valid range is [0, {MAX_K}]"
    elif int(axes) == 0:
        problem = "the axes parameter must have a bit set"
    elif indices_type is not None and coerce_enum(DataType, indices_type) not in SHAPE_TYPES:
        problem = "a TopKLayer can only set indices DataType INT32 or INT64"
    if problem is not None:  # TensorRT logs it and creates no layer
        self._log(Severity.ERROR, f"INetworkDefinition::addTopK: {problem}")
        return None
    args: dict[str, Any] = {"input": input, "op": op, "k": int(k), "axes": int(axes)}
    if indices_type is not None:  # the second overload
        args["indices_type"] = indices_type
    layer = add_layer(self, ITopKLayer, "add_topk", args, [input])
    layer.op, layer.k, layer.axes = op, k, axes
    if indices_type is not None:
        layer.indices_type = indices_type
    return layer
