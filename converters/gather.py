"""Gathers: gather (TensorRT's ELEMENT mode), index_select (DEFAULT mode) and
take_along_dim (ELEMENT mode after torch's broadcasting)."""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, ITensor
from trtconv.emit import checks
from trtconv.registry import register_spellings


def _indices(ctx: Ctx, index: torch.Tensor) -> ITensor:
    idx = ctx.trt(index)
    if idx.dtype not in (trt.DataType.INT32, trt.DataType.INT64):
        idx = emit.cast(ctx.network, idx, torch.int64)
    return idx


def gather_elements(ctx: Ctx, x: ITensor, idx: ITensor, axis: int) -> ITensor:
    """out[i][j][k] = x[idx[i][j][k]][j][k] (for axis 0): TensorRT's ELEMENT gather."""
    layer = ctx.network.add_gather_v2(x, idx, trt.GatherMode.ELEMENT)
    layer.axis = axis
    return layer.get_output(0)


def convert_gather(ctx: Ctx, input: torch.Tensor, dim: int, index: torch.Tensor, *,
                   sparse_grad: bool = False, out: torch.Tensor | None = None) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    if rank == 0:
        raise ctx.unsupported("gather from a 0-d tensor")
    axis = emit.normalize_dim(dim, rank)
    idx = _indices(ctx, index)
    checks.indices_in_range(ctx, idx, emit.dim_of(ctx, x, axis), "gather")
    # torch reads only the leading part of the other axes; ELEMENT wants them equal: the
    # input is cut to the index's sizes (at run time where either is dynamic).
    size = [None if a == axis or x.shape[a] == idx.shape[a] >= 0 else
            emit.dim_of(ctx, idx, a) for a in range(rank)]
    x = emit.slice_tensor(ctx.network, x, [0] * rank, size, [1] * rank)
    return gather_elements(ctx, x, idx, axis)



def convert_index_select(ctx: Ctx, input: torch.Tensor, dim: int, index: torch.Tensor, *,
                         out: torch.Tensor | None = None) -> ITensor:
    x = ctx.trt(input)
    rank = max(len(x.shape), 1)
    if not x.shape:
        x = emit.reshape(ctx.network, x, (1,))
    idx = _indices(ctx, index)
    checks.indices_in_range(ctx, idx, emit.dim_of(ctx, x, emit.normalize_dim(dim, rank)),
                            "index_select")
    if len(idx.shape) == 0:
        idx = emit.reshape(ctx.network, idx, (1,))
    out_x = ctx.network.add_gather(x, idx, emit.normalize_dim(dim, rank)).get_output(0)
    return emit.reshape_to(ctx.network, out_x, tuple(ctx.output.shape),
                           list(range(len(out_x.shape))))



def convert_take_along_dim(ctx: Ctx, input: torch.Tensor, indices: torch.Tensor,
                           dim: int | None = None, *, out: torch.Tensor | None = None) -> ITensor:
    x, idx = ctx.trt(input), _indices(ctx, indices)
    if dim is None:
        x = emit.reshape_to(ctx.network, x, (input.numel(),), infer_at=0)
        idx = emit.reshape_to(ctx.network, idx, (indices.numel(),), infer_at=0)
        return gather_elements(ctx, x, idx, 0)
    if any(d < 0 for d in x.shape) or any(d < 0 for d in idx.shape):
        raise ctx.unsupported("take_along_dim with dynamic dims")
    rank = max(input.dim(), indices.dim())
    axis = emit.normalize_dim(dim, rank)
    x, idx = emit.to_rank(ctx.network, x, rank), emit.to_rank(ctx.network, idx, rank)
    xs, ix = list(x.shape), list(idx.shape)
    common = list(torch.broadcast_shapes(
        tuple(d if a != axis else 1 for a, d in enumerate(xs)),
        tuple(d if a != axis else 1 for a, d in enumerate(ix))))
    x = emit.expand_to(ctx.network, x, [xs[a] if a == axis else common[a] for a in range(rank)])
    idx = emit.expand_to(ctx.network, idx, [ix[a] if a == axis else common[a]
                                            for a in range(rank)])
    return gather_elements(ctx, x, idx, axis)


register_spellings({"gather": convert_gather, "index_select": convert_index_select,
                    "take_along_dim": convert_take_along_dim}, in_place=False)
