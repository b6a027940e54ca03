import math

import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

T = torch.Tensor
A = torch.rand(2, 3, 4) > 0.5
B = torch.rand(2, 3, 4) > 0.5
F = torch.tensor([0.0, 1.5, -2.0, math.nan, 0.0, -0.0])
G = torch.tensor([0.0, 0.0, 3.0, 0.0, math.nan, 1.0])


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("form", ["torch", "method", "inplace"])
def test_logical_binary(name, form):
    fns = {"torch": lambda a, b: getattr(torch, name)(a, b),
           "method": lambda a, b: getattr(a, name)(b),
           "inplace": lambda a, b: getattr(a * 1, name + "_")(b)}
    check_op(fns[form], A, B[0])
    check_op(fns[form], F, G)
    check_op(fns[form], F.int(), G > 0)


@pytest.mark.parametrize("fn", [torch.logical_not, T.logical_not, lambda x: (x * 1).logical_not_()],
                         ids=["torch", "method", "inplace"])
@pytest.mark.parametrize("x", [A, F, F.int(), F.half()], ids=["bool", "f32", "i32", "f16"])
def test_logical_not(fn, x):
    check_op(fn, x)


@pytest.mark.parametrize("fn", [
    lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: ~a,
    lambda a, b: True & a, lambda a, b: False | a, lambda a, b: True ^ a, lambda a, b: a & True,
    torch.bitwise_and, torch.bitwise_or, torch.bitwise_xor, lambda a, b: torch.bitwise_not(a),
    T.bitwise_and, T.bitwise_or, T.bitwise_xor, lambda a, b: a.bitwise_not(),
    lambda a, b: (a | False).bitwise_and_(b), lambda a, b: (a | False).bitwise_or_(b),
    lambda a, b: (a | False).bitwise_xor_(b), lambda a, b: (a | False).bitwise_not_(),
    lambda a, b: a.__iand__(b), lambda a, b: a.__ior__(b), lambda a, b: a.__ixor__(b),
    lambda a, b: (a & b) | ~b,
])
def test_bitwise_bool(fn):
    check_op(fn, A, B)


def _iand(a, b):
    a &= b
    return a


@pytest.mark.parametrize("fn", [lambda a, b: a & b, lambda a, b: ~a, torch.bitwise_or, _iand])
def test_bitwise_int_unsupported(fn):
    ints = torch.tensor([1, 2, 3])
    check_unsupported(fn, ints, ints, op="torch.")


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("args", [(), (0,), (-1,), (1, True), ((0, 2),), ((-1, 0), True)],
                         ids=str)
@pytest.mark.parametrize("x", [A, torch.randn(2, 3, 4).round(), A.int()],
                         ids=["bool", "float", "int"])
def test_any_all(name, args, x):
    x = x.clone()
    x[0, 0] = 1  # one slice all true (for all) and one with a single true (for any)
    x[1] = 0
    check_op(lambda a: (getattr(torch, name)(a, *args), getattr(a, name)(*args)), x)


def test_any_all_keywords_and_nan():
    check_op(lambda a: (torch.any(a, dim=0, keepdim=True), torch.all(a, dim=0), a.all()), F)


def test_dynamic():
    check_dynamic(lambda a, b: ((a & b).any(1), torch.logical_xor(a, b).all()), (A, B),
                  (A[:1], B[:1]))
