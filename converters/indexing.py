"""Indexing: `x[key]`, `x[key] = value`, masked_fill and where.

`x[key]` follows torch: ints and slices (steps, negative and out-of-range bounds clamped),
None, Ellipsis, then advanced indices (integer tensors and lists, broadcast together; constant
boolean masks become their integer coordinates). It is emitted as one slice for the basic
part, one reshape for removed and inserted axes, and a gather for the advanced part. A boolean
mask computed by the network selects a data-dependent number of elements, so reading with one
is unsupported; writing a scalar through one (`x[x < 0] = 0`) is a select.

`x[key] = value` rebinds `x` to the updated tensor: a select for one value, else a scatter of
the values at the positions `key` reads from a constant table of element positions. Where `x`
has dynamic dims or the bounds are computed from sizes, no such table exists: ints and slices
become a mask of the coordinates inside the window, and the value is gathered to each
coordinate's window position, then selected.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from types import EllipsisType

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, Dim, E, ITensor, Network, TensorLike
from trtconv.emit.shapes import is_dynamic
from trtconv.registry import register_spellings

# --- the key ---------------------------------------------------------------------------------

Entry = int | slice | torch.Tensor | EllipsisType | None
"""One entry of a key: an int, a slice, None (a new axis), Ellipsis or an index tensor."""

@dataclass
class _Plan:
    """What a key does: per input axis a window, and the axes of the intermediate result."""

    start: list[Dim] = field(default_factory=list)
    size: list[Dim | None] = field(default_factory=list)  # None: the whole axis
    stride: list[int] = field(default_factory=list)
    shape: list[int] = field(default_factory=list)  # example sizes of the intermediate
    source: list[int | None] = field(default_factory=list)  # its input axes (None: new)
    advanced: dict[int, torch.Tensor] = field(default_factory=dict)  # intermediate axis -> index


def _entries(ctx: Ctx, key: object) -> list[Entry]:
    """The key as a list of int, slice, None, Ellipsis and index tensors."""
    items = list(key) if isinstance(key, tuple) else [key]
    out: list[Entry] = []
    for item in items:
        if isinstance(item, bool):
            if not item:
                raise ctx.unsupported("indexing with False (an empty selection)")
            out.append(None)  # x[True] adds an axis, like None
        elif isinstance(item, (list, tuple)):
            if any(isinstance(v, (list, tuple, torch.Tensor)) for v in item):
                raise ctx.unsupported("nested sequences as an index")
            out.extend(_tensor_entry(ctx, torch.tensor(item)))
        elif isinstance(item, torch.Tensor):
            out.extend(_tensor_entry(ctx, item))
        elif item is None or item is Ellipsis or isinstance(item, (int, slice)):
            out.append(item)
        elif hasattr(item, "__index__"):  # numpy integers
            out.append(operator.index(item))
        else:
            raise ctx.unsupported(f"index of type {type(item).__name__}")
    return out


def _tensor_entry(ctx: Ctx, index: torch.Tensor) -> list[torch.Tensor]:
    if index.dtype in (torch.bool, torch.uint8):
        if ctx.is_traced(index):
            raise ctx.unsupported("reading through a boolean mask computed by the network "
                                  "(data-dependent size)")
        if index.dim() == 0:
            raise ctx.unsupported("a 0-d boolean mask as an index")
        return list(torch.nonzero(index.bool(), as_tuple=True))
    if index.is_floating_point() or index.is_complex():
        raise ctx.unsupported(f"index tensor of dtype {index.dtype}")
    return [index]


def _consumed(entry: Entry) -> int:
    return 0 if entry is None or entry is Ellipsis else 1


def _expand_ellipsis(ctx: Ctx, entries: list[Entry], rank: int) -> list[Entry]:
    used = sum(_consumed(e) for e in entries)
    if used > rank:
        raise ctx.unsupported(f"too many indices ({used}) for a tensor of rank {rank}")
    if entries.count(Ellipsis) > 1:
        raise ctx.unsupported("more than one Ellipsis")
    fill: list[Entry] = [slice(None)] * (rank - used)
    if Ellipsis in entries:
        at = entries.index(Ellipsis)
        return entries[:at] + fill + entries[at + 1:]
    return entries + fill


def _clamp(network: Network, bound: int | None, n: Dim, default: Dim) -> Dim:
    """A slice bound as Python clamps it into [0, n] (negative bounds count from the end)."""
    if bound is None:
        return default
    if not is_dynamic(bound) and not is_dynamic(n):
        return min(max(bound + n if bound < 0 else bound, 0), n)
    if operator.index(bound) < 0:  # a DimInt keeps its example's sign
        return emit.dim_op(network, emit.dim_op(network, n, bound, E.SUM), 0, E.MAX)
    return emit.dim_op(network, bound, n, E.MIN)


def _plan(ctx: Ctx, entries: list[Entry], size_of: Callable[[int], Dim],
          example: tuple[int, ...]) -> _Plan:
    """What `entries` (a key with its Ellipsis expanded) do to a tensor whose example shape is
    `example`: one step per entry, each consuming an input axis except None."""
    plan = _Plan()
    axis = 0
    for entry in entries:
        if entry is None:
            _plan_new_axis(plan)
            continue
        if isinstance(entry, torch.Tensor):
            _plan_whole_axis(plan, axis, example[axis])
            plan.advanced[len(plan.shape) - 1] = entry  # gathered after the slice
        elif isinstance(entry, slice) and entry == slice(None):
            _plan_whole_axis(plan, axis, example[axis])
        elif isinstance(entry, slice):
            _plan_slice(ctx, plan, entry, axis, size_of(axis), example[axis])
        else:
            _plan_int(ctx, plan, entry, size_of, axis, example[axis])
        axis += 1
    return plan


def _plan_new_axis(plan: _Plan) -> None:
    """None (or True): a new axis of size 1 in the result, reading no input axis."""
    plan.shape.append(1)
    plan.source.append(None)


def _plan_whole_axis(plan: _Plan, axis: int, example_n: int) -> None:
    """`:` (and an index tensor, gathered later): the input axis kept whole."""
    plan.start.append(0)
    plan.size.append(None)
    plan.stride.append(1)
    plan.shape.append(example_n)
    plan.source.append(axis)


def _plan_slice(ctx: Ctx, plan: _Plan, entry: slice, axis: int, n: Dim, example_n: int
                ) -> None:
    """`start:stop:step` on an axis of length `n` (bounds clamped as Python does; any of
    them may be dynamic): a strided window, or the whole axis when it covers it."""
    start, size, step = _slice_window(ctx, entry, n)
    plan.start.append(start)
    plan.size.append(size)
    plan.stride.append(step)
    plan.shape.append(len(range(*slice(
        _example(entry.start), _example(entry.stop), step).indices(example_n))))
    plan.source.append(axis)


def _slice_window(ctx: Ctx, entry: slice, n: Dim) -> tuple[Dim, Dim | None, int]:
    """(start, size, step) of a slice over an axis of length `n`; size None: the whole axis."""
    net = ctx.network
    step = 1 if entry.step is None else operator.index(entry.step)
    if step <= 0:
        raise ctx.unsupported("slice step must be positive")
    if entry.start is not None and not is_dynamic(entry.start) and entry.start >= 0 \
            and is_dynamic(n):
        start = entry.start  # past the end gives size 0 below: no need to clamp
    else:
        start = _clamp(net, entry.start, n, 0)
    stop = _clamp(net, entry.stop, n, n)
    span = emit.dim_op(net, stop, start, E.SUB)
    if step != 1:
        span = emit.dim_op(net, emit.dim_op(net, span, step - 1, E.SUM), step, E.FLOOR_DIV)
    size: Dim | None = span if span is n else emit.dim_op(net, span, 0, E.MAX)
    if not is_dynamic(size) and size == 0:
        start = 0  # an empty window may start anywhere; 0 is valid for every axis
    if step == 1 and not is_dynamic(start) and start == 0 and size is n:
        size = None  # the whole axis
    elif not any(map(is_dynamic, (start, size, n))) and (start, size, step) == (0, n, 1):
        size = None
    return start, size, step


def _plan_int(ctx: Ctx, plan: _Plan, i: int, size_of: Callable[[int], Dim], axis: int,
              example_n: int) -> None:
    """An int (negative: from the end; a DimInt may be dynamic): a window of one, and the
    axis removed from the result."""
    if not is_dynamic(i) and not -example_n <= i < example_n:
        raise ctx.unsupported(f"index {i} is out of range for size {example_n}")
    start: Dim = i
    if operator.index(i) < 0:
        start = emit.dim_op(ctx.network, size_of(axis), i, E.SUM)
    plan.start.append(start)
    plan.size.append(1)
    plan.stride.append(1)


def _example(bound: int | None) -> int | None:
    """A slice bound's example value (a DimInt's int)."""
    return None if bound is None else operator.index(bound)


# --- reading ---------------------------------------------------------------------------------

def index(ctx: Ctx, x: ITensor, example: tuple[int, ...], key: object) -> ITensor:
    """`x[key]` for an ITensor `x` whose example shape is `example`."""
    entries = _expand_ellipsis(ctx, _entries(ctx, key), len(example))
    plan = _plan(ctx, entries, lambda axis: emit.dim_of(ctx, x, axis), example)
    x = emit.slice_tensor(ctx.network, x, plan.start, plan.size, plan.stride)
    x = emit.reshape_to(ctx.network, x, plan.shape, plan.source)
    if not plan.advanced:
        return x
    return _gather(ctx, x, plan)


def _index_tensor(ctx: Ctx, index: torch.Tensor, n: Dim, example_n: int) -> ITensor:
    """An index as an INT32/INT64 ITensor with negative entries counted from the end."""
    if not ctx.is_traced(index):
        if index.numel() and not is_dynamic(n):
            if bool(((index < -example_n) | (index >= example_n)).any()):
                raise ctx.unsupported("an index is out of range")
            return ctx.constant(index.remainder(max(example_n, 1)))
        if not bool((index < 0).any()):
            return ctx.constant(index)
    idx = ctx.trt(index)
    if idx.dtype not in (trt.DataType.INT32, trt.DataType.INT64):
        idx = emit.cast(ctx.network, idx, torch.int64)
    # idx - floor(idx / n) * n: idx + n for -n <= idx < 0, idx itself for 0 <= idx < n.
    rank = len(idx.shape)
    if is_dynamic(n):
        size = emit.reshape(ctx.network, getattr(n, "trt_dim", n), (1,) * rank)
        size = emit.cast(ctx.network, size, trt.torch_dtype(idx.dtype))
    else:
        size = emit.scalar_like(ctx.network, n, idx, rank)
    wraps = emit.arith.elementwise(ctx.network, idx, size, E.FLOOR_DIV)
    offset = emit.arith.elementwise(ctx.network, wraps, size, E.PROD)
    return emit.arith.elementwise(ctx.network, idx, offset, E.SUB)


def _gather(ctx: Ctx, x: ITensor, plan: _Plan) -> ITensor:
    net = ctx.network
    axes = sorted(plan.advanced)
    indices = [_index_tensor(ctx, plan.advanced[a], emit.dim_of(ctx, x, a), plan.shape[a])
               for a in axes]
    if len(axes) == 1:
        return net.add_gather(x, indices[0], axes[0]).get_output(0)
    if any(d < 0 for t in indices for d in t.shape):
        raise ctx.unsupported("several index tensors with dynamic shapes")
    batch = tuple(torch.broadcast_shapes(*(tuple(t.shape) for t in indices)))
    dtype = torch.int64 if any(t.dtype == trt.DataType.INT64 for t in indices) else torch.int32
    columns = [emit.expand_to(net, emit.reshape(net, emit.cast(net, t, dtype),
                                                (1,) * (len(batch) - len(t.shape))
                                                + tuple(t.shape) + (1,)), [*batch, 1])
               for t in indices]
    stacked = columns[0]
    if len(columns) > 1:
        layer = net.add_concatenation(columns)
        layer.axis = len(batch)
        stacked = layer.get_output(0)
    rest = [a for a in range(len(x.shape)) if a not in axes]
    moved = emit.permute(net, x, axes + rest)
    gathered = net.add_gather_v2(moved, stacked, trt.GatherMode.ND).get_output(0)
    if axes != list(range(axes[0], axes[0] + len(axes))):
        return gathered  # separated index tensors: torch puts the broadcast dims first
    # Adjacent index tensors: the broadcast dims stay where the first of them was.
    nb, first = len(batch), axes[0]
    order = list(range(nb, nb + first)) + list(range(nb)) + list(range(nb + first,
                                                                         nb + len(rest)))
    return emit.permute(net, gathered, order)


@tensorrt_converter("torch.Tensor.__getitem__")
def convert_getitem(ctx: Ctx, input: torch.Tensor, key: object) -> ITensor:
    return index(ctx, ctx.trt(input), tuple(input.shape), key)


# --- writing ---------------------------------------------------------------------------------

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
        entries = _expand_ellipsis(ctx, _entries(ctx, key), rank)
        if any(isinstance(e, torch.Tensor) for e in entries):
            raise ctx.unsupported("assignment through index tensors into a tensor with "
                                  "dynamic dims or at bounds computed from them")
        return _assign_window(ctx, input, x, entries, value, dtype)
    positions = torch.arange(input.numel()).reshape(input.shape)
    region = positions[key]  # the flat positions written, in the order values are read
    if region.numel() == 0:
        return x
    traced_key = any(ctx.is_traced(t) for t in _key_tensors(key))
    if not traced_key and _is_scalar(ctx, value):
        where = torch.zeros(input.numel(), dtype=torch.bool)
        where[region.reshape(-1)] = True
        cond = ctx.constant(where.reshape(input.shape))
        return emit.arith.select(net, cond, _scalar(ctx, value, dtype, rank), x)
    if traced_key:
        table = ctx.constant(positions)
        where_at = index(ctx, table, tuple(input.shape), key)
    else:
        where_at = ctx.constant(region)
    updates = _updates(ctx, value, tuple(region.shape), dtype)
    count = region.numel()
    flat = emit.reshape(net, x, (input.numel(),))
    layer = net.add_scatter(flat, emit.reshape(net, where_at, (count, 1)),
                            emit.reshape(net, updates, (count,)), trt.ScatterMode.ND)
    return emit.reshape(net, layer.get_output(0), tuple(input.shape))


def _assign_window(ctx: Ctx, input: torch.Tensor, x: ITensor, entries: list[Entry],
                   value: TensorLike, dtype: torch.dtype) -> ITensor:
    """`x[key] = value` for a key of ints, slices, None and Ellipsis where sizes or bounds are
    known only at run time, so no table of positions can be made: each element is written
    when its coordinate lies in the window on every axis, and takes the value found at its
    place in the window (a gather per axis the value varies along)."""
    net = ctx.network
    rank = input.dim()
    plan = _plan(ctx, entries, lambda axis: emit.dim_of(ctx, x, axis), tuple(input.shape))
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


def _value_per_input_axis(ctx: Ctx, value: torch.Tensor, plan: _Plan, rank: int,
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


def _key_tensors(key: object) -> list[torch.Tensor]:
    """The index tensors of a key."""
    items = key if isinstance(key, tuple) else (key,)
    return [t for t in items if isinstance(t, torch.Tensor)]


def _updates(ctx: Ctx, value: TensorLike, region: tuple[int, ...], dtype: torch.dtype
             ) -> ITensor:
    """`value` broadcast to the written region, as torch does (leading 1s dropped)."""
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
    if input._base is not None:
        raise ctx.unsupported("assignment into a view of another tensor (the tensor it views "
                              "would not see the update)")
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


def where(ctx: Ctx, condition: torch.Tensor, input: TensorLike, other: TensorLike) -> ITensor:
    """torch.where(condition, input, other) with torch's dtype promotion and broadcasting."""
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    then, otherwise = emit.promote(ctx, [input, other], dtype)
    cond = emit.cast(ctx.network, ctx.trt(condition), torch.bool)
    return emit.arith.select(ctx.network, cond, then, otherwise)


@tensorrt_converter("torch.where")
def convert_where(ctx: Ctx, condition: torch.Tensor, input: TensorLike | None = None,
                  other: TensorLike | None = None, *,
                  out: torch.Tensor | None = None) -> ITensor:
    if input is None and other is None:
        raise ctx.unsupported("torch.where(condition) lists indices (data-dependent size)")
    return where(ctx, condition, input, other)


@tensorrt_converter("torch.Tensor.where")
def convert_where_method(ctx: Ctx, input: torch.Tensor, condition: torch.Tensor,
                         other: TensorLike) -> ITensor:
    return where(ctx, condition, input, other)
