import math

import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = torch.randint(-3, 4, (2, 3, 4)).float()
Y = torch.randint(-3, 4, (2, 3, 4)).float()  # many ties with X: equality matters
NAMES = ["eq", "ne", "gt", "lt", "ge", "le", "greater", "greater_equal", "less", "less_equal",
         "not_equal"]
OPERATORS = [lambda a, b: a == b, lambda a, b: a != b, lambda a, b: a > b, lambda a, b: a < b,
             lambda a, b: a >= b, lambda a, b: a <= b, lambda a, b: 1 < a, lambda a, b: 1 >= a,
             lambda a, b: 0.5 == a, lambda a, b: 2 != a]
OTHERS = {"same": Y, "rank1": torch.tensor([0.0, 1.0, -1.0, 2.0]), "col": Y[0, :, :1],
          "0d": torch.tensor(1.0), "int": 1, "float": 0.5}


@pytest.mark.parametrize("other", OTHERS.values(), ids=OTHERS.keys())
@pytest.mark.parametrize("name", NAMES)
def test_function(name, other):
    check_op(lambda a: getattr(torch, name)(a, other), X)


@pytest.mark.parametrize("name", NAMES)
def test_method(name):
    check_op(lambda a, b: getattr(a, name)(b), X, Y)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_method(name):
    check_op(lambda a, b: getattr(a * 1, name + "_")(b), X, Y)


@pytest.mark.parametrize("fn", OPERATORS)
def test_operators(fn):
    check_op(fn, X, Y)


NAN = torch.tensor([math.nan, math.nan, 1.0, 1.0, math.inf, -math.inf, 0.0, -0.0])
NAN_OTHER = torch.tensor([math.nan, 1.0, math.nan, 1.0, math.inf, math.inf, -0.0, 0.0])


@pytest.mark.parametrize("name", NAMES)
def test_nan(name):
    check_op(lambda a, b: (getattr(torch, name)(a, b), getattr(torch, name)(a, 1.0)),
             NAN, NAN_OTHER)


@pytest.mark.parametrize("fn", OPERATORS)
@pytest.mark.parametrize("dtypes", [
    (torch.int32, torch.int32), (torch.int64, torch.int32), (torch.int32, torch.float32),
    (torch.float16, torch.float32), (torch.float16, torch.float16), (torch.bool, torch.bool),
    (torch.bool, torch.int64),
], ids=str)
def test_dtypes(fn, dtypes):
    check_op(fn, X.to(dtypes[0]), Y.to(dtypes[1]))


@pytest.mark.parametrize("fn", [lambda a: a > 2.5, lambda a: a == 2.0, lambda a: a <= 1.5,
                                lambda a: a.ge(-0.5), lambda a: a != True])  # noqa: E712
def test_int_tensor_with_python_float(fn):
    check_op(fn, X.int())


def test_bool_with_python_scalars():
    check_op(lambda a: (a == True, a > False, a < 1), X > 0)  # noqa: E712


def test_compare_with_none_is_python():
    check_op(lambda a: a + 1 if a is not None and not (a == None) else a, X)  # noqa: E711


def test_dynamic():
    check_dynamic(lambda a, b: (a >= b, a != b, a < 1), (X, Y), (X[:1], Y[:1]))
