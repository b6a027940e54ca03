"""IResizeLayer: every mode x coordinate transformation x rounding against a numpy oracle,
PyTorch's interpolate where it matches, and TensorRT's own outputs from NVIDIA's cookbook."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected, weights
from support.api_checks import check_add_refused, check_defaults, check_setter_refused

COORDS = ["ALIGN_CORNERS", "ASYMMETRIC", "HALF_PIXEL"]
ROUNDINGS = ["HALF_UP", "HALF_DOWN", "FLOOR", "CEIL"]
ROUND = {"HALF_UP": lambda x: np.floor(x + np.float32(0.5)),
         "HALF_DOWN": lambda x: np.ceil(x - np.float32(0.5)), "FLOOR": np.floor, "CEIL": np.ceil}


def source(n_in, n_out, coord, selector="FORMULA"):
    """Input coordinate of each output index (float32, as TensorRT computes it)."""
    i = np.arange(n_out, dtype=np.float32)
    if n_out == 1 and (selector == "UPPER" or coord == "ALIGN_CORNERS"):
        return np.zeros(1, np.float32)
    if coord == "ALIGN_CORNERS":
        return i * np.float32((n_in - 1) / (n_out - 1))
    scale = np.float32(n_in) / np.float32(n_out)
    return i * scale if coord == "ASYMMETRIC" else (i + np.float32(0.5)) * scale - np.float32(0.5)


def keys(d, a):
    """Keys' cubic convolution kernel with coefficient a."""
    d = abs(d)
    if d <= 1:
        return ((a + 2) * d - (a + 3)) * d * d + 1
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0.0


def matrix(n_in, n_out, mode, coord, rounding="FLOOR", selector="FORMULA", a=-0.75,
           exclude=False):
    """[n_out, n_in]: the weight of each input element in each output element."""
    m = np.zeros((n_out, n_in))
    for i, x in enumerate(source(n_in, n_out, coord, selector)):
        if mode == "NEAREST":
            m[i, int(np.clip(ROUND[rounding](x), 0, n_in - 1))] = 1
        elif mode == "LINEAR":
            x = min(max(float(x), 0), n_in - 1)
            low = math.floor(x)
            m[i, low] += 1 - (x - low)
            m[i, min(low + 1, n_in - 1)] += x - low
        else:
            low = math.floor(x)
            taps = [(t, keys(float(x) - t, a)) for t in range(low - 1, low + 3)]
            if exclude:
                taps = [(t, w) for t, w in taps if 0 <= t < n_in]
                total = sum(w for _, w in taps)
                taps = [(t, w / total) for t, w in taps]
            for t, w in taps:
                m[i, min(max(t, 0), n_in - 1)] += w
    return m


def oracle(x, out_shape, mode, coord, **kwargs):
    y = x.double().numpy()
    for axis, (n_in, n_out) in enumerate(zip(x.shape, out_shape)):
        if n_in != n_out:
            m = matrix(n_in, n_out, mode, coord, **kwargs)
            y = np.moveaxis(np.tensordot(m, y, axes=(1, axis)), 0, axis)
    return torch.from_numpy(y).to(x.dtype)


def resize(shape=None, scales=None, mode="NEAREST", coord="ASYMMETRIC", rounding="FLOOR",
           selector="FORMULA", **props):
    def build(trt, net, x):
        layer = net.add_resize(x)
        if shape is not None:
            layer.shape = shape
        if scales is not None:
            layer.scales = scales
        layer.resize_mode = getattr(trt.InterpolationMode, mode)
        layer.coordinate_transformation = getattr(trt.ResizeCoordinateTransformation, coord)
        layer.nearest_rounding = getattr(trt.ResizeRoundMode, rounding)
        layer.selector_for_single_pixel = getattr(trt.ResizeSelector, selector)
        for name, value in props.items():
            setattr(layer, name, value)
        return layer.get_output(0)

    return build


COOKBOOK_X = torch.arange(60.0).reshape(1, 3, 4, 5)
COOKBOOK_ROWS = {  # TensorRT's output[0, 0, :, 0] and output[0, 0, 0, :] for 1x3x4x5 -> 2x3x6x10
    "FLOOR": ([0, 0, 5, 10, 10, 15], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
    "CEIL": ([0, 5, 10, 10, 15, 15], [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]),
    "HALF_DOWN": ([0, 5, 5, 10, 15, 15], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
    "HALF_UP": ([0, 5, 5, 10, 15, 15], [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]),
}


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_nearest_matches_tensorrt_output(rounding):
    got = check_layer(resize((2, 3, 6, 10), rounding=rounding), [COOKBOOK_X],
                      lambda x: oracle(x, (2, 3, 6, 10), "NEAREST", "ASYMMETRIC",
                                       rounding=rounding))[0]
    column, row = COOKBOOK_ROWS[rounding]
    assert got[1, 0, :, 0].tolist() == column and got[0, 0, 0].tolist() == row


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("coord", COORDS)
def test_nearest(coord, rounding):
    out = (2, 1, 7, 3)  # upsample, to one pixel, and downsample
    check_layer(resize(out, coord=coord, rounding=rounding), [torch.randn(2, 3, 5, 6)],
                lambda x: oracle(x, out, "NEAREST", coord, rounding=rounding))


@pytest.mark.parametrize("mode", ["NEAREST", "LINEAR"])
@pytest.mark.parametrize("coord", ["ASYMMETRIC", "HALF_PIXEL"])
def test_single_pixel_upper_selector_takes_the_first(mode, coord):
    out = (2, 1, 7, 1)
    check_layer(resize(out, mode=mode, coord=coord, rounding="CEIL", selector="UPPER"),
                [torch.randn(2, 3, 5, 6)],
                lambda x: oracle(x, out, mode, coord, rounding="CEIL", selector="UPPER"))


@pytest.mark.parametrize("coord,rounding,torch_mode", [("ASYMMETRIC", "FLOOR", "nearest"),
                                                       ("HALF_PIXEL", "HALF_UP", "nearest-exact")])
def test_nearest_torch_equivalents(coord, rounding, torch_mode):
    check_layer(resize((1, 2, 9, 4), coord=coord, rounding=rounding), [torch.randn(1, 2, 5, 7)],
                lambda x: F.interpolate(x, size=(9, 4), mode=torch_mode))


@pytest.mark.parametrize("coord", COORDS)
def test_linear(coord):
    out = (2, 4, 1, 9)  # three axes: TensorRT's most for LINEAR
    check_layer(resize(out, mode="LINEAR", coord=coord), [torch.randn(2, 3, 5, 6)],
                lambda x: oracle(x, out, "LINEAR", coord))


@pytest.mark.parametrize("coord,align", [("HALF_PIXEL", False), ("ALIGN_CORNERS", True)])
def test_linear_and_cubic_match_torch(coord, align):
    check_layer(resize((2, 3, 7, 3, 9), mode="LINEAR", coord=coord), [torch.randn(2, 3, 4, 5, 6)],
                lambda t: F.interpolate(t, size=(7, 3, 9), mode="trilinear", align_corners=align))
    check_layer(resize((2, 3, 9, 4), mode="CUBIC", coord=coord), [torch.randn(2, 3, 5, 6)],
                lambda t: F.interpolate(t, size=(9, 4), mode="bicubic", align_corners=align),
                atol=1e-4)


@pytest.mark.parametrize("coord", COORDS)
@pytest.mark.parametrize("exclude,coeff", [(False, -0.75), (True, -0.5)])
def test_cubic(coord, exclude, coeff):
    out = (1, 3, 9, 4)
    check_layer(resize(out, mode="CUBIC", coord=coord, cubic_coeff=coeff,
                       exclude_outside=exclude), [torch.randn(1, 3, 5, 7)],
                lambda x: oracle(x, out, "CUBIC", coord, a=coeff, exclude=exclude), atol=1e-4)


def test_linear_single_pixel_upper_matches_tensorrt_output():
    got = check_layer(resize((1, 3, 1, 1), mode="LINEAR", coord="ALIGN_CORNERS",
                             selector="UPPER"), [COOKBOOK_X], lambda x: x[:, :, :1, :1])[0]
    assert got.flatten().tolist() == [0, 20, 40]


def test_scales_floor_the_output_shape():
    scales = [1, 1, 1.5, 0.7]
    check_layer(resize(scales=scales, mode="LINEAR", coord="HALF_PIXEL"),
                [torch.randn(2, 3, 5, 10)],
                lambda x: oracle(x, (2, 3, 7, 7), "LINEAR", "HALF_PIXEL"))


def test_dynamic_batch_with_scales():
    check_layer(resize(scales=[1, 1, 2, 3]), [torch.randn(2, 3, 4, 5)],
                lambda x: oracle(x, (x.shape[0], 3, 8, 15), "NEAREST", "ASYMMETRIC"),
                dynamic={0: [0]})


@pytest.mark.parametrize("dtype,mode", [(torch.float16, "LINEAR"), (torch.bfloat16, "NEAREST"),
                                        (torch.int8, "NEAREST")])
def test_reduced_precision(dtype, mode):
    x = (torch.randn(1, 2, 4, 5) * 20).to(dtype)
    check_layer(resize((1, 2, 7, 3), mode=mode, coord="HALF_PIXEL"), [x],
                lambda t: oracle(t.float(), (1, 2, 7, 3), mode, "HALF_PIXEL").to(dtype),
                atol=5e-2, rtol=1e-2)


def test_rank_1_and_zero_batch():
    check_layer(resize((9,), mode="LINEAR"), [torch.randn(4)],
                lambda x: oracle(x, (9,), "LINEAR", "ASYMMETRIC"))
    check_layer(resize((0, 2, 6)), [torch.randn(0, 2, 3)], lambda x: torch.zeros(0, 2, 6))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_output_shape_from_constant_tensor(dtype):
    def build(trt, net, x):
        shape = net.add_constant((4,), trt.Weights(weights(torch.tensor([2, 3, 6, 10],
                                                                        dtype=dtype))))
        layer = net.add_resize(x)
        layer.set_input(1, shape.get_output(0))
        return layer.get_output(0)

    check_layer(build, [COOKBOOK_X], lambda x: oracle(x, (2, 3, 6, 10), "NEAREST", "ASYMMETRIC"))


def test_output_shape_from_dynamic_shape():
    def build(trt, net, x):
        shape = net.add_shape(x).get_output(0)
        factor = net.add_constant((3,), trt.Weights(weights(torch.tensor([1, 2, 3]))))
        target = net.add_elementwise(shape, factor.get_output(0), trt.ElementWiseOperation.PROD)
        layer = net.add_resize(x)
        layer.set_input(1, target.get_output(0))
        layer.resize_mode = trt.InterpolationMode.LINEAR
        return layer.get_output(0)

    check_layer(build, [torch.randn(3, 4, 5)],
                lambda x: oracle(x, (x.shape[0], 8, 15), "LINEAR", "ASYMMETRIC"),
                dynamic={0: [0]})


REJECTED = {
    "linear on four axes": (resize((2, 4, 5, 6), mode="LINEAR"), (1, 3, 4, 5), "up to"),
    "scales count": (resize(scales=[2.0, 2.0]), (1, 3, 4, 5), "scale factors"),
    "shape rank": (resize((6, 10)), (1, 3, 4, 5), "dimensions"),
    "negative shape": (resize((1, 3, -1, 10)), (1, 3, 4, 5), "negative"),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name):
    build, shape, match = REJECTED[name]
    check_rejected(build, [torch.ones(shape)], match)


def test_rejects_integer_input():
    check_rejected(resize((1, 6)), [torch.ones(1, 3, dtype=torch.int32)], "type")


@pytest.mark.parametrize("values", [torch.tensor([3, 8, 10], dtype=torch.int32),
                                    torch.tensor([1, 3, 8, 10], dtype=torch.float32)])
def test_rejects_bad_shape_tensor(values):
    def build(trt, net, x):
        shape = net.add_constant(tuple(values.shape), trt.Weights(weights(values)))
        layer = net.add_resize(x)
        layer.set_input(1, shape.get_output(0))
        return layer.get_output(0)

    check_rejected(build, [torch.ones(1, 3, 4, 5)], "input 1")


def test_rank_0_is_refused():
    check_add_refused(lambda trt, net, x: net.add_resize(x), [((), "FLOAT")], "dimension")


def make_dynamic(trt, net, x):
    shape = net.add_constant((2,), trt.Weights(weights(torch.tensor([4, 6], dtype=torch.int32))))
    layer = net.add_resize(x)
    layer.set_input(1, shape.get_output(0))
    return layer


@pytest.mark.parametrize("name,value", [("shape", (4, 4)), ("scales", [2.0, 2.0])])
def test_dynamic_resize_refuses_shape_and_scales(name, value):
    check_setter_refused(make_dynamic, [((2, 3), "FLOAT")], name, value)


@pytest.mark.parametrize("order", [("scales", "shape"), ("shape", "scales"), ()])
def test_defaults_and_last_of_shape_or_scales_wins(order):
    def make(trt, net, x):
        layer = net.add_resize(x)
        for name in order:
            setattr(layer, name, [2.0, 1.5] if name == "scales" else (3, 3))
        return layer

    check_defaults(make, [((2, 3), "FLOAT")], [
        "shape", "scales", "resize_mode", "coordinate_transformation", "nearest_rounding",
        "selector_for_single_pixel", "cubic_coeff", "exclude_outside"])
