"""IPoolingLayer against a window-by-window oracle, for every PoolingType and PaddingMode."""

import itertools
import math

import pytest
import torch
from harness import check_layer, check_rejected
from support.api_checks import check_add_refused, check_defaults, check_setter_refused
from support.window_oracle import forward_pads

TYPES = ["MAX", "AVERAGE", "MAX_AVERAGE_BLEND"]
MODES = ["EXPLICIT_ROUND_DOWN", "EXPLICIT_ROUND_UP", "SAME_UPPER", "SAME_LOWER"]
BLEND = 0.25


def pool_oracle(x, kind, window, stride, pre, post, mode, exclude):
    """Each output element from its window: max (padding is -inf), average over the input
    elements it covers (exclude) or over those of the explicitly padded input, or a blend."""
    spatial = x.shape[x.dim() - len(window):]
    axes = [forward_pads(mode, *a) for a in zip(spatial, window, stride, pre, post)]
    counted = [(b, a if mode.startswith("SAME") else p) for (_, b, a), p in zip(axes, post)]
    out = torch.empty(*x.shape[:x.dim() - len(window)], *(n for n, _, _ in axes))
    for index in itertools.product(*(range(n) for n, _, _ in axes)):
        starts = [i * s - b for i, s, (_, b, _) in zip(index, stride, axes)]
        inside = [slice(max(a, 0), min(a + k, n)) for a, k, n in zip(starts, window, spatial)]
        values = x[(..., *inside)].flatten(x.dim() - len(window)).float()
        count = values.shape[-1] if exclude else math.prod(
            max(0, min(a + k, n + ca) - max(a, -cb)) for a, k, n, (cb, ca) in
            zip(starts, window, spatial, counted))
        average = values.sum(-1) / max(count, 1)
        biggest = values.amax(-1) if values.shape[-1] else torch.full(average.shape, -math.inf)
        out[(..., *index)] = {"MAX": biggest, "AVERAGE": average,
                              "MAX_AVERAGE_BLEND": (1 - BLEND) * biggest + BLEND * average}[kind]
    return out.to(x.dtype)


def pool_build(kind, window, **props):
    def build(trt, net, x):
        layer = net.add_pooling_nd(x, getattr(trt.PoolingType, kind), window)
        for name, value in props.items():
            if name == "padding_mode":
                value = getattr(trt.PaddingMode, value)
            setattr(layer, name, value)
        return layer.get_output(0)

    return build


def check_pool(x, kind, window, stride, pre, post, mode="EXPLICIT_ROUND_DOWN", exclude=True,
               **kwargs):
    build = pool_build(kind, window, stride_nd=stride, pre_padding=pre, post_padding=post,
                       padding_mode=mode, average_count_excludes_padding=exclude,
                       blend_factor=BLEND)
    check_layer(build, [x], lambda t: pool_oracle(t, kind, window, stride, pre, post, mode,
                                                  exclude), **kwargs)


@pytest.mark.parametrize("kind,exclude", [("MAX", True), ("AVERAGE", True), ("AVERAGE", False),
                                          ("MAX_AVERAGE_BLEND", True),
                                          ("MAX_AVERAGE_BLEND", False)])
@pytest.mark.parametrize("mode", MODES)
def test_pooling_2d(kind, exclude, mode):
    check_pool(torch.randn(2, 3, 7, 8), kind, (3, 2), (2, 1), (1, 0), (0, 1), mode, exclude)


@pytest.mark.parametrize("kind", TYPES)
def test_pooling_3d(kind):
    check_pool(torch.randn(1, 2, 5, 6, 5), kind, (2, 3, 2), (2, 2, 1), (1, 0, 0), (0, 1, 1),
               "EXPLICIT_ROUND_UP", False)


def test_round_up_window_past_the_padding_counts_only_explicit_padding():
    # The last window starts in the post padding and reaches past it: PyTorch's ceil_mode
    # drops such a window, TensorRT keeps it and counts only the explicit padding.
    check_pool(torch.randn(1, 1, 4, 4), "AVERAGE", (3, 3), (3, 3), (1, 1), (2, 2),
               "EXPLICIT_ROUND_UP", False)


def test_same_upper_average_matches_tensorrt_output():
    """TensorRT's own output for this case, from NVIDIA's TensorRT cookbook (Pooling)."""
    x = (torch.arange(9.0).reshape(3, 3) + 1).repeat(2, 3).reshape(1, 1, 6, 9)
    row = {0: [3, 4, 3.5, 3, 4, 3.5, 3, 4, 2.25], 5: [3.75, 4.25, 4, 3.75, 4.25, 4, 3.75, 4.25,
                                                      2.25]}
    got = check_layer(pool_build("AVERAGE", (2, 2), padding_mode="SAME_UPPER",
                                 average_count_excludes_padding=False), [x],
                      lambda t: pool_oracle(t, "AVERAGE", (2, 2), (1, 1), (0, 0), (0, 0),
                                            "SAME_UPPER", False))[0]
    for r, values in row.items():
        assert got[0, 0, r].tolist() == values


def test_blend_matches_tensorrt_output():
    """TensorRT's output with blend_factor 0.5, from NVIDIA's TensorRT cookbook (Pooling)."""
    x = (torch.arange(9.0).reshape(3, 3) + 1).repeat(2, 3).reshape(1, 1, 6, 9)
    got = check_layer(pool_build("MAX_AVERAGE_BLEND", (2, 2), blend_factor=0.5), [x],
                      lambda t: pool_oracle(t, "AVERAGE", (2, 2), (1, 1), (0, 0), (0, 0),
                                            "EXPLICIT_ROUND_DOWN", True) / 2
                      + pool_oracle(t, "MAX", (2, 2), (1, 1), (0, 0), (0, 0),
                                    "EXPLICIT_ROUND_DOWN", True) / 2)[0]
    assert got[0, 0, 2].tolist() == [6.25, 7.25, 7, 6.25, 7.25, 7, 6.25, 7.25]


@pytest.mark.parametrize("dtype,kind", [(torch.float16, "AVERAGE"), (torch.bfloat16, "MAX"),
                                        (torch.int8, "MAX")])
def test_pooling_types(dtype, kind):
    x = (torch.randn(1, 2, 6, 6) * 20).to(dtype)
    check_pool(x, kind, (2, 2), (2, 2), (0, 0), (0, 0), atol=1e-2, rtol=1e-2)


def test_pooling_dynamic_batch_and_leading_axes():
    check_pool(torch.randn(3, 2, 2, 5, 6), "AVERAGE", (2, 3), (1, 2), (1, 1), (0, 1),
               "SAME_LOWER", False, dynamic={0: [0]})


def test_pooling_empty_output():
    check_pool(torch.randn(1, 3, 2, 8), "MAX", (3, 3), (1, 1), (0, 0), (0, 0))


@pytest.mark.parametrize("name,kind,window,shape,props,match", [
    ("exclusive padding >= window", "AVERAGE", (3, 3), (1, 3, 7, 8), {"pre_padding": (3, 0)},
     "larger than or equal"),
    ("round-up room >= window", "MAX_AVERAGE_BLEND", (2, 2), (1, 3, 7, 8),
     {"padding_nd": (1, 1), "stride_nd": (2, 2), "padding_mode": "EXPLICIT_ROUND_UP"},
     "larger than or equal"),
    ("negative output", "MAX", (3, 3), (1, 3, 1, 8), {}, "negative"),
    ("rank", "MAX", (2, 2), (3, 8, 8), {}, "at least 4"),
    ("3-D window on 4-D input", "MAX", (2, 2, 2), (3, 4, 8, 8), {}, "at least 5"),
    ("mismatched dims", "MAX", (2, 2), (1, 3, 8, 8), {"stride_nd": (1, 1, 1)}, "same number"),
])
def test_rejected(name, kind, window, shape, props, match):
    check_rejected(pool_build(kind, window, **props), [torch.ones(shape)], match)


def test_rejects_int32():
    check_rejected(pool_build("MAX", (2, 2)), [torch.ones(1, 3, 4, 4, dtype=torch.int32)],
                   "type")


def test_only_2d_and_3d_exist():
    check_add_refused(lambda trt, net, x: net.add_pooling_nd(x, trt.PoolingType.MAX, (2,)),
                      [((1, 3, 8), "FLOAT")], "2 or 3")


def make_pool(trt, net, x):
    return net.add_pooling_nd(x, trt.PoolingType.MAX_AVERAGE_BLEND, (3, 2))


@pytest.mark.parametrize("name,value", [("blend_factor", 1.5), ("pre_padding", (-1, 0)),
                                        ("stride_nd", (0, 1)), ("window_size_nd", (0, 2))])
def test_setter_refused(name, value):
    check_setter_refused(make_pool, [((1, 3, 8, 8), "FLOAT")], name, value)


def test_defaults():
    got = check_defaults(make_pool, [((1, 3, 8, 8), "FLOAT")], [
        "type", "window_size_nd", "stride_nd", "padding_nd", "pre_padding", "post_padding",
        "padding_mode", "blend_factor", "average_count_excludes_padding"])
    assert got["stride_nd"] == [1, 1] and got["average_count_excludes_padding"] is True
