"""Python values read out of traced tensors: bool(), item(), tolist(), int/float/index, numpy,
printing, `in`, torch.equal, len(), and identities (detach, .data, requires_grad_). (Iterating
a tensor is `unbind`, converters/split.py.)

A read returns the example's value to the forward pass, as torch does, and guards it (see
`trtconv.guards`): the network computes the same value as a hidden output that the TRTModule
checks on every call. Reads of a tensor's memory (data_ptr, storage) cannot be expressed in a
network and are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from trtconv import emit, trt
from trtconv.context import ConversionContext
from trtconv.emit import arith, reductions
from trtconv.registry import register_table
from trtconv.symbolic import force_int, symbolic_size

E = trt.ElementWiseOperation


def _read(what: str) -> Callable[..., Any]:
    """The converter of a read of one element as a Python number or bool (the guard output is
    the tensor itself)."""

    def read(ctx: ConversionContext, input: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        ctx.guard_value(ctx.trt(input), ctx.output, what)
        return ctx.output

    return read


def _read_values(what: str) -> Callable[..., Any]:
    """The converter of a read of every element (a list, a numpy array, text): the guard
    holds the values themselves, flattened."""

    def read(ctx: ConversionContext, input: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        ctx.guard_value(ctx.trt(input), input.detach().reshape(-1).tolist(), what)
        return ctx.output

    return read


def _equal(ctx: ConversionContext, input: torch.Tensor, other: torch.Tensor) -> bool:
    """torch.equal: same shape and all elements equal, guarded as one bool."""
    network = ctx.network
    if tuple(input.shape) != tuple(other.shape) or emit.static_shape(ctx.trt(input)) is None \
            or emit.static_shape(ctx.trt(other)) is None:
        raise ctx.unsupported("torch.equal of tensors whose shapes differ or are dynamic")
    a, b = emit.promote(ctx, [input, other])
    same = arith.compare(network, a, b, E.EQUAL)
    every = reductions.all_true(network, emit.reshape(network, same, [-1]), [0], False)
    ctx.guard_value(every, bool(ctx.output), "torch.equal(tensor, tensor)")
    return ctx.output


def _contains(ctx: ConversionContext, input: torch.Tensor, element: Any) -> bool:
    """`element in tensor`: any element equal, guarded as one bool."""
    network = ctx.network
    a, b = emit.promote(ctx, [input, element])
    same = arith.compare(network, a, b, E.EQUAL)
    found = reductions.any_true(network, emit.reshape(network, same, [-1]), [0], False)
    ctx.guard_value(found, bool(ctx.output), "element in tensor")
    return ctx.output


def _length(ctx: ConversionContext, input: torch.Tensor) -> int:
    """len(tensor): the first dim; a dynamic one is guarded to stay the example's."""
    return force_int(symbolic_size(ctx, input, ctx.trt(input))[0], "len(tensor)")


def _memory_read(ctx: ConversionContext, input: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
    raise ctx.unsupported("reads the memory of a traced tensor (its address or storage), which "
                          "a TensorRT network cannot express")


def _storage_change(ctx: ConversionContext, input: torch.Tensor, *args: Any, **kwargs: Any
                    ) -> Any:
    raise ctx.unsupported("changes which memory (or how much) a traced tensor uses; the network "
                          "cannot follow it. Assign a new tensor instead (y = z)")


def _identity(ctx: ConversionContext, input: torch.Tensor, *args: Any, **kwargs: Any
              ) -> trt.ITensor:
    """detach, .data, requires_grad_: the same values (gradients do not exist at inference)."""
    return ctx.trt(input)


_T = "torch.Tensor"
register_table({
    f"{_T}.__bool__": _read("bool(tensor)"),
    f"{_T}.item": _read("tensor.item()"),
    f"{_T}.tolist": _read_values("tensor.tolist()"),
    f"{_T}.__int__": _read("int(tensor)"),
    f"{_T}.__float__": _read("float(tensor)"),
    f"{_T}.__index__": _read("a tensor used as an index (tensor.__index__)"),
    f"{_T}.__array__": _read_values("numpy.asarray(tensor)"),
    f"{_T}.numpy": _read_values("tensor.numpy()"),
    f"{_T}.__format__": _read_values("format(tensor) (an f-string of a tensor)"),
    f"{_T}.__repr__": _read_values("repr(tensor) (printing a tensor)"),
    f"{_T}.__contains__": _contains,
    "torch.equal": _equal,
    f"{_T}.equal": _equal,
    f"{_T}.__len__": _length,
    f"{_T}.data_ptr": _memory_read,
    f"{_T}.untyped_storage": _memory_read,
    f"{_T}.storage": _memory_read,
    f"{_T}.resize_": _storage_change,
    f"{_T}.resize_as_": _storage_change,
    f"{_T}.as_strided_": _storage_change,
    f"{_T}.detach": _identity,
    "torch.detach": _identity,
    f"{_T}.detach_": _identity,
    f"{_T}.requires_grad_": _identity,
    f"{_T}.data": _identity,
})
