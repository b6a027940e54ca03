"""Matrix products with torch.matmul's rank rules on one matrix-multiply layer.

TensorRT needs both operands with the same number of batch axes (size 1 broadcasts): a
VECTOR operand's batch axes are all but its last, a matrix's all but its last two. A 1-D
operand is a vector (torch's rule), so it is given leading 1s to match the other's batch.
"""

from __future__ import annotations

from ..api import ITensor, Network
from ..reference import trt
from .broadcast import to_rank

M = trt.MatrixOperation


def matmul(network: Network, a: ITensor, b: ITensor, transpose_b: bool = False) -> ITensor:
    """`torch.matmul(a, b)` for float ITensors of one dtype; with `transpose_b`, `b` (at least
    2-D) is used with its last two axes swapped (`a @ b.mT`, as F.linear needs)."""
    ra, rb = len(a.shape), len(b.shape)
    if transpose_b and rb < 2:
        raise ValueError("transpose_b needs a matrix operand")
    matrix_b = M.TRANSPOSE if transpose_b else M.NONE
    if ra == 1 and rb == 1:
        op0, op1 = M.VECTOR, M.VECTOR
    elif ra == 1:
        a, op0, op1 = to_rank(network, a, rb - 1), M.VECTOR, matrix_b
    elif rb == 1:
        b, op0, op1 = to_rank(network, b, ra - 1), M.NONE, M.VECTOR
    else:
        rank = max(ra, rb)
        a, b = to_rank(network, a, rank), to_rank(network, b, rank)
        op0, op1 = M.NONE, matrix_b
    return network.add_matrix_multiply(a, op0, b, op1).get_output(0)
