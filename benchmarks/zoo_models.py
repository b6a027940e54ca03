"""The model zoo of the onnx_route benchmark: torchvision models (random weights, eval) and a
few transformer blocks, each with the input it is measured at.

Image models run at a small input (64x64 unless the model needs more) to keep the run short;
AlexNet and the VGGs run at 224x224: below it their adaptive average pool upsamples, which the
TorchScript ONNX exporter refuses ("output size that are not factor of input size").
conversion and export times hardly depend on it, forward times do (the zoo table says which
size each model ran at).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ZooModel:
    name: str
    make: Callable[[], nn.Module]
    input_shape: tuple[int, ...]  # batch 1
    family: str

    def describe_input(self) -> str:
        if self.family == "transformer":
            return "x".join(str(d) for d in self.input_shape[1:]) + " tokens×dim"
        return f"{self.input_shape[-1]} px"


def _tv(name: str, segmentation: bool = False, **kwargs: object) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        from ._torchvision import import_torchvision

        tv = import_torchvision()
        namespace = tv.models.segmentation if segmentation else tv.models
        return getattr(namespace, name)(weights=None, **kwargs)
    return make


class GPTBlock(nn.Module):
    """A pre-norm GPT-style decoder block: causal self-attention through
    `F.scaled_dot_product_attention(is_causal=True)` and a GELU MLP."""

    def __init__(self, dim: int = 256, heads: int = 8, mlp_ratio: int = 4):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def _encoder_layer() -> nn.Module:
    return nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0.0,
                                      batch_first=True)


def _encoder_stack() -> nn.Module:
    layer = nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0.0,
                                       activation="gelu", batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)


_IMAGE_64 = ["resnet18", "resnet34", "resnet50", "resnet101",
             "resnext50_32x4d", "wide_resnet50_2", "squeezenet1_0", "squeezenet1_1",
             "densenet121", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
             "mnasnet0_5", "mnasnet1_0", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
             "efficientnet_b0", "efficientnet_b1", "efficientnet_v2_s", "regnet_x_400mf",
             "regnet_y_400mf", "convnext_tiny"]

MODELS: dict[str, ZooModel] = {}
for _name in _IMAGE_64:
    MODELS[_name] = ZooModel(_name, _tv(_name), (1, 3, 64, 64), "classification")
for _name in ("alexnet", "vgg11", "vgg16_bn"):
    MODELS[_name] = ZooModel(_name, _tv(_name), (1, 3, 224, 224), "classification")
MODELS["googlenet"] = ZooModel("googlenet", _tv("googlenet", init_weights=True),
                               (1, 3, 64, 64), "classification")
MODELS["inception_v3"] = ZooModel("inception_v3", _tv("inception_v3", init_weights=True),
                                  (1, 3, 96, 96), "classification")  # needs >= 75 px
for _name in ("vit_b_16", "swin_t", "maxvit_t"):  # fixed or window-bound input sizes
    MODELS[_name] = ZooModel(_name, _tv(_name), (1, 3, 224, 224), "classification")
for _name in ("fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"):
    MODELS[_name] = ZooModel(_name, _tv(_name, segmentation=True, weights_backbone=None),
                             (1, 3, 64, 64), "segmentation")
MODELS["transformer_encoder_layer"] = ZooModel("transformer_encoder_layer", _encoder_layer,
                                               (1, 64, 256), "transformer")
MODELS["transformer_encoder_x4"] = ZooModel("transformer_encoder_x4", _encoder_stack,
                                            (1, 64, 256), "transformer")
MODELS["gpt_block"] = ZooModel("gpt_block", GPTBlock, (1, 64, 256), "transformer")

ORDER = ["alexnet", "vgg11", "vgg16_bn", "resnet18", "resnet34", "resnet50", "resnet101",
         "resnext50_32x4d", "wide_resnet50_2", "squeezenet1_0", "squeezenet1_1", "densenet121",
         "googlenet", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
         "mnasnet0_5", "mnasnet1_0", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
         "efficientnet_b0", "efficientnet_b1", "efficientnet_v2_s", "regnet_x_400mf",
         "regnet_y_400mf", "convnext_tiny", "vit_b_16", "swin_t", "maxvit_t", "fcn_resnet50",
         "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
         "transformer_encoder_layer", "transformer_encoder_x4", "gpt_block"]
assert sorted(ORDER) == sorted(MODELS)
MODELS = {name: MODELS[name] for name in ORDER}

# --quick: a spread of families that keeps the run to a few minutes
QUICK = ["resnet18", "mobilenet_v3_small", "squeezenet1_1", "efficientnet_b0",
         "deeplabv3_mobilenet_v3_large", "vit_b_16", "transformer_encoder_layer", "gpt_block"]
