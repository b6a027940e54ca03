import math

import pytest
import torch
import torch.nn.functional as F
from harness import check_op
from support.dynamic_harness import check_dynamic

A = torch.randn(4, 5, 6)
B = torch.randn(4, 5, 6)


@pytest.mark.parametrize("fn", [F.cosine_similarity, torch.cosine_similarity])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1}, {"dim": 2, "eps": 1e-3}],
                         ids=str)
def test_cosine_similarity(fn, kwargs):
    check_op(lambda a, b: fn(a, b, **kwargs), A, B)


@pytest.mark.parametrize("other", [torch.randn(6), torch.randn(5, 1), torch.randn(1, 5, 6)],
                         ids=["rank1", "col", "batch1"])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_cosine_similarity_broadcast(other, dim):
    check_op(lambda a, b: (F.cosine_similarity(a, b, dim), F.cosine_similarity(b, a, dim)), A,
             other)


def test_cosine_similarity_zero_vectors_and_eps():
    a = torch.tensor([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = torch.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [-1.0, -2.0, -3.0]])
    check_op(lambda x, y: (F.cosine_similarity(x, y), F.cosine_similarity(x, y, eps=0.5)), a, b)


def test_cosine_similarity_large_values():
    check_op(lambda x, y: F.cosine_similarity(x, y, -1), A * 1e18, B * 1e18)


def test_cosine_similarity_module():
    check_op(torch.nn.CosineSimilarity(dim=2), A, B)


@pytest.mark.parametrize("dtypes", [(torch.int32, torch.float16), (torch.int64, torch.float32),
                                    (torch.float16, torch.float16)], ids=str)
def test_cosine_similarity_dtypes(dtypes):
    a, b = ((A * 4).to(dtypes[0]), (B * 4).to(dtypes[1]))
    check_op(F.cosine_similarity, a, b, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("fn", [F.pairwise_distance, torch.pairwise_distance])
@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True},
                                    {"p": math.inf}, {"p": 0.0}, {"eps": 0.1}], ids=str)
def test_pairwise_distance(fn, kwargs):
    check_op(lambda a, b: fn(a, b, **kwargs), A[0], B[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shapes", [((4, 5, 6), (6,)), ((6,), (6,)), ((3, 6), (1, 6))], ids=str)
def test_pairwise_distance_shapes(shapes):
    check_op(lambda a, b: (F.pairwise_distance(a, b), F.pairwise_distance(a, b, keepdim=True)),
             torch.randn(shapes[0]), torch.randn(shapes[1]))


def test_pairwise_distance_module_and_ints():
    check_op(torch.nn.PairwiseDistance(p=1.5), A[0], B[0])
    check_op(F.pairwise_distance, (A[0] * 4).int(), (B[0] * 4).int())


def test_dynamic_batch():
    check_dynamic(lambda a, b: (F.cosine_similarity(a, b, 2), F.pairwise_distance(a, b)), (A, B),
                  (A[:1], B[:1]), (A.repeat(2, 1, 1), B.repeat(2, 1, 1)))
