"""INormalizationLayer: layer, instance and group normalization (add_normalization and _v2)."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected, weights
from support.api_checks import check_defaults


def norm(axes, groups=1, v2=True, eps=None, affine=None):
    """Scale/bias come from inputs 1-2, or from constants of the shape `affine`."""

    def build(trt, net, x, *scale_bias):
        if affine is not None:
            scale_bias = [net.add_constant(affine, trt.Weights(weights(
                torch.full(affine, v, dtype=torch.float32)))).get_output(0) for v in (2.0, 0.5)]
        add = net.add_normalization_v2 if v2 else net.add_normalization
        layer = add(x, *scale_bias, axes)
        layer.num_groups = groups
        if eps is not None:
            layer.epsilon = eps
        return layer.get_output(0)

    return build


def normalize(x, dims, eps=1e-5):
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


@pytest.mark.parametrize("axes,affine", [
    (0b1000, (1, 1, 1, 5)),  # layer norm over the last axis
    (0b1110, (1, 3, 4, 5)),  # layer norm over C, H, W
    (0b0110, (2, 1, 1, 1)),  # an unusual mask: C and H
    (0b0001, (2, 3, 4, 5)),  # over the batch
])
def test_layer_norm(axes, affine):
    dims = [i for i in range(4) if axes >> i & 1]
    check_layer(norm(axes, eps=1e-3), [torch.randn(2, 3, 4, 5), torch.randn(affine),
                                       torch.randn(affine)],
                lambda x, s, b: normalize(x, dims, 1e-3) * s + b, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("v2", [True, False])
def test_instance_norm(v2):
    check_layer(norm(0b1100, v2=v2), [torch.randn(2, 3, 4, 5), torch.randn(1, 3, 1, 1),
                                      torch.randn(1, 3, 1, 1)],
                lambda x, s, b: F.instance_norm(x, weight=s.flatten(), bias=b.flatten()),
                atol=1e-4, rtol=1e-4)


def test_group_norm_v2_scales_per_channel():
    check_layer(norm(0b11100, groups=2), [torch.randn(2, 6, 3, 2, 2), torch.randn(1, 6, 1, 1, 1),
                                          torch.randn(1, 6, 1, 1, 1)],
                lambda x, s, b: F.group_norm(x, 2, s.flatten(), b.flatten()), atol=1e-4,
                rtol=1e-4)


def test_group_norm_v1_scales_per_group():
    def expected(x, s, b):
        per_channel = [t.flatten().repeat_interleave(2).reshape(1, 6, 1, 1) for t in (s, b)]
        return F.group_norm(x, 3) * per_channel[0] + per_channel[1]

    check_layer(norm(0b1100, groups=3, v2=False), [torch.randn(2, 6, 3, 4),
                                                   torch.randn(1, 3, 1, 1),
                                                   torch.randn(1, 3, 1, 1)], expected,
                atol=1e-4, rtol=1e-4)


def test_matches_tensorrt_group_norm_output():
    """TensorRT's output for this case, from NVIDIA's TensorRT cookbook (Normalization)."""
    base = torch.arange(15.0).reshape(1, 1, 3, 5)
    x = torch.cat([base, 100 - base, torch.ones_like(base), -torch.ones_like(base)], 1)
    got = check_layer(norm(0b1100, groups=2, affine=(1, 4, 1, 1)), [x],
                      lambda t: F.group_norm(t, 2) * 2 + 0.5, atol=1e-4, rtol=1e-4)[0]
    torch.testing.assert_close((got[0, :, 0, 0] - 0.5) / 2,
                               torch.tensor([-1.1569654, 1.1569654, 0.999995, -0.999995]))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_reduced_precision(dtype):
    x, s, b = (torch.randn(2, 3, 8) * 3).to(dtype), torch.randn(1, 1, 8).to(dtype), torch.randn(
        1, 1, 8).to(dtype)
    check_layer(norm(0b100), [x, s, b],
                lambda x, s, b: (normalize(x.float(), [2]) * s.float() + b.float()).to(dtype),
                atol=3e-2, rtol=3e-2)


def test_dynamic_shapes():
    check_layer(norm(0b1100, affine=(1, 3, 1, 1)), [torch.randn(2, 3, 4, 5)],
                lambda x: F.instance_norm(x) * 2 + 0.5, dynamic={0: [0, 2]}, atol=1e-4,
                rtol=1e-4)


REJECTED = {
    "no axes": (norm(0, affine=(1, 3, 1, 1)), (2, 3, 4, 5), "no dimensions"),
    "axis beyond rank": (norm(0b10000, affine=(1, 3, 1, 1)), (2, 3, 4, 5), "beyond rank"),
    "groups do not divide C": (norm(0b1100, groups=2, affine=(1, 5, 1, 1)), (2, 5, 4, 5),
                               "divide"),
    "groups with axis 1": (norm(0b1110, groups=2, affine=(1, 6, 1, 1)), (2, 6, 4, 5),
                           "exactly"),
    "v2 groups with per-group scale": (norm(0b1100, groups=2, affine=(1, 2, 1, 1)),
                                       (2, 6, 4, 5), "broadcast"),
    "v1 groups with per-channel scale": (norm(0b1100, groups=2, v2=False, affine=(1, 6, 1, 1)),
                                         (2, 6, 4, 5), "broadcast"),
    "scale rank": (norm(0b1000, affine=(5,)), (2, 3, 4, 5), "rank"),
    "scale shape": (norm(0b1100, affine=(1, 4, 1, 1)), (2, 3, 4, 5), "broadcast"),
    "scale type": (norm(0b1000, affine=(1, 1, 1, 5)), (2, 3, 4, 5), "same type"),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name):
    build, shape, match = REJECTED[name]
    dtype = torch.float16 if name == "scale type" else torch.float32
    check_rejected(build, [torch.ones(shape, dtype=dtype)], match)


@pytest.mark.parametrize("method", ["add_normalization", "add_normalization_v2"])
def test_properties(method):
    def make(trt, net, x, s, b):
        return getattr(net, method)(x, s, b, 0b1100)

    got = check_defaults(make, [((2, 3, 4, 5), "FLOAT"), ((1, 3, 1, 1), "FLOAT"),
                                ((1, 3, 1, 1), "FLOAT")], ["axes", "epsilon", "num_groups",
                                                           "is_v2"])
    assert got["is_v2"] == (method == "add_normalization_v2")
