"""IElementWiseLayer: binary ops on equal-rank, equal-type inputs with 1-broadcasting."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    ILayer,
    ITensor,
    TensorInfo,
    add_layer,
    broadcast_shapes,
    enum_prop,
    volume,
)
from ..core import network_method as _method
from ..enums import DataType, ElementWiseOperation, LayerType

_Op = ElementWiseOperation
_LOGICAL = {_Op.AND, _Op.OR, _Op.XOR}
_COMPARISON = {_Op.EQUAL, _Op.GREATER, _Op.LESS}
_NUMERIC_TYPES = FLOAT_TYPES | {DataType.INT32, DataType.INT64, DataType.INT8}


def _int_div(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


_TORCH: dict[ElementWiseOperation, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    _Op.SUM: torch.add,
    _Op.PROD: torch.mul,
    _Op.MAX: torch.maximum,
    _Op.MIN: torch.minimum,
    _Op.SUB: torch.sub,
    _Op.DIV: _int_div,
    _Op.POW: torch.pow,
    _Op.FLOOR_DIV: lambda a, b: torch.div(a, b, rounding_mode="floor"),
    _Op.AND: torch.logical_and,
    _Op.OR: torch.logical_or,
    _Op.XOR: torch.logical_xor,
    _Op.EQUAL: torch.eq,
    _Op.GREATER: torch.gt,
    _Op.LESS: torch.lt,
}

# Host arithmetic for shape-tensor values (ints); mirrors _TORCH on integers.
_HOST: dict[ElementWiseOperation, Callable[[int, int], int]] = {
    _Op.SUM: operator.add, _Op.PROD: operator.mul, _Op.MAX: max, _Op.MIN: min,
    _Op.SUB: operator.sub, _Op.FLOOR_DIV: operator.floordiv,
    _Op.DIV: lambda a, b: int(a / b), _Op.EQUAL: lambda a, b: int(a == b),
    _Op.GREATER: lambda a, b: int(a > b), _Op.LESS: lambda a, b: int(a < b),
}


class IElementWiseLayer(ILayer):
    layer_type = LayerType.ELEMENTWISE
    op = enum_prop(ElementWiseOperation, ElementWiseOperation.SUM)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        a, b = self.require_inputs(ins, 2)[:2]
        op = self.op
        if a.dtype != b.dtype:
            raise self.fail(f"ElementWiseOperation {op.name} must have same input types, got "
                            f"{a.dtype.name} and {b.dtype.name}")
        if op in _LOGICAL and a.dtype != DataType.BOOL:
            raise self.fail(f"{op.name} needs BOOL inputs, got {a.dtype.name}")
        if op not in _LOGICAL and op != _Op.EQUAL and a.dtype not in _NUMERIC_TYPES:
            raise self.fail(f"{op.name} does not accept {a.dtype.name} inputs")
        shape = broadcast_shapes([a.shape, b.shape], self.name)
        dtype = DataType.BOOL if op in _COMPARISON else a.dtype
        return [TensorInfo(shape, dtype, self._host_value(a, b, shape))]

    def _host_value(self, a: TensorInfo, b: TensorInfo, shape: tuple[int, ...]) -> tuple | None:
        if a.value is None or b.value is None or self.op not in _HOST or len(shape) > 1:
            return None
        n = volume(shape)
        if n < 0:
            return None
        fn = _HOST[self.op]
        av = a.value * n if len(a.value) == 1 else a.value
        bv = b.value * n if len(b.value) == 1 else b.value
        out = []
        for x, y in zip(av, bv):
            try:
                out.append(None if x is None or y is None else fn(x, y))
            except ZeroDivisionError:
                out.append(None)
        return tuple(out)

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [_TORCH[self.op](ins[0], ins[1])]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        fn = _TORCH[self.op]
        return lambda ins: [fn(ins[0], ins[1])]


@_method
def add_elementwise(self: Any, input1: ITensor, input2: ITensor,
                    op: ElementWiseOperation) -> IElementWiseLayer:
    layer = add_layer(self, IElementWiseLayer, "add_elementwise",
                      {"input1": input1, "input2": input2, "op": op}, [input1, input2])
    layer.op = op
    return layer
