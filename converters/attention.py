"""scaled_dot_product_attention as matrix multiplies, a softmax and selects.

softmax(q @ k^T * scale + mask) @ v, with torch's masks: a bool mask (and is_causal's lower
triangle, aligned to the upper left) keeps where true, a float mask is added. Rows that mask
every key come out as zeros, as torch's CPU kernels give. These layers build on every
TensorRT (the fused attention layer does not on all).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from trtconv import emit, tensorrt_converter, trt

E = trt.ElementWiseOperation
R = trt.ReduceOperation


def _repeat_heads(ctx: Any, x: Any, heads: int) -> Any:
    """`x` with each of its heads (axis -3) repeated to make `heads` (enable_gqa)."""
    have = x.shape[-3]
    if have == heads:
        return x
    if have < 0 or heads % have:
        raise ctx.unsupported(f"enable_gqa with {heads} query heads over {have} key heads")
    index = ctx.constant(torch.arange(heads, dtype=torch.int32) // (heads // have))
    return ctx.network.add_gather(x, index, len(x.shape) - 3).get_output(0)


@tensorrt_converter("torch.nn.functional.scaled_dot_product_attention")
def convert_scaled_dot_product_attention(ctx: Any, query: Any, key: Any, value: Any,
                                         attn_mask: Any = None, dropout_p: float = 0.0,
                                         is_causal: bool = False, scale: float | None = None,
                                         enable_gqa: bool = False) -> Any:
    network = ctx.network
    if dropout_p:
        raise ctx.unsupported("dropout_p > 0 (random)")
    q, k, v = (ctx.trt(t) for t in (query, key, value))
    if not emit.arith.is_float(q):
        raise ctx.unsupported("attention over non-float tensors")
    if enable_gqa:
        k, v = _repeat_heads(ctx, k, q.shape[-3]), _repeat_heads(ctx, v, q.shape[-3])
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = emit.matmul(network, q, k, transpose_b=True)
    scores = emit.arith.elementwise(network, scores, emit.arith.const(network, scale, scores),
                                    E.PROD)
    masked = is_causal or attn_mask is not None
    blocked = emit.arith.const(network, -math.inf, scores)
    if is_causal:
        length, keys = query.shape[-2], key.shape[-2]
        allowed = ctx.constant(torch.ones(length, keys, dtype=torch.bool).tril())
        scores = emit.arith.select(network, allowed, scores, blocked)
    if attn_mask is not None:
        mask = ctx.trt(attn_mask)
        if mask.dtype == trt.DataType.BOOL:
            scores = emit.arith.select(network, mask, scores, blocked)
        else:
            mask = emit.cast(network, mask, trt.torch_dtype(scores.dtype))
            scores = emit.arith.elementwise(network, scores, mask, E.SUM)
    last = len(scores.shape) - 1
    softmax = network.add_softmax(scores)
    softmax.axes = 1 << last
    probs = softmax.get_output(0)
    if masked:  # a row without any key: zeros, not the softmax's NaNs
        peak = emit.reductions.reduce(network, scores, R.MAX, last, True)
        dead = emit.arith.elementwise(network, peak, blocked, E.EQUAL)
        probs = emit.arith.select(network, dead, emit.arith.const(network, 0.0, probs), probs)
    return emit.matmul(network, probs, v)
