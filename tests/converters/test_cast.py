import pytest
import torch
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

X = torch.randn(2, 3, 4) * 5


@pytest.mark.parametrize("fn", [
    lambda x: x.to(torch.int32), lambda x: x.to(dtype=torch.float16), lambda x: x.to("cpu"),
    lambda x: x.to("cpu", torch.int64), lambda x: x.to(torch.device("cpu")) + 1,
    lambda x: x.to(x.int()), lambda x: x.int().to(x), lambda x: x.to(torch.bool),
    lambda x: x.float(), lambda x: x.half(), lambda x: x.bfloat16(), lambda x: x.int(),
    lambda x: x.long(), lambda x: x.bool(), lambda x: x.char(), lambda x: x.bool().int(),
    lambda x: x.int().float(), lambda x: x.long().half(), lambda x: x.type(torch.int32),
    lambda x: x.type(torch.float16), lambda x: x.type_as(x.long()),
    lambda x: x.int().type_as(x), lambda x: x.bool().long(), lambda x: x.half().bool(),
    lambda x: x.to(copy=True), lambda x: x.to(torch.float32) * 2,
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_cast(fn):
    check_op(fn, X, atol=1e-2, rtol=1e-2)


def test_type_string_is_not_a_tensor():
    check_op(lambda x: x * 2 if x.type() == "torch.FloatTensor" else x, X)


def test_double_is_float32_with_warning():
    with pytest.warns(UserWarning, match="float64"):
        check_op(lambda x: x.double().float() + 1, X)
    with pytest.warns(UserWarning, match="float64"):
        check_op(lambda x: x.to(torch.float64).sum(0).float(), X[0, 0])


def test_float64_constant_becomes_float32_with_warning():
    table = torch.arange(4, dtype=torch.float64)
    with pytest.warns(UserWarning, match="float64"):
        check_op(lambda x: (x.double() * 1 + table).float(), X)


def test_parameter_cast():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4))

        def forward(self, x):
            return x.half() * self.w.to(x.half())

    check_op(Net(), X, atol=1e-2, rtol=1e-2)


def test_dynamic():
    check_dynamic(lambda x: x.int().long().float().half(), X, torch.randn(5, 3, 4))


def test_uint8_unsupported():
    check_unsupported(lambda x: x.to(torch.uint8).int(), X, op="torch.Tensor.to")
    check_unsupported(lambda x: x.byte(), X, op="torch.Tensor.byte")
