"""ISliceLayer: static and tensor parameters, axes, every SampleMode, dynamic shapes, values."""

import numpy as np
import pytest
import torch
from harness import check_layer, check_rejected, constant

# SampleMode -> numpy.pad mode with the same out-of-bounds reads (an independent reference).
PAD = {"WRAP": "wrap", "CLAMP": "edge", "FILL": "constant", "REFLECT": "reflect"}


def slice_(start, size, stride, mode=None, axes=None, inputs=None):
    """A slice layer; `inputs` maps input index -> a torch tensor set there as a constant."""
    def build(trt, net, x):
        tensors = {i: constant(trt, net, v) for i, v in (inputs or {}).items()}  # made first:
        layer = net.add_slice(x, start, size, stride)  # the reference infers in layer order
        if mode is not None:
            layer.mode = getattr(trt.SampleMode, mode)
        if axes is not None:
            layer.axes = axes
        for index, tensor in tensors.items():
            layer.set_input(index, tensor)
        return layer.get_output(0)

    return build


def padded_slice(x, start, size, stride, mode, fill=0.0):
    """numpy: pad far enough with the mode's rule, then take the strided window."""
    pad = max(abs(s) + abs(st) * n for s, n, st in zip(start, size, stride))
    kwargs = {"constant_values": fill} if mode == "FILL" else {}
    a = np.pad(x.numpy(), pad, mode=PAD[mode], **kwargs)
    index = tuple(pad + s + st * np.arange(n) for s, n, st in zip(start, size, stride))
    return torch.from_numpy(a[np.ix_(*index)].copy())


@pytest.mark.parametrize("start,size,stride", [
    ((0, 0), (5, 6), (1, 1)), ((1, 2), (2, 2), (2, 1)), ((4, 5), (5, 3), (-1, -2)),
    ((2, 3), (3, 2), (0, 1)), ((0, 0), (0, 6), (1, 1)),
])
def test_strict_bounds(start, size, stride):
    x = torch.arange(30.0).reshape(5, 6)
    index = [s + st * torch.arange(n) for s, n, st in zip(start, size, stride)]
    check_layer(slice_(start, size, stride), [x], lambda x: x[index[0]][:, index[1]])


@pytest.mark.parametrize("mode", sorted(PAD))
@pytest.mark.parametrize("start,size,stride", [
    ((-3, -2), (11, 9), (1, 1)), ((7, 6), (4, 3), (-2, -1)), ((-9, 0), (3, 6), (5, 1)),
])
def test_sample_modes(mode, start, size, stride):
    x = torch.arange(30.0).reshape(5, 6)
    check_layer(slice_(start, size, stride, mode), [x],
                lambda x: padded_slice(x, start, size, stride, mode))


def test_reflect_of_one_element_repeats_it():
    check_layer(slice_((-2,), (5,), (1,), "REFLECT"), [torch.tensor([7.0])],
                lambda x: x.expand(5))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_fill_value_input(dtype):
    # A FLOAT fill value is implicitly converted to a HALF input's type.
    x = torch.arange(12.0).reshape(3, 4).to(dtype)
    build = slice_((-1, 1), (5, 4), (1, 1), "FILL", inputs={4: torch.tensor(-5.0)})
    check_layer(build, [x], lambda x: padded_slice(x.float(), (-1, 1), (5, 4), (1, 1), "FILL",
                                                    -5.0).to(dtype))


def test_fill_from_empty_axis():
    check_layer(slice_((0, -1), (2, 3), (1, 1), "FILL"), [torch.zeros(2, 0)],
                lambda x: torch.zeros(2, 3))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.float16,
                                   torch.bfloat16, torch.int8])
def test_dtypes(dtype):
    x = torch.arange(24).reshape(4, 6).to(dtype)
    check_layer(slice_((1, 0), (2, 3), (2, 2)), [x], lambda x: x[1::2, 0::2])


@pytest.mark.parametrize("axes,start,size,expected", [
    ((1,), (1,), (2,), lambda x: x[:, 1:3]),
    ((-1,), (2,), (2,), lambda x: x[..., 2:4]),
    ((2, 0), (1, 1), (3, 2), lambda x: x[1:3, :, 1:4]),
])
def test_axes_property(axes, start, size, expected):
    check_layer(slice_(start, size, (1,) * len(axes), axes=axes),
                [torch.randn(4, 5, 6)], expected)


def test_parameters_from_shape_tensors():
    inputs = {1: torch.tensor([1, 0], dtype=torch.int32), 2: torch.tensor([2, 3]),
              3: torch.tensor([2, 1])}
    check_layer(slice_((0, 0), (1, 1), (1, 1), inputs=inputs), [torch.randn(5, 6)],
                lambda x: x[1:5:2, 0:3])


def test_axes_from_shape_tensor():
    inputs = {5: torch.tensor([-1])}
    check_layer(slice_((1,), (2,), (1,), inputs=inputs), [torch.randn(3, 5)],
                lambda x: x[:, 1:3])


def test_dynamic_batch_size_from_shape():
    """x[:, 1:3] with a dynamic batch: the size is (batch, 2) from the shape tensor."""
    def build(trt, net, x):
        batch = net.add_slice(net.add_shape(x).get_output(0), (0,), (1,), (1,)).get_output(0)
        size = net.add_concatenation([batch, constant(trt, net, torch.tensor([2]))]).get_output(0)
        layer = net.add_slice(x, (0, 1), (0, 0), (1, 1))
        layer.set_input(2, size)
        return layer.get_output(0)

    check_layer(build, [torch.randn(3, 5)], lambda x: x[:, 1:3], dynamic={0: [0]})


@pytest.mark.parametrize("mode,start,stride,size", [
    ("STRICT_BOUNDS", 2, -1, (4, 3, 2)), ("WRAP", -1, 1, (4, 2, 3)), ("CLAMP", 1, 1, (3, 4, 4)),
    ("REFLECT", -1, 1, (3, 2, 3)), ("FILL", 1, 1, (3, 4, 0)),
])
def test_sliced_shape_values_are_known(mode, start, stride, size):
    """Slicing x's shape tensor gives host values: they size a FILL slice of x."""
    def build(trt, net, x):
        dims = net.add_slice(net.add_shape(x).get_output(0), (start,), (3,), (stride,))
        dims.mode = getattr(trt.SampleMode, mode)
        outer = net.add_slice(x, (0, 0, 0), (1, 1, 1), (1, 1, 1))
        outer.mode = trt.SampleMode.FILL
        outer.set_input(2, dims.get_output(0))
        return outer.get_output(0)

    check_layer(build, [torch.randn(2, 3, 4)],
                lambda x: padded_slice(x, (0, 0, 0), size, (1, 1, 1), "FILL"))


@pytest.mark.parametrize("start,size,stride,mode,fill,match", [
    ((4, 0), (2, 2), (1, 1), None, None, "out of bounds"),
    ((-1, 0), (1, 2), (1, 1), None, None, "out of bounds"),
    ((0,), (1,), (1,), None, None, "values"),
    ((0, 0), (-1, 2), (1, 1), None, None, "negative"),
    ((0, 0), (2, 2), (1, 1), None, torch.tensor(0.0), "only allowed"),
    ((-1, 0), (2, 2), (1, 1), "FILL", torch.tensor(0, dtype=torch.int32), "type"),
])
def test_rejects(start, size, stride, mode, fill, match):
    inputs = None if fill is None else {4: fill}
    check_rejected(slice_(start, size, stride, mode, inputs=inputs), [torch.randn(5, 6)], match)


@pytest.mark.parametrize("axes,match", [((1, 1), "twice"), ((2,), "out of range")])
def test_rejects_bad_axes(axes, match):
    check_rejected(slice_((0,) * len(axes), (1,) * len(axes), (1,) * len(axes), axes=axes),
                   [torch.randn(5, 6)], match)


def test_rejects_float_start_tensor():
    check_rejected(slice_((0, 0), (1, 1), (1, 1), inputs={1: torch.tensor([0.0, 0.0])}),
                   [torch.randn(5, 6)], "INT32 or INT64")
