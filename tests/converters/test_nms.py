"""torchvision.ops.nms / batched_nms against torchvision (its CPU algorithm, in
support/torchvision_cpu.py here), with data-dependent counts, dynamic box counts and
post-processing around them. TensorRT-RTX has no NMS kernel here: networks are replayed and
checked on it (`rtx="replay"`)."""

from types import ModuleType

import pytest
import torch
from harness import Lambda, check_op, check_unsupported
from support.compare import assert_matches as compare
from support.dynamic_harness import check_dynamic

import trtconv


def boxes_and_scores(n, seed=0):
    """Boxes in three clusters (so NMS suppresses), scores in [0, 1), categories 0-2."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.tensor([[10.0, 10.0], [30.0, 12.0], [20.0, 35.0]])
    xy = centers[torch.randint(0, 3, (n,), generator=g)] + torch.randn(n, 2, generator=g) * 3
    wh = torch.rand(n, 2, generator=g) * 8 + 4
    boxes = torch.cat([xy - wh / 2, xy + wh / 2], 1).clamp(min=0)
    return boxes, torch.rand(n, generator=g), torch.randint(0, 3, (n,), generator=g)


B, S, LABELS = boxes_and_scores(40)


@pytest.mark.parametrize("iou", [0.0, 0.3, 0.5, 1.0])
def test_nms(torchvision: ModuleType, iou: float) -> None:
    converted = check_op(lambda b, s: torchvision.ops.nms(b, s, iou), B, S, rtx="replay")
    kept = converted(B, S)
    assert 0 < len(kept) < len(B) or iou in (0.0, 1.0)


def test_nms_spellings_ties_and_infinite_scores(torchvision: ModuleType) -> None:
    scores = S.clone()
    scores[::4] = 0.5  # ties: torchvision keeps them in index order
    scores[1], scores[2] = -float("inf"), float("inf")
    check_op(lambda b, s: (torchvision.ops.boxes.nms(b, s, 0.4),
                           torchvision.ops.boxes.batched_nms(b, s, torch.zeros_like(s).long(),
                                                             0.4)), B, scores, rtx="replay")


def test_nms_dynamic_count(torchvision: ModuleType) -> None:
    check_dynamic(lambda b, s: torchvision.ops.nms(b, s, 0.45), (B, S),
                  (torch.zeros(0, 4), torch.zeros(0)), boxes_and_scores(1, 1)[:2],
                  boxes_and_scores(90, 2)[:2], rtx="replay")


def test_batched_nms(torchvision: ModuleType) -> None:
    check_op(lambda b, s, i: torchvision.ops.batched_nms(b, s, i, 0.3), B, S, LABELS, rtx="replay")
    check_dynamic(lambda b, s, i: torchvision.ops.batched_nms(b, s, i, 0.5), (B, S, LABELS),
                  boxes_and_scores(70, 3), boxes_and_scores(2, 4), rtx="replay")


def test_detector_post_processing(torchvision: ModuleType) -> None:
    """Score filter, top-k, batched NMS and the first detections, as torchvision's detectors
    do: every count in it is data-dependent."""
    def post_process(boxes, scores, labels):
        keep = scores > 0.3
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        kept = torchvision.ops.batched_nms(boxes, scores, labels, 0.5)[:10]
        return boxes[kept], scores[kept], labels[kept]

    converted = check_op(post_process, B, S, LABELS, rtx="replay")
    for seed in (5, 6):
        case = boxes_and_scores(len(B), seed)
        compare(converted(*case), post_process(*case), 0, 0)
    nothing = (B, S * 0.1, LABELS)  # no score above the threshold
    compare(converted(*nothing), post_process(*nothing), 0, 0)


def test_too_many_boxes(torchvision: ModuleType) -> None:
    many = boxes_and_scores(5001)[:2]
    check_unsupported(lambda b, s: torchvision.ops.nms(b, s, 0.5), *many, op="torchvision.ops.nms")
    converted = trtconv.convert(Lambda(lambda b, s: torchvision.ops.nms(b, s, 0.5)), [B, S],
                                backend="reference", min_shapes=[(1, 4), (1,)],
                                max_shapes=[(6000, 4), (6000,)])
    with pytest.raises(trtconv.TrtconvError, match="nms of more than 5000 boxes"):
        converted(*many)


def test_iou_threshold_outside_0_1_unsupported(torchvision: ModuleType) -> None:
    check_unsupported(lambda b, s: torchvision.ops.nms(b, s, 1.5), B, S, op="torchvision.ops.nms")


def test_cpu_kernel_follows_torchvision_algorithm(torchvision: ModuleType) -> None:
    """The test-support kernel against torchvision's C++ loop written out element by
    element."""
    from support.torchvision_cpu import nms_reference

    def loop(dets, scores, threshold):
        order = scores.sort(stable=True, descending=True).indices.tolist()
        x1, y1, x2, y2 = (dets[:, k].tolist() for k in range(4))
        area = [(x2[i] - x1[i]) * (y2[i] - y1[i]) for i in range(len(order))]
        suppressed, keep = set(), []
        for a, i in enumerate(order):
            if i in suppressed:
                continue
            keep.append(i)
            for j in order[a + 1:]:
                w = max(0.0, min(x2[i], x2[j]) - max(x1[i], x1[j]))
                h = max(0.0, min(y2[i], y2[j]) - max(y1[i], y1[j]))
                if w * h / (area[i] + area[j] - w * h) > threshold:
                    suppressed.add(j)
        return keep

    for seed in range(3):
        boxes, scores, _ = boxes_and_scores(50, seed)
        for threshold in (0.2, 0.5):
            assert nms_reference(boxes, scores, threshold).tolist() == loop(boxes.double(),
                                                                            scores, threshold)
    assert torch.equal(torchvision.ops.nms(B, S, 0.5), nms_reference(B, S, 0.5))
