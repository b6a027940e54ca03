"""Shapes as values: static ints where known, INT64 shape tensors where dims are dynamic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from ..api import Dim, ITensor, Network
from ..reference import trt
from .constants import constant


def static_shape(tensor: ITensor) -> tuple[int, ...] | None:
    """The shape if every dim is known at build time, else None."""
    shape = tuple(tensor.shape)
    return None if any(d < 0 for d in shape) else shape


def shape_of(network: Network, tensor: ITensor) -> ITensor:
    """The 1-D INT64 shape tensor of `tensor`."""
    return network.add_shape(tensor).get_output(0)


def dims_of(network: Network, tensor: ITensor) -> list[Dim]:
    """Each dim as an int if static, else as a (1,) INT64 tensor sliced from its shape."""
    shape = tuple(tensor.shape)
    if all(d >= 0 for d in shape):
        return list(shape)
    full = shape_of(network, tensor)
    return [d if d >= 0 else network.add_slice(full, (i,), (1,), (1,)).get_output(0)
            for i, d in enumerate(shape)]


def dims_at(network: Network, tensor: ITensor, axes: Iterable[int]) -> dict[int, Dim]:
    """`dims_of` for some axes only: no slice (a dead layer) for the dynamic dims not asked."""
    shape = tuple(tensor.shape)
    wanted = sorted(set(axes))
    full = shape_of(network, tensor) if any(shape[a] < 0 for a in wanted) else None
    return {a: shape[a] if shape[a] >= 0 else network.add_slice(full, (a,), (1,), (1,)).get_output(0)
            for a in wanted}


def is_dynamic(dim: object) -> bool:
    """Whether `dim` is computed in the network: an ITensor or a DimInt (see trtconv.symbolic)."""
    return isinstance(dim, trt.ITensor) or hasattr(type(dim), "trt_dim")  # not made by asking


def shape_tensor(network: Network, dims: Sequence[Dim]) -> ITensor:
    """A 1-D INT64 shape tensor of `dims` (ints, DimInts and (1,) INT64 tensors, as `dims_of`
    gives), for layers that take their output shape as an input (resize, slice, fill):
    consecutive static dims share one constant, the pieces are concatenated."""
    pieces: list[ITensor] = []
    run: list[int] = []  # consecutive static dims share one constant
    for d in list(dims) + [None]:
        d = getattr(d, "trt_dim", d)  # a DimInt carries its own shape tensor
        if d is not None and not isinstance(d, trt.ITensor):
            run.append(int(d))
            continue
        if run:
            pieces.append(constant(network, torch.tensor(run, dtype=torch.int64)))
            run = []
        if isinstance(d, trt.ITensor):
            pieces.append(d if tuple(d.shape) == (1,) else reshape(network, d, (1,)))
    if len(pieces) == 1:
        return pieces[0]
    layer = network.add_concatenation(pieces)
    layer.axis = 0
    return layer.get_output(0)


def reshape(network: Network, tensor: ITensor, dims: Sequence[Dim]) -> ITensor:
    """`tensor` reshaped to `dims` (ints, -1 allowed once, or INT64 dim tensors)."""
    if all(not is_dynamic(d) for d in dims):
        layer = network.add_shuffle(tensor)
        layer.zero_is_placeholder = False
        layer.reshape_dims = tuple(int(d) for d in dims)
    else:
        shape = shape_tensor(network, dims)  # before the shuffle: layers in graph order
        layer = network.add_shuffle(tensor)
        layer.set_input(1, shape)
        layer.zero_is_placeholder = False
    return layer.get_output(0)
