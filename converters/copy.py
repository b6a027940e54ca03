"""Tensor.copy_: `dst.copy_(src)` writes `src` (broadcast to dst's shape, in dst's dtype) into
dst, and when dst is a view (`canvas[i, :, :h, :w].copy_(img)`, how torchvision batches images)
into the tensor it views as well.

The view's elements are found in its base by their memory positions (the base's layout, the
view's strides and offset), and the values scattered there, so any view torch can make of a
contiguous tensor works. Later reads of the base see the update; other views of it taken
before the write are reported when read (their values changed under them). The base and the
view must have static shapes (the positions are a constant table).
"""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, ITensor
from trtconv.registry import register_table


def _value(ctx: Ctx, dst: torch.Tensor, src: torch.Tensor) -> ITensor:
    """`src` as dst's dtype, broadcast to dst's shape (a traced dst's dynamic dims too)."""
    network = ctx.network
    value = emit.cast(network, ctx.trt(src), emit.storable_dtype(ctx, dst.dtype))
    dims = emit.dims_of(network, ctx.trt(dst)) if ctx.is_traced(dst) else list(dst.shape)
    return emit.expand_to(network, emit.to_rank(network, value, dst.dim()), dims)


def _base_before(ctx: Ctx, base: torch.Tensor, view: torch.Tensor
                 ) -> ITensor:
    """The base as the network had it before this write: its ITensor when traced; for a
    constant, its values with the view's region as it was before torch ran the call."""
    if ctx.is_traced(base):
        return ctx.trt(base)
    values = base.detach().clone()
    before = ctx.before_update.get(id(view))
    if before is not None:
        values.as_strided(view.shape, view.stride(),
                          view.storage_offset() - base.storage_offset()).copy_(before)
    return ctx.constant(values)


def _write_into_base(ctx: Ctx, base: torch.Tensor, view: torch.Tensor,
                     value: ITensor) -> None:
    """Scatter `value` (the view's new contents) into the base at the view's positions."""
    if not base.is_contiguous() or base.dtype != view.dtype:
        raise ctx.unsupported("copy_ into a view of a non-contiguous tensor or of another "
                              "dtype")
    if any(d < 0 for t in (base, view) if ctx.is_traced(t) for d in ctx.trt(t).shape):
        raise ctx.unsupported("copy_ into a view of a tensor with dynamic dims")
    network = ctx.network
    positions = torch.arange(base.numel()).view(base.shape).as_strided(
        view.shape, view.stride(), view.storage_offset() - base.storage_offset())
    flat = emit.reshape(network, _base_before(ctx, base, view), [base.numel()])
    count = view.numel()
    layer = network.add_scatter(flat, ctx.constant(positions.reshape(count, 1)),
                                emit.reshape(network, value, [count]), trt.ScatterMode.ND)
    ctx.bind(base, emit.reshape(network, layer.get_output(0), list(base.shape)))


def convert_copy(ctx: Ctx, self: torch.Tensor, src: torch.Tensor,
          non_blocking: bool = False) -> ITensor:
    value = _value(ctx, self, src)
    base = self._base
    if base is not None and self.numel():
        _write_into_base(ctx, base, self, value)
    return value


register_table({"torch.Tensor.copy_": convert_copy})
