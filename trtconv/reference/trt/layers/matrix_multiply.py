"""IMatrixMultiplyLayer: batched matrix/vector products with per-input MatrixOperation.

NONE and TRANSPOSE treat the last two dims as a matrix, VECTOR the last dim as a vector; the
dims before them are batch dims, broadcast where one side is 1. With equal operations the
ranks must be equal; a VECTOR operand has one dim fewer than a matrix partner.
"""

from __future__ import annotations

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
)
from ..core import network_method as _method
from ..enums import LayerType, MatrixOperation

_Op = MatrixOperation


def _split(shape: tuple[int, ...], op: MatrixOperation) -> tuple[tuple[int, ...], tuple]:
    """(batch dims, matrix dims as (rows, cols), or (length,) for a vector)."""
    if op == _Op.VECTOR:
        return shape[:-1], shape[-1:]
    rows, cols = shape[-2:]
    return shape[:-2], (cols, rows) if op == _Op.TRANSPOSE else (rows, cols)


def _operand(x: torch.Tensor, op: MatrixOperation, vector_axis: int) -> torch.Tensor:
    if op == _Op.TRANSPOSE:
        return x.transpose(-1, -2)
    if op == _Op.VECTOR:
        return x.unsqueeze(vector_axis)
    return x


class IMatrixMultiplyLayer(ILayer):
    """op(input0) x op(input1) over broadcast batch dims, in the inputs' (equal) float type."""

    layer_type = LayerType.MATRIX_MULTIPLY
    op0 = enum_prop(MatrixOperation, MatrixOperation.NONE)
    op1 = enum_prop(MatrixOperation, MatrixOperation.NONE)

    def max_inputs(self) -> int:
        return 1

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        a, b = self.require_inputs(ins, 2)[:2]
        if a.dtype != b.dtype:
            raise self.fail(f"inputs must have the same type, got {a.dtype.name} and "
                            f"{b.dtype.name}")
        if a.dtype not in FLOAT_TYPES:
            raise self.fail(f"inputs have type {a.dtype.name} but must be FLOAT, HALF or BF16")
        for i, (x, op) in enumerate(((a, self.op0), (b, self.op1))):
            need = 1 if op == _Op.VECTOR else 2
            if x.rank < need:
                raise self.fail(f"input{i} must have at least {need} dimensions to use with "
                                f"{op.name}, got shape {x.shape}")
        batch_a, mat_a = _split(a.shape, self.op0)
        batch_b, mat_b = _split(b.shape, self.op1)
        if len(batch_a) != len(batch_b):
            raise self.fail(f"input ranks do not fit operations {self.op0.name} and "
                            f"{self.op1.name}: shapes {a.shape} and {b.shape} (a VECTOR "
                            "operand has one dim fewer than a matrix, else ranks are equal)")
        k_a, k_b = mat_a[-1], mat_b[0]
        if k_a >= 0 and k_b >= 0 and k_a != k_b:
            raise self.fail(f"inner dimensions differ: {k_a} of input0 ({a.shape}, "
                            f"{self.op0.name}) and {k_b} of input1 ({b.shape}, {self.op1.name})")
        batch = broadcast_shapes([batch_a, batch_b], self.name)
        return [TensorInfo(batch + mat_a[:-1] + mat_b[1:], a.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return self.specialize([], [])(ins)

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        op0, op1 = self.op0, self.op1

        def run(ins: list[Any]) -> list[torch.Tensor]:
            a = _operand(ins[0], op0, -2)  # a vector on the left is a 1-row matrix
            b = _operand(ins[1], op1, -1)  # on the right a 1-column matrix
            if _one_matrix(a, b):
                # one matrix for every batch: one product of all of a's rows with it (torch's
                # matmul would run one small product per batch element for some shapes)
                rows = a.reshape(-1, a.shape[-1])
                out = torch.mm(rows, b.reshape(b.shape[-2:])).reshape(
                    *a.shape[:-1], b.shape[-1])
            else:
                out = torch.matmul(a, b)
            if op1 == _Op.VECTOR:
                out = out.squeeze(-1)
            if op0 == _Op.VECTOR:
                out = out.squeeze(-2 if op1 != _Op.VECTOR else -1)
            return [out]

        return run

    def _specialize_with_bias(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                              ) -> Callable[[list[Any]], list[torch.Tensor]] | None:
        """This product plus a bias along its last axis (input 2, shaped (1, ..., 1, N)), as
        one step: the bias added in the product's epilogue (None: not a matrix product of
        matrices)."""
        if self.op0 == _Op.VECTOR or self.op1 == _Op.VECTOR:
            return None
        op0, op1 = self.op0, self.op1

        def run(ins: list[Any]) -> list[torch.Tensor]:
            a, b = _operand(ins[0], op0, -2), _operand(ins[1], op1, -1)
            if _one_matrix(a, b):
                rows = a.reshape(-1, a.shape[-1])
                out = torch.addmm(ins[2].reshape(-1), rows, b.reshape(b.shape[-2:]))
                return [out.reshape(*a.shape[:-1], b.shape[-1])]
            return [torch.matmul(a, b) + ins[2]]

        return run


def _one_matrix(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether `b` is one matrix for all of `a`'s (several) batch dims."""
    return a.dim() > 2 and a.dim() >= b.dim() and all(d == 1 for d in b.shape[:-2])


@_method
def add_matrix_multiply(self: Any, input0: ITensor, op0: MatrixOperation, input1: ITensor,
                        op1: MatrixOperation) -> IMatrixMultiplyLayer:
    layer = add_layer(self, IMatrixMultiplyLayer, "add_matrix_multiply",
                      {"input0": input0, "op0": op0, "input1": input1, "op1": op1},
                      [input0, input1])
    layer.op0, layer.op1 = op0, op1
    return layer
