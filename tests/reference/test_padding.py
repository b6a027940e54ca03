"""IPaddingLayer: zero padding and cropping of the two innermost axes."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected
from support.api_checks import check_add_refused, check_defaults, check_setter_refused


def pad(pre, post):
    return lambda trt, net, x: net.add_padding_nd(x, pre, post).get_output(0)


def expected(pre, post):
    return lambda x: F.pad(x, [pre[1], post[1], pre[0], post[0]])


@pytest.mark.parametrize("pre,post", [((1, 2), (3, 0)), ((-1, 0), (2, -2)), ((0, -3), (0, -2)),
                                      ((-2, 1), (-2, 1))])
def test_padding(pre, post):
    check_layer(pad(pre, post), [torch.randn(2, 3, 4, 5)], expected(pre, post))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int8])
def test_padding_types(dtype):
    x = (torch.randn(1, 2, 3, 3) * 50).to(dtype)
    check_layer(pad((1, 0), (0, 1)), [x], expected((1, 0), (0, 1)))


def test_padding_dynamic_and_leading_axes():
    check_layer(pad((1, 1), (0, 2)), [torch.randn(2, 2, 3, 4, 5)], expected((1, 1), (0, 2)),
                dynamic={0: [0, 3]})


def test_padding_zero_size():
    check_layer(pad((1, 1), (1, 1)), [torch.randn(0, 3, 0, 2)], expected((1, 1), (1, 1)))


@pytest.mark.parametrize("shape,dtype,match", [
    ((1, 3, 4, 5), torch.float32, "negative"),  # crops 5 of 4
    ((3, 4, 5), torch.float32, "at least 4"),
    ((1, 3, 4, 5), torch.int32, "type"),
])
def test_rejected(shape, dtype, match):
    check_rejected(pad((-3, 0), (-2, 0)) if match == "negative" else pad((1, 1), (1, 1)),
                   [torch.ones(shape, dtype=dtype)], match)


@pytest.mark.parametrize("pre,post", [((1, 1, 1), (1, 1, 1)), ((1,), (1,))])
def test_only_2d_exists(pre, post):
    check_add_refused(lambda trt, net, x: net.add_padding_nd(x, pre, post),
                      [((1, 3, 4, 5, 6), "FLOAT")], "exactly 2")


def make(trt, net, x):
    return net.add_padding_nd(x, (1, -1), (0, 2))


@pytest.mark.parametrize("name", ["pre_padding_nd", "post_padding_nd"])
def test_setter_refused(name):
    check_setter_refused(make, [((1, 3, 4, 5), "FLOAT")], name, (1, 1, 1))


def test_properties():
    check_defaults(make, [((1, 3, 4, 5), "FLOAT")], ["pre_padding_nd", "post_padding_nd"])
