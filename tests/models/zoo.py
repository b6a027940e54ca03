"""The torchvision model zoo that trtconv must convert: every model with its input size.

Each model is built with random weights (``weights=None``, seeded with ``torch.manual_seed``)
in ``eval()`` mode and fed ``randn(2, 3, H, W)`` (batch 2, fp32). Both the model tests
(tests/models/test_zoo.py) and the table generator (tools/model_table.py, which writes
docs/models.md) read this list; edit it here and both follow.

Input sizes are chosen to keep the suite fast on a 2-core CI machine while still exercising
every layer of each architecture (each size is the ``size`` field below):

- 64x64 for the CNNs and the segmentation models. Every downsampling stage still sees at least
  a 2x2 feature map (AlexNet: 1x1 before its adaptive pool; VGG/AlexNet's adaptive average
  pool then *upsamples* to 7x7/6x6, which exercises the general adaptive-pooling path).
- 75x75 for inception_v3: the smallest size its stem and stride-2 reductions accept.
- 64x64 for vit_b_16, built with ``image_size=64`` (the position embedding is sized at
  construction, so the constructor argument must match the input): 16 patches + class token.
- 64x64 for swin_t: 16x16 tokens after the patch embedding, padded up to the 7x7 window in
  stage 1; in stages 2-4 the feature map is smaller than the window, so the window shrinks
  and the shift is dropped (the paths torchvision takes for small inputs).
- 224x224 for maxvit_t: every block's input (input/4, /8, /16, /32) must be divisible by the
  partition size 7, which ``maxvit_t()`` fixes; 224 is the smallest size that works.

Construction choices (all other arguments are torchvision's defaults):

- googlenet, inception_v3: ``aux_logits=False`` (the auxiliary heads run only in training)
  and ``init_weights=True`` (torchvision's own init, and no FutureWarning).
- segmentation models: ``weights_backbone=None`` (the default downloads ImageNet weights);
  fcn_resnet50 with ``aux_loss=True`` so one model returns a dict of two outputs
  ``{"out": ..., "aux": ...}``; the others return ``{"out": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

BATCH = 2
MODEL_SEED = 0  # torch.manual_seed before building a model (random weights)
INPUT_SEED = 1  # torch.manual_seed before drawing its input
MAX_REL_ERROR = 1e-3  # max |trt - torch| / max |torch| over all outputs, fp32


@dataclass(frozen=True)
class ZooModel:
    """One torchvision model: how to build it and what it is fed."""

    name: str
    size: tuple[int, int] = (64, 64)  # input H, W
    kwargs: dict[str, Any] = field(default_factory=dict)
    segmentation: bool = False

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (BATCH, 3, *self.size)

    def describe_size(self) -> str:
        return f"{self.size[0]}x{self.size[1]}"

    def constructor(self, torchvision: Any) -> Callable[..., torch.nn.Module]:
        namespace = torchvision.models.segmentation if self.segmentation else torchvision.models
        return getattr(namespace, self.name)

    def build(self, torchvision: Any) -> torch.nn.Module:
        """The model with seeded random weights, in eval mode (built once per test)."""
        torch.manual_seed(MODEL_SEED)
        kwargs = {"weights": None, **self.kwargs}
        if self.segmentation:
            kwargs.setdefault("weights_backbone", None)
        return self.constructor(torchvision)(**kwargs).eval()

    def example_input(self) -> torch.Tensor:
        torch.manual_seed(INPUT_SEED)
        return torch.randn(self.input_shape)


_CNNS_64 = [
    "alexnet", "vgg11", "vgg16_bn", "resnet18", "resnet34", "resnet50", "resnet101",
    "resnext50_32x4d", "wide_resnet50_2", "squeezenet1_0", "squeezenet1_1", "densenet121",
]
_MOBILE_64 = [
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "mnasnet0_5", "mnasnet1_0",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "efficientnet_b0", "efficientnet_b1",
    "efficientnet_v2_s", "regnet_x_400mf", "regnet_y_400mf", "convnext_tiny",
]
_INCEPTION = {"aux_logits": False, "init_weights": True}

MODELS: list[ZooModel] = [
    *(ZooModel(name) for name in _CNNS_64),
    ZooModel("googlenet", (64, 64), _INCEPTION),
    ZooModel("inception_v3", (75, 75), _INCEPTION),
    *(ZooModel(name) for name in _MOBILE_64),
    ZooModel("vit_b_16", (64, 64), {"image_size": 64}),
    ZooModel("swin_t", (64, 64)),
    ZooModel("maxvit_t", (224, 224)),
    ZooModel("fcn_resnet50", (64, 64), {"aux_loss": True}, segmentation=True),
    ZooModel("deeplabv3_mobilenet_v3_large", (64, 64), segmentation=True),
    ZooModel("lraspp_mobilenet_v3_large", (64, 64), segmentation=True),
]

BY_NAME: dict[str, ZooModel] = {m.name: m for m in MODELS}


def relative_error(got: Any, want: Any) -> float:
    """max |got - want| / max |want| over every tensor of two matching output structures."""
    from torch.utils import _pytree as pytree

    got_leaves, want_leaves = pytree.tree_leaves(got), pytree.tree_leaves(want)
    if len(got_leaves) != len(want_leaves):
        raise ValueError(f"{len(got_leaves)} outputs, torch gives {len(want_leaves)}")
    diff = max(float((g.double() - w.double()).abs().max()) for g, w in
               zip(got_leaves, want_leaves))
    scale = max(float(w.double().abs().max()) for w in want_leaves)
    return diff / scale if scale > 0 else diff
