"""IAttention (add_attention_v2 / add_attention): softmax(Q K^T + mask) V, causal kinds, GQA."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected

from trtconv.reference import trt as ref


def sdpa(q, k, v, mask=None, causal=None):
    """PyTorch's attention with TensorRT's conventions: no 1/sqrt(d) scale, causal kinds."""
    sq, skv = q.shape[-2], k.shape[-2]
    if causal is not None:
        shift = 0 if causal == "UPPER_LEFT" else skv - sq
        mask = torch.ones(sq, skv, dtype=torch.bool).tril(shift)
    out = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=(
        mask if mask is None or mask.dtype == torch.bool else mask.float()), scale=1.0,
        enable_gqa=True)
    return out.to(q.dtype)


def build_attention(causal="NONE", norm="SOFTMAX", mask_input=False, v1=None):
    def build(trt, net, q, k, v, *mask):
        if v1 is not None:
            attention = net.add_attention(q, k, v, getattr(trt.AttentionNormalizationOp, norm),
                                          v1)
        else:
            attention = net.add_attention_v2(q, k, v, getattr(trt.AttentionNormalizationOp, norm),
                                             getattr(trt.CausalMaskKind, causal))
        attention.decomposable = True  # the RTX builder has no fused kernel without a GPU
        if mask:
            attention.mask = mask[0]
        return attention.get_output(0)
    return build


def qkv(b=2, hq=4, hkv=4, sq=5, skv=5, d=8, dtype=torch.float32):
    return [(torch.randn(b, h, s, d) * 0.5).to(dtype)
            for h, s in ((hq, sq), (hkv, skv), (hkv, skv))]


@pytest.mark.parametrize("hkv,sq,skv", [(4, 5, 5), (4, 3, 7), (2, 5, 6), (1, 4, 4)])
def test_softmax_attention(hkv, sq, skv):
    check_layer(build_attention(), qkv(hkv=hkv, sq=sq, skv=skv), sdpa, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("causal", ["UPPER_LEFT", "LOWER_RIGHT"])
@pytest.mark.parametrize("sq,skv", [(5, 5), (3, 7)])
def test_causal_kinds(causal, sq, skv):
    check_layer(build_attention(causal), qkv(sq=sq, skv=skv),
                lambda q, k, v: sdpa(q, k, v, causal=causal), atol=1e-5, rtol=1e-4)


def test_add_attention_v1_causal_flag():
    check_layer(build_attention(v1=True), qkv(),
                lambda q, k, v: sdpa(q, k, v, causal="UPPER_LEFT"), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mask_shape", [(2, 4, 5, 6), (1, 1, 5, 6), (2, 1, 1, 6)])
def test_bool_mask(mask_shape):
    mask = torch.rand(mask_shape) > 0.3
    mask[..., 0] = True  # no fully masked row
    check_layer(build_attention(), qkv(sq=5, skv=6) + [mask], sdpa, atol=1e-5, rtol=1e-4)


def test_additive_mask():
    mask = torch.randn(1, 4, 5, 5)
    check_layer(build_attention(), qkv() + [mask], sdpa, atol=1e-5, rtol=1e-4)


def test_no_normalization():
    check_layer(build_attention(norm="NONE"), qkv(hkv=2, sq=3, skv=4),
                lambda q, k, v: (q @ k.repeat_interleave(2, 1).transpose(-1, -2))
                @ v.repeat_interleave(2, 1), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_types(dtype):
    check_layer(build_attention("LOWER_RIGHT"), qkv(sq=4, skv=6, dtype=dtype),
                lambda q, k, v: sdpa(q, k, v, causal="LOWER_RIGHT"), atol=2e-2, rtol=2e-2)


def test_dynamic_batch_and_sequence():
    check_layer(build_attention("UPPER_LEFT"), qkv(),
                lambda q, k, v: sdpa(q, k, v, causal="UPPER_LEFT"),
                dynamic={0: [0, 2], 1: [0, 2], 2: [0, 2]}, atol=1e-5, rtol=1e-4)


def probe_api(trt):
    net = trt.Builder(trt.Logger(trt.Logger.INTERNAL_ERROR)).create_network(0)
    q, k, v = (net.add_input(n, trt.float32, (2, 4, 5, 8)) for n in "qkv")
    m = net.add_input("m", trt.bool, (1, 1, 5, 5))
    a = net.add_attention_v2(q, k, v, trt.AttentionNormalizationOp.SOFTMAX,
                             trt.CausalMaskKind.NONE)
    seen = [a.norm_op.name, a.causal, a.causal_kind.name, a.decomposable, a.num_inputs,
            a.num_outputs, a.query_form.name, a.key_value_form.name, a.num_ranks,
            a.normalization_quantize_to_type.name, a.mask, a.query_lengths,
            a.set_input(0, q), a.set_input(3, m), a.get_output(1)]
    a.mask = m
    seen += [a.mask.name, a.num_inputs]
    try:
        a.causal_kind = trt.CausalMaskKind.UPPER_LEFT
    except RuntimeError as e:
        seen.append(str(e)[:32])
    b = net.add_attention_v2(q, k, v, trt.AttentionNormalizationOp.NONE,
                             trt.CausalMaskKind.LOWER_RIGHT)
    seen += [b.causal]
    b.causal = False
    seen += [b.causal_kind.name]
    b.causal = True
    seen += [b.causal_kind.name]
    c = net.add_attention(q, k, v, trt.AttentionNormalizationOp.SOFTMAX, True)
    seen += [c.causal_kind.name, tuple(c.get_output(0).shape), c.get_output(0).dtype.name]
    b.name = "named"
    seen += [b.name]
    return seen


def test_api_matches_tensorrt():
    from support.layer_harness import rtx
    assert probe_api(ref) == probe_api(rtx())


def test_mask_on_causal_attention_is_refused():
    """TensorRT silently ignores the mask here; the reference refuses it."""
    net = ref.Builder(ref.Logger()).create_network(0)
    q, k, v = (net.add_input(n, ref.float32, (2, 4, 5, 8)) for n in "qkv")
    a = net.add_attention_v2(q, k, v, ref.AttentionNormalizationOp.SOFTMAX,
                             ref.CausalMaskKind.UPPER_LEFT)
    with pytest.raises(RuntimeError, match="mask"):
        a.mask = net.add_input("m", ref.bool, (1, 1, 5, 5))


def test_unsupported_features_fail_loudly_when_run():
    net = ref.Builder(ref.Logger()).create_network(0)
    q, k, v = (net.add_input(n, ref.float32, (1, 1, 2, 4)) for n in "qkv")
    m = net.add_input("m", ref.bool, (1, 1, 2, 2))
    a = net.add_attention_v2(q, k, v, ref.AttentionNormalizationOp.NONE, ref.CausalMaskKind.NONE)
    a.mask = m
    assert tuple(a.get_output(0).shape) == (1, 1, 2, 4)
    with pytest.raises(NotImplementedError, match="norm_op NONE"):
        a.execute([torch.ones(1, 1, 2, 4)] * 3 + [torch.ones(1, 1, 2, 2, dtype=torch.bool)])


@pytest.mark.parametrize("shapes,match", [
    ([(2, 4, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8)], "divisible"),
    ([(2, 4, 5, 8), (2, 4, 5, 8), (2, 4, 6, 8)], "same shape"),
    ([(2, 4, 5, 8), (2, 4, 5, 16), (2, 4, 5, 16)], "head dimension"),
    ([(4, 5, 8), (4, 5, 8), (4, 5, 8)], "4D"),
])
def test_rejects_shapes(shapes, match):
    check_rejected(build_attention(), [torch.randn(s) for s in shapes], match)


def test_rejects_batch_mismatch():
    check_rejected(build_attention(), [torch.randn(2, 4, 5, 8), torch.randn(1, 4, 5, 8),
                                       torch.randn(1, 4, 5, 8)], "batch")


def test_rejects_integer_inputs():
    check_rejected(build_attention(), [torch.ones(1, 1, 2, 4, dtype=torch.int32)] * 3,
                   "FLOAT, HALF or BF16")


@pytest.mark.parametrize("mask,match", [
    (torch.ones(5, 5, dtype=torch.bool), "4D"),
    (torch.ones(2, 4, 5, 3, dtype=torch.bool), "broadcastable"),
    (torch.zeros(1, 1, 5, 5, dtype=torch.float16), "BOOL or the query's type"),
])
def test_rejects_masks(mask, match):
    check_rejected(build_attention(), qkv() + [mask], match)


@pytest.mark.parametrize("form", ["query_form", "key_value_form"])
def test_packed_forms_are_not_modelled(form):
    net = ref.Builder(ref.Logger()).create_network(0)
    q, k, v = (net.add_input(n, ref.float32, (2, 4, 5, 8)) for n in "qkv")
    a = net.add_attention_v2(q, k, v, ref.AttentionNormalizationOp.SOFTMAX,
                             ref.CausalMaskKind.NONE)
    setattr(a, form, ref.AttentionIOForm.PACKED_NHD)
    with pytest.raises(RuntimeError, match="PACKED_NHD"):
        _ = a.get_output(0).shape


def test_normalization_quantization_infers_but_does_not_run():
    net = ref.Builder(ref.Logger()).create_network(0)
    q, k, v = (net.add_input(n, ref.float32, (1, 2, 3, 4)) for n in "qkv")
    s = net.add_input("s", ref.float32, ())
    a = net.add_attention_v2(q, k, v, ref.AttentionNormalizationOp.SOFTMAX,
                             ref.CausalMaskKind.NONE)
    a.normalization_quantize_scale = s
    a.normalization_quantize_to_type = ref.fp8
    assert (a.num_inputs, tuple(a.get_output(0).shape)) == (5, (1, 2, 3, 4))
    x = torch.ones(1, 2, 3, 4)
    with pytest.raises(NotImplementedError, match="normalization_quantize_scale"):
        a.execute([x, x, x, None, torch.tensor(1.0)])
