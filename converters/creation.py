"""New tensors from traced ones: *_like (shaped like a traced tensor, dynamic dims included),
new_* (a traced tensor's dtype), zeros/ones/empty/full sized by dynamic dims or filled with a
computed value, and torch.tensor of traced elements.

Fills are a one-element constant broadcast by a stride-0 slice (`emit.full`), never `x * 0`
(NaN and inf times zero are NaN). Creation calls that touch no traced tensor need no
converter: their results are constants of the network.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils import _pytree as pytree

from trtconv import emit, tensorrt_converter
from trtconv.api import Converter, Ctx, E, ITensor, Number, TensorLike
from trtconv.registry import register_table


def _fill_value(ctx: Ctx, value: TensorLike) -> Number | ITensor:
    """A Python number as itself, a tensor as its (one-element) ITensor."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ctx.unsupported("a fill value that is not one element")
        return ctx.trt(value)
    return value


def _like_converter(fill: Number) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> ITensor:
        dims = emit.dims_of(ctx.network, ctx.trt(input))
        return emit.full(ctx, dims, fill, ctx.output.dtype)

    return convert


register_table({f"torch.{name}": _like_converter(fill)
                for name, fill in (("zeros_like", 0), ("ones_like", 1), ("empty_like", 0))})


@tensorrt_converter("torch.full_like")
def convert_full_like(ctx: Ctx, input: torch.Tensor, fill_value: TensorLike, **kwargs: object
                      ) -> ITensor:
    dims = emit.dims_of(ctx.network, ctx.trt(input))
    return emit.full(ctx, dims, _fill_value(ctx, fill_value), ctx.output.dtype)


def _sized_converter(fill: Number) -> Converter:
    def convert(ctx: Ctx, *size: int | Sequence[int], **kwargs: object) -> ITensor:
        return emit.full(ctx, emit.varargs(size), fill, ctx.output.dtype)

    return convert


# Sizes computed from dynamic dims (DimInts) make these calls part of the network.
register_table({f"torch.{name}": _sized_converter(fill)
                for name, fill in (("zeros", 0), ("ones", 1), ("empty", 0))})


def _new_converter(fill: Number) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, *size: int | Sequence[int], **kwargs: object
                ) -> ITensor:
        return emit.full(ctx, emit.varargs(size), fill, ctx.output.dtype)

    return convert


register_table({f"torch.Tensor.{name}": _new_converter(fill)
                for name, fill in (("new_zeros", 0), ("new_ones", 1), ("new_empty", 0))})


@tensorrt_converter("torch.Tensor.new_full")
def convert_new_full(ctx: Ctx, input: torch.Tensor, size: Sequence[int], fill_value: TensorLike,
                     **kwargs: object) -> ITensor:
    return emit.full(ctx, list(size), _fill_value(ctx, fill_value), ctx.output.dtype)


@tensorrt_converter("torch.full")
def convert_full(ctx: Ctx, size: Sequence[int], fill_value: TensorLike, **kwargs: object
                 ) -> ITensor:
    return emit.full(ctx, list(size), _fill_value(ctx, fill_value), ctx.output.dtype)


def tensor_of(ctx: Ctx, data: object) -> ITensor:
    """torch.tensor(data) where elements of `data` are traced 0-d/one-element tensors: each
    element cast to the result's dtype, joined, and shaped like the result."""
    result = ctx.output
    dtype = emit.storable_dtype(ctx, result.dtype)
    leaves = pytree.tree_leaves(data)
    if not any(ctx.is_traced(v) for v in leaves):
        return ctx.constant(result)
    parts = []
    for value in leaves:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ctx.unsupported("torch.tensor of a tensor with more than one element")
            item = emit.cast(ctx.network, ctx.trt(value), dtype)
            parts.append(emit.reshape(ctx.network, item, (1,)))
        else:
            parts.append(ctx.constant(torch.tensor([value], dtype=dtype)))
    joined = parts[0]
    if len(parts) > 1:
        layer = ctx.network.add_concatenation(parts)
        layer.axis = 0
        joined = layer.get_output(0)
    return emit.reshape_to(ctx.network, joined, tuple(result.shape))


@tensorrt_converter("torch.tensor")
def convert_tensor(ctx: Ctx, data: object, **kwargs: object) -> ITensor:
    if isinstance(data, torch.Tensor) and ctx.is_traced(data):
        return emit.cast(ctx.network, ctx.trt(data), emit.storable_dtype(ctx, ctx.output.dtype))
    return tensor_of(ctx, data)


@tensorrt_converter("torch.Tensor.new_tensor")
def convert_new_tensor(ctx: Ctx, input: torch.Tensor, data: object, **kwargs: object) -> ITensor:
    if isinstance(data, torch.Tensor) and ctx.is_traced(data):
        return emit.cast(ctx.network, ctx.trt(data), emit.storable_dtype(ctx, ctx.output.dtype))
    return tensor_of(ctx, data)


def _range_args(args: tuple[object, ...], kwargs: dict[str, object]
                ) -> tuple[object, object, object]:
    """(start, end, step) of torch.arange's call forms: (end), (start, end), (start, end,
    step), any of them by keyword."""
    named = dict(zip(("start", "end", "step") if len(args) > 1 else ("end",), args))
    named.update({k: kwargs[k] for k in ("start", "end", "step") if k in kwargs})
    return named.get("start", 0), named["end"], named.get("step", 1)


@tensorrt_converter("torch.arange")
def convert_arange(ctx: Ctx, *args: object, **kwargs: object) -> ITensor:
    """arange whose bounds are sizes read off traced tensors (DimInts): a run-time iota,
    scaled and shifted, so `arange(x.size(1))` follows the input's dynamic dims."""
    start, end, step = _range_args(args, kwargs)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, step)):
        raise ctx.unsupported("arange with dynamic bounds and non-integer arguments")
    if emit.is_dynamic(step):
        raise ctx.unsupported("arange with a dynamic step")
    if step <= 0:
        raise ctx.unsupported("arange with dynamic bounds and a step that is not positive")
    network = ctx.network
    count = (end - start + step - 1) // step  # DimInt arithmetic: a shape computation
    values = emit.iota(network, count)
    if step != 1:
        values = emit.arith.elementwise(network, values, ctx.trt(int(step)),
                                        E.PROD)
    if emit.is_dynamic(start) or start != 0:
        offset = emit.shape_tensor(network, [start])  # a (1,) INT64 tensor, DimInt or not
        values = emit.arith.elementwise(network, values, offset, E.SUM)
    return emit.cast(network, values, emit.storable_dtype(ctx, ctx.output.dtype))
