"""IConcatenationLayer: default axis, dtypes, zero-size inputs, dynamic dims, shape values."""

import pytest
import torch
from harness import build_network, check_layer, check_rejected, check_shapes, constant, rtx

from trtconv.reference import trt as ref


def concat(axis=None):
    def build(trt, net, *xs):
        layer = net.add_concatenation(list(xs))
        if axis is not None:
            layer.axis = axis
        return layer.get_output(0)

    return build


@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5, 6])
def test_default_axis_is_rank_minus_3(rank):
    for trt in (ref, rtx()):
        _, net, _ = build_network(trt, lambda trt, net, x: x, [torch.zeros((2,) * rank)])
        assert net.add_concatenation([net.get_input(0)] * 2).axis == max(rank - 3, 0)


@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 5)], 1), ([(2, 3, 4, 5)] * 2, None),
    ([(2, 0, 4), (2, 3, 4)], 1), ([(3,)], 0), ([(1, 2, 3, 4, 5, 6)] * 3, 5),
])
def test_concat(shapes, axis):
    xs = [torch.randn(s) for s in shapes]
    dim = max(len(shapes[0]) - 3, 0) if axis is None else axis
    check_layer(concat(axis), xs, lambda *t: torch.cat(t, dim))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int32, torch.int64,
                                   torch.bool, torch.int8])
def test_concat_dtypes(dtype):
    xs = [torch.randint(0, 2, (2, 3)).to(dtype), torch.randint(0, 2, (1, 3)).to(dtype)]
    check_layer(concat(0), xs, lambda a, b: torch.cat([a, b]))


def test_concat_dynamic_batch():
    check_layer(concat(0), [torch.randn(3, 4), torch.randn(2, 4)],
                lambda a, b: torch.cat([a, b]), dynamic={0: [0]})


def test_concat_dynamic_other_axis_takes_known_size():
    assert check_shapes(concat(1), [torch.randn(3, 4), torch.randn(3, 2)],
                        dynamic={0: [0]}) == [(3, 6)]


def test_concat_shape_values_drive_a_reshape():
    def build(trt, net, x):
        dims = net.add_shape(x).get_output(0)
        spec = net.add_concatenation([constant(trt, net, torch.tensor([-1])), dims]).get_output(0)
        spec = net.add_slice(spec, (0,), (2,), (1,)).get_output(0)
        layer = net.add_shuffle(x)
        layer.set_input(1, spec)
        return layer.get_output(0)

    check_layer(build, [torch.randn(6)], lambda x: x.reshape(1, 6))


@pytest.mark.parametrize("shapes,dtypes,match", [
    ([(2, 3), (2, 4)], None, "same dimensions except"),
    ([(2, 3), (2, 3, 1)], None, "same rank"),
    ([(2, 3), (2, 3)], [torch.float32, torch.float16], "same type"),
    ([(), ()], None, "out of range"),
])
def test_concat_rejects(shapes, dtypes, match):
    xs = [torch.zeros(s, dtype=dt) for s, dt in zip(shapes, dtypes or [torch.float32] * 2)]
    check_rejected(concat(0 if shapes[0] else None), xs, match)


def test_concat_refuses_negative_axis():
    _, net, _ = build_network(ref, lambda trt, net, x: x, [torch.zeros(2, 3)])
    layer = net.add_concatenation([net.get_input(0)] * 2)
    with pytest.raises(TypeError, match="no negative axes"):
        layer.axis = -1
