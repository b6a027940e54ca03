"""IReduceLayer: SUM, PROD, MAX, MIN and AVG over a bitmask of axes, optionally keeping them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    ILayer,
    ITensor,
    Prop,
    TensorInfo,
    add_layer,
    axes_from_mask,
    bool_prop,
    enum_prop,
    volume,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType, ReduceOperation, Severity, coerce_enum
from .constant import MAX_HOST_VALUE

_Op = ReduceOperation
_INTS = frozenset({DataType.INT32, DataType.INT64})
# INT8 reduces with every op but AVG (TensorRT-RTX builds no INT8 mean).
_ACCEPTS: dict[DataType, frozenset] = {
    **{t: frozenset(_Op) - {_Op.NONE} for t in FLOAT_TYPES | _INTS},
    DataType.INT8: frozenset({_Op.SUM, _Op.PROD, _Op.MAX, _Op.MIN}),
}


def _uint32(value: Any) -> int:
    mask = int(value)
    if not 0 <= mask < 1 << 32:
        raise TypeError(f"axes is an unsigned 32-bit bitmask, got {mask}")
    return mask


def _prod(x: torch.Tensor, dims: list[int]) -> torch.Tensor:
    for d in sorted(dims, reverse=True):
        x = x.prod(d, keepdim=True, dtype=x.dtype)
    return x


def _avg(x: torch.Tensor, dims: list[int]) -> torch.Tensor:
    if x.is_floating_point():
        return x.mean(dims, keepdim=True)
    count = math.prod(x.shape[d] for d in dims)  # integer mean truncates, like C division
    return torch.div(x.sum(dims, keepdim=True, dtype=x.dtype), count, rounding_mode="trunc")


_TORCH: dict[ReduceOperation, Callable[[torch.Tensor, list[int]], torch.Tensor]] = {
    _Op.SUM: lambda x, dims: x.sum(dims, keepdim=True, dtype=x.dtype),
    _Op.PROD: _prod,
    _Op.MAX: lambda x, dims: x.amax(dims, keepdim=True),
    _Op.MIN: lambda x, dims: x.amin(dims, keepdim=True),
    _Op.AVG: _avg,
}


def _identity(op: ReduceOperation, dtype: torch.dtype) -> float:
    """The result of reducing nothing: each op's identity element (AVG of nothing is NaN)."""
    big = math.inf if dtype.is_floating_point else torch.iinfo(dtype).max
    return {_Op.SUM: 0, _Op.PROD: 1, _Op.MAX: -big, _Op.MIN: big,
            _Op.AVG: math.nan if dtype.is_floating_point else 0}[op]


class IReduceLayer(ILayer):
    """Reduction over `axes` (bit i = axis i); `keep_dims` keeps them with size 1."""

    layer_type = LayerType.REDUCE
    op = enum_prop(ReduceOperation, ReduceOperation.SUM)
    axes = Prop(0, _uint32)
    keep_dims = bool_prop(False)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)[:1]
        if x.rank < 1:
            raise self.fail("the input needs at least 1 dimension")
        if self.op == _Op.NONE:
            raise self.fail("ReduceOperation.NONE is not a reduction")
        if self.op not in _ACCEPTS.get(x.dtype, ()):
            raise self.fail(f"{self.op.name} does not accept {x.dtype.name} inputs")
        axes = self._axes(x.rank)
        shape = self._reduced(x.shape, axes, self.keep_dims)
        return [TensorInfo(shape, x.dtype, self._host_value(x, shape))]

    def _axes(self, rank: int) -> list[int]:
        if self.axes == 0:
            raise self.fail("no dimensions to be reduced (axes is 0)")
        return axes_from_mask(self.axes, rank, self.name)

    @staticmethod
    def _reduced(shape: tuple[int, ...], axes: list[int], keep: bool) -> tuple[int, ...]:
        if keep:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def _host_value(self, x: TensorInfo, shape: tuple[int, ...]) -> tuple | None:
        """Reductions of known integer values (e.g. the PROD of a shape) are known too."""
        known = x.known_value()
        if known is None or self.op == _Op.AVG or volume(shape) > MAX_HOST_VALUE:
            return None
        (out,) = self.execute([torch.tensor(known, dtype=torch.int64).reshape(x.shape)])
        return tuple(int(v) for v in out.reshape(-1).tolist())

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        shape = tuple(x.shape)
        axes = self._axes(x.dim())
        if math.prod(shape[d] for d in axes) == 0:  # torch refuses some empty reductions
            out = torch.full(self._reduced(shape, axes, True), _identity(self.op, x.dtype),
                             dtype=x.dtype)
        else:
            out = _TORCH[self.op](x, axes)
        return [out.reshape(self._reduced(shape, axes, self.keep_dims))]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        shape = ins[0].shape
        axes = self._axes(len(shape))
        if math.prod(shape[d] for d in axes) == 0:
            return self.execute
        fn, out = _TORCH[self.op], outs[0].shape
        return lambda ins: [fn(ins[0], axes).reshape(out)]


@_method
def add_reduce(self: Any, input: ITensor, op: ReduceOperation, axes: int,
               keep_dims: bool) -> IReduceLayer | None:
    op = coerce_enum(ReduceOperation, op, "op")
    if op == _Op.NONE:  # TensorRT refuses it here: the layer is not created
        self._log(Severity.ERROR, "INetworkDefinition::addReduce: ReduceOperation.NONE is not "
                  "a valid reduction")
        return None
    layer = add_layer(self, IReduceLayer, "add_reduce",
                      {"input": input, "op": op, "axes": _uint32(axes),
                       "keep_dims": bool(keep_dims)}, [input])
    layer.op, layer.axes, layer.keep_dims = op, axes, keep_dims
    return layer
