"""Embedding lookups: F.embedding and torch.embedding as a gather of the weight's rows.

padding_idx only affects gradients; max_norm renormalizes the weight in place on every call,
which an engine cannot do, so it is reported unsupported.
"""

from __future__ import annotations

import torch

from trtconv import tensorrt_converter
from trtconv.api import Ctx, ITensor
from trtconv.emit import checks


def _lookup(ctx: Ctx, indices: torch.Tensor, weight: torch.Tensor) -> ITensor:
    if indices.dtype not in (torch.int32, torch.int64):
        raise ctx.unsupported(f"embedding indices of {indices.dtype}")
    table, ids = ctx.trt(weight), ctx.trt(indices)
    checks.indices_in_range(ctx, ids, weight.shape[0], "embedding")
    return ctx.network.add_gather(table, ids, 0).get_output(0)


@tensorrt_converter("torch.nn.functional.embedding")
def convert_embedding(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor,
                      padding_idx: int | None = None, max_norm: float | None = None,
                      norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False
                      ) -> ITensor:
    if max_norm is not None:
        raise ctx.unsupported("max_norm (renormalizes the weight in place)")
    return _lookup(ctx, input, weight)


@tensorrt_converter("torch.embedding")
def convert_torch_embedding(ctx: Ctx, weight: torch.Tensor, indices: torch.Tensor,
                            padding_idx: int = -1, scale_grad_by_freq: bool = False,
                            sparse: bool = False) -> ITensor:
    return _lookup(ctx, indices, weight)
