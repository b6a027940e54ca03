"""Data movement with torch's shapes: reshape that keeps dynamic dims, strided windows,
broadcasting to a shape, filled tensors, and the dim arithmetic they need.

Dims are ints where static and (1,) INT64 ITensors where dynamic (see `emit.dims_of`); the
arithmetic here folds ints in Python and emits elementwise layers only for dynamic dims.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..reference import trt
from .broadcast import to_rank
from .constants import cast, constant
from .shapes import Dim, _as_shape_tensor, dims_of, is_dynamic, reshape

E = trt.ElementWiseOperation

_FOLD = {
    E.SUM: lambda a, b: a + b, E.SUB: lambda a, b: a - b, E.PROD: lambda a, b: a * b,
    E.MAX: max, E.MIN: min, E.FLOOR_DIV: lambda a, b: a // b,
}


def _dim_tensor(network: Any, d: Dim) -> Any:
    if isinstance(d, trt.ITensor):
        return d
    return constant(network, torch.tensor([int(d)], dtype=torch.int64))


def dim_op(network: Any, a: Dim, b: Dim, op: Any) -> Dim:
    """`a op b` for dims (SUM, SUB, PROD, MAX, MIN, FLOOR_DIV): an int when both are ints,
    else a (1,) INT64 ITensor."""
    if not isinstance(a, trt.ITensor) and not isinstance(b, trt.ITensor):
        return int(_FOLD[op](int(a), int(b)))
    x, y = _dim_tensor(network, a), _dim_tensor(network, b)
    return network.add_elementwise(x, y, op).get_output(0)


def reshape_to(network: Any, tensor: Any, shape: Sequence[int],
               source: Sequence[int | None] | None = None, infer_at: int | None = None) -> Any:
    """`tensor` reshaped to the example shape `shape` (torch's result shape), keeping dynamic
    dims dynamic.

    `source[j]` names the input axis that output axis j copies (None: a dim of its own). A
    dynamic input dim that no output axis copies is absorbed by a -1 at `infer_at`; without
    `infer_at` the example sizes are baked in (TensorRT then refuses other input sizes at run
    time instead of computing something else). Static inputs get one static reshape.
    """
    in_shape = tuple(tensor.shape)
    shape = tuple(int(d) for d in shape)
    if in_shape == shape:
        return tensor
    if all(d >= 0 for d in in_shape):
        return reshape(network, tensor, shape)
    source = list(source) if source is not None else [None] * len(shape)
    if len(in_shape) == len(shape) and all(
            d == s or (d < 0 and k == j) for j, (d, s, k) in enumerate(zip(in_shape, shape, source))):
        return tensor
    carried = {k for k in source if k is not None}
    dims: list[Any] = list(shape)
    shifted = []
    for j, k in enumerate(source):
        if k is not None and in_shape[k] < 0:
            if j == k:
                dims[j] = 0  # TensorRT's placeholder: copy input dim j
            else:
                shifted.append(j)
    uncarried = [k for k, d in enumerate(in_shape) if d < 0 and k not in carried]
    if uncarried and infer_at is not None:
        dims[infer_at] = -1
        shifted = [j for j in shifted if j != infer_at]
    elif len(shifted) == 1 and not uncarried:
        dims[shifted.pop()] = -1  # the only unknown: TensorRT infers it from the volume
    if not shifted and 0 not in shape:
        layer = network.add_shuffle(tensor)
        layer.zero_is_placeholder = True
        layer.reshape_dims = tuple(int(d) for d in dims)
        return layer.get_output(0)
    # Dims that move to another axis need their size as a shape tensor.
    sizes = dims_of(network, tensor)
    for j, k in enumerate(source):
        if k is not None and in_shape[k] < 0 and dims[j] != -1:
            dims[j] = sizes[k]
    return reshape(network, tensor, dims)


def slice_tensor(network: Any, tensor: Any, start: Sequence[Dim], size: Sequence[Dim],
                 stride: Sequence[Dim], mode: Any = None) -> Any:
    """A slice layer over every axis; dynamic parameters go in as shape tensors."""
    params = (start, size, stride)
    static = [tuple(int(d) for d in p) if not any(map(is_dynamic, p)) else None for p in params]
    layer = network.add_slice(tensor, *(s if s is not None else (0,) * len(start)
                                        for s in static))
    for index, (given, fixed) in enumerate(zip(params, static), start=1):
        if fixed is None:
            layer.set_input(index, _as_shape_tensor(network, given))
    if mode is not None:
        layer.mode = mode
    return layer.get_output(0)


def expand_to(network: Any, tensor: Any, dims: Sequence[Dim]) -> Any:
    """`tensor` broadcast to `dims` (torch's expand): leading axes are added, and size-1 axes
    are read with stride 0. A dynamic input axis must already have its target size."""
    tensor = to_rank(network, tensor, len(dims))
    in_shape = tuple(tensor.shape)
    if all(not is_dynamic(d) for d in dims) and in_shape == tuple(int(d) for d in dims):
        return tensor
    stride = [0 if d == 1 and (is_dynamic(t) or t != 1) else 1 for d, t in zip(in_shape, dims)]
    return slice_tensor(network, tensor, [0] * len(dims), dims, stride)


def full(ctx: Any, dims: Sequence[Dim], value: Any, dtype: torch.dtype) -> Any:
    """A tensor of `dims` filled with `value` (a Python number or a one-element ITensor):
    a (1,)*rank constant broadcast by a stride-0 slice, so dynamic dims work too.
    float64 becomes float32 with a warning."""
    rank = len(dims)
    if isinstance(value, trt.ITensor):
        scalar = reshape(ctx.network, value, (1,) * rank) if len(value.shape) != rank or any(
            d != 1 for d in value.shape) else value
        scalar = cast(ctx.network, scalar, torch.float32 if dtype == torch.float64 else dtype)
    else:
        scalar = ctx.constant(torch.tensor(value, dtype=dtype).reshape((1,) * rank))
    if rank == 0:
        return scalar
    return expand_to(ctx.network, scalar, dims)
