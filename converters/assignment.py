"""Writing through a key: `x[key] = value` and masked_fill.

`x[key] = value` rebinds `x` to the updated tensor: a select for one value, else a scatter of
the values at the positions `key` reads (converters/indexing.py) from a constant table of
element positions. Where `x` has dynamic dims or the bounds are computed from sizes, no such
table exists: ints and slices become a mask of the coordinates inside the window, and the
value is gathered to each coordinate's window position, then selected. A scalar written
through a boolean mask, even one computed by the network (`x[x < 0] = 0`), is a select.
"""

from __future__ import annotations

import torch
from trtconv.converters import indexing
from trtconv.converters.indexing import Entry, Plan

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, Dim, E, ITensor, Network, TensorLike
from trtconv.emit.shapes import is_dynamic
from trtconv.registry import register_spellings


def _is_scalar(ctx: Ctx, value: object) -> bool:
    """A value that is one element: a Python number or a one-element tensor (one at every
    shape in the profile, not only at the example)."""
    if not isinstance(value, torch.Tensor):
        return isinstance(value, (bool, int, float))
    return value.numel() == 1 and (not ctx.is_traced(value) or
                                   all(d >= 0 for d in ctx.trt(value).shape))


def _scalar(ctx: Ctx, value: TensorLike, dtype: torch.dtype, rank: int) -> ITensor:
    """A one-element value as a (1,)*rank ITensor of `dtype`."""
    if isinstance(value, torch.Tensor):
        return emit.reshape(ctx.network, emit.cast(ctx.network, ctx.trt(value), dtype),
                            (1,) * rank)
    return ctx.constant(torch.tensor(value, dtype=dtype).reshape((1,) * rank))


def _mask_key(key: object) -> torch.Tensor | None:
    """The boolean mask when the key is a single one (`x[mask] = v`)."""
    items = key if isinstance(key, tuple) else (key,)
    if len(items) == 1 and isinstance(items[0], torch.Tensor) and items[0].dtype == torch.bool \
            and items[0].dim() > 0:
        return items[0]
    return None


def assign(ctx: Ctx, input: torch.Tensor, key: object, value: TensorLike) -> ITensor:
    """The ITensor of `input` after `input[key] = value`."""
    net = ctx.network
    x = ctx.trt(input)
    dtype = emit.storable_dtype(ctx, input.dtype)
    rank = input.dim()
    mask = _mask_key(key)
    if mask is not None and _is_scalar(ctx, value):
        extra = rank - mask.dim()
        cond = emit.reshape_to(net, ctx.trt(mask), tuple(mask.shape) + (1,) * extra,
                               list(range(mask.dim())) + [None] * extra)
        return emit.arith.select(net, cond, _scalar(ctx, value, dtype, rank), x)
    items = key if isinstance(key, tuple) else (key,)
    if any(d < 0 for d in x.shape) or any(is_dynamic(i) or isinstance(i, slice) and any(map(
            is_dynamic, (i.start, i.stop, i.step))) for i in items):
        entries = indexing.expand_ellipsis(ctx, indexing.key_entries(ctx, key), rank)
        if any(isinstance(e, torch.Tensor) for e in entries):
            raise ctx.unsupported("assignment through index tensors into a tensor with "
                                  "dynamic dims or at bounds computed from them")
        return _assign_window(ctx, input, x, entries, value, dtype)
    positions = torch.arange(input.numel()).reshape(input.shape)
    region = positions[key]  # the flat positions written, in the order values are read
    traced_key = any(ctx.is_traced(t) for t in indexing.key_tensors(key))
    if region.numel() == 0 and not traced_key:
        return x
    if not traced_key and _is_scalar(ctx, value):
        where = torch.zeros(input.numel(), dtype=torch.bool)
        where[region.reshape(-1)] = True
        cond = ctx.constant(where.reshape(input.shape))
        return emit.arith.select(net, cond, _scalar(ctx, value, dtype, rank), x)
    if traced_key:  # positions read by the key in the network: their count may be dynamic
        where_at = indexing.index(ctx, ctx.constant(positions), tuple(input.shape), key)
        region_dims = emit.dims_of(net, where_at)
    else:
        where_at, region_dims = ctx.constant(region), list(region.shape)
    updates = _updates(ctx, value, region_dims, dtype)
    flat = emit.reshape(net, x, (input.numel(),))
    layer = net.add_scatter(flat, emit.reshape(net, where_at, (-1, 1)),
                            emit.reshape(net, updates, (-1,)), trt.ScatterMode.ND)
    return emit.reshape(net, layer.get_output(0), tuple(input.shape))


def _assign_window(ctx: Ctx, input: torch.Tensor, x: ITensor, entries: list[Entry],
                   value: TensorLike, dtype: torch.dtype) -> ITensor:
    """`x[key] = value` for a key of ints, slices, None and Ellipsis where sizes or bounds are
    known only at run time, so no table of positions can be made: each element is written
    when its coordinate lies in the window on every axis, and takes the value found at its
    place in the window (a gather per axis the value varies along)."""
    net = ctx.network
    rank = input.dim()
    plan = indexing.plan_key(ctx, entries, lambda axis: emit.dim_of(ctx, x, axis),
                             tuple(input.shape))
    kept = set(plan.source)  # input axes the window keeps (an int index removes its axis)
    offsets = {axis: _offsets(net, emit.dim_of(ctx, x, axis), start)
               for axis, (start, size) in enumerate(zip(plan.start, plan.size))
               if size is not None}
    keep = None
    for axis, offset in offsets.items():
        inside = _window_mask(net, offset, plan.size[axis], plan.stride[axis])
        inside = emit.reshape(net, inside, [-1 if a == axis else 1 for a in range(rank)])
        keep = inside if keep is None else emit.arith.both(net, keep, inside)
    if keep is None:  # every axis whole: `x[...] = value`
        keep = emit.full(ctx, [1] * rank, True, torch.bool)
    if _is_scalar(ctx, value):
        return emit.arith.select(net, keep, _scalar(ctx, value, dtype, rank), x)
    v = _value_per_input_axis(ctx, value, plan, rank, dtype)
    for axis in sorted(kept - {None}):
        if v.shape[axis] == 1:
            continue  # one value along this axis: broadcasting places it
        if axis in offsets:
            source = _window_source(net, offsets[axis], emit.dims_of(net, v)[axis],
                                    plan.stride[axis])
            v = net.add_gather(v, source, axis).get_output(0)
        else:  # the whole axis: the value has its size, or 1 at run time
            v = emit.expand_to(net, v, [emit.dim_of(ctx, x, axis) if a == axis else None
                                        for a in range(rank)])
    return emit.arith.select(net, keep, v, x)


def _offsets(network: Network, n: Dim, start: Dim) -> ITensor:
    """[0 - start, 1 - start, ..., n - 1 - start] as an INT64 vector."""
    return emit.arith.elementwise(network, emit.iota(network, n),
                                  emit.dim_as_tensor(network, start), E.SUB)


def _window_mask(network: Network, offset: ITensor, size: Dim, step: int) -> ITensor:
    """Which coordinates (given as `_offsets` from the window's start) the window
    start, start + step, ..., start + (size - 1) * step covers: a bool vector."""
    zero = emit.arith.const(network, 0, offset)
    span = emit.dim_as_tensor(network, emit.dim_op(network, size, step, E.PROD))
    inside = emit.arith.both(network, emit.arith.logical_not(network, emit.arith.compare(
        network, offset, zero, E.LESS)), emit.arith.compare(network, offset, span, E.LESS))
    if step == 1:
        return inside
    on_step = emit.arith.compare(network, emit.arith.remainder(
        network, offset, emit.arith.const(network, step, offset)), zero, E.EQUAL)
    return emit.arith.both(network, inside, on_step)


def _window_source(network: Network, offset: ITensor, length: Dim, step: int) -> ITensor:
    """Per coordinate (given as `_offsets`), the index into the value (`length` along this
    axis) whose element it takes: its window position, clamped into the value, so a value
    of length 1 broadcasts (coordinates outside the window are masked anyway). Gathering
    needs no expand to the window's size, whose shape the real builder may simplify
    differently from the reference."""
    position = emit.arith.floor_div(network, offset, emit.arith.const(network, step, offset))
    position = emit.arith.elementwise(network, position, emit.arith.const(
        network, 0, position), E.MAX)
    last = emit.dim_as_tensor(network, emit.dim_op(network, length, 1, E.SUB))
    return emit.arith.elementwise(network, position, last, E.MIN)


def _value_per_input_axis(ctx: Ctx, value: torch.Tensor, plan: Plan, rank: int,
                          dtype: torch.dtype) -> ITensor:
    """The assigned tensor with one axis per input axis (one reshape): aligned with the
    window from the right as torch broadcasts (extra leading 1s dropped), axes that the key
    added with None removed, and a size-1 axis where an int index removed one."""
    net = ctx.network
    v = emit.cast(net, ctx.trt(value), dtype)
    dims = emit.dims_of(net, v)
    while len(dims) > len(plan.shape) and value.shape[len(value.shape) - len(dims)] == 1:
        dims = dims[1:]
    aligned = [1] * (len(plan.shape) - len(dims)) + dims
    by_axis = {source: d for source, d in zip(plan.source, aligned) if source is not None}
    return emit.reshape(net, v, [by_axis.get(a, 1) for a in range(rank)])


def _updates(ctx: Ctx, value: TensorLike, region: list[Dim], dtype: torch.dtype) -> ITensor:
    """`value` broadcast to the written region (dims, dynamic ones too), as torch does
    (leading 1s dropped)."""
    if not isinstance(value, torch.Tensor):
        return emit.full(ctx, list(region), value, dtype)
    shape = tuple(value.shape)
    while len(shape) > len(region) and shape[0] == 1:
        shape = shape[1:]
    v = emit.cast(ctx.network, ctx.trt(value), dtype)
    if shape != tuple(value.shape):
        v = emit.reshape(ctx.network, v, shape)
    return emit.expand_to(ctx.network, v, list(region))


@tensorrt_converter("torch.Tensor.__setitem__")
def convert_setitem(ctx: Ctx, input: torch.Tensor, key: object, value: TensorLike) -> None:
    ctx.bind(input, assign(ctx, input, key, value))  # later uses of input see the update
    return None


def convert_masked_fill(ctx: Ctx, input: torch.Tensor, mask: torch.Tensor, value: TensorLike
                        ) -> ITensor:
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    x = emit.cast(ctx.network, ctx.trt(input), dtype)
    if isinstance(value, torch.Tensor) and value.dim() != 0:
        raise ctx.unsupported("masked_fill with a value that is not 0-d")
    rank = max(input.dim(), mask.dim())
    cond = emit.cast(ctx.network, ctx.trt(mask), torch.bool)
    return emit.arith.select(ctx.network, cond, _scalar(ctx, value, dtype, rank), x)


register_spellings({"masked_fill": convert_masked_fill})
