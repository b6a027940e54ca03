"""INonZeroLayer: (rank, -1) data-dependent output, INT64 by default or INT32.

TensorRT-RTX has no NonZero kernel (its builder reports "no runners"), so these tests check
shapes and dtypes against it by replay, and numerics by running the layer's torch code.
"""

import pytest
import torch
from harness import build_network

from trtconv.backends.replay import check_against_reference, replay_network
from trtconv.reference import trt as ref
from trtconv.reference.trt.plan import record_network


def replay_on_rtx(network):
    from support.layer_harness import rtx
    replayed = replay_network(record_network(network), rtx())
    return check_against_reference(network, replayed)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.int32,
                                   torch.int64, torch.bool])
@pytest.mark.parametrize("indices_type", [None, "INT32", "INT64"])
def test_non_zero_shape_and_type(dtype, indices_type):
    def build(trt, net, x):
        if indices_type is None:
            return net.add_non_zero(x).get_output(0)
        return net.add_non_zero(x, getattr(trt.DataType, indices_type)).get_output(0)

    _, network, (out,) = build_network(ref, build, [torch.zeros(2, 3, dtype=dtype)])
    assert tuple(out.shape) == (2, -1)
    assert out.dtype == getattr(ref.DataType, indices_type or "INT64")
    assert replay_on_rtx(network) == 2


@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4), (0, 3)])
def test_non_zero_values(shape):
    net = ref.Builder(ref.Logger()).create_network(0)
    x = torch.randint(0, 2, shape).float()
    layer = net.add_non_zero(net.add_input("x", ref.float32, shape))
    assert tuple(layer.get_output(0).shape) == (len(shape), -1)
    (got,) = layer.execute([x])
    want = torch.nonzero(x).t() if x.dim() else torch.zeros(0, int(x.item() != 0),
                                                             dtype=torch.int64)
    assert got.dtype == torch.int64 and torch.equal(got, want)


def test_non_zero_property_and_dynamic_input():
    def build(trt, net, x):
        layer = net.add_non_zero(x)
        layer.indices_type = trt.int32
        return layer.get_output(0)

    _, network, (out,) = build_network(ref, build, [torch.ones(4, 3)], dynamic={0: [0]})
    assert (tuple(out.shape), out.dtype) == ((2, -1), ref.int32)
    replay_on_rtx(network)
    (got,) = network.get_layer(0).execute([torch.tensor([[0, 1.5], [2, 0]])])
    assert got.dtype == torch.int32 and got.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("dtype", [torch.int8, torch.uint8])
def test_non_zero_rejects_type(dtype):
    from support.layer_harness import rtx
    for trt in (ref, rtx()):
        net = trt.Builder(trt.Logger(trt.Logger.INTERNAL_ERROR)).create_network(0)
        x = net.add_input("x", getattr(trt.DataType, ref.trt_dtype(dtype).name), (2, 3))
        with pytest.raises(RuntimeError):
            _ = net.add_non_zero(x).get_output(0).shape


def test_non_zero_rejects_float_indices_type():
    net = ref.Builder(ref.Logger()).create_network(0)
    layer = net.add_non_zero(net.add_input("x", ref.float32, (2,)), ref.float32)
    with pytest.raises(RuntimeError, match="INT32 or INT64"):
        _ = layer.get_output(0).shape
