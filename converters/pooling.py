"""Pooling: max_pool1d/2d/3d, avg_pool1d/2d/3d and their adaptive forms.

TensorRT pools 2-D and 3-D windows over inputs of rank >= 4: 1-D pooling runs as 2-D pooling
over a trailing axis of size 1, and unbatched inputs get a batch axis of 1.

ceil_mode follows torch, not TensorRT's EXPLICIT_ROUND_UP: torch drops a last window that
would start in the right padding. The output length comes from the torch result, and the
post padding is chosen so that EXPLICIT_ROUND_DOWN yields exactly that many windows. Averages
then divide like torch: count_include_pad counts the explicit padding but never the extra room
at the end (the padding is made real zeros and the layer excludes padding), and
divisor_override rescales the window sum. Over dynamic spatial dims the output length is not
known when building, so ceil_mode takes EXPLICIT_ROUND_UP where that provably agrees with torch
(padding + stride <= kernel: the last window never starts in the right padding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from trtconv import emit, trt
from trtconv.api import Converter, Ctx, E, Ints, ITensor, Network
from trtconv.registry import register_spellings, register_table

P = trt.PoolingType


def _window_max(network: Network, x: ITensor, kernel: tuple[int, ...], stride: tuple[int, ...],
                dilation: tuple[int, ...], pre: tuple[int, ...], post: tuple[int, ...],
                out: tuple[int, ...]) -> ITensor:
    """Dilated max pooling (no TensorRT layer dilates a pooling window): the maximum of one
    strided slice per window offset of the input padded with -inf."""
    nsp, rank = len(kernel), len(x.shape)
    lead = [(0, 0)] * (rank - nsp)
    padded = emit.pad_axes(network, x, lead + list(zip(pre, post)), value=-math.inf)
    dims = emit.dims_of(network, padded)[:rank - nsp] + list(out)
    result = None
    for offset in _offsets(kernel):
        start = [0] * (rank - nsp) + [o * d for o, d in zip(offset, dilation)]
        window = emit.slice_tensor(network, padded, start, dims, [1] * (rank - nsp) + list(stride))
        result = window if result is None else emit.arith.elementwise(network, result, window,
                                                                      E.MAX)
    return result


def _offsets(kernel: tuple[int, ...]) -> list[tuple[int, ...]]:
    offsets: list[tuple[int, ...]] = [()]
    for k in kernel:
        offsets = [o + (i,) for o in offsets for i in range(k)]
    return offsets


def _pool(ctx: Ctx, input: torch.Tensor, nsp: int, average: bool, kernel_size: Ints,
          stride: Ints | None, padding: Ints, dilation: Ints = 1, ceil_mode: bool = False,
          count_include_pad: bool = True, divisor_override: int | None = None) -> ITensor:
    network = ctx.network
    kernel = emit.spatial.ntuple(kernel_size, nsp)
    if stride is not None and len(stride if isinstance(stride, (list, tuple)) else [stride]):
        stride = emit.spatial.ntuple(stride, nsp)
    else:  # torch's default: the kernel size
        stride = kernel
    pads, dilation = emit.spatial.ntuple(padding, nsp), emit.spatial.ntuple(dilation, nsp)
    out = tuple(int(d) for d in ctx.output.shape[-nsp:])
    x = ctx.trt(input)
    lengths = tuple(x.shape[-nsp:])
    dynamic = any(d < 0 for d in lengths)
    if dynamic and any(d > 1 for d in dilation):
        raise ctx.unsupported("dilation with dynamic spatial dims")
    round_up = dynamic and ceil_mode
    if round_up and (divisor_override or any(p + s > k for p, s, k in zip(pads, stride, kernel))):
        # Only where p + s <= k can torch's last window never start in the right padding, so
        # that TensorRT's EXPLICIT_ROUND_UP gives torch's count for every length.
        raise ctx.unsupported("ceil_mode with dynamic spatial dims and padding + stride > "
                              "kernel (or divisor_override)")
    # Room after the right padding that torch's last ceil_mode window reaches into.
    extra = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)) if n >= 0 else 0
                  for o, s, d, k, n, p in zip(out, stride, dilation, kernel, lengths, pads))
    if round_up:
        extra = (0,) * nsp  # EXPLICIT_ROUND_UP sizes the last window itself
    if any(d > 1 for d in dilation):
        post = tuple(p + e for p, e in zip(pads, extra))
        return _window_max(network, x, kernel, stride, dilation, pads, post, out)
    x, drop = emit.spatial.lift_spatial(network, x, nsp)
    if nsp == 1:
        kernel, stride, pads, extra = kernel + (1,), stride + (1,), pads + (0,), extra + (0,)
    lead = [(0, 0)] * (len(x.shape) - len(kernel))
    pre, post = pads, tuple(p + e for p, e in zip(pads, extra))
    excludes = not count_include_pad
    scale = None
    if average and divisor_override:
        # The window sum over zero padding, divided by divisor_override.
        x = emit.pad_axes(network, x, lead + list(zip(pre, post)))
        pre = post = (0,) * len(kernel)
        excludes, scale = False, math.prod(kernel) / divisor_override
    elif average and count_include_pad and any(extra):
        # Count the padding but not the extra room: real zeros for the padding, and the layer
        # excludes what is left (the extra room) from its count.
        x = emit.pad_axes(network, x, lead + [(p, p) for p in pads])
        pre, post, excludes = (0,) * len(kernel), extra, True
    layer = network.add_pooling_nd(x, P.AVERAGE if average else P.MAX, kernel)
    layer.stride_nd = stride
    layer.pre_padding = pre
    layer.post_padding = post
    if round_up:
        layer.padding_mode = trt.PaddingMode.EXPLICIT_ROUND_UP
    if average:
        layer.average_count_excludes_padding = excludes
    y = layer.get_output(0)
    if scale is not None and scale != 1:
        y = emit.arith.elementwise(network, y, emit.arith.const(network, scale, y), E.PROD)
    return emit.spatial.drop_axes(network, y, drop)


def _max_pool_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, kernel_size: Ints, stride: Ints | None = None,
                padding: Ints = 0, dilation: Ints = 1, ceil_mode: bool = False,
                return_indices: bool = False) -> ITensor:
        if return_indices:
            raise ctx.unsupported("return_indices=True")
        return _pool(ctx, input, nsp, False, kernel_size, stride, padding, dilation, ceil_mode)

    return convert


def _avg_pool_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, kernel_size: Ints, stride: Ints | None = None,
                padding: Ints = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None) -> ITensor:
        return _pool(ctx, input, nsp, True, kernel_size, stride, padding, 1, ceil_mode,
                     count_include_pad, divisor_override)

    return convert


def _cells(output_size: int | None | Sequence[int | None], nsp: int) -> list[int | None]:
    """torch's output_size per spatial axis: an int for all of them, or one each (None keeps)."""
    if isinstance(output_size, (list, tuple, torch.Size)):
        return [None if n is None else int(n) for n in output_size]
    return [int(output_size)] * nsp


def _adaptive(ctx: Ctx, input: torch.Tensor, output_size: int | None | Sequence[int | None],
              nsp: int, average: bool) -> ITensor:
    return emit.adaptive_pool(ctx.network, ctx.trt(input), _cells(output_size, nsp), average)


def _adaptive_avg_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, output_size: int | None | Sequence[int | None]
                ) -> ITensor:
        return _adaptive(ctx, input, output_size, nsp, True)

    return convert


def _adaptive_max_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, output_size: int | None | Sequence[int | None],
                return_indices: bool = False) -> ITensor:
        if return_indices:
            raise ctx.unsupported("return_indices=True")
        return _adaptive(ctx, input, output_size, nsp, False)

    return convert


def _adaptive_avg_module_converter(nsp: int) -> Converter:
    def convert(ctx: Ctx, self: torch.nn.AdaptiveAvgPool2d | torch.nn.AdaptiveAvgPool3d,
                input: torch.Tensor) -> ITensor:
        return _adaptive(ctx, input, self.output_size, nsp, True)

    return convert


for _n in (1, 2, 3):
    register_table({f"torch.nn.functional.max_pool{_n}d": _max_pool_converter(_n),
                    f"torch.max_pool{_n}d": _max_pool_converter(_n),
                    f"torch.nn.functional.avg_pool{_n}d": _avg_pool_converter(_n),
                    f"torch.nn.functional.adaptive_avg_pool{_n}d": _adaptive_avg_converter(_n),
                    f"torch.nn.functional.adaptive_max_pool{_n}d": _adaptive_max_converter(_n)})
    # torch.avg_pool2d/3d (in torch2trt's list) exist only in some torch versions
    register_spellings({f"avg_pool{_n}d": _avg_pool_converter(_n)}, namespaces=("torch",),
                       in_place=False)
register_table({"torch.adaptive_avg_pool1d": _adaptive_avg_converter(1),
                "torch.nn.AdaptiveAvgPool2d.forward": _adaptive_avg_module_converter(2),
                "torch.nn.AdaptiveAvgPool3d.forward": _adaptive_avg_module_converter(3)})
