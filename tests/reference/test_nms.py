"""INMSLayer against an oracle written from TensorRT's documentation, plus its API rules.

The oracle walks candidates in plain Python: score above the threshold, the batch item's
`topk_box_limit` best, per class greedy suppression of IoU > threshold up to the per-class
limit, rows by batch then decreasing score. TensorRT-RTX has no NMS kernel here ("no
runners"), so networks are replayed onto it and every tensor's shape and dtype compared.
"""

import pytest
import torch
from harness import build_network, check_layer, constant, rtx
from support.api_checks import check_add_refused, check_defaults, check_setter_refused

from trtconv.backends.replay import check_against_reference, replay_network
from trtconv.reference import trt as ref
from trtconv.reference.trt.plan import record_network


def clustered_boxes(*lead, n=30, seed=0):
    """Boxes in a few clusters (so suppression happens), corner pairs [..., n, 4]."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.tensor([[10.0, 10.0], [30.0, 12.0], [20.0, 35.0]])
    xy = centers[torch.randint(0, 3, (*lead, n), generator=g)] + torch.randn(*lead, n, 2,
                                                                             generator=g) * 3
    wh = torch.rand(*lead, n, 2, generator=g) * 8 + 4
    return torch.cat([xy - wh / 2, xy + wh / 2], -1)


def _corners(box, centers):
    a, b, c, d = (float(v) for v in box)
    if centers:
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    return torch.tensor([min(a, c), min(b, d), max(a, c), max(b, d)])


def _iou(p, q):
    w = max(0.0, float(torch.minimum(p[2], q[2]) - torch.maximum(p[0], q[0])))
    h = max(0.0, float(torch.minimum(p[3], q[3]) - torch.maximum(p[1], q[1])))
    inter = torch.tensor(w, dtype=torch.float32) * torch.tensor(h, dtype=torch.float32)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return float(inter / (area(p) + area(q) - inter))


def oracle(boxes, scores, limit, iou=0.0, floor=0.0, topk=5000, centers=False):
    batch, count, classes = scores.shape
    rows = []
    for b in range(batch):
        cands = [(float(scores[b, n, c]), n, c) for n in range(count) for c in range(classes)
                 if float(scores[b, n, c]) > floor]
        cands = sorted(cands, key=lambda t: -t[0])[:topk]
        chosen = []
        for c in range(classes):
            kept = []
            for position, (_, n, cc) in enumerate(cands):
                box = boxes[b, n, c] if boxes.dim() == 4 else boxes[b, n]
                box = _corners(box, centers)
                if cc == c and len(kept) < limit and not any(_iou(box, k) > iou
                                                             for _, k in kept):
                    kept.append((position, box))
                    chosen.append((position, (b, c, n)))
        rows += [triple for _, triple in sorted(chosen)]
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, 3)


def nms(limit, iou=None, floor=None, indices_type=None, topk=None, centers=False):
    def build(trt, net, boxes, scores):
        thresholds = [None if v is None else constant(trt, net, torch.tensor(v))
                      for v in (iou, floor)]
        count = constant(trt, net, torch.tensor(limit, dtype=torch.int32))
        layer = (net.add_nms(boxes, scores, count) if indices_type is None else
                 net.add_nms(boxes, scores, count, getattr(trt.DataType, indices_type)))
        for index, threshold in ((3, thresholds[0]), (4, thresholds[1])):
            if threshold is not None:
                layer.set_input(index, threshold)
        if topk is not None:
            layer.topk_box_limit = topk
        if centers:
            layer.bounding_box_format = trt.BoundingBoxFormat.CENTER_SIZES
        return [layer.get_output(0), layer.get_output(1)]

    return build


def check_nms(build, boxes, scores, want, dtype=torch.int32, dynamic=None):
    expected = [want.to(dtype), torch.tensor(len(want), dtype=torch.int32)]
    check_layer(build, [boxes, scores], expected, dynamic=dynamic, on_rtx=False)
    _, network, _ = build_network(ref, build, [boxes, scores], dynamic)
    check_against_reference(network, replay_network(record_network(network), rtx()))


def test_shared_boxes_batches_and_classes():
    boxes, scores = clustered_boxes(2), torch.rand(2, 30, 3)
    check_nms(nms(4, 0.4, 0.2), boxes, scores, oracle(boxes, scores, 4, 0.4, 0.2))


def test_per_class_boxes_and_int64_indices():
    boxes, scores = clustered_boxes(1, 2, seed=1).transpose(1, 2), torch.rand(1, 30, 2)
    check_nms(nms(30, 0.5, 0.0, "INT64"), boxes, scores, oracle(boxes, scores, 30, 0.5),
              torch.int64)


def test_default_thresholds_are_zero():
    boxes, scores = clustered_boxes(1, seed=2), torch.rand(1, 30, 1) - 0.3
    check_nms(nms(30), boxes, scores, oracle(boxes, scores, 30))


def test_topk_box_limit_and_center_sizes():
    boxes, scores = clustered_boxes(1, seed=3), torch.rand(1, 30, 2)
    check_nms(nms(30, 0.6, topk=7), boxes, scores, oracle(boxes, scores, 30, 0.6, topk=7))
    centered = torch.cat([(boxes[..., :2] + boxes[..., 2:]) / 2, boxes[..., 2:] - boxes[..., :2]],
                         -1)
    check_nms(nms(5, 0.3, centers=True), centered, scores,
              oracle(centered, scores, 5, 0.3, centers=True))


def test_half_and_a_dynamic_number_of_boxes():
    boxes, scores = clustered_boxes(1, seed=4), torch.rand(1, 30, 1)
    check_nms(nms(30, 0.5), boxes.half(), scores.half(),
              oracle(boxes.half().float(), scores.half().float(), 30, 0.5))
    check_nms(nms(30, 0.5), boxes, scores, oracle(boxes, scores, 30, 0.5),
              dynamic={0: [1], 1: [1]})


def test_an_iou_threshold_outside_0_1_fails_the_run():
    with pytest.raises(RuntimeError, match="execution failed"):
        check_layer(nms(5, 1.5), [clustered_boxes(1), torch.rand(1, 30, 1)],
                    [torch.zeros(0, 3), torch.tensor(0)], on_rtx=False)


MAKE = lambda trt, net, b, s: net.add_nms(b, s, constant(trt, net, torch.tensor(3, dtype=torch.int32)))  # noqa: E731
INPUTS = [((1, 6, 4), "FLOAT"), ((1, 6, 2), "FLOAT")]


def test_defaults_and_refusals_match_tensorrt():
    assert check_defaults(MAKE, INPUTS, ["indices_type", "topk_box_limit",
                                         "bounding_box_format", "num_inputs"]) == {
        "indices_type": "INT32", "topk_box_limit": 5000,
        "bounding_box_format": "CORNER_PAIRS", "num_inputs": 3}
    check_add_refused(MAKE, [((1, 6, 4), "FLOAT"), ((6, 2), "FLOAT")], "scores")
    check_add_refused(lambda trt, net, b, s: net.add_nms(b, s, constant(
        trt, net, torch.tensor([3], dtype=torch.int32))), INPUTS, "max_output")
    check_setter_refused(MAKE, INPUTS, "topk_box_limit", 6000)


@pytest.mark.parametrize("make,inputs", [
    (MAKE, [((1, 6, 4), "HALF"), ((1, 6, 2), "FLOAT")]),  # types differ
    (MAKE, [((1, 6, 5), "FLOAT"), ((1, 6, 2), "FLOAT")]),  # not 4 coordinates
    (lambda trt, net, b, s: _with_threshold(trt, net, b, s, torch.tensor([0.5])), INPUTS),
    (lambda trt, net, b, s: _with_threshold(trt, net, b, s, torch.tensor(0.5).half()), INPUTS),
], ids=["types", "coordinates", "threshold_rank", "threshold_type"])
def test_invalid_networks_are_rejected_by_both(make, inputs):
    from support.api_checks import _network

    for trt in (ref, rtx()):
        _, network, tensors = _network(trt, inputs)
        with pytest.raises(RuntimeError):
            _ = make(trt, network, *tensors).get_output(0).shape


def _with_threshold(trt, net, boxes, scores, value):
    layer = MAKE(trt, net, boxes, scores)
    layer.set_input(3, constant(trt, net, value))
    return layer
