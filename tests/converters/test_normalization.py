import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-4, "rtol": 1e-4}
X = torch.randn(2, 6, 5, 4)
C = 6
MEAN, VAR = torch.randn(C), torch.rand(C) + 0.5
W, B = torch.randn(C), torch.randn(C)
W54, B54, W654, W4 = torch.randn(5, 4), torch.randn(5, 4), torch.randn(6, 5, 4), torch.randn(4)


def _bn(module):
    torch.manual_seed(0)
    module.running_mean.uniform_(-1, 1)
    module.running_var.uniform_(0.5, 2)
    if module.affine:
        module.weight.data.uniform_(-2, 2)
        module.bias.data.uniform_(-1, 1)
    return module.eval()


@pytest.mark.parametrize("module,shape", [
    (_bn(torch.nn.BatchNorm1d(6)), (3, 6)), (_bn(torch.nn.BatchNorm1d(6)), (3, 6, 7)),
    (_bn(torch.nn.BatchNorm2d(6, eps=1e-3)), (2, 6, 5, 4)),
    (_bn(torch.nn.BatchNorm3d(6, affine=False)), (1, 6, 3, 4, 5)),
    (torch.nn.BatchNorm2d(6, track_running_stats=False), (2, 6, 5, 4)),  # batch statistics
], ids=["bn1d_2d", "bn1d", "bn2d", "bn3d_noaffine", "bn_batch_stats"])
def test_batch_norm_module(module, shape):
    check_op(module, torch.randn(shape), **TOL)


@pytest.mark.parametrize("fn", [
    lambda x: F.batch_norm(x, MEAN, VAR, W, B, eps=1e-3),
    lambda x: F.batch_norm(x, MEAN, VAR),
    lambda x: F.batch_norm(x, None, None, W, B, training=True),
    lambda x: torch.batch_norm(x, W, B, MEAN, VAR, False, 0.1, 1e-5, False),
], ids=["functional", "no_affine", "batch_stats", "torch"])
def test_batch_norm_functional(fn):
    check_op(fn, X, **TOL)


def test_batch_norm_half():
    check_op(lambda x: F.batch_norm(x, MEAN.half(), VAR.half(), W.half(), B.half()), X.half(),
             atol=2e-2, rtol=1e-2)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.layer_norm(x, (4,)), X),
    (lambda x: F.layer_norm(x, (5, 4), W54, B54, eps=1e-3), X),
    (lambda x: F.layer_norm(x, [6, 5, 4], W654), X),
    (lambda x: torch.layer_norm(x, [4], W4, None), X),
    (torch.nn.LayerNorm(4), X),
    (lambda x: F.layer_norm(x, (4,), W4.half()), X.half()),
], ids=["last", "two_axes", "all", "torch", "module", "half"])
def test_layer_norm(fn, x):
    check_op(fn, x, atol=1e-2 if x.dtype == torch.half else 1e-4, rtol=1e-3)


def test_layer_norm_weight_from_network():
    check_op(lambda x, w: F.layer_norm(x, (4,), w * 2, w), X, torch.randn(4), **TOL)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.group_norm(x, 2), X),
    (lambda x: F.group_norm(x, 3, W, B, eps=1e-3), X),
    (lambda x: F.group_norm(x, 6, W, B), X),
    (lambda x: F.group_norm(x, 1, W), torch.randn(2, 6, 7)),
    (lambda x: F.group_norm(x, 3, W, B), torch.randn(4, 6)),
    (lambda x: torch.group_norm(x, 2, W, B, 1e-5, False), X),
    (torch.nn.GroupNorm(2, 6), torch.randn(1, 6, 2, 3, 4)),
    (lambda x: F.group_norm(x, 2, W.half(), B.half()), X.half()),
], ids=["g2", "g3_affine", "per_channel", "g1_1d", "rank2", "torch", "module3d", "half"])
def test_group_norm(fn, x):
    check_op(fn, x, atol=1e-2 if x.dtype == torch.half else 1e-4, rtol=1e-3)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.instance_norm(x), X),
    (lambda x: F.instance_norm(x, weight=W, bias=B, eps=1e-3), X),
    (lambda x: F.instance_norm(x, MEAN, VAR, W, B, use_input_stats=False), X),
    (lambda x: F.instance_norm(x, MEAN.clone(), VAR.clone(), W, B), X),
    (lambda x: torch.instance_norm(x, W, B, None, None, True, 0.1, 1e-5, False), X),
    (lambda x: torch.instance_norm(x, None, None, MEAN, VAR, False, 0.1, 1e-5, False), X),
    (torch.nn.InstanceNorm1d(6, affine=True), torch.randn(2, 6, 9)),
    (torch.nn.InstanceNorm3d(6), torch.randn(1, 6, 3, 4, 5)),
], ids=["plain", "affine", "running", "updates_running", "torch", "torch_running", "module1d",
        "module3d"])
def test_instance_norm(fn, x):
    check_op(fn, x, **TOL)


@pytest.mark.parametrize("kwargs", [
    {}, {"dim": -1}, {"p": 1, "dim": 0}, {"p": 3.0, "dim": 2}, {"p": float("inf")},
    {"dim": (1, 2)}, {"eps": 10.0},
], ids=str)
def test_normalize(kwargs):
    check_op(lambda x: F.normalize(x, **kwargs), X, **TOL)


@pytest.mark.parametrize("args,shape", [
    ((3,), (2, 6, 5, 4)), ((5, 1e-2, 0.5, 2.0), (2, 6, 5, 4)), ((3,), (2, 6, 7)),
    ((2,), (2, 6, 5, 4)), ((4, 1e-3, 0.75, 1.0), (2, 6, 7)), ((17,), (1, 20, 3, 2)),
    ((3, 1e-4, 0.005), (2, 6, 3, 4, 5)), ((3,), (1, 6, 2, 3, 2)),
], ids=str)
def test_local_response_norm(args, shape):
    check_op(lambda x: F.local_response_norm(x, *args), torch.randn(shape) * 3, **TOL)


def test_normalization_unsupported():
    check_unsupported(lambda x: F.batch_norm(x, MEAN.clone(), VAR.clone(), training=True), X,
                      op="torch.nn.functional.batch_norm")


def test_normalization_dynamic_batch():
    x = torch.randn(1, 6, 5, 4)
    check_dynamic(lambda x: F.batch_norm(x, MEAN, VAR, W, B), x, x.repeat(3, 1, 1, 1), atol=1e-4)
    check_dynamic(lambda x: F.group_norm(x, 3, W, B), x, x.repeat(3, 1, 1, 1), atol=1e-4)
    check_dynamic(lambda x: F.group_norm(x, 2), x[..., 0, 0], x[..., 0, 0].repeat(3, 1),
                  atol=1e-4)
    check_dynamic(lambda x: F.layer_norm(x, (4,), W4), x, x.repeat(2, 1, 1, 1), atol=1e-4)
    check_dynamic(lambda x: F.local_response_norm(x, 2), x[..., 0], x[..., 0].repeat(2, 1, 1),
                  atol=1e-4)
