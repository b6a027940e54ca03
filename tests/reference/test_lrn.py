"""ILRNLayer: cross-channel local response normalization (torch's local_response_norm)."""

import pytest
import torch
import torch.nn.functional as F
from harness import check_layer, check_rejected
from support.api_checks import check_add_refused, check_defaults, check_setter_refused


def lrn(window, alpha, beta, k):
    return lambda trt, net, x: net.add_lrn(x, window, alpha, beta, k).get_output(0)


@pytest.mark.parametrize("window,alpha,beta,k", [(3, 1e-4, 0.75, 1.0), (5, 0.5, 2.0, 2.0),
                                                 (1, 1.0, 0.5, 1e-3), (15, -0.01, 0.01, 3.0)])
def test_lrn(window, alpha, beta, k):
    check_layer(lrn(window, alpha, beta, k), [torch.randn(2, 6, 3, 4)],
                lambda x: F.local_response_norm(x, window, alpha, beta, k), atol=1e-4)


def test_matches_tensorrt_output():
    """TensorRT's output for this case, from NVIDIA's TensorRT cookbook (LRN)."""
    x = torch.tensor([1.0, 2.0, 5.0]).reshape(1, 3, 1, 1).expand(1, 3, 3, 3).contiguous()
    got = check_layer(lrn(3, 1.0, 1.0, 1e-4), [x],
                      lambda t: F.local_response_norm(t, 3, 1.0, 1.0, 1e-4))[0]
    torch.testing.assert_close(got[0, :, 0, 0], torch.tensor([0.59996396, 0.19999799,
                                                              0.51723605]))


def test_5d_dynamic_and_half():
    check_layer(lrn(3, 0.1, 0.75, 1.0), [torch.randn(2, 4, 3, 2, 5)],
                lambda x: F.local_response_norm(x, 3, 0.1, 0.75, 1.0), dynamic={0: [0, 3]})
    check_layer(lrn(3, 0.1, 0.75, 1.0), [torch.randn(1, 4, 3, 3).half()],
                lambda x: F.local_response_norm(x.float(), 3, 0.1, 0.75, 1.0).half(),
                atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("shape,dtype,match", [((3, 4, 5), torch.float32, "at least 4"),
                                               ((1, 3, 4, 5), torch.int32, "type")])
def test_rejected(shape, dtype, match):
    check_rejected(lrn(3, 1e-4, 0.75, 1.0), [torch.ones(shape, dtype=dtype)], match)


@pytest.mark.parametrize("window,beta,k", [(4, 0.75, 1.0), (17, 0.75, 1.0), (3, 0.0, 1.0),
                                           (3, 0.75, 0.0)])
def test_out_of_range_is_refused(window, beta, k):
    check_add_refused(lambda trt, net, x: net.add_lrn(x, window, 1e-4, beta, k),
                      [((1, 3, 4, 5), "FLOAT")], "must be")


def make(trt, net, x):
    return net.add_lrn(x, 5, 2e-4, 0.5, 2.0)


@pytest.mark.parametrize("name,value", [("window_size", 2), ("beta", 1e6), ("k", -1.0)])
def test_setter_refused(name, value):
    check_setter_refused(make, [((1, 3, 4, 5), "FLOAT")], name, value)


def test_properties():
    check_defaults(make, [((1, 3, 4, 5), "FLOAT")], ["window_size", "alpha", "beta", "k"])
