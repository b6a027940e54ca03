import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-5, "rtol": 1e-4}
Q, K, V = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5)
BOOL_MASK = torch.rand(4, 6) > 0.3
BOOL_MASK[1] = False  # a row that sees no key
FLOAT_MASK = torch.randn(2, 1, 4, 6)
FLOAT_MASK[0, 0, 2] = float("-inf")


@pytest.mark.parametrize("kwargs", [
    {}, {"scale": 0.3}, {"is_causal": True}, {"attn_mask": BOOL_MASK},
    {"attn_mask": FLOAT_MASK}, {"attn_mask": FLOAT_MASK, "scale": 1.0},
], ids=["plain", "scale", "causal", "bool_mask", "float_mask", "float_mask_scale"])
def test_sdpa(kwargs):
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs), Q, K, V, **TOL)


@pytest.mark.parametrize("shapes", [
    ((4, 8), (6, 8), (6, 5)), ((3, 4, 8), (3, 6, 8), (3, 6, 5)), ((2, 3, 6, 8),) * 3,
    ((2, 3, 4, 8), (1, 1, 6, 8), (1, 1, 6, 5)),
], ids=["2d", "3d", "self", "broadcast"])
def test_sdpa_shapes(shapes):
    inputs = [torch.randn(s) for s in shapes]
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), *inputs,
             **TOL)


def test_sdpa_traced_mask_gqa_and_half():
    check_op(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m > 0), Q, K,
             V, torch.randn(4, 6), **TOL)
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
             torch.randn(1, 6, 4, 8), torch.randn(1, 2, 5, 8), torch.randn(1, 2, 5, 3), **TOL)
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), Q.half(),
             K.half(), V.half(), atol=2e-3, rtol=1e-2)


def test_sdpa_unsupported():
    check_unsupported(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.5), Q,
                      K, V, op="torch.nn.functional.scaled_dot_product_attention")


def test_sdpa_dynamic_batch():
    q, k, v = Q[:1], K[:1], V[:1]
    check_dynamic(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                  (q, k, v), (Q, K, V), atol=1e-5)
