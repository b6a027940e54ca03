"""ISqueezeLayer and IUnsqueezeLayer: constant axes (negative too), dtypes, dynamic dims."""

import pytest
import torch
from harness import check_layer, check_rejected, check_shapes, constant


def squeeze(axes, unsqueeze=False):
    """Squeeze (or unsqueeze) by constant `axes` (a torch tensor; None: squeeze all 1s)."""
    def build(trt, net, x):
        if axes is None:
            return net.add_squeeze(x).get_output(0)
        tensor = constant(trt, net, axes)
        add = net.add_unsqueeze if unsqueeze else net.add_squeeze
        return add(x, tensor).get_output(0)

    return build


def squeezed(x, axes):
    return x.squeeze(tuple(axes.reshape(-1).tolist()))


def unsqueezed(x, axes):
    rank = x.dim() + axes.numel()
    for a in sorted(int(a) % rank for a in axes.reshape(-1)):
        x = x.unsqueeze(a)
    return x


@pytest.mark.parametrize("axes", [[1, 3], [-1], [3, -3], [0]])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_squeeze(axes, dtype):
    axes = torch.tensor(axes, dtype=dtype)
    check_layer(squeeze(axes), [torch.randn(1, 1, 3, 1)], lambda x: squeezed(x, axes))


def test_squeeze_to_scalar():
    check_layer(squeeze(torch.tensor([0])), [torch.randn(1)], lambda x: x.reshape(()))


def test_squeeze_without_axes_drops_every_static_one():
    check_layer(squeeze(None), [torch.randn(1, 3, 1, 2)], lambda x: x.reshape(3, 2))


def test_squeeze_without_axes_keeps_dynamic_dims():
    assert check_shapes(squeeze(None), [torch.randn(2, 3, 1)], dynamic={0: [0]}) == [(-1, 3)]


@pytest.mark.parametrize("dtype", [torch.bool, torch.float16, torch.int8, torch.int32])
def test_squeeze_dtypes(dtype):
    check_layer(squeeze(torch.tensor([1])), [torch.ones(2, 1, 3, dtype=dtype)],
                lambda x: x.squeeze(1))


def test_squeeze_dynamic_axis():
    """A dynamic dim can be squeezed (it must be 1 at run time)."""
    assert check_shapes(squeeze(torch.tensor([1])), [torch.randn(2, 1, 3)],
                        dynamic={0: [1]}) == [(2, 3)]


def test_squeeze_dynamic_batch():
    check_layer(squeeze(torch.tensor([-2])), [torch.randn(3, 1, 4)], lambda x: x.squeeze(1),
                dynamic={0: [0]})


@pytest.mark.parametrize("axes", [[0, 3], [-1], [-1, -2], [0, -1], [1]])
def test_unsqueeze(axes):
    axes = torch.tensor(axes)
    check_layer(squeeze(axes, unsqueeze=True), [torch.randn(2, 3)],
                lambda x: unsqueezed(x, axes))


def test_unsqueeze_scalar_and_dynamic_batch():
    check_layer(squeeze(torch.tensor([0]), True), [torch.tensor(5.0)], lambda x: x.reshape(1))
    check_layer(squeeze(torch.tensor([1]), True), [torch.randn(3, 4)], lambda x: x[:, None],
                dynamic={0: [0]})


def test_unsqueezed_shape_entry_joins_a_reshape_spec():
    """x.view(-1, x.shape[1]): a gathered 0-D shape entry, unsqueezed, then concatenated."""
    def build(trt, net, x):
        dims = net.add_shape(x).get_output(0)
        one = constant(trt, net, torch.tensor(1, dtype=torch.int32))
        entry = net.add_gather(dims, one, 0).get_output(0)
        entry = net.add_unsqueeze(entry, constant(trt, net, torch.tensor([0]))).get_output(0)
        spec = net.add_concatenation([constant(trt, net, torch.tensor([-1])), entry])
        layer = net.add_shuffle(x)
        layer.set_input(1, spec.get_output(0))
        return layer.get_output(0)

    check_layer(build, [torch.randn(2, 3, 4)], lambda x: x.reshape(-1, 3))


@pytest.mark.parametrize("axes,unsqueeze,match", [
    ([0], False, "size 2"),
    ([4], False, "out of range"),
    ([1, -2], False, "twice"),
    ([[1]], False, "1-D"),
    (1, False, "1-D"),
    ([3], True, "out of range"),
    ([-4], True, "out of range"),
    ([1, 1], True, "twice"),
])
def test_rejects(axes, unsqueeze, match):
    x = torch.randn(2, 1, 3) if not unsqueeze else torch.randn(2, 3)
    check_rejected(squeeze(torch.tensor(axes), unsqueeze), [x], match)


def test_rejects_axes_that_are_not_constants():
    def build(trt, net, x, axes):
        return net.add_squeeze(x, axes).get_output(0)

    check_rejected(build, [torch.randn(2, 1), torch.tensor([1])], "build-time constants")
