"""Axis order and direction: permute/transpose/t/movedim (a shuffle's transpose), flip and roll
(slices), tril/triu (a select against a constant mask)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, trt
from trtconv.api import Converter, Ctx, E, Ints, ITensor
from trtconv.emit.shapes import is_dynamic
from trtconv.registry import register_spellings


def convert_permute(ctx: Ctx, input: torch.Tensor, *dims: int | Sequence[int]) -> ITensor:
    rank = input.dim()
    order = [emit.normalize_dim(d, rank) for d in emit.varargs(dims)]
    return emit.permute(ctx.network, ctx.trt(input), order)


def convert_transpose(ctx: Ctx, input: torch.Tensor, dim0: int, dim1: int) -> ITensor:
    rank = input.dim()
    order = list(range(rank))
    if rank:
        a, b = emit.normalize_dim(dim0, rank), emit.normalize_dim(dim1, rank)
        order[a], order[b] = order[b], order[a]
    return emit.permute(ctx.network, ctx.trt(input), order)


def convert_t(ctx: Ctx, input: torch.Tensor) -> ITensor:
    return emit.permute(ctx.network, ctx.trt(input), list(range(input.dim()))[::-1])


def convert_movedim(ctx: Ctx, input: torch.Tensor, source: Ints, destination: Ints) -> ITensor:
    rank = input.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [emit.normalize_dim(d, rank) for d in src]
    dst = [emit.normalize_dim(d, rank) for d in dst]
    order: list[int | None] = [None] * rank
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(a for a in range(rank) if a not in src)
    full = [a if a is not None else next(rest) for a in order]
    return emit.permute(ctx.network, ctx.trt(input), full)


def convert_flip(ctx: Ctx, input: torch.Tensor, *dims: int | Sequence[int]) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    axes = emit.normalize_dims(emit.varargs(dims), rank) if rank else []
    if not axes or any(x.shape[a] == 0 for a in axes):
        return x
    sizes = [emit.dim_of(ctx, x, a) if a in axes else None for a in range(rank)]
    start = [emit.dim_op(ctx.network, d, 1, E.SUB) if d is not None else 0 for d in sizes]
    stride = [-1 if a in axes else 1 for a in range(rank)]
    return emit.slice_tensor(ctx.network, x, start, sizes, stride)


def convert_roll(ctx: Ctx, input: torch.Tensor, shifts: Ints, dims: Ints | None = None) -> ITensor:
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


register_spellings({"permute": convert_permute, "movedim": convert_movedim,
                    "moveaxis": convert_movedim, "flip": convert_flip, "roll": convert_roll,
                    "swapaxes": convert_transpose, "swapdims": convert_transpose},
                   in_place=False)
register_spellings({"transpose": convert_transpose, "t": convert_t,
                    "tril": _triangle_converter(lower=True),
                    "triu": _triangle_converter(lower=False)})
