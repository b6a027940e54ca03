"""Data movement with torch's shapes: reshape that keeps dynamic dims, strided windows,
broadcasting to a shape, filled tensors, and the dim arithmetic they need.

Dims are ints where static and (1,) INT64 ITensors where dynamic (see `emit.dims_of`); the
arithmetic here folds ints in Python and emits elementwise layers only for dynamic dims.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch

from ..api import Ctx, Dim, E, ITensor, Network, Number
from ..reference import trt
from ..symbolic import dim_tensor
from .broadcast import to_rank
from .constants import cast, constant, storable_dtype
from .shapes import dims_at, dims_of, is_dynamic, reshape, shape_tensor

_FOLD = {
    E.SUM: lambda a, b: a + b, E.SUB: lambda a, b: a - b, E.PROD: lambda a, b: a * b,
    E.MAX: max, E.MIN: min, E.FLOOR_DIV: lambda a, b: a // b,
}


def dim_as_tensor(network: Network, d: Dim) -> ITensor:
    """A dim (an int, a DimInt or a (1,) INT64 ITensor) as a (1,) INT64 ITensor."""
    d = getattr(d, "trt_dim", d)  # a DimInt carries its own tensor
    if isinstance(d, trt.ITensor):
        return d
    return constant(network, torch.tensor([operator.index(d)], dtype=torch.int64))


def dim_of(ctx: Ctx, tensor: ITensor, axis: int) -> Dim:
    """`tensor`'s size along `axis`: an int if static, else a (1,) INT64 ITensor made once per
    tensor and axis (shared with the DimInts of `x.size()`)."""
    size = tensor.shape[axis]
    return size if size >= 0 else dim_tensor(ctx, tensor, axis)


def broadcast_dims(ctx: Ctx, tensors: Sequence[ITensor]) -> list[Dim]:
    """The shape `tensors` broadcast to (torch's rules, ranks aligned on the right): an int
    per axis where some tensor's size is static and not 1 (a dynamic size there must match
    it at run time) or all are 1; else the largest of the run-time sizes."""
    rank = max(len(t.shape) for t in tensors)
    dims: list[Dim] = []
    for axis in range(rank):
        sizes = [(t, axis - rank + len(t.shape)) for t in tensors
                 if axis - rank + len(t.shape) >= 0]
        static = [t.shape[a] for t, a in sizes if t.shape[a] >= 0]
        dynamic = [dim_of(ctx, t, a) for t, a in sizes if t.shape[a] < 0]
        wide = [d for d in static if d != 1]
        if wide or not dynamic:
            dims.append(wide[0] if wide else 1)
            continue
        dim = dynamic[0]
        for other in dynamic[1:]:
            dim = dim_op(ctx.network, dim, other, E.MAX)
        dims.append(dim)
    return dims


def dim_op(network: Network, a: Dim, b: Dim, op: E) -> Dim:
    """`a op b` for dims (SUM, SUB, PROD, MAX, MIN, FLOOR_DIV): an int when both are static,
    else a (1,) INT64 ITensor."""
    if not is_dynamic(a) and not is_dynamic(b):
        return int(_FOLD[op](operator.index(a), operator.index(b)))
    if not is_dynamic(b) and (b == 0 and op in (E.SUM, E.SUB) or
                              b == 1 and op in (E.PROD, E.FLOOR_DIV)):
        return a
    x, y = dim_as_tensor(network, a), dim_as_tensor(network, b)
    return network.add_elementwise(x, y, op).get_output(0)


def reshape_to(network: Network, tensor: ITensor, shape: Sequence[Dim],
               source: Sequence[int | None] | None = None, infer_at: int | None = None) -> ITensor:
    """`tensor` reshaped to `shape`, keeping dynamic dims dynamic.

    `shape` is torch's result shape, where entries may be dynamic dims (DimInts, ITensors).
    `source[j]` names the input axis whose size output axis j copies (None: a size of its
    own). With a dynamic input, `infer_at` gets TensorRT's -1 (the size that makes the volume
    match). A dynamic input dim that no output axis copies and no -1 absorbs keeps the
    example's size (TensorRT then refuses other input sizes at run time rather than compute
    something else). Static inputs get one static reshape.
    """
    in_shape = tuple(tensor.shape)
    source = list(source) if source is not None else [None] * len(shape)
    if not any(map(is_dynamic, shape)):
        shape = [operator.index(d) for d in shape]
        if all(d >= 0 for d in in_shape):
            return tensor if in_shape == tuple(shape) else reshape(network, tensor, shape)
        if len(in_shape) == len(shape) and all(d == s or (d < 0 and k == j) for j, (d, s, k)
                                               in enumerate(zip(in_shape, shape, source))):
            return tensor
    dynamic_in = any(d < 0 for d in in_shape)
    dims: list[Dim] = list(shape)
    moved: dict[int, int] = {}  # output axis -> input axis whose dynamic size it takes
    for j, k in enumerate(source):
        if k is not None and in_shape[k] < 0 and not is_dynamic(shape[j]):
            if j == k:
                dims[j] = 0  # TensorRT's placeholder: copy input dim j
            else:
                moved[j] = k
    needs_tensor = [j for j, d in enumerate(shape) if is_dynamic(d)] + list(moved)
    if infer_at is not None and dynamic_in:
        dims[infer_at] = -1
        needs_tensor = [j for j in needs_tensor if j != infer_at]
    elif len(needs_tensor) == 1 and not any(d < 0 and k not in source
                                            for k, d in enumerate(in_shape)):
        dims[needs_tensor.pop()] = -1  # the only unknown: TensorRT infers it from the volume
    if not needs_tensor and not any(not is_dynamic(d) and d == 0 for d in shape):
        layer = network.add_shuffle(tensor)
        layer.zero_is_placeholder = True
        layer.reshape_dims = tuple(operator.index(d) for d in dims)
        return layer.get_output(0)
    # Sizes that move to another axis go in as a shape tensor (no placeholders there).
    copied = {j: k for j, k in enumerate(source)
              if k is not None and (dims[j] == 0 or j in moved) and not is_dynamic(dims[j])}
    sizes = dims_at(network, tensor, copied.values())
    for j, k in copied.items():
        dims[j] = sizes[k]
    return reshape(network, tensor, dims)


def slice_tensor(network: Network, tensor: ITensor, start: Sequence[Dim],
                 size: Sequence[Dim | None], stride: Sequence[Dim],
                 mode: trt.SampleMode | None = None) -> ITensor:
    """A slice layer: per axis a start, size and stride; a None size keeps that axis whole
    (the layer's `axes` then names the sliced ones). Dynamic parameters go in as shape
    tensors."""
    axes = [a for a, s in enumerate(size) if s is not None]
    if not axes:
        return tensor
    params = [[p[a] for a in axes] for p in (start, size, stride)]
    static = [tuple(int(d) for d in p) if not any(map(is_dynamic, p)) else None for p in params]
    # Shape tensors first: a layer's inputs come from earlier layers.
    inputs = {i: shape_tensor(network, p) for i, (p, s) in enumerate(zip(params, static), 1)
              if s is None}
    layer = network.add_slice(tensor, *(s if s is not None else (0,) * len(axes)
                                        for s in static))
    for index, shape_input in inputs.items():
        layer.set_input(index, shape_input)
    if len(axes) < len(size):
        layer.axes = trt.Dims(axes)
    if mode is not None:
        layer.mode = mode
    return layer.get_output(0)


def slice_axis(network: Network, x: ITensor, axis: int, start: Dim, size: Dim) -> ITensor:
    """Elements [start, start + size) of `axis` (other axes whole, dynamic ones too); start
    and size may be dynamic dims."""
    rank = len(x.shape)
    begin: list[Dim] = [0] * rank
    sizes: list[Dim | None] = [None] * rank
    begin[axis], sizes[axis] = start, size
    return slice_tensor(network, x, begin, sizes, [1] * rank)


def expand_to(network: Network, tensor: ITensor, dims: Sequence[Dim | None]) -> ITensor:
    """`tensor` broadcast to `dims` (torch's expand): leading axes are added, size-1 axes are
    read with stride 0, and None keeps an axis as it is. A dynamic axis broadcast to a size
    reads with stride min(size - 1, 1): 0 where it is 1 at run time, else 1."""
    tensor = to_rank(network, tensor, len(dims))
    in_shape = tuple(tensor.shape)
    if all(d is None or not is_dynamic(d) and d == s for d, s in zip(dims, in_shape)):
        return tensor
    have: list[Dim] | None = None
    size: list[Dim | None] = []
    stride: list[Dim] = []
    for axis, (d, s) in enumerate(zip(dims, in_shape)):
        if d is None or not is_dynamic(d) and d == s:
            size.append(None)  # kept whole
            stride.append(1)
            continue
        size.append(d)
        if s > 1:
            stride.append(1)
        elif s >= 0:
            stride.append(0)
        else:
            have = have or dims_of(network, tensor)
            stride.append(dim_op(network, dim_op(network, have[axis], 1, E.SUB), 1, E.MIN))
    return slice_tensor(network, tensor, [0] * len(dims), size, stride)


def full(ctx: Ctx, dims: Sequence[Dim], value: Number | ITensor, dtype: torch.dtype) -> ITensor:
    """A tensor of `dims` filled with `value` (a Python number or a one-element ITensor):
    a (1,)*rank constant broadcast by a stride-0 slice, so dynamic dims work too.
    float64 becomes float32 with a warning."""
    rank = len(dims)
    dtype = storable_dtype(ctx, dtype)
    if isinstance(value, trt.ITensor):
        scalar = reshape(ctx.network, value, (1,) * rank) if len(value.shape) != rank or any(
            d != 1 for d in value.shape) else value
        scalar = cast(ctx.network, scalar, dtype)
    else:
        scalar = ctx.constant(torch.tensor(value, dtype=dtype).reshape((1,) * rank))
    if rank == 0:
        return scalar
    return expand_to(ctx.network, scalar, dims)


def iota(network: Network, length: Dim) -> ITensor:
    """The 1-D INT64 tensor [0, 1, ..., length - 1]; a dynamic `length` (a DimInt or a (1,)
    INT64 tensor) makes a LINSPACE fill sized at run time."""
    if not is_dynamic(length):
        return constant(network, torch.arange(int(length), dtype=torch.int64))
    layer = network.add_fill((0,), trt.FillOperation.LINSPACE, trt.DataType.INT64)
    layer.set_input(0, shape_tensor(network, [length]))
    layer.alpha, layer.beta = 0, 1
    return layer.get_output(0)


def permute(network: Network, tensor: ITensor, order: Sequence[int]) -> ITensor:
    """`tensor` with its axes in `order` (torch's permute; no layer for the identity)."""
    order = [int(a) for a in order]
    if order == list(range(len(order))):
        return tensor
    layer = network.add_shuffle(tensor)
    layer.first_transpose = trt.Permutation(order)
    return layer.get_output(0)
