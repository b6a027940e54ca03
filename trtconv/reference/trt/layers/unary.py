"""IUnaryLayer: the 25 UnaryOperations, with the input types TensorRT-RTX accepts for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer, enum_prop
from ..core import network_method as _method
from ..enums import DataType, LayerType, UnaryOperation

_Op = UnaryOperation
_TORCH: dict[UnaryOperation, Callable[[torch.Tensor], torch.Tensor]] = {
    _Op.EXP: torch.exp, _Op.LOG: torch.log, _Op.SQRT: torch.sqrt, _Op.RECIP: torch.reciprocal,
    _Op.ABS: torch.abs, _Op.NEG: torch.neg, _Op.SIN: torch.sin, _Op.COS: torch.cos,
    _Op.TAN: torch.tan, _Op.SINH: torch.sinh, _Op.COSH: torch.cosh, _Op.ASIN: torch.asin,
    _Op.ACOS: torch.acos, _Op.ATAN: torch.atan, _Op.ASINH: torch.asinh, _Op.ACOSH: torch.acosh,
    _Op.ATANH: torch.atanh, _Op.CEIL: torch.ceil, _Op.FLOOR: torch.floor, _Op.ERF: torch.erf,
    _Op.NOT: torch.logical_not, _Op.SIGN: torch.sign,
    _Op.ROUND: torch.round,  # half to even, as TensorRT rounds
    _Op.ISINF: torch.isinf, _Op.ISNAN: torch.isnan,
}
# Integer inputs: only the ops that are exact on integers. (TensorRT-RTX also builds INT8
# RECIP and ERF, whose integer meaning is unclear; the reference refuses those.)
_INTEGER_OPS = frozenset({_Op.ABS, _Op.NEG, _Op.SIGN})
_INTEGER_TYPES = frozenset({DataType.INT8, DataType.INT32, DataType.INT64})
_TO_BOOL = frozenset({_Op.ISINF, _Op.ISNAN})
_HOST: dict[UnaryOperation, Callable[[int], int]] = {
    _Op.ABS: abs, _Op.NEG: lambda v: -v, _Op.SIGN: lambda v: (v > 0) - (v < 0),
}


def accepts(op: UnaryOperation, dtype: DataType) -> bool:
    """Whether TensorRT builds `op` on inputs of type `dtype`."""
    if op == _Op.NOT:
        return dtype == DataType.BOOL
    return dtype in FLOAT_TYPES or (op in _INTEGER_OPS and dtype in _INTEGER_TYPES)


class IUnaryLayer(ILayer):
    """An elementwise function; ISINF and ISNAN give BOOL, the others keep the input type."""

    layer_type = LayerType.UNARY
    op = enum_prop(UnaryOperation, UnaryOperation.EXP)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)[:1]
        if not accepts(self.op, x.dtype):
            raise self.fail(f"{self.op.name} does not accept {x.dtype.name} inputs")
        dtype = DataType.BOOL if self.op in _TO_BOOL else x.dtype
        value = None
        if x.value is not None and self.op in _HOST:  # e.g. a negated shape entry
            value = tuple(None if v is None else _HOST[self.op](v) for v in x.value)
        return [TensorInfo(x.shape, dtype, value)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [_TORCH[self.op](ins[0])]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        fn = _TORCH[self.op]
        return lambda ins: [fn(ins[0])]


@_method
def add_unary(self: Any, input: ITensor, op: UnaryOperation) -> IUnaryLayer:
    layer = add_layer(self, IUnaryLayer, "add_unary", {"input": input, "op": op}, [input])
    layer.op = op
    return layer
