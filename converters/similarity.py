"""cosine_similarity and pairwise_distance, with torch's formulas.

cosine_similarity (ATen's current one): both inputs broadcast to one shape, each divided by its
2-norm along `dim` clamped to at least `eps`, then the products summed along `dim`.
pairwise_distance: the p-norm of `x1 - x2 + eps` over the last dimension of the broadcast shape.
Integer inputs compute in float32; float16 in float32, rounded at the end.
"""

from __future__ import annotations

import torch

from trtconv import emit
from trtconv.api import Ctx, E, ITensor, R
from trtconv.emit import arith, reductions
from trtconv.emit.compute import finish
from trtconv.registry import register_spellings


def _operands(ctx: Ctx, x1: torch.Tensor, x2: torch.Tensor) -> tuple[ITensor, ITensor]:
    """Both inputs as float32 ITensors of one rank."""
    a, b = emit.promote(ctx, [x1, x2], torch.float32)
    return a, b


def _expand_axis(ctx: Ctx, a: ITensor, b: ITensor, axis: int) -> tuple[ITensor, ITensor]:
    """Broadcast `a` and `b` against each other along `axis` (a norm along `axis` must see the
    broadcast copies): the size-1 side gets zeros of the other's length added."""
    sa, sb = a.shape[axis], b.shape[axis]
    if sa == sb:
        return a, b
    if (sa == 1 and sb < 0) or (sb == 1 and sa < 0):
        raise ctx.unsupported("broadcasting along a dynamic reduced dimension")
    size = max(sa, sb)
    zeros = torch.zeros([size if i == axis else 1 for i in range(len(a.shape))])
    if sa == 1:
        a = arith.elementwise(ctx.network, a, ctx.constant(zeros), E.SUM)
    else:
        b = arith.elementwise(ctx.network, b, ctx.constant(zeros), E.SUM)
    return a, b


def convert_cosine_similarity(ctx: Ctx, x1: torch.Tensor, x2: torch.Tensor, dim: int = 1,
                              eps: float = 1e-8) -> ITensor:
    network = ctx.network
    a, b = _operands(ctx, x1, x2)
    axis = emit.normalize_dim(dim, len(a.shape))
    a, b = _expand_axis(ctx, a, b, axis)
    normalized = []
    for t in (a, b):
        length = reductions.vector_norm(network, t, 2.0, axis, True)
        length = arith.elementwise(network, length, arith.const(network, eps, length), E.MAX)
        normalized.append(arith.elementwise(network, t, length, E.DIV))
    product = arith.elementwise(network, normalized[0], normalized[1], E.PROD)
    return finish(ctx, reductions.reduce(network, product, R.SUM, axis, False))


def convert_pairwise_distance(ctx: Ctx, x1: torch.Tensor, x2: torch.Tensor, p: float = 2.0,
                              eps: float = 1e-6, keepdim: bool = False) -> ITensor:
    network = ctx.network
    a, b = _operands(ctx, x1, x2)
    rank = len(a.shape)
    diff = arith.elementwise(network, a, b, E.SUB)
    diff = arith.elementwise(network, diff, arith.const(network, eps, diff), E.SUM)
    axis = max(rank - 1, 0)
    return finish(ctx, reductions.vector_norm(network, diff, float(p), axis, keepdim))


register_spellings({"cosine_similarity": convert_cosine_similarity,
                    "pairwise_distance": convert_pairwise_distance},
                   namespaces=("torch.nn.functional", "torch"), in_place=False)
