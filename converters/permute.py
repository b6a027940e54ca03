"""Axis order and direction: permute/transpose/t/movedim (a shuffle's transpose), flip and roll
(slices), tril/triu (a select against a constant mask)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Converter, Ctx, E, ITensor
from trtconv.emit.shapes import is_dynamic


def permute(ctx: Ctx, x: ITensor, order: Sequence[int]) -> ITensor:
    return emit.permute(ctx.network, x, order)


def _dims_arg(dims: Sequence[Any]) -> list[int]:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list, torch.Size)):
        return list(dims[0])
    return list(dims)


def convert_permute(ctx: Ctx, input: torch.Tensor, *dims: Any) -> ITensor:
    rank = input.dim()
    return permute(ctx, ctx.trt(input), [emit.normalize_dim(d, rank) for d in _dims_arg(dims)])


for _target in ("torch.permute", "torch.Tensor.permute"):
    tensorrt_converter(_target)(convert_permute)


def convert_transpose(ctx: Ctx, input: torch.Tensor, dim0: int, dim1: int) -> ITensor:
    rank = input.dim()
    order = list(range(rank))
    if rank:
        a, b = emit.normalize_dim(dim0, rank), emit.normalize_dim(dim1, rank)
        order[a], order[b] = order[b], order[a]
    return permute(ctx, ctx.trt(input), order)


for _target in ("torch.transpose", "torch.Tensor.transpose", "torch.Tensor.transpose_",
                "torch.swapaxes", "torch.Tensor.swapaxes", "torch.swapdims",
                "torch.Tensor.swapdims"):
    tensorrt_converter(_target)(convert_transpose)


def convert_t(ctx: Ctx, input: torch.Tensor) -> ITensor:
    return permute(ctx, ctx.trt(input), list(range(input.dim()))[::-1])


for _target in ("torch.t", "torch.Tensor.t", "torch.Tensor.t_"):
    tensorrt_converter(_target)(convert_t)


def convert_movedim(ctx: Ctx, input: torch.Tensor, source: Any, destination: Any) -> ITensor:
    rank = input.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [emit.normalize_dim(d, rank) for d in src]
    dst = [emit.normalize_dim(d, rank) for d in dst]
    order: list[int | None] = [None] * rank
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(a for a in range(rank) if a not in src)
    return permute(ctx, ctx.trt(input), [a if a is not None else next(rest) for a in order])


for _target in ("torch.movedim", "torch.Tensor.movedim", "torch.moveaxis",
                "torch.Tensor.moveaxis"):
    tensorrt_converter(_target)(convert_movedim)


def convert_flip(ctx: Ctx, input: torch.Tensor, *dims: Any) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    axes = emit.normalize_dims(_dims_arg(dims), rank) if rank else []
    if not axes or any(x.shape[a] == 0 for a in axes):
        return x
    sizes = [emit.dim_of(ctx, x, a) if a in axes else None for a in range(rank)]
    start = [emit.dim_op(ctx.network, d, 1, E.SUB) if d is not None else 0 for d in sizes]
    stride = [-1 if a in axes else 1 for a in range(rank)]
    return emit.slice_tensor(ctx.network, x, start, sizes, stride)


for _target in ("torch.flip", "torch.Tensor.flip"):
    tensorrt_converter(_target)(convert_flip)


def convert_roll(ctx: Ctx, input: torch.Tensor, shifts: Any, dims: Any = None) -> ITensor:
    x = ctx.trt(input)
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ctx.unsupported("roll without dims takes one shift")
        flat = emit.reshape_to(ctx.network, x, (input.numel(),), infer_at=0)
        rolled = _roll_axes(ctx, flat, {0: shifts[0]})
        return emit.reshape_to(ctx.network, rolled, tuple(input.shape),
                               list(range(input.dim())))
    dims = [dims] if isinstance(dims, int) else list(dims)
    total: dict[int, int] = {}
    for s, d in zip(shifts, dims):
        axis = emit.normalize_dim(d, input.dim())
        total[axis] = total.get(axis, 0) + int(s)
    return _roll_axes(ctx, x, total)


def _roll_axes(ctx: Ctx, x: ITensor, shifts: dict[int, int]) -> ITensor:
    """torch.roll as one WRAP slice: output i reads input (i - shift) mod n. A dynamic axis
    starts at -shift, which the slice wraps around whatever its length is at run time."""
    rank = len(x.shape)
    lengths = x.shape
    moved = [a for a in range(rank) if shifts.get(a, 0) and (
        lengths[a] < 0 or lengths[a] and shifts[a] % lengths[a])]
    if not moved:
        return x
    dims = emit.dims_of(ctx.network, x)
    start = [(-shifts[a] if lengths[a] < 0 else -shifts[a] % lengths[a]) if a in moved else 0
             for a in range(rank)]
    size = [dims[a] if a in moved else None for a in range(rank)]
    return emit.slice_tensor(ctx.network, x, start, size, [1] * rank, trt.SampleMode.WRAP)


for _target in ("torch.roll", "torch.Tensor.roll"):
    tensorrt_converter(_target)(convert_roll)


def _triangle_converter(lower: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, diagonal: int = 0, *, out: torch.Tensor | None = None
                ) -> ITensor:
        x = ctx.trt(input)
        rows, cols = x.shape[-2], x.shape[-1]
        if rows < 0 or cols < 0 or is_dynamic(diagonal):
            raise ctx.unsupported("tril/triu of dynamic matrix dims")
        ones = torch.ones(rows, cols, dtype=torch.bool)
        mask = (ones.tril if lower else ones.triu)(int(diagonal))
        keep = emit.to_rank(ctx.network, ctx.constant(mask), len(x.shape))
        zero = emit.scalar_like(ctx.network, 0, x)
        return ctx.network.add_select(keep, x, zero).get_output(0)

    return convert


for _name, _lower in (("tril", True), ("triu", False)):
    for _target in (f"torch.{_name}", f"torch.Tensor.{_name}", f"torch.Tensor.{_name}_"):
        tensorrt_converter(_target)(_triangle_converter(_lower))
