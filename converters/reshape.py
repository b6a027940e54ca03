"""Shape changes: view/reshape, flatten/unflatten, squeeze/unsqueeze, expand, repeat/tile, and
the identities contiguous/clone.

Every reshape goes through `emit.reshape_to`, which keeps a dynamic input dim dynamic when an
output axis copies it (TensorRT's 0 placeholder) or when a -1 absorbs it, and takes sizes the
model computed from dynamic dims (DimInts) as shape tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, Dim, DimArg, E, ITensor
from trtconv.emit.shapes import is_dynamic
from trtconv.registry import register_spellings, register_table

S = trt.SampleMode


def _aligned(example_in: Sequence[int], example_out: Sequence[int]) -> list[int | None]:
    """Which input axis each output axis keeps, for a reshape given only by sizes: the
    leading and trailing axes whose sizes are unchanged."""
    source: list[int | None] = [None] * len(example_out)
    lead = 0
    while lead < min(len(example_in), len(example_out)) and \
            example_in[lead] == example_out[lead]:
        source[lead] = lead
        lead += 1
    tail = 1
    while tail <= min(len(example_in), len(example_out)) - lead and \
            example_in[-tail] == example_out[-tail]:
        source[len(example_out) - tail] = len(example_in) - tail
        tail += 1
    return source


def view_as_shape(ctx: Ctx, input: torch.Tensor, sizes: Sequence[int]) -> ITensor:
    """`input` reshaped to the torch result's shape, given the sizes the model asked for
    (ints, -1, or DimInts computed from dynamic dims)."""
    x = ctx.trt(input)
    out = tuple(ctx.output.shape)
    if len(sizes) != len(out):
        raise ctx.unsupported(f"reshape sizes {tuple(sizes)} for a result of shape {out}")
    source = _aligned(tuple(input.shape), out)
    shape: list[Dim] = list(out)
    for j, s in enumerate(sizes):
        if not is_dynamic(s):
            continue
        if j < len(x.shape) and x.shape[j] < 0 and s.is_size_of(x, j):
            source[j] = j  # the model passed this input's own size back: copy it in place
        else:
            shape[j], source[j] = s, None
    infer_at = next((j for j, s in enumerate(sizes) if not is_dynamic(s) and s == -1), None)
    if infer_at is None and not any(is_dynamic(d) for d in shape):
        # Sizes the model computed itself (DimInts) already fix every dim; otherwise one
        # lone static size may take TensorRT's -1 so the batch can vary around it.
        free = [j for j, k in enumerate(source) if k is None]
        infer_at = free[0] if len(free) == 1 else None
    return emit.reshape_to(ctx.network, x, shape, source, infer_at)


def convert_view(ctx: Ctx, input: torch.Tensor, *shape: int | Sequence[int] | torch.dtype
                 ) -> ITensor:
    if len(shape) == 1 and isinstance(shape[0], torch.dtype):
        raise ctx.unsupported("view(dtype) reinterprets bits; TensorRT has no bitcast")
    return view_as_shape(ctx, input, emit.varargs(shape))


def convert_reshape(ctx: Ctx, input: torch.Tensor, *shape: int | Sequence[int]) -> ITensor:
    return view_as_shape(ctx, input, emit.varargs(shape))


def convert_view_as(ctx: Ctx, input: torch.Tensor, other: torch.Tensor) -> ITensor:
    if not ctx.is_traced(other):
        return view_as_shape(ctx, input, list(other.shape))
    x, y = ctx.trt(input), ctx.trt(other)
    if x is y:
        return x
    return emit.reshape_to(ctx.network, x, [emit.dim_of(ctx, y, j) for j in range(len(y.shape))])


def convert_flatten(ctx: Ctx, input: torch.Tensor, start_dim: int = 0, end_dim: int = -1
                    ) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    out = tuple(ctx.output.shape)
    if rank == 0:
        return emit.reshape_to(ctx.network, x, out)
    start, end = emit.normalize_dim(start_dim, rank), emit.normalize_dim(end_dim, rank)
    merged = end - start
    source = [j if j < start else None if j == start else j + merged for j in range(len(out))]
    # merging static dims gives a static size: no -1 (which a zero-size tensor leaves
    # undefined, as in TensorRT)
    infer = start if any(d < 0 for d in x.shape[start:end + 1]) else None
    return emit.reshape_to(ctx.network, x, out, source, infer)


def convert_unflatten(ctx: Ctx, input: torch.Tensor, dim: int, sizes: Sequence[int]) -> ITensor:
    x = ctx.trt(input)
    out = tuple(ctx.output.shape)
    axis = emit.normalize_dim(dim, len(x.shape))
    n = len(sizes)
    source = [j if j < axis else None if j < axis + n else j - n + 1 for j in range(len(out))]
    shape = [sizes[j - axis] if axis <= j < axis + n and is_dynamic(sizes[j - axis]) else d
             for j, d in enumerate(out)]
    minus = [axis + i for i, s in enumerate(sizes) if not is_dynamic(s) and s == -1]
    return emit.reshape_to(ctx.network, x, shape, source, minus[0] if minus else None)


def convert_squeeze(ctx: Ctx, input: torch.Tensor, dim: DimArg = None) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    if dim is None:
        dims = [k for k, d in enumerate(input.shape) if d == 1]
    else:
        dims = emit.normalize_dims(dim, rank) if rank else []
    removed = [k for k in dims if input.shape[k] == 1]
    if any(x.shape[k] < 0 for k in removed):
        raise ctx.unsupported("squeeze of a dynamic dim (its size at run time is unknown)")
    source = [k for k in range(rank) if k not in removed]
    return emit.reshape_to(ctx.network, x, tuple(ctx.output.shape), source)


def convert_unsqueeze(ctx: Ctx, input: torch.Tensor, dim: int) -> ITensor:
    x = ctx.trt(input)
    axis = emit.normalize_dim(dim, len(x.shape) + 1)
    source: list[int | None] = list(range(len(x.shape)))
    source.insert(axis, None)
    return emit.reshape_to(ctx.network, x, tuple(ctx.output.shape), source)


def convert_identity(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> ITensor:
    """contiguous/clone: the same values (memory layout has no meaning in TensorRT; detach and
    the other identities are in values.py)."""
    return ctx.trt(input)


def convert_expand(ctx: Ctx, input: torch.Tensor, *args: int | Sequence[int]) -> ITensor:
    x = ctx.trt(input)
    sizes = emit.varargs(args)
    offset = len(sizes) - len(x.shape)
    dims: list[Dim | None] = []
    for j, s in enumerate(sizes):
        k = j - offset
        keep = k >= 0 and (not is_dynamic(s) and (s == -1 or x.shape[k] >= 0 and s == x.shape[k])
                           or x.shape[k] < 0 and is_dynamic(s)
                           and s.is_size_of(x, k))
        if keep:
            dims.append(None)
        elif k >= 0 and x.shape[k] < 0 and not is_dynamic(s) and s == input.shape[k]:
            dims.append(None)  # the example size kept: keep the dynamic size
        else:
            dims.append(s)
    return emit.expand_to(ctx.network, x, dims)


def convert_expand_as(ctx: Ctx, input: torch.Tensor, other: torch.Tensor) -> ITensor:
    x = ctx.trt(input)
    if ctx.is_traced(other):
        dims = emit.dims_of(ctx.network, ctx.trt(other))
    else:
        dims = list(other.shape)
    return emit.expand_to(ctx.network, x, dims)


@tensorrt_converter("torch.broadcast_to")
def convert_broadcast_to(ctx: Ctx, input: torch.Tensor, size: Sequence[int]) -> ITensor:
    return convert_expand(ctx, input, size)


def tile(ctx: Ctx, input: torch.Tensor, reps: Sequence[int]) -> ITensor:
    """`input` repeated `reps` times along each axis (leading axes added): a WRAP slice reads
    the input cyclically over the larger window."""
    x = emit.to_rank(ctx.network, ctx.trt(input), len(reps))
    if all(not is_dynamic(r) and r == 1 for r in reps):
        return x
    have = [emit.dim_of(ctx, x, a) for a in range(len(reps))]
    size = [emit.dim_op(ctx.network, d, r, E.PROD)
            if is_dynamic(r) or r != 1 else None for d, r in zip(have, reps)]
    if any(d == 0 for d in x.shape):  # nothing to read: an empty result
        return emit.full(ctx, [h if s is None else s for h, s in zip(have, size)], 0,
                         ctx.output.dtype)
    return emit.slice_tensor(ctx.network, x, [0] * len(reps), size, [1] * len(reps), S.WRAP)


def convert_repeat(ctx: Ctx, input: torch.Tensor, *sizes: int | Sequence[int]) -> ITensor:
    return tile(ctx, input, emit.varargs(sizes))


def convert_tile(ctx: Ctx, input: torch.Tensor, dims: Sequence[int]) -> ITensor:
    reps = list(dims)
    return tile(ctx, input, [1] * (input.dim() - len(reps)) + reps)


def convert_tile_method(ctx: Ctx, input: torch.Tensor, *dims: int | Sequence[int]) -> ITensor:
    return convert_tile(ctx, input, emit.varargs(dims))


register_spellings({"reshape": convert_reshape, "flatten": convert_flatten,
                    "unflatten": convert_unflatten, "squeeze": convert_squeeze,
                    "unsqueeze": convert_unsqueeze, "clone": convert_identity})
register_table({"torch.Tensor.view": convert_view, "torch.Tensor.view_as": convert_view_as,
                "torch.Tensor.reshape_as": convert_view_as,
                "torch.Tensor.contiguous": convert_identity, "torch.Tensor.expand": convert_expand,
                "torch.Tensor.expand_as": convert_expand_as, "torch.Tensor.repeat": convert_repeat,
                "torch.tile": convert_tile, "torch.Tensor.tile": convert_tile_method})
