"""INMSLayer: non-maximum suppression, per batch item and class, with a data-dependent count.

Inputs: boxes [B, N, 4] (shared by every class) or [B, N, C, 4] (per class), scores [B, N, C]
(one float type for both), max_output_boxes_per_class (a 0-d INT32/INT64 shape tensor), and
optionally iou_threshold (input 3) and score_threshold (input 4), 0-d FLOAT, both 0 when
absent. Outputs: the selected (batch, class, box) triples, [count, 3] of `indices_type`
(INT32 unless set), and the count, 0-d INT32.

What TensorRT documents, step by step: a box is a candidate for a class when its score
exceeds score_threshold; of each batch item's candidates only the `topk_box_limit` highest
scoring (over all classes, at most 5000) are considered; per class, candidates are visited in
decreasing score order and one is selected unless its IoU with a box already selected for that
class exceeds iou_threshold (in [0, 1]), up to max_output_boxes_per_class. The triples are
ordered by batch, then by decreasing score. Boxes are corner pairs (any two opposite corners)
or, with `bounding_box_format` CENTER_SIZES, (x center, y center, width, height).

Equal scores are ordered by box index, then class (TensorRT leaves that order unspecified),
and IoU is computed in float32 as torchvision does (inter / (area1 + area2 - inter), so two
empty boxes have a NaN IoU and do not suppress each other).
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import FLOAT_TYPES, SHAPE_TYPES, ILayer, ITensor, Prop, TensorInfo, add_layer, enum_prop
from ..core import network_method as _method
from ..enums import BoundingBoxFormat, DataType, LayerType
from ._common import check_dtype, index_type, int_in_range

MAX_TOPK_BOX_LIMIT = 5000  # TensorRT's limit on this hardware (2000 on SM 5.3 and 6.2)


class INMSLayer(ILayer):
    layer_type = LayerType.NMS
    num_fixed_outputs = 2
    shape_inputs = frozenset({2})
    bounding_box_format = enum_prop(BoundingBoxFormat, BoundingBoxFormat.CORNER_PAIRS)
    topk_box_limit = Prop(MAX_TOPK_BOX_LIMIT, int_in_range("topk_box_limit", MAX_TOPK_BOX_LIMIT))
    indices_type = Prop(DataType.INT32, index_type)

    def max_inputs(self) -> int:
        return 4

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        boxes, scores, limit = self.require_inputs(ins, 3)[:3]
        check_dtype(self, boxes, FLOAT_TYPES, "boxes")
        if scores.dtype != boxes.dtype:
            raise self.fail(f"boxes and scores must be of the same type, got "
                            f"{boxes.dtype.name} and {scores.dtype.name}")
        if boxes.rank not in (3, 4) or scores.rank != 3:
            raise self.fail(f"boxes must be [B, N, 4] or [B, N, C, 4] and scores [B, N, C], "
                            f"got {boxes.shape} and {scores.shape}")
        if boxes.shape[-1] not in (4, -1):
            raise self.fail(f"the last dimension of the boxes must be 4, got {boxes.shape}")
        if limit.dtype not in SHAPE_TYPES or limit.rank != 0:
            raise self.fail(f"max_output_boxes_per_class must be a 0-D INT32/INT64 tensor, "
                            f"got {limit.dtype.name} of shape {limit.shape}")
        for index, what in ((3, "IoUThreshold"), (4, "ScoreThreshold")):
            threshold = ins[index] if len(ins) > index else None
            if threshold is not None and (threshold.rank != 0 or
                                          threshold.dtype != DataType.FLOAT):
                raise self.fail(f"{what} must be a 0-D FLOAT tensor, got "
                                f"{threshold.dtype.name} of shape {threshold.shape}")
        return [TensorInfo((-1, 3), self.indices_type), TensorInfo((), DataType.INT32)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        boxes, scores, limit = ins[0].float(), ins[1].float(), int(ins[2])
        iou = float(ins[3]) if len(ins) > 3 and ins[3] is not None else 0.0
        floor = float(ins[4]) if len(ins) > 4 and ins[4] is not None else 0.0
        if not 0.0 <= iou <= 1.0:
            raise ValueError(f"{self.name}: the IoU threshold must be in [0, 1], got {iou}")
        batch, count, classes = scores.shape
        if boxes.dim() == 3:
            boxes = boxes.unsqueeze(2).expand(batch, count, classes, 4)
        corners = _corners(boxes, self.bounding_box_format)
        rows = [self._select(b, corners[b], scores[b], limit, iou, floor) for b in range(batch)]
        selected = torch.cat(rows) if rows else torch.zeros(0, 3, dtype=torch.int64)
        return [selected.to(torch.int32 if self.indices_type == DataType.INT32 else torch.int64),
                torch.tensor(len(selected), dtype=torch.int32)]

    def _select(self, b: int, corners: torch.Tensor, scores: torch.Tensor, limit: int,
                iou: float, floor: float) -> torch.Tensor:
        """(b, class, box) rows for one batch item, by decreasing score."""
        candidates = (scores > floor).nonzero()  # (box, class), row-major
        ranked = scores[candidates[:, 0], candidates[:, 1]]
        order = ranked.argsort(descending=True, stable=True)[:self.topk_box_limit]
        candidates, ranked = candidates[order], ranked[order]
        picked = []
        for c in candidates[:, 1].unique().tolist():
            mine = (candidates[:, 1] == c).nonzero()[:, 0]
            boxes = candidates[mine, 0]
            kept = mine[_greedy(corners[boxes, c], iou, limit)]
            picked.append(kept)
        if not picked:
            return torch.zeros(0, 3, dtype=torch.int64)
        chosen = torch.cat(picked).sort().values  # back to the score order (stable ties)
        rows = candidates[chosen]
        return torch.stack([torch.full_like(rows[:, 0], b), rows[:, 1], rows[:, 0]], 1)


def _corners(boxes: torch.Tensor, box_format: BoundingBoxFormat) -> torch.Tensor:
    """Boxes as (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2."""
    a, b, c, d = boxes.unbind(-1)
    if box_format == BoundingBoxFormat.CENTER_SIZES:
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    return torch.stack([torch.minimum(a, c), torch.minimum(b, d), torch.maximum(a, c),
                        torch.maximum(b, d)], -1)


def _greedy(corners: torch.Tensor, iou: float, limit: int) -> torch.Tensor:
    """Greedy suppression over boxes in decreasing score order: the positions kept."""
    x1, y1, x2, y2 = corners.unbind(-1)
    areas = (x2 - x1) * (y2 - y1)
    zero = torch.zeros(())
    suppressed = torch.zeros(len(corners), dtype=torch.bool)
    kept: list[int] = []
    for i in range(len(corners)):
        if len(kept) >= limit:
            break
        if suppressed[i]:
            continue
        kept.append(i)
        w = torch.maximum(zero, torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1))
        h = torch.maximum(zero, torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1))
        inter = w * h
        suppressed |= inter / (areas[i] + areas - inter) > iou
    return torch.tensor(kept, dtype=torch.int64)


@_method
def add_nms(self: Any, boxes: ITensor, scores: ITensor, max_output_boxes_per_class: ITensor,
            indices_type: DataType | None = None) -> INMSLayer:
    for tensor, rank, what in ((scores, 3, "scores"), (max_output_boxes_per_class, 0,
                                                       "max_output_boxes_per_class")):
        if isinstance(tensor, ITensor) and tensor.info.rank != rank:
            # TensorRT logs the failed parameter check and returns None here.
            raise ValueError(f"add_nms: {what} must have rank {rank}, got shape "
                             f"{tensor.info.shape}")
    layer = add_layer(self, INMSLayer, "add_nms",
                      {"boxes": boxes, "scores": scores,
                       "max_output_boxes_per_class": max_output_boxes_per_class},
                      [boxes, scores, max_output_boxes_per_class])
    if indices_type is not None:
        layer.indices_type = indices_type
    return layer
