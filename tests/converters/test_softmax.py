import pytest
import torch
import torch.nn.functional as F
from harness import check_op
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 4), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("fn", [
    lambda x: F.softmax(x), lambda x: F.softmax(x, -1), lambda x: F.log_softmax(x),
    lambda x: F.log_softmax(x, 0), lambda x: F.softmin(x), lambda x: F.softmin(x, -1),
    torch.nn.Softmax(), torch.nn.LogSoftmax(), torch.nn.Softmin(), torch.nn.Softmax(-1),
    torch.nn.LogSoftmax(dim=0),
], ids=["F_implicit", "F", "F_log_implicit", "F_log", "softmin_implicit", "softmin",
        "Softmax_implicit", "LogSoftmax_implicit", "Softmin_implicit", "Softmax",
        "LogSoftmax"])
def test_softmax_dims(fn, shape):
    check_op(fn, torch.randn(shape) * 4, **TOL)


@pytest.mark.parametrize("fn", [
    lambda x: torch.softmax(x, 1), lambda x: x.softmax(-2), lambda x: x.softmax(dim=0),
    lambda x: torch.log_softmax(x, 2), lambda x: x.log_softmax(1),
    lambda x: F.softmax(x, 1, dtype=torch.float16), lambda x: torch.softmax(x, 1, torch.float16),
    lambda x: x.log_softmax(-1, dtype=torch.float16),
    lambda x: F.log_softmax(x * 100, 1),  # far below the maximum: finite, as torch
], ids=["torch", "method", "method_kw", "torch_log", "method_log", "F_dtype", "torch_dtype",
        "method_log_dtype", "log_extreme"])
def test_softmax_variants(fn):
    x = torch.randn(2, 3, 4) * 4
    check_op(fn, x, atol=1e-2 if fn(x).dtype == torch.half else 1e-5, rtol=1e-3)


def test_softmax_half_and_scalar():
    check_op(lambda x: F.softmax(x, -1), torch.randn(2, 5).half(), atol=1e-3, rtol=1e-3)
    check_op(lambda x: F.log_softmax(x, 0), torch.tensor(2.0))
    check_op(lambda x: F.softmax(x, 0), torch.tensor(2.0))


def test_softmax_int_dtype():
    check_op(lambda x: F.softmax(x, 1, dtype=torch.float32), torch.arange(6).reshape(2, 3))


def test_softmax_dynamic_batch():
    x = torch.randn(1, 3, 4)
    check_dynamic(lambda x: (F.softmax(x, -1), F.log_softmax(x, 1)), x, x.repeat(3, 1, 1))
    check_dynamic(lambda x: F.softmax(x, 0), x[0, 0], x[0, 0].repeat(2))
