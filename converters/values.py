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

import torch

from trtconv import emit
from trtconv.api import Ctx, E, ITensor
from trtconv.emit import arith, reductions
from trtconv.registry import register_table
from trtconv.symbolic import force_int, symbolic_size

Read = Callable[..., object]


def read_converter(what: str) -> Read:
    """The converter of a read of one element as a Python number or bool (the guard output is
    the tensor itself)."""

    def convert(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> object:
        ctx.guard_value(ctx.trt(input), ctx.output, what)
        return ctx.output

    return convert


def read_values_converter(what: str) -> Read:
    """The converter of a read of every element (a list, a numpy array, text): the guard
    holds the values themselves, flattened."""

    def convert(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> object:
        ctx.guard_value(ctx.trt(input), input.detach().reshape(-1).tolist(), what)
        return ctx.output

    return convert


def convert_equal(ctx: Ctx, input: torch.Tensor, other: torch.Tensor) -> bool:
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


def convert_contains(ctx: Ctx, input: torch.Tensor, element: torch.Tensor | float) -> bool:
    """`element in tensor`: any element equal, guarded as one bool."""
    network = ctx.network
    a, b = emit.promote(ctx, [input, element])
    same = arith.compare(network, a, b, E.EQUAL)
    found = reductions.any_true(network, emit.reshape(network, same, [-1]), [0], False)
    ctx.guard_value(found, bool(ctx.output), "element in tensor")
    return ctx.output


def convert_len(ctx: Ctx, input: torch.Tensor) -> int:
    """len(tensor): the first dim; a dynamic one is guarded to stay the example's."""
    return force_int(symbolic_size(ctx, input, ctx.trt(input))[0], "len(tensor)")


def convert_memory_read(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object
                        ) -> object:
    raise ctx.unsupported("reads the memory of a traced tensor (its address or storage), which "
                          "a TensorRT network cannot express")


def convert_storage_change(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object
                           ) -> object:
    raise ctx.unsupported("changes which memory (or how much) a traced tensor uses; the network "
                          "cannot follow it. Assign a new tensor instead (y = z)")


def convert_identity(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object
                     ) -> ITensor:
    """detach, .data, requires_grad_: the same values (gradients do not exist at inference)."""
    return ctx.trt(input)


_T = "torch.Tensor"
register_table({
    f"{_T}.__bool__": read_converter("bool(tensor)"),
    f"{_T}.item": read_converter("tensor.item()"),
    f"{_T}.tolist": read_values_converter("tensor.tolist()"),
    f"{_T}.__int__": read_converter("int(tensor)"),
    f"{_T}.__float__": read_converter("float(tensor)"),
    f"{_T}.__index__": read_converter("a tensor used as an index (tensor.__index__)"),
    f"{_T}.__array__": read_values_converter("numpy.asarray(tensor)"),
    f"{_T}.numpy": read_values_converter("tensor.numpy()"),
    f"{_T}.__format__": read_values_converter("format(tensor) (an f-string of a tensor)"),
    f"{_T}.__repr__": read_values_converter("repr(tensor) (printing a tensor)"),
    f"{_T}.__contains__": convert_contains,
    "torch.equal": convert_equal,
    f"{_T}.equal": convert_equal,
    f"{_T}.__len__": convert_len,
    f"{_T}.data_ptr": convert_memory_read,
    f"{_T}.untyped_storage": convert_memory_read,
    f"{_T}.storage": convert_memory_read,
    f"{_T}.resize_": convert_storage_change,
    f"{_T}.resize_as_": convert_storage_change,
    f"{_T}.as_strided_": convert_storage_change,
    f"{_T}.detach": convert_identity,
    "torch.detach": convert_identity,
    f"{_T}.detach_": convert_identity,
    f"{_T}.requires_grad_": convert_identity,
    f"{_T}.data": convert_identity,
})
