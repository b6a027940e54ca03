"""scaled_dot_product_attention as matrix multiplies, a softmax and selects.

softmax(q @ k^T * scale + mask) @ v, with torch's masks: a bool mask (and is_causal's lower
triangle, aligned to the upper left) keeps where true, a float mask is added. Rows that mask
every key come out as zeros, as torch's CPU kernels give. These layers build on every
TensorRT (the fused attention layer does not on all).
"""

from __future__ import annotations

import math

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, E, ITensor, Network, R


def _repeat_heads(ctx: Ctx, x: ITensor, heads: int) -> ITensor:
    """`x` with each of its heads (axis -3) repeated to make `heads` (enable_gqa)."""
    have = x.shape[-3]
    if have == heads:
        return x
    if have < 0 or heads % have:
        raise ctx.unsupported(f"enable_gqa with {heads} query heads over {have} key heads")
    index = ctx.constant(torch.arange(heads, dtype=torch.int32) // (heads // have))
    return ctx.network.add_gather(x, index, len(x.shape) - 3).get_output(0)


def _causal_mask(ctx: Ctx, q: ITensor, k: ITensor) -> ITensor:
    """[L, S] bool: key j is visible to query i where j <= i (torch's upper-left alignment);
    built from run-time indices when a sequence length is dynamic."""
    network = ctx.network
    length, keys = q.shape[-2], k.shape[-2]
    if length >= 0 and keys >= 0:
        return ctx.constant(torch.ones(length, keys, dtype=torch.bool).tril())
    length = emit.dim_of(ctx, q, len(q.shape) - 2)
    keys = emit.dim_of(ctx, k, len(k.shape) - 2)
    rows = emit.reshape(network, emit.iota(network, length), (-1, 1))
    cols = emit.reshape(network, emit.iota(network, keys), (1, -1))
    future = emit.arith.elementwise(network, cols, rows, E.GREATER)
    return network.add_unary(future, trt.UnaryOperation.NOT).get_output(0)


def _attend(ctx: Ctx, q: ITensor, k: ITensor, v: ITensor, scale: float, causal: bool = False,
            keep: ITensor | None = None, bias: ITensor | None = None,
            zero_dead_rows: bool = True) -> tuple[ITensor, ITensor]:
    """softmax(q @ k^T * scale + masks) @ v and the probabilities, for ITensors [..., L, E],
    [..., S, E], [..., S, Ev]. `causal` keeps the lower triangle; `keep` (bool) keeps where
    true; `bias` (float) is added. Rows that mask every key are zeros with `zero_dead_rows`
    (torch's attention kernels) and NaN without (torch's softmax)."""
    network = ctx.network
    scores = emit.matmul(network, q, k, transpose_b=True)
    scores = emit.arith.elementwise(network, scores, emit.arith.const(network, scale, scores),
                                    E.PROD)
    masked = causal or keep is not None or bias is not None
    blocked = emit.arith.const(network, -math.inf, scores) if masked else None
    if causal:
        scores = emit.arith.select(network, _causal_mask(ctx, q, k), scores, blocked)
    if keep is not None:
        scores = emit.arith.select(network, keep, scores, blocked)
    if bias is not None:
        scores = emit.arith.elementwise(network, scores, bias, E.SUM)
    last = len(scores.shape) - 1
    softmax = network.add_softmax(scores)
    softmax.axes = 1 << last
    probs = softmax.get_output(0)
    # A causal mask alone leaves every row its first key: only the other masks can empty one.
    if zero_dead_rows and (keep is not None or bias is not None):
        peak = emit.reductions.reduce(network, scores, R.MAX, last, True)
        dead = emit.arith.elementwise(network, peak, blocked, E.EQUAL)
        probs = emit.arith.select(network, dead, emit.arith.const(network, 0.0, probs), probs)
    return emit.matmul(network, probs, v), probs


def _masks_nothing(ctx: Ctx, query: torch.Tensor, mask: torch.Tensor) -> bool:
    """Whether `mask` is a constant that changes no score (bool all true, float all zero) and
    does not widen the result by broadcasting: no layer is needed for it. Libraries' export
    paths build such masks where their eager path passes none (Hugging Face without padding)."""
    if ctx.is_traced(mask) or ctx.output.shape[:-1] != query.shape[:-1]:
        return False
    return bool(mask.all()) if mask.dtype == torch.bool else not bool(mask.any())


@tensorrt_converter("torch.nn.functional.scaled_dot_product_attention")
def convert_scaled_dot_product_attention(ctx: Ctx, query: torch.Tensor, key: torch.Tensor,
                                         value: torch.Tensor,
                                         attn_mask: torch.Tensor | None = None,
                                         dropout_p: float = 0.0,
                                         is_causal: bool = False, scale: float | None = None,
                                         enable_gqa: bool = False) -> ITensor:
    if dropout_p:
        raise ctx.unsupported("dropout_p > 0 (random)")
    q, k, v = (ctx.trt(t) for t in (query, key, value))
    if not emit.arith.is_float(q):
        raise ctx.unsupported("attention over non-float tensors")
    if enable_gqa:
        k, v = _repeat_heads(ctx, k, q.shape[-3]), _repeat_heads(ctx, v, q.shape[-3])
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    keep = bias = None
    if attn_mask is not None and not _masks_nothing(ctx, query, attn_mask):
        mask = ctx.trt(attn_mask)
        if mask.dtype == trt.DataType.BOOL:
            keep = mask
        else:
            bias = emit.cast(ctx.network, mask, trt.torch_dtype(q.dtype))
    return _attend(ctx, q, k, v, scale, is_causal, keep, bias)[0]


# --- nn.MultiheadAttention's functional form ------------------------------------------------


def _project(ctx: Ctx, x: ITensor, weight: torch.Tensor, bias: torch.Tensor | None) -> ITensor:
    """x @ weight^T + bias for constant weights."""
    network = ctx.network
    dtype = trt.torch_dtype(x.dtype)
    y = emit.matmul(network, x, ctx.constant(weight.detach().to(dtype)), transpose_b=True)
    if bias is None:
        return y
    return emit.arith.elementwise(network, y, ctx.constant(bias.detach().to(dtype)), E.SUM)


def _split_heads(network: Network, x: ITensor, heads: int) -> ITensor:
    """[L, N, E] -> [N, heads, L, E / heads]."""
    dims = emit.dims_of(network, x)
    split = emit.reshape(network, x, dims[:2] + [heads, x.shape[2] // heads])
    return emit.permute(network, split, (1, 2, 0, 3))


def _project_heads(ctx: Ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                   heads: int, dtype: torch.dtype) -> ITensor:
    """One of query, key, value ([L, N, E], or unbatched [L, E]) projected and split into
    heads: [N, heads, L, E / heads]."""
    network = ctx.network
    t = emit.cast(network, ctx.trt(x), dtype)
    if x.dim() == 2:  # [L, E] -> [L, 1, E]
        t = emit.reshape(network, t, emit.dims_of(network, t)[:1] + [1, t.shape[-1]])
    return _split_heads(network, _project(ctx, t, weight, bias), heads)


def _additive_mask(ctx: Ctx, mask: torch.Tensor, dtype: torch.dtype) -> ITensor:
    """torch's canonical mask: float as given, bool as -inf where true."""
    network = ctx.network
    m = ctx.trt(mask)
    if m.dtype != trt.DataType.BOOL:
        return emit.cast(network, m, dtype)
    zero = ctx.constant(torch.zeros((1,) * len(m.shape), dtype=dtype))
    return emit.arith.select(network, m, emit.arith.const(network, -math.inf, zero), zero)


@tensorrt_converter("torch.nn.functional.multi_head_attention_forward")
def convert_multi_head_attention_forward(
        ctx: Ctx, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
        embed_dim_to_check: int, num_heads: int, in_proj_weight: torch.Tensor | None,
        in_proj_bias: torch.Tensor | None, bias_k: torch.Tensor | None,
        bias_v: torch.Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: torch.Tensor, out_proj_bias: torch.Tensor | None, training: bool = True,
        key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
        attn_mask: torch.Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: torch.Tensor | None = None, k_proj_weight: torch.Tensor | None = None,
        v_proj_weight: torch.Tensor | None = None, static_k: torch.Tensor | None = None,
        static_v: torch.Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[ITensor, ITensor | None]:
    network = ctx.network
    if training and dropout_p > 0:
        raise ctx.unsupported("dropout in training mode (random)")
    if bias_k is not None or bias_v is not None or add_zero_attn:
        raise ctx.unsupported("add_bias_kv / add_zero_attn")
    if static_k is not None or static_v is not None:
        raise ctx.unsupported("static_k / static_v")
    weights = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else (
        in_proj_weight.chunk(3) if not ctx.is_traced(in_proj_weight) else (in_proj_weight,))
    params = (*weights, in_proj_bias, out_proj_weight, out_proj_bias, in_proj_weight)
    if any(ctx.is_traced(p) for p in params if p is not None):
        raise ctx.unsupported("projection weights computed in the network")
    dtype = emit.compute.stored(ctx.output[0].dtype)
    biases = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
    batched = query.dim() == 3
    q, k, v = (_project_heads(ctx, x, w, b, num_heads, dtype)
               for x, w, b in zip((query, key, value), weights, biases))
    # torch's is_causal is a hint that attn_mask is causal; it uses the triangle itself when
    # neither a key padding mask nor the weights are asked for.
    causal = is_causal and key_padding_mask is None and not need_weights
    bias = None
    if attn_mask is not None and not causal:
        bias = _additive_mask(ctx, attn_mask, dtype)
        heads_dims = [1, 1] if attn_mask.dim() == 2 else [-1, num_heads]
        bias = emit.reshape(network, bias, heads_dims + list(attn_mask.shape[-2:]))
    if key_padding_mask is not None:
        padding = _additive_mask(ctx, key_padding_mask, dtype)
        padding = emit.reshape(network, padding, [-1, 1, 1, key_padding_mask.shape[-1]])
        bias = padding if bias is None else emit.arith.elementwise(network, bias, padding, E.SUM)
    head_dim = query.shape[-1] // num_heads
    out, probs = _attend(ctx, q, k, v, 1.0 / math.sqrt(head_dim), causal, None, bias,
                         zero_dead_rows=not need_weights)
    merged = emit.permute(network, out, (2, 0, 1, 3))  # [L, N, H, D]
    dims = emit.dims_of(network, merged)
    merged = emit.reshape(network, merged, dims[:2] + [query.shape[-1]])
    out = _project(ctx, merged, out_proj_weight, out_proj_bias)
    if not batched:
        out = emit.reshape(network, out, [emit.dims_of(network, out)[0], out.shape[-1]])
    if not need_weights:
        return out, None
    if average_attn_weights:
        probs = emit.reductions.reduce(network, probs, R.AVG, 1, False)
    if not batched:
        probs = emit.reshape(network, probs, emit.dims_of(network, probs)[1:])
    return out, probs
