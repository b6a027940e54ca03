"""The torchvision model zoo converts and matches PyTorch (models and sizes: tests/models/zoo.py).

Two tests per model, each building the model once (seeded random weights, eval):

- test_outputs_match_pytorch: converted once on the reference backend with a dynamic batch
  (1-16) and, except for vit_b_16 and maxvit_t, dynamic H and W (segmentation models: 32-96;
  the others: their size to 32 more), the TRTModule run at the example batch 2 and at batch 1,
  3 and 16 at the smallest, an odd in-between and the largest size returns what the
  model returns (a tensor, or a dict {"out", "aux"} for segmentation) with torch's dtypes and
  shapes, and max |trt - torch| / max |torch| <= 1e-3 in fp32 at each; its ONNX export
  (one node per layer) passes onnx.checker (tests/models/onnx_check.py);
- test_builds_on_tensorrt_rtx: the model converts on TensorRT-RTX with the same profile, which
  replays the network, checks every tensor's shape and dtype against the reference, and builds
  a plan on CPU.

And two per model and low precision (fp16, bf16), converted at batch 2:

- test_low_precision_error_is_pytorchs: the engine's error against fp32 PyTorch is within
  low_precision_bound (zoo.py) of PyTorch's own error running the model in that dtype, and not
  zero (the engine really computed in half precision);
- test_low_precision_builds_on_tensorrt_rtx: the strongly typed network builds on TensorRT-RTX.

They are separate tests, not one fixture shared by both: pytest-xdist hands consecutive tests
to different workers, so a shared module-scoped fixture would build and convert every model
on both workers. A model that needs a converter nobody wrote yet fails with
UnsupportedOperatorError naming the ops; it is never skipped.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from types import ModuleType

import pytest
import torch
from torch.utils import _pytree as pytree

import trtconv

from .onnx_check import check_onnx_export
from .zoo import (
    BY_NAME,
    LOW_PRECISIONS,
    MAX_REL_ERROR,
    MODELS,
    ZooModel,
    low_precision_bound,
    relative_error,
    torch_low_precision_error,
)

pytestmark = pytest.mark.models
NAMES = [m.name for m in MODELS]

ISSUE_MODELS = """alexnet vgg11 vgg16_bn resnet18 resnet34 resnet50 resnet101 resnext50_32x4d
wide_resnet50_2 squeezenet1_0 squeezenet1_1 densenet121 googlenet inception_v3 mobilenet_v2
mobilenet_v3_small mobilenet_v3_large mnasnet0_5 mnasnet1_0 shufflenet_v2_x0_5
shufflenet_v2_x1_0 efficientnet_b0 efficientnet_b1 efficientnet_v2_s regnet_x_400mf
regnet_y_400mf convnext_tiny vit_b_16 swin_t maxvit_t fcn_resnet50 deeplabv3_mobilenet_v3_large
lraspp_mobilenet_v3_large""".split()


def check_structure(got: object, want: object, spec: ZooModel) -> None:
    """Same nesting (tensor or dict with the same keys), dtypes, shapes and device as torch."""
    got_leaves, got_spec = pytree.tree_flatten(got)
    want_leaves, want_spec = pytree.tree_flatten(want)
    assert got_spec == want_spec, f"output structure {got_spec}, torch gives {want_spec}"
    if spec.segmentation:
        assert isinstance(got, dict) and list(got) == list(want), f"{type(got)} {want.keys()}"
    else:
        assert isinstance(got, torch.Tensor), type(got)
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        assert g.dtype == w.dtype == torch.float32, f"output {i}: {g.dtype}, torch {w.dtype}"
        assert g.shape == w.shape, f"output {i}: shape {tuple(g.shape)}, torch {tuple(w.shape)}"
        assert g.device == w.device, f"output {i}: on {g.device}, torch on {w.device}"


@contextlib.contextmanager
def strict_warnings(spec: ZooModel) -> Iterator[None]:
    """UserWarnings fail the conversion (a value read from a tensor, or a dynamic dim forced
    into a number, is guarded to the example), except the guarded size comparisons of a model
    known to branch on sizes (zoo.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        if spec.branches_on_size:
            warnings.filterwarnings("ignore", "a dynamic size compared", UserWarning)
        yield


def test_zoo_is_the_issue_list() -> None:
    assert NAMES == ISSUE_MODELS


@pytest.mark.parametrize("name", NAMES)
def test_outputs_match_pytorch(name: str, torchvision: ModuleType) -> None:
    spec = BY_NAME[name]
    model = spec.build(torchvision)
    x = spec.example_input()
    with torch.no_grad():
        want = model(x.clone())
    with strict_warnings(spec):
        converted = trtconv.convert(model, [x.clone()], backend="reference",
                                    **spec.dynamic_profile())
    assert converted.metadata["num_layers"] > 0
    check_onnx_export(converted)
    check_matches(converted, x, want, spec)
    for shape in spec.dynamic_run_shapes():
        x = spec.input_of(shape)
        with torch.no_grad():
            want = model(x.clone())
        check_matches(converted, x, want, spec)


def check_matches(converted: trtconv.TRTModule, x: torch.Tensor, want: object,
                  spec: ZooModel) -> None:
    got = converted(x.clone())
    check_structure(got, want, spec)
    error = relative_error(got, want)
    assert error <= MAX_REL_ERROR, (f"{spec.name} at input {tuple(x.shape)}: max abs error / "
                                    f"max abs output = {error:.3g} > {MAX_REL_ERROR}")


@pytest.mark.parametrize("name", NAMES)
def test_builds_on_tensorrt_rtx(name: str, torchvision: ModuleType, rtx: ModuleType) -> None:
    spec = BY_NAME[name]
    model = spec.build(torchvision)
    with strict_warnings(spec):
        # replayed, every tensor checked against the reference, built: raises if not
        trtconv.convert(model, [spec.example_input()], backend="tensorrt_rtx",
                        **spec.dynamic_profile())


LOW = [pytest.param(name, precision, id=f"{name}-{precision}") for name in NAMES
       for precision in LOW_PRECISIONS]


@pytest.mark.parametrize("name,precision", LOW)
def test_low_precision_error_is_pytorchs(name: str, precision: str,
                                         torchvision: ModuleType) -> None:
    spec = BY_NAME[name]
    model = spec.build(torchvision)
    x = spec.example_input()
    with torch.no_grad():
        want = model(x.clone())
    converted = trtconv.convert(model, [x.clone()], backend="reference", precision=precision)
    got = converted(x.clone())
    check_structure(got, want, spec)
    error = relative_error(got, want)
    torch_error = torch_low_precision_error(model, x, want, LOW_PRECISIONS[precision])
    bound = low_precision_bound(torch_error)
    assert 0 < error <= bound, (f"{name} in {precision}: error {error:.3g} against fp32, "
                                f"PyTorch's own {precision} error {torch_error:.3g}, "
                                f"bound {bound:.3g}")


@pytest.mark.parametrize("name,precision", LOW)
def test_low_precision_builds_on_tensorrt_rtx(name: str, precision: str,
                                              torchvision: ModuleType, rtx: ModuleType) -> None:
    spec = BY_NAME[name]
    # replayed, every tensor checked against the reference, built: raises if not
    trtconv.convert(spec.build(torchvision), [spec.example_input()], backend="tensorrt_rtx",
                    precision=precision)
