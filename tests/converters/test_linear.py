import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-4, "rtol": 1e-4}
W, B = torch.randn(5, 4), torch.randn(5)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4), (2, 1, 3, 4)], ids=str)
def test_linear(shape):
    check_op(lambda x: F.linear(x, W, B), torch.randn(shape), **TOL)
    check_op(lambda x: F.linear(x, W), torch.randn(shape), **TOL)


def test_linear_variants():
    check_op(torch.nn.Linear(4, 6), torch.randn(2, 3, 4), **TOL)
    check_op(lambda x: F.linear(x, W[0]), torch.randn(3, 4), **TOL)  # 1-D weight
    check_op(lambda x, w: F.linear(x, w * 2, w[:, 0]), torch.randn(3, 4), W, **TOL)
    check_op(torch.nn.Linear(4, 6).half(), torch.randn(2, 4).half(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("a,b", [
    ((4,), (4,)), ((4,), (4, 3)), ((4,), (2, 4, 3)), ((2, 4), (4,)), ((3, 2, 4), (4,)),
    ((2, 4), (4, 3)), ((5, 2, 4), (4, 3)), ((2, 4), (5, 4, 3)), ((2, 1, 3, 4), (5, 4, 2)),
    ((2, 1, 3, 4), (1, 6, 4, 2)),
], ids=str)
def test_matmul(a, b):
    check_op(torch.matmul, torch.randn(a), torch.randn(b), **TOL)


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a @ b, ((2, 3), (3, 4))),
    (lambda a, b: a.matmul(b), ((2, 2, 3), (3, 4))),
    (lambda a, b: a.__rmatmul__(b), ((3, 4), (2, 3))),
    (torch.mm, ((2, 3), (3, 4))), (lambda a, b: a.mm(b), ((2, 3), (3, 4))),
    (torch.bmm, ((2, 2, 3), (2, 3, 4))), (lambda a, b: a.bmm(b), ((2, 2, 3), (2, 3, 4))),
    (torch.mv, ((2, 3), (3,))), (lambda a, b: a.mv(b), ((2, 3), (3,))),
    (torch.dot, ((3,), (3,))), (lambda a, b: a.dot(b), ((3,), (3,))),
    (torch.outer, ((3,), (4,))), (lambda a, b: a.outer(b), ((3,), (4,))),
    (torch.ger, ((3,), (4,))), (lambda a, b: a.ger(b), ((3,), (4,))),
], ids=["at", "method", "rmatmul", "mm", "mm_method", "bmm", "bmm_method", "mv", "mv_method",
        "dot", "dot_method", "outer", "outer_method", "ger", "ger_method"])
def test_products(fn, shapes):
    check_op(fn, *(torch.randn(s) for s in shapes), **TOL)


def test_matmul_half_and_outer_int():
    check_op(torch.matmul, torch.randn(2, 3).half(), torch.randn(3, 4).half(), atol=1e-2,
             rtol=1e-2)
    check_op(torch.outer, torch.arange(3, dtype=torch.int32), torch.arange(4, dtype=torch.int32))


@pytest.mark.parametrize("fn,shapes", [
    (lambda c, a, b: torch.addmm(c, a, b), ((2, 4), (2, 3), (3, 4))),
    (lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2), ((4,), (2, 3), (3, 4))),
    (lambda c, a, b: torch.addmm(c * float("nan"), a, b, beta=0), ((2, 4), (2, 3), (3, 4))),
    (lambda c, a, b: c.addmm(a, b, alpha=-1), ((2, 4), (2, 3), (3, 4))),
    (lambda c, a, b: torch.baddbmm(c, a, b, beta=2), ((2, 2, 4), (2, 2, 3), (2, 3, 4))),
    (lambda c, a, b: c.baddbmm(a, b), ((1, 4), (2, 2, 3), (2, 3, 4))),
    (lambda c, a, b: torch.addmv(c, a, b, alpha=3), ((2,), (2, 3), (3,))),
    (lambda c, a, b: c.addmv(a, b), ((2,), (2, 3), (3,))),
], ids=["addmm", "addmm_scaled", "addmm_beta0", "addmm_method", "baddbmm", "baddbmm_method",
        "addmv", "addmv_method"])
def test_add_products(fn, shapes):
    check_op(fn, *(torch.randn(s) for s in shapes), **TOL)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", ((2, 3), (3, 4))), ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
    ("ij,jk", ((2, 3), (3, 4))), ("i,i->", ((3,), (3,))), ("ij->ji", ((2, 3),)),
    ("bhqd,bhkd->bhqk", ((1, 2, 3, 4), (1, 2, 5, 4))),
    ("...ij,...jk->...ik", ((2, 2, 3), (2, 3, 4))),
    ("b i d, b j d -> b i j", ((2, 3, 4), (2, 5, 4))), ("Ij,jK->IK", ((2, 3), (3, 4))),
    ("i,j->ij", ((3,), (4,))), ("...j,j", ((2, 3), (3,))),
], ids=str)
def test_einsum(equation, shapes):
    check_op(lambda *xs: torch.einsum(equation, *xs), *(torch.randn(s) for s in shapes), **TOL)


def test_einsum_list_and_unsupported():
    check_op(lambda a, b: torch.einsum("ij,jk->ik", [a, b]), torch.randn(2, 3), torch.randn(3, 4),
             **TOL)
    check_unsupported(lambda a: torch.einsum("ii->i", a), torch.randn(3, 3), op="torch.einsum")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=str)
def test_bilinear(shape):
    torch.manual_seed(0)
    module = torch.nn.Bilinear(4, 5, 6)
    check_op(module, torch.randn(shape), torch.randn(shape[:-1] + (5,)), **TOL)
    check_op(lambda a, b: torch.bilinear(a, b, module.weight, None), torch.randn(shape),
             torch.randn(shape[:-1] + (5,)), **TOL)


def test_linear_unsupported():
    check_unsupported(torch.matmul, torch.arange(6).reshape(2, 3), torch.arange(3),
                      op="torch.matmul")


def test_linear_dynamic_batch():
    x = torch.randn(1, 3, 4)
    check_dynamic(lambda x: F.linear(x, W, B), x, x.repeat(4, 1, 1), atol=1e-4)
    check_dynamic(lambda x: torch.matmul(x, W.T), x, x.repeat(4, 1, 1), atol=1e-4)
    module = torch.nn.Bilinear(4, 4, 2)
    check_dynamic(lambda x: module(x, x), x, x.repeat(4, 1, 1), atol=1e-4)
