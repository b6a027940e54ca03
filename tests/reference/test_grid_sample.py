"""IGridSampleLayer against torch.nn.functional.grid_sample, every supported mode."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected
from support.api_checks import check_add_refused, check_defaults, check_setter_refused

INTERPOLATION = {"NEAREST": "nearest", "LINEAR": "bilinear", "CUBIC": "bicubic"}
SAMPLE = {"FILL": "zeros", "CLAMP": "border", "REFLECT": "reflection"}


def sample(interpolation="LINEAR", mode="FILL", align=False):
    def build(trt, net, x, grid):
        layer = net.add_grid_sample(x, grid)
        layer.interpolation_mode = getattr(trt.InterpolationMode, interpolation)
        layer.sample_mode = getattr(trt.SampleMode, mode)
        layer.align_corners = align
        return layer.get_output(0)

    return build


def expected(interpolation="LINEAR", mode="FILL", align=False):
    return lambda x, g: F.grid_sample(x, g, INTERPOLATION[interpolation], SAMPLE[mode], align)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", sorted(SAMPLE))
@pytest.mark.parametrize("interpolation", sorted(INTERPOLATION))
def test_grid_sample(interpolation, mode, align):
    grid = torch.rand(2, 3, 5, 2) * 2.6 - 1.3  # some points outside [-1, 1]
    check_layer(sample(interpolation, mode, align), [torch.randn(2, 3, 4, 6), grid],
                expected(interpolation, mode, align), atol=1e-4, rtol=1e-4)


def test_matches_tensorrt_output():
    """TensorRT's output for this point, from NVIDIA's TensorRT cookbook (GridSample)."""
    n, c, h, w = torch.meshgrid(*(torch.arange(d) for d in (1, 3, 4, 5)), indexing="ij")
    x = (c * 100 + h * 10 + w).float()
    grid = torch.tensor([1 / 3, 0.5]).reshape(1, 1, 1, 2)
    got = check_layer(sample(), [x, grid], expected())[0]
    assert abs(got[0, 0, 0, 0].item() - 27.833332) < 1e-4


@pytest.mark.parametrize("interpolation", ["NEAREST", "LINEAR"])
def test_grid_sample_3d(interpolation):
    check_layer(sample(interpolation, "CLAMP"), [torch.randn(1, 2, 3, 4, 5),
                                                 torch.rand(1, 2, 3, 2, 3) * 2 - 1],
                expected(interpolation, "CLAMP"), atol=1e-4, rtol=1e-4)


def test_dynamic_and_half():
    check_layer(sample(), [torch.randn(2, 3, 4, 6), torch.rand(2, 3, 5, 2) * 2 - 1], expected(),
                dynamic={0: [0], 1: [0, 1]}, atol=1e-4, rtol=1e-4)
    check_layer(sample(), [torch.randn(1, 3, 4, 6).half(), torch.rand(1, 3, 5, 2).half()],
                lambda x, g: expected()(x.float(), g.float()).half(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("x,grid,match", [
    (torch.ones(1, 3, 4, 5), torch.ones(1, 6, 7, 2).half(), "same type"),
    (torch.ones(1, 3, 4, 5), torch.ones(1, 6, 7, 3), "last dimension"),
    (torch.ones(2, 3, 4, 5), torch.ones(1, 6, 7, 2), "leading dimension"),
    (torch.ones(1, 3, 4, 5, dtype=torch.int8), torch.ones(1, 6, 7, 2, dtype=torch.int8), "type"),
])
def test_rejected(x, grid, match):
    check_rejected(sample(), [x, grid], match)


@pytest.mark.parametrize("shapes", [[((1, 3, 4), "FLOAT"), ((1, 6, 1), "FLOAT")],
                                    [((1, 3, 4, 5), "FLOAT"), ((6, 7, 2), "FLOAT")]])
def test_ranks_refused(shapes):
    check_add_refused(lambda trt, net, x, g: net.add_grid_sample(x, g), shapes, "rank")


def make(trt, net, x, grid):
    return net.add_grid_sample(x, grid)


INPUTS = [((1, 3, 4, 5), "FLOAT"), ((1, 6, 7, 2), "FLOAT")]


@pytest.mark.parametrize("mode", ["STRICT_BOUNDS", "WRAP"])
def test_unsupported_sample_mode_refused(mode):
    from support.layer_harness import rtx

    check_setter_refused(make, INPUTS, "sample_mode", getattr(rtx().SampleMode, mode))


def test_defaults():
    got = check_defaults(make, INPUTS, ["interpolation_mode", "align_corners", "sample_mode"])
    assert got == {"interpolation_mode": "LINEAR", "align_corners": False, "sample_mode": "FILL"}
