"""IConvolutionLayer and IDeconvolutionLayer against torch, for every PaddingMode."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected, weights
from support.api_checks import check_add_refused, check_defaults, check_setter_refused
from support.window_oracle import backward_crops, forward_pads, torch_pad

MODES = ["EXPLICIT_ROUND_DOWN", "EXPLICIT_ROUND_UP", "SAME_UPPER", "SAME_LOWER"]
# kernel, stride, dilation, pre_padding, post_padding, groups, input shape
CASES = {
    "plain": ((3, 3), (1, 1), (1, 1), (0, 0), (0, 0), 1, (2, 3, 7, 8)),
    "asymmetric": ((3, 2), (2, 3), (1, 1), (1, 0), (0, 2), 1, (2, 3, 9, 10)),
    "dilated_grouped": ((3, 3), (2, 1), (2, 1), (1, 1), (2, 0), 3, (1, 6, 11, 7)),
    "3d": ((2, 3, 2), (2, 1, 2), (1, 1, 2), (1, 0, 1), (0, 1, 1), 1, (1, 2, 5, 6, 7)),
}
CONV = {2: F.conv2d, 3: F.conv3d}
DECONV = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv_pads(mode, size, k, s, d, pre, post):
    return forward_pads(mode, size, 1 + d * (k - 1), s, pre, post)[1:]


def configure(layer, trt, mode, stride, dilation, pre, post, groups):
    layer.stride_nd, layer.dilation_nd, layer.num_groups = stride, dilation, groups
    layer.pre_padding, layer.post_padding = pre, post
    layer.padding_mode = getattr(trt.PaddingMode, mode)
    return layer.get_output(0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_convolution(mode, case):
    kernel, stride, dilation, pre, post, groups, shape = CASES[case]
    w = torch.randn(4 if case != "dilated_grouped" else 6, shape[1] // groups, *kernel)
    b = torch.randn(w.shape[0])

    def build(trt, net, x):
        layer = net.add_convolution_nd(x, w.shape[0], kernel, trt.Weights(weights(w)),
                                       trt.Weights(weights(b)))
        return configure(layer, trt, mode, stride, dilation, pre, post, groups)

    def expected(x):
        pads = [conv_pads(mode, *a) for a in zip(shape[2:], kernel, stride, dilation, pre, post)]
        return CONV[len(kernel)](F.pad(x, torch_pad(pads)), w, b, stride, 0, dilation, groups)

    check_layer(build, [torch.randn(shape)], expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode,case", [(m, c) for m in MODES for c in sorted(CASES)
                                       if c != "3d" or m == "EXPLICIT_ROUND_DOWN"])
def test_deconvolution(mode, case):
    kernel, stride, dilation, pre, post, groups, shape = CASES[case]
    if max(dilation) > 1:
        stride = (1,) * len(stride)  # TensorRT-RTX cannot build strided dilated deconvolutions
    w = torch.randn(shape[1], 6 // groups, *kernel)

    def build(trt, net, x):
        layer = net.add_deconvolution_nd(x, 6, kernel, trt.Weights(weights(w)))
        return configure(layer, trt, mode, stride, dilation, pre, post, groups)

    def expected(x):
        crops = [backward_crops(mode, 1 + d * (k - 1), s, a, b)
                 for k, s, d, a, b in zip(kernel, stride, dilation, pre, post)]
        full = DECONV[len(kernel)](x, w, None, stride, 0, 0, groups, dilation)
        return F.pad(full, torch_pad([(-a, -b) for a, b in crops]))

    check_layer(build, [torch.randn(shape)], expected, atol=1e-4, rtol=1e-4)


def conv_build(w, b=None, **props):
    """check_layer builds with the reference only (RTX replays it): torch weights are fine."""

    def build(trt, net, x):
        layer = net.add_convolution_nd(x, w.shape[0], tuple(w.shape[2:]), trt.Weights(w),
                                       None if b is None else trt.Weights(b))
        for name, value in props.items():
            setattr(layer, name, value)
        return layer.get_output(0)

    return build


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_convolution_reduced_precision(dtype):
    w, b = torch.randn(4, 3, 3, 3).to(dtype), torch.randn(4).to(dtype)
    check_layer(conv_build(w, b, padding_nd=(1, 1)), [torch.randn(2, 3, 6, 6).to(dtype)],
                lambda x: F.conv2d(x.float(), w.float(), b.float(), padding=1).to(dtype),
                atol=3e-2, rtol=3e-2)


@pytest.mark.parametrize("dynamic", [{0: [0]}, {0: [0, 2, 3]}])
def test_convolution_dynamic(dynamic):
    w = torch.randn(4, 3, 3, 3)
    check_layer(conv_build(w, stride_nd=(2, 2), padding_mode=_mode("SAME_UPPER")),
                [torch.randn(2, 3, 7, 6)],
                lambda x: F.conv2d(F.pad(x, [0, 1, 1, 1]), w, stride=2), dynamic=dynamic)


def _mode(name):
    from trtconv.reference import trt

    return getattr(trt.PaddingMode, name)


def test_convolution_leading_axes_are_batch():
    w = torch.randn(4, 3, 3, 3)
    check_layer(conv_build(w), [torch.randn(2, 2, 3, 5, 6)],
                lambda x: F.conv2d(x.reshape(4, 3, 5, 6), w).reshape(2, 2, 4, 3, 4))


def test_convolution_zero_batch():
    w = torch.randn(4, 3, 3, 3)
    check_layer(conv_build(w), [torch.randn(0, 3, 5, 5)], lambda x: torch.zeros(0, 4, 3, 3))


@pytest.mark.parametrize("deconv", [False, True])
def test_kernel_and_bias_as_inputs(deconv):
    w = torch.randn(3, 4, 3, 3) if deconv else torch.randn(4, 3, 3, 3)
    b = torch.randn(4)

    def build(trt, net, x, kernel, bias):
        add = net.add_deconvolution_nd if deconv else net.add_convolution_nd
        layer = add(x, 4, (3, 3), trt.Weights(trt.float32))
        layer.set_input(1, kernel)
        layer.set_input(2, bias)
        layer.stride_nd = (2, 2)
        return layer.get_output(0)

    fn = F.conv_transpose2d if deconv else F.conv2d
    check_layer(build, [torch.randn(1, 3, 6, 7), w, b], lambda x, k, c: fn(x, k, c, stride=2),
                atol=1e-4, rtol=1e-4)


def test_deconvolution_same_upper_puts_odd_crop_last():
    w = torch.ones(1, 1, 4, 4)

    def build(trt, net, x):
        layer = net.add_deconvolution_nd(x, 1, (4, 4), trt.Weights(weights(w)))
        layer.padding_mode, layer.stride_nd = trt.PaddingMode.SAME_UPPER, (1, 1)
        return layer.get_output(0)

    # P = DK - S = 3: crop 1 at the start and 2 at the end of the 6-long full output.
    check_layer(build, [torch.randn(1, 1, 3, 3)],
                lambda x: F.conv_transpose2d(x, w)[..., 1:4, 1:4])


REJECTED = {
    "half input, float kernel": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3)))).get_output(0),
        torch.ones(1, 3, 8, 8).half(), "same type"),
    "groups do not divide channels": (
        lambda trt, net, x: _grouped(net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 2, 3, 3)))), 2),
        torch.ones(1, 5, 8, 8), "num_groups"),
    "image smaller than filter": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3)))).get_output(0),
        torch.ones(1, 3, 8, 2), "smaller than filter"),
    "negative output": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3)))).get_output(0),
        torch.ones(1, 3, 8, 1), "negative"),
    "kernel count": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 2, 3, 3)))).get_output(0),
        torch.ones(1, 3, 8, 8), "count of 72"),
    "bias count": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3))),
            trt.Weights(weights(torch.ones(5)))).get_output(0),
        torch.ones(1, 3, 8, 8), "bias"),
    "rank too small": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3)))).get_output(0),
        torch.ones(3, 8, 8), "at least 4"),
    "integer input": (
        lambda trt, net, x: net.add_convolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3)))).get_output(0),
        torch.ones(1, 3, 8, 8, dtype=torch.int32), "type"),
    "deconvolution negative output": (
        lambda trt, net, x: _padded(net.add_deconvolution_nd(
            x, 4, (3, 3), trt.Weights(weights(torch.ones(3, 4, 3, 3)))), (3, 3)),
        torch.ones(1, 3, 2, 2), "negative"),
}


def _grouped(layer, groups):
    layer.num_groups = groups
    return layer.get_output(0)


def _padded(layer, padding):
    layer.padding_nd = padding
    return layer.get_output(0)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name):
    build, x, match = REJECTED[name]
    check_rejected(build, [x], match)


def test_rejected_kernel_tensor_shape():
    def build(trt, net, x, kernel):
        layer = net.add_convolution_nd(x, 4, (3, 3), trt.Weights(trt.float32))
        layer.set_input(1, kernel)
        return layer.get_output(0)

    check_rejected(build, [torch.ones(1, 3, 8, 8), torch.ones(5, 3, 3, 3)], "kernel tensor")


def test_deconvolution_rejects_dynamic_channels():
    from harness import build_network

    from trtconv.reference import trt as ref

    def build(trt, net, x):
        return net.add_deconvolution_nd(x, 4, (3, 3), trt.Weights(
            weights(torch.ones(3, 4, 3, 3)))).get_output(0)

    _, _, (out,) = build_network(ref, build, [torch.ones(1, 3, 4, 4)], dynamic={0: [1]})
    with pytest.raises(RuntimeError, match="channels"):
        _ = out.shape


@pytest.mark.parametrize("method", ["add_convolution_nd", "add_deconvolution_nd"])
def test_only_2d_and_3d_exist(method):
    check_add_refused(lambda trt, net, x: getattr(net, method)(
        x, 4, (3,), trt.Weights(weights(torch.ones(12)))), [((1, 1, 8), "FLOAT")], "2 or 3")


def make_conv(trt, net, x):
    return net.add_convolution_nd(x, 4, (3, 3), trt.Weights(weights(torch.ones(4, 3, 3, 3))))


@pytest.mark.parametrize("name,value", [
    ("pre_padding", (-1, 0)), ("stride_nd", (0, 1)), ("dilation_nd", (1, 0)),
    ("num_groups", 0), ("kernel_size_nd", (3,)), ("kernel", torch.ones(0).numpy()),
])
def test_setter_refused(name, value):
    check_setter_refused(make_conv, [((1, 3, 8, 8), "FLOAT")], name, value)


@pytest.mark.parametrize("method,kernel", [("add_convolution_nd", (4, 3, 2, 3, 3)),
                                           ("add_deconvolution_nd", (3, 4, 2, 3, 3))])
def test_defaults(method, kernel):
    def make(trt, net, x):
        return getattr(net, method)(x, 4, kernel[2:], trt.Weights(weights(torch.ones(kernel))))

    got = check_defaults(make, [((1, 3, 4, 8, 8), "FLOAT")], [
        "num_output_maps", "kernel_size_nd", "stride_nd", "padding_nd", "pre_padding",
        "post_padding", "dilation_nd", "num_groups", "padding_mode", "bias"])
    assert got["stride_nd"] == [1, 1, 1] and got["padding_mode"] == "EXPLICIT_ROUND_DOWN"


def test_padding_nd_sets_both_sides_and_reads_pre():
    from trtconv.reference import trt

    network = trt.Builder(trt.Logger()).create_network(0)
    x = network.add_input("x", trt.float32, (1, 3, 8, 8))
    layer = make_conv(trt, network, x)
    layer.pre_padding = (1, 2)
    layer.padding_nd = (3, 4)
    layer.pre_padding = (0, 1)
    assert (layer.padding_nd, layer.post_padding) == ((0, 1), (3, 4))
    assert tuple(layer.get_output(0).shape) == (1, 4, 9, 11)
