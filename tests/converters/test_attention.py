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


def _mha(**kwargs):
    torch.manual_seed(0)
    module = torch.nn.MultiheadAttention(8, 2, **kwargs)
    torch.nn.init.normal_(module.in_proj_bias if module.in_proj_bias is not None else
                          torch.empty(1))
    return module.eval()


SEQ = torch.randn(5, 2, 8)  # [L, N, E]
KEY_PAD = torch.tensor([[False, False, True, False, True], [False] * 5])
CAUSAL = torch.nn.Transformer.generate_square_subsequent_mask(5)
MASK3 = torch.randn(4, 5, 5)  # [N * heads, L, S]


@pytest.mark.parametrize("call", [
    lambda m, x: m(x, x, x),
    lambda m, x: m(x, x, x, need_weights=False),
    lambda m, x: m(x, x, x, average_attn_weights=False),
    lambda m, x: m(x, x, x, key_padding_mask=KEY_PAD),
    lambda m, x: m(x, x, x, key_padding_mask=KEY_PAD.float() * -3, need_weights=False),
    lambda m, x: m(x, x, x, attn_mask=CAUSAL, is_causal=True, need_weights=False),
    lambda m, x: m(x, x, x, attn_mask=CAUSAL < 0, key_padding_mask=KEY_PAD),
    lambda m, x: m(x, x, x, attn_mask=MASK3, need_weights=False),
    lambda m, x: m(x[:3], x, x, need_weights=False),
    lambda m, x: m(x[:, 0], x[:, 0], x[:, 0]),  # unbatched
], ids=["weights", "no_weights", "per_head_weights", "key_padding", "float_key_padding",
        "causal_hint", "bool_mask_and_padding", "3d_float_mask", "cross", "unbatched"])
def test_multi_head_attention(call):
    module = _mha()
    check_op(lambda x: [t for t in call(module, x) if t is not None], SEQ, atol=1e-5, rtol=1e-4)


def test_multi_head_attention_variants():
    module = _mha(batch_first=True, bias=False)
    check_op(lambda x: module(x, x, x), SEQ.transpose(0, 1).contiguous(), atol=1e-5, rtol=1e-4)
    module = _mha(kdim=3, vdim=4)
    check_op(lambda q, k, v: module(q, k, v, need_weights=False)[0], SEQ, torch.randn(6, 2, 3),
             torch.randn(6, 2, 4), atol=1e-5, rtol=1e-4)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    check_op(layer, torch.randn(2, 5, 8), atol=1e-4, rtol=1e-4)


def test_sdpa_causal_over_dynamic_sequence_lengths():
    """is_causal with the query and key lengths dynamic: the mask is built at run time."""
    def case(batch: int, length: int, keys: int) -> tuple[torch.Tensor, ...]:
        return (torch.randn(batch, 2, length, 4), torch.randn(batch, 2, keys, 4),
                torch.randn(batch, 2, keys, 5))

    check_dynamic(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                  case(1, 3, 3), case(2, 6, 6), case(1, 5, 2), atol=1e-5)


def _layers(fn, *inputs):
    return check_op(fn, *inputs, **TOL).metadata["num_layers"]


def test_sdpa_constant_mask_that_masks_nothing_adds_no_layer():
    """Export paths build all-true masks where the eager path passes none."""
    plain = _layers(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), Q, K, V)
    everything = torch.ones(2, 1, 4, 6, dtype=torch.bool)
    assert _layers(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=everything), Q, K, V) == plain
    assert _layers(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=torch.zeros(4, 6)), Q, K, V) == plain
    # a mask that masks something is kept
    assert _layers(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=BOOL_MASK), Q, K, V) > plain
