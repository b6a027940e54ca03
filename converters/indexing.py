"""Indexing: `x[key]` and where (writing through a key is converters/assignment.py's).

`x[key]` follows torch: ints and slices (steps, negative and out-of-range bounds clamped),
None, Ellipsis, then advanced indices (integer tensors and lists, broadcast together; constant
boolean masks become their integer coordinates). It is emitted as one slice for the basic
part, one reshape for removed and inserted axes, and a gather for the advanced part. A boolean
mask computed by the network selects a data-dependent number of elements: reading with one is
converters/nonzero.py's; writing a scalar through one (`x[x < 0] = 0`) is a select.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from types import EllipsisType

import torch
from trtconv.converters import nonzero

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, Dim, E, ITensor, Network, TensorLike
from trtconv.emit import checks
from trtconv.emit.shapes import is_dynamic

# --- the key ---------------------------------------------------------------------------------

Entry = int | slice | torch.Tensor | EllipsisType | None
"""One entry of a key: an int, a slice, None (a new axis), Ellipsis or an index tensor."""

@dataclass
class Plan:
    """What a key does: per input axis a window, and the axes of the intermediate result."""

    start: list[Dim] = field(default_factory=list)
    size: list[Dim | None] = field(default_factory=list)  # None: the whole axis
    stride: list[int] = field(default_factory=list)
    shape: list[int] = field(default_factory=list)  # example sizes of the intermediate
    source: list[int | None] = field(default_factory=list)  # its input axes (None: new)
    advanced: dict[int, torch.Tensor] = field(default_factory=dict)  # intermediate axis -> index


def key_entries(ctx: Ctx, key: object) -> list[Entry]:
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


def expand_ellipsis(ctx: Ctx, entries: list[Entry], rank: int) -> list[Entry]:
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


def plan_key(ctx: Ctx, entries: list[Entry], size_of: Callable[[int], Dim],
          example: tuple[int, ...]) -> Plan:
    """What `entries` (a key with its Ellipsis expanded) do to a tensor whose example shape is
    `example`: one step per entry, each consuming an input axis except None."""
    plan = Plan()
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


def _plan_new_axis(plan: Plan) -> None:
    """None (or True): a new axis of size 1 in the result, reading no input axis."""
    plan.shape.append(1)
    plan.source.append(None)


def _plan_whole_axis(plan: Plan, axis: int, example_n: int) -> None:
    """`:` (and an index tensor, gathered later): the input axis kept whole."""
    plan.start.append(0)
    plan.size.append(None)
    plan.stride.append(1)
    plan.shape.append(example_n)
    plan.source.append(axis)


def _plan_slice(ctx: Ctx, plan: Plan, entry: slice, axis: int, n: Dim, example_n: int
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


def _plan_int(ctx: Ctx, plan: Plan, i: int, size_of: Callable[[int], Dim], axis: int,
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
    entries = expand_ellipsis(ctx, key_entries(ctx, key), len(example))
    plan = plan_key(ctx, entries, lambda axis: emit.dim_of(ctx, x, axis), example)
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
    checks.indices_in_range(ctx, idx, n, "tensor[index]", negative=True)
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


def _gather(ctx: Ctx, x: ITensor, plan: Plan) -> ITensor:
    net = ctx.network
    axes = sorted(plan.advanced)
    indices = [_index_tensor(ctx, plan.advanced[a], emit.dim_of(ctx, x, a), plan.shape[a])
               for a in axes]
    if len(axes) == 1:
        return net.add_gather(x, indices[0], axes[0]).get_output(0)
    batch = emit.broadcast_dims(ctx, indices)
    dtype = torch.int64 if any(t.dtype == trt.DataType.INT64 for t in indices) else torch.int32
    columns = [emit.expand_to(net, _as_column(net, emit.cast(net, t, dtype), len(batch)),
                              [*batch, 1]) for t in indices]
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


def _as_column(network: Network, index: ITensor, rank: int) -> ITensor:
    """`index` with leading size-1 axes up to `rank` and one trailing axis of size 1 (a
    coordinate column of a gather's ND indices); dynamic dims stay dynamic."""
    missing = rank - len(index.shape)
    return emit.reshape(network, index, [1] * missing + emit.dims_of(network, index) + [1])


@tensorrt_converter("torch.Tensor.__getitem__")
def convert_getitem(ctx: Ctx, input: torch.Tensor, key: object) -> ITensor:
    if any(nonzero.is_network_mask(ctx, item) for item in key_tensors(key)):
        selected, example, rest = nonzero.select_with_mask(ctx, input, key)
        return index(ctx, selected, example, rest)
    return index(ctx, ctx.trt(input), tuple(input.shape), key)


def key_tensors(key: object) -> list[torch.Tensor]:
    """The index tensors of a key."""
    items = key if isinstance(key, tuple) else (key,)
    return [t for t in items if isinstance(t, torch.Tensor)]


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
        return nonzero.where_indices(ctx, condition)
    return where(ctx, condition, input, other)


@tensorrt_converter("torch.Tensor.where")
def convert_where_method(ctx: Ctx, input: torch.Tensor, condition: torch.Tensor,
                         other: TensorLike) -> ITensor:
    return where(ctx, condition, input, other)
