"""The torchvision model zoo that trtconv must convert: every model with its input size.

Each model is built with random weights (``weights=None``, seeded with ``torch.manual_seed``),
settled so that its activations look like a trained model's (``settle``: batch-norm statistics
from one random batch, an all-zero head redrawn), in ``eval()`` mode and fed
``randn(2, 3, H, W)`` (batch 2, fp32). Each model is also converted once with a dynamic batch
and dynamic H and W (``dynamic_profile``: 32-96 for the segmentation models, the model's size
to 32 more for the others) and run at other shapes (``dynamic_run_shapes``); fp16 and bf16
errors are bounded by ``low_precision_bound``.

Two models take one input size only, so only their batch is dynamic (``fixed_size``):
vit_b_16 and maxvit_t fix it at construction (position embedding; partition grid). swin_t
branches in Python on each stage's padded feature-map size (shift the windows only where the
map is larger than a window): trtconv guards each comparison with an assertion naming the
attention module (a size on the other side raises GuardError). Over 64-96 pixels every stage
stays on the example's side (stage 1: 21-28 tokens after padding, 2: 14, 3 and 4: 7, against a
window of 7), so for swin_t these guard warnings are expected (``branches_on_size``) and the
run shapes, which span the range, pass their guards. Its
shifted-window mask is written by slice assignment into a tensor of the padded size, which
converts to coordinate comparisons. Both the model tests
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
- 64x64 for swin_t: 16x16 tokens after the patch embedding, padded to 21x21 (a multiple of
  the 7x7 window) in stage 1 and 14x14 in stage 2, both shifted; in stages 3-4 the padded map
  is one window, so the shift is dropped (the path torchvision takes for small inputs).
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
DYNAMIC_BATCHES = (1, 16)  # every model is also converted once for this batch range ...
RUN_BATCHES = (1, 3, 16)  # ... and run at these batches
SEGMENTATION_HW = ((32, 32), (96, 96))  # segmentation models: H and W dynamic in this range
HW_GROWTH = 32  # the other models' H and W run from their size to this much more
MODEL_SEED = 0  # torch.manual_seed before building a model (random weights)
SETTLE_SEED = 2  # torch.manual_seed before drawing the batch that sets batch-norm statistics
SETTLE_BATCH = 4
HEAD_STD = 0.02  # std of the normal draw that replaces an all-zero Linear weight
INPUT_SEED = 1  # torch.manual_seed before drawing its input
MAX_REL_ERROR = 1e-3  # max |trt - torch| / max |torch| over all outputs, fp32
LOW_PRECISIONS = {"fp16": torch.float16, "bf16": torch.bfloat16}
# In fp16 and bf16 the engine's error against fp32 PyTorch may be at most this many times the
# error of PyTorch itself running the same model in that dtype (see low_precision_bound).
LOW_PRECISION_FACTOR = 3.0


@dataclass(frozen=True)
class ZooModel:
    """One torchvision model: how to build it and what it is fed."""

    name: str
    size: tuple[int, int] = (64, 64)  # input H, W
    kwargs: dict[str, Any] = field(default_factory=dict)
    segmentation: bool = False
    fixed_size: bool = False  # H and W fixed by construction (see the module docstring)
    branches_on_size: bool = False  # Python branches on sizes: expected comparison warnings

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (BATCH, 3, *self.size)

    def describe_size(self) -> str:
        return f"{self.size[0]}x{self.size[1]}"

    def constructor(self, torchvision: Any) -> Callable[..., torch.nn.Module]:
        namespace = torchvision.models.segmentation if self.segmentation else torchvision.models
        return getattr(namespace, self.name)

    def build(self, torchvision: Any) -> torch.nn.Module:
        """The model with seeded random weights, settled like a trained one (see
        `settle`), in eval mode (built once per test)."""
        torch.manual_seed(MODEL_SEED)
        kwargs = {"weights": None, **self.kwargs}
        if self.segmentation:
            kwargs.setdefault("weights_backbone", None)
        model = self.constructor(torchvision)(**kwargs)
        torch.manual_seed(SETTLE_SEED)
        return settle(model, torch.randn(SETTLE_BATCH, 3, *self.size))

    def example_input(self) -> torch.Tensor:
        return self.input_of(self.input_shape)

    @staticmethod
    def input_of(shape: tuple[int, ...]) -> torch.Tensor:
        torch.manual_seed(INPUT_SEED)
        return torch.randn(shape)

    def hw_range(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The smallest and largest H x W the dynamic conversion takes."""
        if self.fixed_size:
            return self.size, self.size
        if self.segmentation:
            return SEGMENTATION_HW
        (h, w), g = self.size, HW_GROWTH
        return (h, w), (h + g, w + g)

    def dynamic_profile(self) -> dict[str, list[tuple[int, ...]]]:
        """convert()'s min/opt/max_shapes: batch DYNAMIC_BATCHES and H, W in `hw_range`;
        opt is the example input."""
        lo_hw, hi_hw = self.hw_range()
        return {"min_shapes": [(DYNAMIC_BATCHES[0], 3, *lo_hw)],
                "opt_shapes": [self.input_shape],
                "max_shapes": [(DYNAMIC_BATCHES[1], 3, *hi_hw)]}

    def dynamic_run_shapes(self) -> list[tuple[int, int, int, int]]:
        """The input shapes the dynamically converted model runs at, besides the example:
        RUN_BATCHES at the smallest H x W, one in between (H and W unequal, odd), and the
        largest."""
        (h0, w0), (h1, w1) = self.hw_range()
        middle = (h0 + (h1 - h0) // 3) | 1, (w1 - (w1 - w0) // 7) | 1
        sizes = [(h0, w0), middle, (h1, w1)] if h1 > h0 else [(h0, w0)] * 3
        return [(batch, 3, *hw) for batch, hw in zip(RUN_BATCHES, sizes)]

    def describe_dynamic(self) -> str:
        batches = f"batch {DYNAMIC_BATCHES[0]}-{DYNAMIC_BATCHES[1]}"
        (h0, w0), (h1, w1) = self.hw_range()
        return batches if h1 == h0 else f"{batches}, H {h0}-{h1}, W {w0}-{w1}"


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
    ZooModel("vit_b_16", (64, 64), {"image_size": 64}, fixed_size=True),
    ZooModel("swin_t", (64, 64), branches_on_size=True),
    ZooModel("maxvit_t", (224, 224), fixed_size=True),
    ZooModel("fcn_resnet50", (64, 64), {"aux_loss": True}, segmentation=True),
    ZooModel("deeplabv3_mobilenet_v3_large", (64, 64), segmentation=True),
    ZooModel("lraspp_mobilenet_v3_large", (64, 64), segmentation=True),
]

BY_NAME: dict[str, ZooModel] = {m.name: m for m in MODELS}


def settle(model: torch.nn.Module, batch: torch.Tensor) -> torch.nn.Module:
    """Make random weights behave like trained ones, then switch to eval mode.

    Freshly built, a batch-normalized model has running statistics (mean 0, variance 1) that
    match nothing, so its activations drift layer after layer: mobilenet_v2's logits come out
    near 1e-9, inception_v3's near 1e8, both outside half precision's range and saying nothing
    about how a trained model fares in fp16. So each batch norm takes the per-channel means of
    one training-mode forward pass on `batch` (as a trained model's come from data) and one
    variance for all its channels, the largest channel's: activations stay near unit size and
    weak channels stay weak. Per-channel variances would lift every channel of a random network
    to unit size, and such a network amplifies each rounding by orders of magnitude, which
    trained ones do not (resnet101's fp32 error against fp64 grows from 3e-7 to 1.6e-4, its
    fp16 error from 6e-4 to 0.2). A Linear weight the constructor left all zero (ViT's
    classification head, which makes every output 0 and every comparison vacuous) is redrawn
    from N(0, HEAD_STD**2).
    """
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and not module.weight.detach().any():
            with torch.no_grad():
                module.weight.normal_(0.0, HEAD_STD)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if norms:
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average: after one batch, that batch's statistics
        with torch.no_grad():
            model.train()(batch)
            for norm in norms:
                norm.running_var.fill_(float(norm.running_var.max()))
    return model.eval()


def torch_low_precision_error(model: torch.nn.Module, x: torch.Tensor, want: Any,
                               dtype: torch.dtype) -> float:
    """relative_error of PyTorch itself running `model` (a copy) and `x` in `dtype`."""
    import copy

    with torch.no_grad():
        got = copy.deepcopy(model).to(dtype)(x.to(dtype))
    return relative_error(got, want)


def low_precision_bound(torch_error: float) -> float:
    """The largest error against fp32 PyTorch the engine may have in fp16/bf16.

    What half precision costs a model is measured by PyTorch itself: the same model run in
    fp16/bf16 (`torch_low_precision_error`). The engine computes the same arithmetic (half
    precision storage, fp32 accumulation), except that it keeps some ops in fp32, so its error
    is of the same size; it differs by where the roundings fall, and a random-weight network
    amplifies each rounding a little differently. Over the zoo the engine's error is 0.7 to 2.1
    times PyTorch's (docs/models.md); LOW_PRECISION_FACTOR = 3 leaves room for another CPU's
    kernels and still holds the fp16 engines to under a hundredth of the output range.
    """
    return LOW_PRECISION_FACTOR * torch_error


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
