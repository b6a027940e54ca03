"""torchvision.ops.nms and batched_nms through TensorRT's NMS layer.

`nms(boxes [N, 4], scores [N], iou_threshold)` is one NMS layer with one batch item and one
class: boxes [1, N, 4], scores [1, N, 1], no score threshold (scores of -inf are lifted to the
lowest float, so every box is a candidate, as in torchvision), every box allowed to be kept.
The kept box indices, int64 in decreasing score order, are the layer's third column; their
count is data-dependent. `batched_nms(boxes, scores, idxs, iou_threshold)` first moves each
category's boxes apart by `idxs * (max coordinate + 1)`, as torchvision does on CPU for up to
1000 boxes (its per-category loop for more gives the same boxes up to rounding of the IoU).

Limits (TensorRT's): `iou_threshold` in [0, 1]; at most 5000 boxes per call, the layer's
`topk_box_limit`: more is unsupported when the count is static, and an assertion in the
engine fails the run when a count known only at run time exceeds it (the layer would ignore
the boxes past the 5000 best). Boxes follow torchvision's contract (x1 < x2, y1 < y2, and
coordinates >= 0 for batched_nms); NaN scores, which torchvision sorts first, are not
candidates here. Boxes and scores compute in float32.

The targets are registered when the application imports torchvision (trtconv never does).
"""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, E, ITensor
from trtconv.emit.layout import dim_as_tensor, dim_of
from trtconv.registry import register_when_imported

MAX_BOXES = 5000  # TensorRT's NMS considers at most this many boxes (topk_box_limit)
_LOWEST = float(torch.finfo(torch.float32).min)


def _float(ctx: Ctx, value: torch.Tensor) -> ITensor:
    return emit.cast(ctx.network, ctx.trt(value), torch.float32)


def _scalar(ctx: Ctx, value: float | int, dtype: torch.dtype) -> ITensor:
    return ctx.constant(torch.tensor(value, dtype=dtype))


def _check_count(ctx: Ctx, boxes: ITensor) -> None:
    """At most MAX_BOXES boxes: refused when static, asserted in the engine when not."""
    count = dim_of(ctx, boxes, 0)
    if not emit.is_dynamic(count):
        if count > MAX_BOXES:
            raise ctx.unsupported(f"nms of {count} boxes: TensorRT's NMS layer considers at "
                                  f"most {MAX_BOXES}")
        return
    network = ctx.network
    too_many = network.add_elementwise(dim_as_tensor(network, count), ctx.constant(
        torch.tensor([MAX_BOXES])), E.GREATER).get_output(0)
    within = network.add_unary(too_many, trt.UnaryOperation.NOT).get_output(0)
    network.add_assertion(within, f"nms of more than {MAX_BOXES} boxes in module "
                                  f"'{ctx.module_path or '<root>'}': TensorRT's NMS layer "
                                  f"considers at most {MAX_BOXES}")


def _keep_indices(ctx: Ctx, boxes: ITensor, scores: ITensor,
                 iou_threshold: float) -> ITensor:
    """The int64 indices NMS keeps of float32 `boxes` [N, 4] and `scores` [N], by decreasing
    score."""
    if not 0.0 <= iou_threshold <= 1.0:
        raise ctx.unsupported(f"nms with iou_threshold={iou_threshold} (TensorRT takes [0, 1])")
    network = ctx.network
    _check_count(ctx, boxes)
    candidates = emit.arith.elementwise(network, scores, ctx.constant(
        torch.tensor([_LOWEST])), E.MAX)  # -inf would not exceed the -inf threshold
    # a layer's inputs come from earlier layers: the thresholds first
    iou = _scalar(ctx, float(iou_threshold), torch.float32)
    no_floor = _scalar(ctx, -float("inf"), torch.float32)
    layer = network.add_nms(emit.reshape(network, boxes, [1, -1, 4]),
                            emit.reshape(network, candidates, [1, -1, 1]),
                            _scalar(ctx, MAX_BOXES, torch.int32), trt.DataType.INT64)
    layer.set_input(3, iou)
    layer.set_input(4, no_floor)
    selected = layer.get_output(0)  # (batch, class, box) rows
    column = emit.slice_tensor(network, selected, [0, 2], [None, 1], [1, 1])
    return emit.reshape(network, column, [-1])


def convert_nms(ctx: Ctx, boxes: torch.Tensor, scores: torch.Tensor,
        iou_threshold: float) -> ITensor:
    return _keep_indices(ctx, _float(ctx, boxes), _float(ctx, scores), iou_threshold)


def convert_batched_nms(ctx: Ctx, boxes: torch.Tensor, scores: torch.Tensor,
                idxs: torch.Tensor, iou_threshold: float) -> ITensor:
    """torchvision's coordinate trick: boxes of category k move by k * (max coordinate + 1),
    so boxes of different categories never overlap. A 0 joins the maximum, which leaves it
    unchanged for boxes in the contract and defines it for no boxes at all."""
    network = ctx.network
    corners = _float(ctx, boxes)
    flat = emit.reshape(network, corners, [-1])
    joined = network.add_concatenation([flat, ctx.constant(torch.zeros(1))]).get_output(0)
    top = emit.reductions.reduce(network, joined, trt.ReduceOperation.MAX, 0, True)
    step = emit.arith.elementwise(network, top, ctx.constant(torch.ones(1)), E.SUM)
    offsets = emit.arith.elementwise(network, _float(ctx, idxs), step, E.PROD)
    moved = emit.arith.elementwise(network, corners,
                                   emit.reshape(network, offsets, [-1, 1]), E.SUM)
    return _keep_indices(ctx, moved, _float(ctx, scores), iou_threshold)


register_when_imported("torchvision", {
    "torchvision.ops.nms": convert_nms, "torchvision.ops.boxes.nms": convert_nms,
    "torchvision.ops.batched_nms": convert_batched_nms,
    "torchvision.ops.boxes.batched_nms": convert_batched_nms,
})
