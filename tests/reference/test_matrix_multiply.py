"""IMatrixMultiplyLayer: NONE/TRANSPOSE/VECTOR operands, batch broadcast, types, dynamic."""

import pytest
import torch
from harness import check_layer, check_rejected, check_shapes


def matmul(op0="NONE", op1="NONE"):
    def build(trt, net, a, b):
        ops = trt.MatrixOperation
        return net.add_matrix_multiply(a, getattr(ops, op0), b, getattr(ops, op1)).get_output(0)

    return build


def operand(x, op):
    """torch view of an operand: transposed, or a vector as a 1-column matrix."""
    if op == "TRANSPOSE":
        return x.transpose(-1, -2)
    return x.unsqueeze(-1) if op == "VECTOR" else x


def reference(op0, op1):
    def expected(a, b):
        left = operand(a, op0).transpose(-1, -2) if op0 == "VECTOR" else operand(a, op0)
        out = left @ operand(b, op1)
        if op1 == "VECTOR":
            out = out.squeeze(-1)
        return out.squeeze(-2 if op1 != "VECTOR" else -1) if op0 == "VECTOR" else out

    return expected


@pytest.mark.parametrize("op0,op1,a,b", [
    ("NONE", "NONE", (2, 3), (3, 4)),
    ("TRANSPOSE", "NONE", (3, 2), (3, 4)),
    ("NONE", "TRANSPOSE", (2, 3), (4, 3)),
    ("TRANSPOSE", "TRANSPOSE", (5, 3, 2), (5, 4, 3)),
    ("NONE", "NONE", (1, 2, 3), (5, 3, 4)),
    ("NONE", "NONE", (5, 1, 2, 3), (1, 6, 3, 4)),
    ("VECTOR", "NONE", (3,), (3, 4)),
    ("NONE", "VECTOR", (2, 3), (3,)),
    ("VECTOR", "VECTOR", (3,), (3,)),
    ("VECTOR", "VECTOR", (5, 3), (1, 3)),
    ("NONE", "VECTOR", (5, 2, 3), (1, 3)),
    ("VECTOR", "TRANSPOSE", (5, 3), (5, 4, 3)),
    ("NONE", "NONE", (2, 0), (0, 4)),
    ("NONE", "NONE", (0, 2, 3), (1, 3, 4)),
])
def test_matmul(op0, op1, a, b):
    check_layer(matmul(op0, op1), [torch.randn(a), torch.randn(b)], reference(op0, op1),
                atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(dtype):
    a, b = torch.randn(2, 3).to(dtype), torch.randn(3, 4).to(dtype)
    check_layer(matmul(), [a, b], torch.matmul, atol=3e-2, rtol=3e-2)


def test_dynamic_batch():
    check_layer(matmul(), [torch.randn(3, 2, 3), torch.randn(1, 3, 4)], torch.matmul,
                dynamic={0: [0]}, atol=1e-4, rtol=1e-4)


def test_dynamic_batch_meets_a_known_one():
    assert check_shapes(matmul(), [torch.randn(5, 2, 3), torch.randn(5, 3, 4)],
                        dynamic={0: [0]}) == [(5, 2, 4)]


@pytest.mark.parametrize("op0,op1,a,b,dtypes,match", [
    ("NONE", "NONE", (2, 3), (5, 3, 4), None, "ranks"),
    ("VECTOR", "NONE", (2, 3), (3, 4), None, "ranks"),
    ("NONE", "NONE", (2, 3), (4, 4), None, "inner"),
    ("NONE", "NONE", (5, 2, 3), (4, 3, 4), None, "broadcast"),
    ("NONE", "NONE", (3,), (3, 4), None, "at least 2"),
    ("NONE", "NONE", (2, 3), (3, 4), (torch.float32, torch.float16), "same type"),
    ("NONE", "NONE", (2, 3), (3, 4), (torch.int32, torch.int32), "FLOAT"),
])
def test_rejects(op0, op1, a, b, dtypes, match):
    dtypes = dtypes or (torch.float32, torch.float32)
    check_rejected(matmul(op0, op1), [torch.zeros(a, dtype=dtypes[0]),
                                      torch.zeros(b, dtype=dtypes[1])], match)
