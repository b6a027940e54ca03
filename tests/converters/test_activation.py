import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported

X = torch.randn(2, 3, 4) * 3


@pytest.mark.parametrize("fn", [
    torch.relu, F.relu, lambda x: x.relu(), lambda x: torch.relu_(x.clone()),
    lambda x: F.relu(x, inplace=True), lambda x: x.clone().relu_(),
    torch.sigmoid, F.sigmoid, lambda x: x.sigmoid(), torch.tanh, F.tanh, lambda x: x.tanh(),
    lambda x: torch.sigmoid_(x * 1), lambda x: (x * 1).sigmoid_(),
    lambda x: torch.tanh_(x * 1), lambda x: (x * 1).tanh_(), torch.nn.ReLU(),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_activation(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x: F.relu_(x * 1), lambda x: F.sigmoid(x), lambda x: F.tanh(x),
], ids=["F_relu_", "F_sigmoid", "F_tanh"])
def test_functional_spellings(fn):
    check_op(fn, X)


def test_relu_int():
    check_op(torch.relu, torch.arange(-3, 3, dtype=torch.int32))


W3 = torch.rand(3) * 0.5


@pytest.mark.parametrize("fn", [
    F.leaky_relu, lambda x: F.leaky_relu(x, 0.2), lambda x: F.leaky_relu_(x * 1, -0.1),
    lambda x: F.leaky_relu(x, 0.3, inplace=True), torch.nn.LeakyReLU(0.05),
    lambda x: F.rrelu(x), lambda x: F.rrelu_(x * 1, 0.1, 0.3), lambda x: torch.rrelu(x, 0.2, 0.4),
    lambda x: torch.rrelu_(x * 1), torch.nn.RReLU(),
    F.elu, lambda x: F.elu(x, 0.5), lambda x: F.elu_(x * 1, 2.0), torch.nn.ELU(1.5),
    F.selu, torch.selu, lambda x: torch.selu_(x * 1), lambda x: F.selu_(x * 1), torch.nn.SELU(),
    F.celu, lambda x: F.celu(x, 2.0), lambda x: F.celu_(x * 1, 0.5), torch.celu,
    lambda x: torch.celu_(x * 1, 3.0), torch.nn.CELU(0.7),
    F.softsign, torch.nn.Softsign(),
    F.softplus, lambda x: F.softplus(x, 2.0), lambda x: F.softplus(x, 0.5, 1.0),
    lambda x: F.softplus(x * 20, 1.0, 20.0), torch.nn.Softplus(3.0, 2.0),
    F.hardtanh, lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: F.hardtanh_(x * 1, 0.0, 1.0),
    torch.nn.Hardtanh(-3.0, 2.0), F.relu6, lambda x: F.relu6(x * 3, inplace=True),
    torch.nn.ReLU6(),
    F.gelu, lambda x: F.gelu(x, approximate="tanh"), torch.nn.GELU(), torch.nn.GELU("tanh"),
    F.silu, torch.nn.SiLU(), F.hardswish, torch.nn.Hardswish(), F.hardsigmoid,
    torch.nn.Hardsigmoid(), F.mish, torch.nn.Mish(),
    F.logsigmoid, lambda x: F.logsigmoid(x * 40), torch.nn.LogSigmoid(),
    lambda x: F.threshold(x, 0.5, -2.0), lambda x: F.threshold_(x * 1, 0.0, 1.0),
    lambda x: torch.threshold(x, 1.0, 0.0), lambda x: torch.threshold_(x * 1, -1.0, 3.0),
    torch.nn.Threshold(0.1, 20.0),
    F.hardshrink, lambda x: F.hardshrink(x, 1.0), torch.hardshrink, lambda x: x.hardshrink(2.0),
    torch.nn.Hardshrink(), F.softshrink, lambda x: F.softshrink(x, 1.5), torch.nn.Softshrink(),
    F.tanhshrink, torch.nn.Tanhshrink(),
], ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_parametrised_activation(fn):
    check_op(fn, X, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.prelu(x, W3), torch.randn(2, 3, 4, 5)),
    (lambda x: F.prelu(x, W3[:1]), torch.randn(2, 3, 4)),
    (lambda x: torch.prelu(x, W3), torch.randn(4, 3)),
    (lambda x: x.prelu(W3[:1]), torch.randn(5)),
    (torch.nn.PReLU(3, 0.1), torch.randn(2, 3, 5)),
    (torch.nn.PReLU(), torch.randn(2, 3, 5)),
    (lambda x: F.prelu(x, W3.half()), torch.randn(2, 3, 4).half()),
], ids=["4d", "shared", "torch_2d", "method_1d", "module", "module_shared", "half"])
def test_prelu(fn, x):
    check_op(fn, x, atol=1e-3 if x.dtype == torch.half else 1e-5)


def test_activation_half_and_int():
    check_op(F.gelu, X.half(), atol=1e-2, rtol=1e-2)
    check_op(F.silu, X.half(), atol=1e-2, rtol=1e-2)
    check_op(lambda x: F.threshold(x, 1, 7), torch.arange(-3, 3, dtype=torch.int32))
    check_unsupported(lambda x: F.hardtanh(x, -2, 2), torch.arange(-3, 3),
                      op="torch.nn.functional.hardtanh")
    check_unsupported(lambda x: F.rrelu(x, training=True), X, op="torch.nn.functional.rrelu")


@pytest.mark.parametrize("fn,x", [
    (F.glu, torch.randn(2, 3, 6)),
    (lambda x: F.glu(x, 1), torch.randn(2, 4, 3)),
    (lambda x: F.glu(x, dim=0), torch.randn(2, 5)),
    (torch.nn.GLU(-2), torch.randn(3, 4, 5)),
    (F.glu, torch.randn(4, 8).half()),
], ids=["last", "dim1", "dim0", "module", "half"])
def test_glu(fn, x):
    check_op(fn, x, atol=1e-3 if x.dtype == torch.half else 1e-5)


def test_glu_dynamic_dim():
    from support.dynamic_harness import check_dynamic

    check_dynamic(lambda x: F.glu(x), torch.randn(2, 6), torch.randn(3, 10), torch.randn(1, 2))
