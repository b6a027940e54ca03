"""unfold (im2col) and fold (col2im) as data movement: strided slices, zero-padding and sums.

`F.unfold(x, k, dilation, padding, stride)` of [N, C, H, W] is [N, C*kh*kw, L]: each kernel
offset (i, j) is one strided slice of the zero-padded input, [N, C, oh, ow]; stacked on a new
axis after C and flattened. `F.fold(y, output_size, ...)` is its adjoint: each offset's block
is spread out by the stride (zeros between its rows and columns), moved to its offset in the
padded canvas by padding, and the blocks summed in kernel order (as torch adds them), before
the padding is cropped. No multiplication touches the data, so infinities and NaNs stay where
torch has them. Unbatched 3-D (unfold) and 2-D (fold) inputs work as in torch. The batch (and
for unfold H and W) may be dynamic.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trtconv import emit
from trtconv.api import Ctx, E, ITensor, Network
from trtconv.emit.layout import dim_op
from trtconv.emit.shapes import Dim
from trtconv.emit.spatial import ntuple
from trtconv.registry import register_table

Pair = int | Sequence[int]


def _window_count(network: Network, size: Dim, kernel: int, dilation: int,
                  padding: int, stride: int) -> Dim:
    """How many windows fit along one axis: (size + 2p - d(k-1) - 1) // s + 1."""
    span = dim_op(network, size, 2 * padding - dilation * (kernel - 1) - 1, E.SUM)
    return dim_op(network, dim_op(network, span, stride, E.FLOOR_DIV), 1, E.SUM)


def _batched(ctx: Ctx, input: torch.Tensor, rank: int) -> ITensor:
    """The input's ITensor with a batch axis of 1 when it is unbatched (rank `rank` - 1)."""
    x = ctx.trt(input)
    if len(x.shape) == rank:
        return x
    return emit.reshape(ctx.network, x, [1, *emit.dims_of(ctx.network, x)])


def _unbatched(ctx: Ctx, y: ITensor) -> ITensor:
    """`y` without the batch axis `_batched` added, when torch's result has none."""
    if len(y.shape) == ctx.output.dim():
        return y
    return emit.reshape(ctx.network, y, emit.dims_of(ctx.network, y)[1:])


def convert_unfold(ctx: Ctx, input: torch.Tensor, kernel_size: Pair,
                   dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> ITensor:
    network = ctx.network
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (ntuple(v, 2) for v in (kernel_size, dilation,
                                                                      padding, stride))
    x = emit.pad(network, _batched(ctx, input, 4), [pw, pw, ph, ph])
    n, c, h, w = emit.dims_of(network, x)
    oh = _window_count(network, h, kh, dh, 0, sh)
    ow = _window_count(network, w, kw, dw, 0, sw)
    blocks = []
    for i in range(kh):
        for j in range(kw):
            block = emit.slice_tensor(network, x, [0, 0, i * dh, j * dw],
                                      [None, None, oh, ow], [1, 1, sh, sw])
            blocks.append(emit.reshape(network, block, [n, c, 1, oh, ow]))
    stacked = blocks[0]
    if len(blocks) > 1:
        layer = network.add_concatenation(blocks)
        layer.axis = 2
        stacked = layer.get_output(0)
    columns = emit.reshape(network, stacked, [n, dim_op(network, c, kh * kw, E.PROD),
                                              dim_op(network, oh, ow, E.PROD)])
    return _unbatched(ctx, columns)


def _spread(network: Network, block: ITensor, n: Dim, c: int,
            rows: int, cols: int, sh: int, sw: int) -> ITensor:
    """[N, C, rows, cols] -> [N, C, rows*sh, cols*sw] with the data at multiples of the
    stride and zeros between."""
    if sh == sw == 1:
        return block
    block = emit.reshape(network, block, [n, c, rows, 1, cols, 1])
    block = emit.pad_axes(network, block, [(0, 0)] * 3 + [(0, sh - 1), (0, 0), (0, sw - 1)])
    return emit.reshape(network, block, [n, c, rows * sh, cols * sw])


def convert_fold(ctx: Ctx, input: torch.Tensor, output_size: Pair,
                 kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1
                 ) -> ITensor:
    network = ctx.network
    (oh_, ow_), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (ntuple(v, 2) for v in (
        output_size, kernel_size, dilation, padding, stride))
    x = _batched(ctx, input, 3)
    if x.shape[1] < 0:
        raise ctx.unsupported("fold with a dynamic number of channels")
    n = emit.dims_of(network, x)[0]
    c = x.shape[1] // (kh * kw)
    height, width = oh_ + 2 * ph, ow_ + 2 * pw
    rows = _window_count(network, oh_, kh, dh, ph, sh)
    cols = _window_count(network, ow_, kw, dw, pw, sw)
    blocks = emit.reshape(network, x, [n, c, kh * kw, rows, cols])
    canvas = None
    for i in range(kh):
        for j in range(kw):
            block = emit.slice_tensor(network, blocks, [0, 0, i * kw + j, 0, 0],
                                      [None, None, 1, None, None], [1] * 5)
            block = _spread(network, emit.reshape(network, block, [n, c, rows, cols]), n, c,
                            rows, cols, sh, sw)
            top, left = i * dh, j * dw
            block = emit.pad_axes(network, block, [(0, 0), (0, 0),
                                                   (top, height - top - rows * sh),
                                                   (left, width - left - cols * sw)])
            canvas = block if canvas is None else network.add_elementwise(
                canvas, block, E.SUM).get_output(0)
    assert canvas is not None
    image = emit.pad_axes(network, canvas, [(0, 0), (0, 0), (-ph, -ph), (-pw, -pw)])
    return _unbatched(ctx, image)


register_table({"torch.nn.functional.unfold": convert_unfold,
                "torch.nn.functional.fold": convert_fold})
