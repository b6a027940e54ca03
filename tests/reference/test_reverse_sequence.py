"""IReverseSequenceLayer: per-batch reversal of the first sequence_lens[b] steps."""

import pytest
import torch
from harness import check_layer, check_rejected

from trtconv.reference import trt as ref


def reverse_sequence(x, lens, batch_axis, sequence_axis):
    out = x.clone()
    for b, n in enumerate(lens.tolist()):
        n = max(0, min(n, x.shape[sequence_axis]))
        src = x.select(batch_axis, b)
        dst = out.select(batch_axis, b)
        axis = sequence_axis - (sequence_axis > batch_axis)
        dst.narrow(axis, 0, n).copy_(src.narrow(axis, 0, n).flip(axis))
    return out


def build_rs(batch_axis=None, sequence_axis=None):
    def build(trt, net, x, lens):
        layer = net.add_reverse_sequence(x, lens)
        if batch_axis is not None:
            layer.batch_axis = batch_axis
        if sequence_axis is not None:
            layer.sequence_axis = sequence_axis
        return layer.get_output(0)
    return build


@pytest.mark.parametrize("shape,batch_axis,sequence_axis", [
    ((5, 3, 2), None, None),      # defaults: batch 1, sequence 0
    ((3, 5, 2), 0, 1),
    ((3, 5), 0, 1),
    ((2, 4, 3), 2, 1),
    ((4, 2, 3), 1, 2),
])
def test_reverse_sequence(shape, batch_axis, sequence_axis):
    b = 1 if batch_axis is None else batch_axis
    s = 0 if sequence_axis is None else sequence_axis
    x = torch.randn(shape)
    lens = torch.randint(0, shape[s] + 1, (shape[b],), dtype=torch.int32)
    check_layer(build_rs(batch_axis, sequence_axis), [x, lens],
                lambda t, n: reverse_sequence(t, n, b, s))


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.int8,
                                   torch.bool])
def test_reverse_sequence_types(dtype):
    x = (torch.randn(4, 3) * 10).to(dtype)
    lens = torch.tensor([4, 2, 0], dtype=torch.int64)
    check_layer(build_rs(), [x, lens], lambda t, n: reverse_sequence(t, n, 1, 0))


def test_reverse_sequence_dynamic_batch():
    x = torch.randn(5, 3, 2)
    lens = torch.tensor([5, 1, 3], dtype=torch.int32)
    check_layer(build_rs(), [x, lens], lambda t, n: reverse_sequence(t, n, 1, 0),
                dynamic={0: [1], 1: [0]})


def test_reverse_sequence_defaults():
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (5, 3))
    layer = net.add_reverse_sequence(x, net.add_input("l", ref.int32, (3,)))
    assert (layer.batch_axis, layer.sequence_axis, layer.num_inputs) == (1, 0, 2)


def test_reverse_sequence_rejects_same_axes():
    check_rejected(build_rs(0, 0), [torch.randn(5, 3), torch.ones(5, dtype=torch.int32)],
                   "cannot be the same")


def test_reverse_sequence_rejects_float_lengths():
    check_rejected(build_rs(), [torch.randn(5, 3), torch.ones(3)], "INT32 or INT64")


def test_reverse_sequence_rejects_length_count():
    check_rejected(build_rs(), [torch.randn(5, 3, 2), torch.ones(4, dtype=torch.int32)],
                   "entries")


def test_reverse_sequence_rejects_negative_axis():
    """TensorRT's setter refuses -1 and keeps the old axis; the reference rejects the layer
    (not silently different)."""
    net = ref.Builder(ref.Logger()).create_network(0)
    x = net.add_input("x", ref.float32, (5, 3))
    layer = net.add_reverse_sequence(x, net.add_input("l", ref.int32, (3,)))
    layer.batch_axis = -1
    with pytest.raises(RuntimeError, match="batch_axis -1"):
        _ = layer.get_output(0).shape
