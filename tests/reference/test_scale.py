"""IScaleLayer: (x * scale + shift) ^ power per tensor, channel or element."""

import pytest
import torch
from harness import build_network, check_layer, check_rejected, weights
from support.api_checks import check_add_refused, check_defaults, check_setter_refused
from support.layer_harness import rtx

from trtconv.reference import trt as ref


def scale_layer(mode, shift=None, scale=None, power=None, channel_axis=None, then=None):
    """add_scale, or add_scale_nd when `channel_axis` is given; `then` names a ScaleMode to
    switch to afterwards."""

    def build(trt, net, x):
        w = [None if t is None else as_weights(trt, t) for t in (shift, scale, power)]
        mode_ = getattr(trt.ScaleMode, mode)
        layer = (net.add_scale(x, mode_, *w) if channel_axis is None
                 else net.add_scale_nd(x, mode_, *w, channel_axis))
        if then is not None:
            layer.mode = getattr(trt.ScaleMode, then)
        return layer.get_output(0)

    return build


def as_weights(trt, t):
    # numpy has no bfloat16; bfloat16 cases only build with the reference (RTX replays them).
    return trt.Weights(t if t.dtype == torch.bfloat16 else weights(t))


def affine(x, view, shift=None, scale=None, power=None):
    y = x if scale is None else x * scale.reshape(view)
    y = y if shift is None else y + shift.reshape(view)
    return y if power is None else y ** power.reshape(view)


@pytest.mark.parametrize("mode,count,view", [
    ("UNIFORM", 1, (1, 1, 1, 1)), ("CHANNEL", 3, (1, 3, 1, 1)), ("ELEMENTWISE", 60, (1, 3, 4, 5)),
])
def test_scale(mode, count, view):
    shift, scale, power = torch.randn(count), torch.randn(count), torch.randint(1, 4, (count,))
    power = power.float()
    check_layer(scale_layer(mode, shift, scale, power), [torch.randn(2, 3, 4, 5)],
                lambda x: affine(x, view, shift, scale, power), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("given", ["shift", "scale", "power"])
def test_empty_weights_are_identity(given):
    w = {given: torch.rand(3) + 0.5}
    check_layer(scale_layer("CHANNEL", **w), [torch.rand(2, 3, 4, 5)],
                lambda x: affine(x, (1, 3, 1, 1), **w), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("shape,axis,mode,view", [
    ((3, 4, 5), 0, "CHANNEL", (3, 1, 1)),
    ((2, 3, 4, 5), -1, "CHANNEL", (5,)),
    ((2, 3, 4, 5), 2, "ELEMENTWISE", (4, 5)),
    ((2, 3), 1, "CHANNEL", (3,)),
])
def test_scale_nd_channel_axis(shape, axis, mode, view):
    scale = torch.randn(view).flatten()
    check_layer(scale_layer(mode, scale=scale, channel_axis=axis), [torch.randn(shape)],
                lambda x: affine(x, view, scale=scale))


@pytest.mark.parametrize("shape,view", [((3, 4, 5), (3, 1, 1)), ((2, 2, 3, 4, 5), (3, 1, 1)),
                                        ((3, 4), (4,))])
def test_add_scale_channel_is_third_from_last(shape, view):
    shift = torch.randn(view).flatten()
    check_layer(scale_layer("CHANNEL", shift=shift), [torch.randn(shape)],
                lambda x: affine(x, view, shift=shift))


def test_channel_count_comes_from_weights_when_dynamic():
    shapes = []
    for trt in (ref, rtx()):
        builder, network, (out,) = build_network(trt, scale_layer("CHANNEL", torch.ones(3)),
                                                  [torch.ones(2, 3, 4, 5)], {0: [0, 1, 3]})
        shapes.append(tuple(out.shape))
    assert shapes == [(-1, 3, 4, -1)] * 2


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(dtype):
    scale, shift = torch.randn(3).to(dtype), torch.randn(3).to(dtype)
    check_layer(scale_layer("CHANNEL", shift, scale), [torch.randn(1, 3, 2, 2).to(dtype)],
                lambda x: affine(x.float(), (1, 3, 1, 1), shift.float(), scale.float()).to(dtype),
                atol=1e-2, rtol=1e-2)


REJECTED = {
    "channel count": (scale_layer("CHANNEL", shift=torch.ones(4)), torch.ones(1, 3, 4, 5),
                      "invalid shift"),
    "elementwise count": (scale_layer("ELEMENTWISE", shift=torch.ones(180)),
                          torch.ones(2, 3, 3, 4, 5), "invalid shift"),
    "mode change": (scale_layer("UNIFORM", shift=torch.ones(1), then="CHANNEL"),
                    torch.ones(1, 3, 4, 5), "invalid shift"),
    "weights type": (scale_layer("CHANNEL", torch.ones(3), torch.ones(3), torch.ones(3)),
                     torch.ones(1, 3, 4, 5).half(), "same type"),
    "integer input": (scale_layer("UNIFORM"), torch.ones(1, 3, 4, 5, dtype=torch.int32),
                      "type"),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name):
    build, x, match = REJECTED[name]
    check_rejected(build, [x], match)


def test_mixed_weight_types_refused():
    check_add_refused(lambda trt, net, x: net.add_scale(
        x, trt.ScaleMode.CHANNEL, trt.Weights(torch.ones(3, dtype=torch.float16).numpy())),
        [((1, 3, 4, 5), "FLOAT")], "same type")


def test_rank_1_refused():
    check_add_refused(lambda trt, net, x: net.add_scale(x, trt.ScaleMode.UNIFORM),
                      [((3,), "FLOAT")], "rank-1")


def make(trt, net, x):
    return net.add_scale(x, trt.ScaleMode.CHANNEL, trt.Weights(torch.ones(3).numpy()))


def test_empty_weights_setter_refused():
    check_setter_refused(make, [((1, 3, 4, 5), "FLOAT")], "scale", torch.ones(0).numpy())


@pytest.mark.parametrize("shape", [(1, 3, 4, 5), (3, 4), (2, 1, 3, 4, 5)])
def test_defaults(shape):
    check_defaults(lambda trt, net, x: net.add_scale(x, trt.ScaleMode.UNIFORM),
                   [(shape, "FLOAT")], ["mode", "channel_axis", "shift", "scale", "power"])
