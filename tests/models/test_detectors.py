"""Complete torchvision detectors, post-processing included, with convert(..., fallback=True):
what TensorRT cannot run stays in PyTorch, and the detections equal PyTorch's.

Random weights give near-ties (many boxes with almost the same score), so the settings are
chosen to make the comparison meaningful: 192x192 images (the transform resizes to 192 too,
keeping the CPU reference fast), score thresholds low enough that detections are kept, and
for Faster R-CNN 50 proposals per image (its roi_heads NMS then sees at most 50 x 90 boxes,
within TensorRT's 5000). The backbones' batch norms are settled on a random batch (zoo.py's
`settle`): with the default statistics every box of an image gets the same scores, and which
of the tied boxes survive a cut is arbitrary. Detections are matched greedily, best score first: same label, score
and box within 1e-3 relative; every detection of each side must find its match. SSDlite's
batched NMS (over 27000 candidate boxes) stays in PyTorch; RetinaNet and Faster R-CNN convert
whole (their NMS in TensorRT).
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import pytest
import torch

import trtconv

from .zoo import settle

SIZE = 192
DETECTORS = {
    "retinanet_resnet50_fpn": {"score_thresh": 0.01, "min_size": SIZE, "max_size": SIZE},
    "ssdlite320_mobilenet_v3_large": {},
    "fasterrcnn_mobilenet_v3_large_320_fpn": {"min_size": SIZE, "max_size": SIZE,
                                              "box_score_thresh": 0.0,
                                              "rpn_post_nms_top_n_test": 50},
}


def _build(torchvision: ModuleType, name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = getattr(torchvision.models.detection, name)(
        weights=None, weights_backbone=None, **DETECTORS[name]).eval()
    torch.manual_seed(1)
    settle(model.backbone, torch.rand(2, 3, SIZE, SIZE))  # distinct scores, no ties
    return model.eval()


def _images(seed: int) -> list[torch.Tensor]:
    torch.manual_seed(seed)
    return [torch.rand(3, SIZE, SIZE)]


def _assert_same_detections(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor],
                            name: str) -> None:
    assert set(got) == set(want), f"{name}: fields {sorted(got)} != {sorted(want)}"
    assert len(got["scores"]) == len(want["scores"]), (
        f"{name}: {len(got['scores'])} detections, PyTorch gives {len(want['scores'])}")
    assert len(want["scores"]) > 0, f"{name}: no detections to compare (adjust the settings)"
    unmatched = set(range(len(want["scores"])))
    scale = float(want["boxes"].abs().max())
    for i in torch.argsort(got["scores"], descending=True).tolist():
        match = next((j for j in sorted(unmatched, key=lambda j: -float(want["scores"][j]))
                      if int(want["labels"][j]) == int(got["labels"][i])
                      and abs(float(want["scores"][j] - got["scores"][i])) <= 1e-3
                      * max(1.0, float(want["scores"][j].abs()))
                      and float((want["boxes"][j] - got["boxes"][i]).abs().max())
                      <= 1e-3 * scale), None)
        assert match is not None, (f"{name}: detection {i} (label {int(got['labels'][i])}, "
                                   f"score {float(got['scores'][i]):.5f}, box "
                                   f"{got['boxes'][i].tolist()}) has no match in PyTorch's")
        unmatched.discard(match)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detectors_with_fallback_match_pytorch(name: str, torchvision: ModuleType) -> None:
    model = _build(torchvision, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the guarded size comparisons of the post-processing
        converted = trtconv.convert(model, [_images(0)], backend="reference", fallback=True)
    metadata: dict[str, Any] = converted.metadata
    assert metadata["engines"] >= 1 and metadata["calls_in_tensorrt"] > 0.9 * metadata["calls"]
    for seed in (0, 1):
        images = _images(seed)
        with torch.no_grad():
            want = model([x.clone() for x in images])
        got = converted([x.clone() for x in images])
        assert len(got) == len(want) == 1
        _assert_same_detections(got[0], want[0], name)
