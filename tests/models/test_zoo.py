"""The torchvision model zoo converts and matches PyTorch (models and sizes: tests/models/zoo.py).

Per model, built once (a module-scoped fixture, torch.manual_seed per model):

- test_output_structure: the TRTModule returns what the model returns (a tensor, or a dict
  {"out", "aux"} for segmentation), with torch's dtypes and shapes;
- test_matches_pytorch: max |trt - torch| / max |torch| <= 1e-3 in fp32 at batch 2;
- test_builds_on_tensorrt_rtx: the same model converts on TensorRT-RTX, which replays and checks
  the network against the reference and builds a plan on CPU.

A model that needs a converter nobody wrote yet fails with UnsupportedOperatorError naming the
ops; it is never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
import torch
from torch.utils import _pytree as pytree

import trtconv

from .zoo import BY_NAME, MAX_REL_ERROR, MODELS, ZooModel, relative_error

pytestmark = pytest.mark.models

ISSUE_MODELS = """alexnet vgg11 vgg16_bn resnet18 resnet34 resnet50 resnet101 resnext50_32x4d
wide_resnet50_2 squeezenet1_0 squeezenet1_1 densenet121 googlenet inception_v3 mobilenet_v2
mobilenet_v3_small mobilenet_v3_large mnasnet0_5 mnasnet1_0 shufflenet_v2_x0_5
shufflenet_v2_x1_0 efficientnet_b0 efficientnet_b1 efficientnet_v2_s regnet_x_400mf
regnet_y_400mf convnext_tiny vit_b_16 swin_t maxvit_t fcn_resnet50 deeplabv3_mobilenet_v3_large
lraspp_mobilenet_v3_large""".split()


@dataclass
class Case:
    """A built model, its input, torch's output, and the reference conversion (or its error)."""

    spec: ZooModel
    model: torch.nn.Module
    x: torch.Tensor
    want: Any
    converted: trtconv.TRTModule | None = None
    got: Any = None
    error: BaseException | None = None

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.got


@pytest.fixture(scope="module", params=[m.name for m in MODELS])
def case(request: pytest.FixtureRequest, torchvision: ModuleType) -> Case:
    """Build the model once; convert it once on the reference backend and run it."""
    spec = BY_NAME[request.param]
    model = spec.build(torchvision)
    x = spec.example_input()
    with torch.no_grad():
        want = model(x.clone())
    case = Case(spec, model, x, want)
    try:
        case.converted = trtconv.convert(model, [x.clone()], backend="reference")
        case.got = case.converted(x.clone())
    except Exception as e:  # reported by each test of this model
        case.error = e
    return case


def test_zoo_is_the_issue_list() -> None:
    assert [m.name for m in MODELS] == ISSUE_MODELS


def test_output_structure(case: Case) -> None:
    got = case.result()
    got_leaves, got_spec = pytree.tree_flatten(got)
    want_leaves, want_spec = pytree.tree_flatten(case.want)
    assert got_spec == want_spec, f"output structure {got_spec}, torch gives {want_spec}"
    if case.spec.segmentation:
        assert isinstance(got, dict) and list(got) == list(case.want)
    else:
        assert isinstance(got, torch.Tensor)
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        assert g.dtype == w.dtype == torch.float32, f"output {i}: {g.dtype}, torch {w.dtype}"
        assert g.shape == w.shape, f"output {i}: shape {tuple(g.shape)}, torch {tuple(w.shape)}"
        assert g.device == w.device


def test_matches_pytorch(case: Case) -> None:
    got = case.result()
    error = relative_error(got, case.want)
    assert error <= MAX_REL_ERROR, (
        f"{case.spec.name}: max abs error / max abs output = {error:.3g} > {MAX_REL_ERROR}")
    assert case.converted.metadata["num_layers"] > 0


def test_builds_on_tensorrt_rtx(case: Case, rtx: ModuleType) -> None:
    on_rtx = trtconv.convert(case.model, [case.x.clone()], backend="tensorrt_rtx")
    assert on_rtx.backend == "tensorrt_rtx"
    assert on_rtx.engine_bytes, "TensorRT-RTX built an empty plan"
