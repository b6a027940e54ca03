"""A ResNet-50-shaped network written directly with the TensorRT network API, and the same
computation in eager PyTorch with the same weights.

The weights are random, named like torchvision's `resnet50().state_dict()` (so
`torchvision.models.resnet50().load_state_dict(weights)` accepts them at width 64). Batch norm
is folded the way a converter folds it: one `IScaleLayer` (mode CHANNEL) with
`scale = gamma / sqrt(var + eps)` and `shift = beta - mean * scale`; eager PyTorch runs
`F.batch_norm` on the running statistics, as torchvision's module does in eval mode.

`build_network` takes the `trt` module to build with (`trtconv.reference.trt`, or a real
`tensorrt`/`tensorrt_rtx`), and uses only the public TensorRT 11 API.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

RESNET50 = (3, 4, 6, 3)
EXPANSION = 4
EPS = 1e-5


def make_weights(width: int = 64, layers: Sequence[int] = RESNET50, num_classes: int = 1000,
                 seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float32 weights with torchvision's ResNet names; activations stay O(1)."""
    g = torch.Generator().manual_seed(seed)
    w: dict[str, torch.Tensor] = {}

    def conv(name: str, cout: int, cin: int, k: int) -> None:
        std = math.sqrt(2.0 / (cin * k * k))  # He init over fan-in: keeps the variance
        w[f"{name}.weight"] = torch.randn(cout, cin, k, k, generator=g) * std

    def bn(name: str, c: int, gamma: float = 1.0) -> None:
        w[f"{name}.weight"] = gamma * (0.5 + 0.5 * torch.rand(c, generator=g))
        w[f"{name}.bias"] = 0.1 * torch.randn(c, generator=g)
        w[f"{name}.running_mean"] = 0.1 * torch.randn(c, generator=g)
        w[f"{name}.running_var"] = 0.5 + torch.rand(c, generator=g)
        w[f"{name}.num_batches_tracked"] = torch.tensor(0)

    conv("conv1", width, 3, 7)
    bn("bn1", width)
    cin = width
    for stage, blocks in enumerate(layers):
        planes = width * 2 ** stage
        for b in range(blocks):
            p = f"layer{stage + 1}.{b}"
            conv(f"{p}.conv1", planes, cin, 1)
            bn(f"{p}.bn1", planes)
            conv(f"{p}.conv2", planes, planes, 3)
            bn(f"{p}.bn2", planes)
            conv(f"{p}.conv3", planes * EXPANSION, planes, 1)
            bn(f"{p}.bn3", planes * EXPANSION, gamma=0.2)  # small residual branch
            if b == 0:
                conv(f"{p}.downsample.0", planes * EXPANSION, cin, 1)
                bn(f"{p}.downsample.1", planes * EXPANSION)
            cin = planes * EXPANSION
    w["fc.weight"] = torch.randn(num_classes, cin, generator=g) / math.sqrt(cin)
    w["fc.bias"] = 0.01 * torch.randn(num_classes, generator=g)
    return w


def _blocks(weights: dict[str, torch.Tensor]) -> list[tuple[str, int, bool]]:
    """(prefix, stride, has_downsample) for every bottleneck, in order."""
    out = []
    stage = 1
    while f"layer{stage}.0.conv1.weight" in weights:
        b = 0
        while f"layer{stage}.{b}.conv1.weight" in weights:
            prefix = f"layer{stage}.{b}"
            stride = 2 if stage > 1 and b == 0 else 1
            out.append((prefix, stride, f"{prefix}.downsample.0.weight" in weights))
            b += 1
        stage += 1
    return out


def folded_bn(weights: dict[str, torch.Tensor], name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of an eval-mode batch norm."""
    scale = weights[f"{name}.weight"] / torch.sqrt(weights[f"{name}.running_var"] + EPS)
    shift = weights[f"{name}.bias"] - weights[f"{name}.running_mean"] * scale
    return scale.contiguous(), shift.contiguous()


# ---------------------------------------------------------------------------------------------
# eager PyTorch

def eager_forward(weights: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """torchvision's ResNet forward in eval mode, written with torch.nn.functional."""
    w = weights

    def bn(t: torch.Tensor, name: str) -> torch.Tensor:
        return F.batch_norm(t, w[f"{name}.running_mean"], w[f"{name}.running_var"],
                            w[f"{name}.weight"], w[f"{name}.bias"], False, 0.0, EPS)

    x = F.conv2d(x, w["conv1.weight"], None, 2, 3)
    x = F.relu(bn(x, "bn1"), inplace=True)
    x = F.max_pool2d(x, 3, 2, 1)
    for prefix, stride, down in _blocks(w):
        identity = x
        out = F.relu(bn(F.conv2d(x, w[f"{prefix}.conv1.weight"]), f"{prefix}.bn1"), inplace=True)
        out = F.conv2d(out, w[f"{prefix}.conv2.weight"], None, stride, 1)
        out = F.relu(bn(out, f"{prefix}.bn2"), inplace=True)
        out = bn(F.conv2d(out, w[f"{prefix}.conv3.weight"]), f"{prefix}.bn3")
        if down:
            identity = bn(F.conv2d(x, w[f"{prefix}.downsample.0.weight"], None, stride),
                          f"{prefix}.downsample.1")
        out += identity
        x = F.relu(out, inplace=True)
    x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
    return F.linear(x, w["fc.weight"], w["fc.bias"])


# ---------------------------------------------------------------------------------------------
# TensorRT network API

def build_network(trt: Any, weights: dict[str, torch.Tensor], input_shape: Sequence[int],
                  logger: Any = None) -> tuple[Any, Any, list[np.ndarray]]:
    """(builder, network, kept arrays): the ResNet on `trt`'s network API, input "input"
    (float32, `input_shape` NCHW), output "output" (N, classes).

    The returned numpy arrays back the weights; keep them alive until the plan is built
    (real TensorRT does not copy weights before building)."""
    keep: list[np.ndarray] = []

    def wts(t: torch.Tensor) -> Any:
        array = np.ascontiguousarray(t.detach().to(torch.float32).numpy())
        keep.append(array)
        return trt.Weights(array)

    builder = trt.Builder(logger if logger is not None else trt.Logger(trt.Logger.WARNING))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    w = weights

    def conv(x: Any, name: str, stride: int = 1, padding: int = 0) -> Any:
        kernel = w[f"{name}.weight"]
        cout, _, kh, kw = kernel.shape
        layer = network.add_convolution_nd(x, cout, (kh, kw), wts(kernel))
        layer.stride_nd = (stride, stride)
        layer.padding_nd = (padding, padding)
        layer.name = name
        return layer.get_output(0)

    def bn(x: Any, name: str) -> Any:
        scale, shift = folded_bn(w, name)
        layer = network.add_scale(x, trt.ScaleMode.CHANNEL, shift=wts(shift), scale=wts(scale))
        layer.name = name
        return layer.get_output(0)

    def relu(x: Any, name: str) -> Any:
        layer = network.add_activation(x, trt.ActivationType.RELU)
        layer.name = name
        return layer.get_output(0)

    x = network.add_input("input", trt.float32, tuple(input_shape))
    x = relu(bn(conv(x, "conv1", 2, 3), "bn1"), "relu")
    pool = network.add_pooling_nd(x, trt.PoolingType.MAX, (3, 3))
    pool.stride_nd = (2, 2)
    pool.padding_nd = (1, 1)
    pool.name = "maxpool"
    x = pool.get_output(0)
    for prefix, stride, down in _blocks(w):
        out = relu(bn(conv(x, f"{prefix}.conv1"), f"{prefix}.bn1"), f"{prefix}.relu1")
        out = relu(bn(conv(out, f"{prefix}.conv2", stride, 1), f"{prefix}.bn2"),
                   f"{prefix}.relu2")
        out = bn(conv(out, f"{prefix}.conv3"), f"{prefix}.bn3")
        identity = x
        if down:
            identity = bn(conv(x, f"{prefix}.downsample.0", stride), f"{prefix}.downsample.1")
        add = network.add_elementwise(out, identity, trt.ElementWiseOperation.SUM)
        add.name = f"{prefix}.add"
        x = relu(add.get_output(0), f"{prefix}.relu3")
    # global average pool over H, W (axes bitmask 0b1100), keeping the dims: (N, C, 1, 1)
    gap = network.add_reduce(x, trt.ReduceOperation.AVG, (1 << 2) | (1 << 3), True)
    gap.name = "avgpool"
    flat = network.add_shuffle(gap.get_output(0))
    flat.reshape_dims = (0, -1)
    flat.name = "flatten"
    fc_w = w["fc.weight"]  # (classes, C): multiply by its transpose
    weight = network.add_constant(tuple(fc_w.shape), wts(fc_w))
    weight.name = "fc.weight"
    mm = network.add_matrix_multiply(flat.get_output(0), trt.MatrixOperation.NONE,
                                     weight.get_output(0), trt.MatrixOperation.TRANSPOSE)
    mm.name = "fc.matmul"
    bias = network.add_constant((1, fc_w.shape[0]), wts(w["fc.bias"]))
    bias.name = "fc.bias"
    fc = network.add_elementwise(mm.get_output(0), bias.get_output(0),
                                 trt.ElementWiseOperation.SUM)
    fc.name = "fc"
    out = fc.get_output(0)
    out.name = "output"
    network.mark_output(out)
    return builder, network, keep


def build_plan(trt: Any, weights: dict[str, torch.Tensor], input_shape: Sequence[int]) -> bytes:
    """The serialized plan of the network for a static input shape."""
    builder, network, keep = build_network(trt, weights, input_shape)
    config = builder.create_builder_config()
    plan = builder.build_serialized_network(network, config)
    del keep
    if plan is None:
        raise RuntimeError("build_serialized_network returned None (see the log above)")
    return bytes(plan)


class ReferenceRunner:
    """Runs a reference plan the way an application does: the engine and context made once,
    the output buffer allocated once; each call sets the addresses and executes."""

    def __init__(self, plan: bytes, input_shape: Sequence[int]):
        from trtconv.reference import trt

        self.trt = trt
        self.logger = trt.Logger(trt.Logger.ERROR)
        self.engine = trt.Runtime(self.logger).deserialize_cuda_engine(plan)
        if self.engine is None:
            raise RuntimeError("the reference runtime could not deserialize the plan")
        self.context = self.engine.create_execution_context()
        if not self.context.set_input_shape("input", tuple(input_shape)):
            raise RuntimeError(f"the engine rejects input shape {tuple(input_shape)}")
        shape = tuple(self.context.get_tensor_shape("output"))
        self.output = torch.empty(shape, dtype=torch.float32)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        context = self.context
        context.set_tensor_address("input", x.data_ptr())
        context.set_tensor_address("output", self.output.data_ptr())
        if not context.execute_async_v3(0):
            raise RuntimeError("execute_async_v3 failed")
        return self.output
