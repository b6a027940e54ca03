import math

import pytest
import torch
from harness import check_op
from support.dynamic_harness import check_dynamic

T = torch.Tensor
X = torch.randn(2, 3, 4) * 3
Y = torch.randn(2, 3, 4) * 3
POS = torch.rand(2, 3, 4) + 0.5
I32 = torch.randint(-9, 10, (2, 3, 4), dtype=torch.int32)
I64 = torch.randint(-9, 10, (2, 3, 4))
NZ64 = torch.tensor([3, -2, 5, -7])  # nonzero int divisors of both signs, broadcast on (..., 4)
B = torch.rand(2, 3, 4) > 0.5
H = (torch.randn(2, 3, 4) * 3).half()

# Second operands of every kind: same shape, lower rank, size-1 dims, 0-d, Python numbers.
OTHERS = {
    "same": Y, "rank1": torch.randn(4) + 4, "col": torch.randn(3, 1) - 4,
    "0d": torch.tensor(2.5), "float": 1.5, "int": 3,
}

FUNCTIONS = [torch.add, torch.sub, torch.subtract, torch.mul, torch.multiply, torch.div,
             torch.divide, torch.true_divide, torch.maximum, torch.minimum, torch.fmax, torch.fmin,
             torch.fmod, torch.remainder, torch.floor_divide, torch.pow, torch.rsub]
METHODS = [T.add, T.sub, T.subtract, T.mul, T.multiply, T.div, T.divide, T.true_divide,
           T.maximum, T.minimum, T.fmax, T.fmin, T.fmod, T.remainder, T.floor_divide, T.pow]
NO_SCALAR = ("maximum", "minimum", "fmax", "fmin")  # torch takes tensors only


def _id(f):
    return getattr(f, "__qualname__", getattr(f, "__name__", repr(f)))


@pytest.mark.parametrize("other", OTHERS.values(), ids=OTHERS.keys())
@pytest.mark.parametrize("fn", FUNCTIONS, ids=_id)
def test_binary(fn, other):
    if not isinstance(other, torch.Tensor) and fn.__name__ in NO_SCALAR:
        pytest.skip("torch takes no Python number here")
    base = POS if fn is torch.pow else X
    check_op(lambda a: fn(a, other), base, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fn", METHODS, ids=_id)
def test_method(fn):
    other = OTHERS["rank1"] if fn.__name__ in NO_SCALAR else 2.5
    check_op(lambda a, b: (fn(a, b), fn(a, other)), POS, POS.flip(0), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fn", [torch.add, torch.sub, torch.mul, torch.div, torch.maximum,
                                torch.remainder, torch.fmod, torch.floor_divide, torch.pow],
                         ids=_id)
def test_two_traced_inputs_broadcast(fn):
    check_op(fn, POS, torch.rand(3, 1) + 0.5, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a.abs() ** b,
    lambda a, b: 2 + a, lambda a, b: 2 - a, lambda a, b: 2 * a, lambda a, b: 2 / a,
    lambda a, b: 2.5 // a, lambda a, b: 2.5 % a, lambda a, b: 2 ** a, lambda a, b: -a,
    lambda a, b: +a, lambda a, b: a.positive(), lambda a, b: a.__rdiv__(3),
    lambda a, b: T.__div__(a, b),
    lambda a, b: a ** 2, lambda a, b: a ** 0.5, lambda a, b: a ** -1,
])
def test_operators(fn):
    check_op(fn, X, POS, atol=1e-4, rtol=1e-4)


def _iadd(a, b):
    a += b
    return a


def _isub(a, b):
    a -= b
    return a


def _imul(a, b):
    a *= b
    return a


def _itruediv(a, b):
    a /= b
    return a


def _ifloordiv(a, b):
    a //= b
    return a


def _imod(a, b):
    a %= b
    return a


def _ipow(a, b):
    a **= b
    return a


@pytest.mark.parametrize("fn", [
    _iadd, _isub, _imul, _itruediv, _ifloordiv, _imod, _ipow,
    lambda a, b: T.__idiv__(a, b),
    lambda a, b: a.add_(b, alpha=2), lambda a, b: a.sub_(b), lambda a, b: a.mul_(b),
    lambda a, b: a.div_(b), lambda a, b: a.div_(b, rounding_mode="trunc"),
    lambda a, b: a.true_divide_(b), lambda a, b: a.subtract_(b), lambda a, b: a.multiply_(b),
    lambda a, b: a.divide_(b), lambda a, b: a.pow_(b), lambda a, b: a.floor_divide_(b),
    lambda a, b: a.fmod_(b), lambda a, b: a.remainder_(b), lambda a, b: a.neg_() + b,
    lambda a, b: torch.neg_(a) + b, lambda a, b: a.reciprocal_() + b,
    lambda a, b: torch.reciprocal_(a) + b, lambda a, b: a.square_() + b,
    lambda a, b: torch.square_(a) + b, lambda a, b: a.negative_() + b,
    lambda a, b: torch.negative_(a) + b, lambda a, b: a.lerp_(b, 0.3),
    lambda a, b: a.addcmul_(b, b, value=0.5), lambda a, b: a.addcdiv_(b, b + 4, value=2),
])
def test_inplace(fn):
    check_op(lambda a, b: fn(a * 1, b), POS, POS.flip(0), atol=1e-4, rtol=1e-4)


def test_inplace_float16_with_float32_operand():
    check_op(lambda a, b: (a * 1).add_(b), H, Y, atol=1e-2, rtol=1e-3)


def test_add_alpha():
    check_op(lambda a, b: torch.add(a, b, alpha=0.5) - torch.sub(b, a, alpha=3), X, Y)


def test_rsub_alpha():
    check_op(lambda a, b: torch.rsub(a, b, alpha=2), X, Y)


@pytest.mark.parametrize("fn", [
    torch.neg, T.neg, torch.negative, T.negative, T.__neg__, torch.positive,
    torch.reciprocal, T.reciprocal, torch.square, T.square,
], ids=_id)
@pytest.mark.parametrize("x", [X, H, I32, I64], ids=["f32", "f16", "i32", "i64"])
def test_unary_arithmetic(fn, x):
    if fn in (torch.reciprocal, T.reciprocal) and not x.is_floating_point():
        x = NZ64.to(x.dtype)
    check_op(fn, x, atol=1e-2 if x.dtype == torch.float16 else 1e-5, rtol=1e-3)


def test_square_bool():
    check_op(torch.square, B)


# --- dtypes and promotion ---------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda a, b: (a + b, a - b, a * b, a / b, torch.maximum(a, b), torch.minimum(a, b)),
    lambda a, b: (a + 2, a * 2.5, 7 - a, a / 2, a ** 2, torch.pow(a, 3), b - a, 2.5 / b),
], ids=["tensors", "scalars"])
@pytest.mark.parametrize("dtypes", [
    (torch.int32, torch.int32), (torch.int64, torch.int64), (torch.int32, torch.int64),
    (torch.int32, torch.float32), (torch.float16, torch.float16), (torch.float16, torch.float32),
    (torch.int64, torch.float16),
], ids=str)
def test_promotion(fn, dtypes):
    a, b = (NZ64.to(d) for d in dtypes)
    check_op(fn, a, b.flip(0), atol=1e-2, rtol=1e-3)


@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a + 1,
    lambda a, b: a * 2.5, lambda a, b: torch.maximum(a, b), lambda a, b: torch.minimum(a, b),
    lambda a, b: a ** 2, lambda a, b: a + True, lambda a, b: a / 2,
])
def test_bool_operands(fn):
    check_op(fn, B, B.flip(0))


@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: b / a])
def test_bool_with_int(fn):
    check_op(fn, B, I32)


@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a // b,
    lambda a, b: a % b, lambda a, b: torch.fmod(a, b), lambda a, b: torch.remainder(a, b),
    lambda a, b: torch.div(a, b, rounding_mode="trunc"), lambda a, b: a ** 2,
    lambda a, b: torch.pow(a.abs(), b.abs()), lambda a, b: 2 ** b.abs(),
])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64], ids=str)
def test_integer_ops(fn, dtype):
    check_op(fn, I64.to(dtype) % 5, NZ64.to(dtype))


# --- division and modulo sign cases -----------------------------------------------------------

SIGNS_A = torch.tensor([-7.5, -7.0, -6.0, -1.0, -0.5, 0.0, 0.5, 1.0, 6.0, 7.0, 7.5]).reshape(-1, 1)
SIGNS_B = torch.tensor([2.0, -2.0, 3.0, -3.0, 0.75])
INT_A = torch.tensor([-7, -6, -1, 0, 1, 6, 7]).reshape(-1, 1)
INT_B = torch.tensor([2, -2, 3, -3, 1, -1])


@pytest.mark.parametrize("fn", [
    lambda a, b: torch.div(a, b, rounding_mode="trunc"),
    lambda a, b: torch.div(a, b, rounding_mode="floor"), lambda a, b: torch.floor_divide(a, b),
    lambda a, b: a // b, lambda a, b: torch.fmod(a, b), lambda a, b: torch.remainder(a, b),
    lambda a, b: a % b, lambda a, b: b % a.clamp(min=1),
], ids=["trunc", "floor", "floor_divide", "floordiv", "fmod", "remainder", "mod", "rmod"])
@pytest.mark.parametrize("ints", [False, True], ids=["float", "int"])
def test_division_signs(fn, ints):
    a, b = (INT_A, INT_B) if ints else (SIGNS_A, SIGNS_B)
    check_op(fn, a, b)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64], ids=str)
def test_trunc_division_by_scalar(dtype):
    check_op(lambda a: torch.div(a, -4, rounding_mode="trunc"), INT_A.to(dtype) * 3)


def test_fmod_remainder_infinite_divisor():
    b = torch.tensor([math.inf, -math.inf, 2.0])
    check_op(lambda a, d: (torch.fmod(a, d), torch.remainder(a, d)), SIGNS_A, b)


def test_division_by_zero_float():
    check_op(lambda a, b: (a / b, torch.div(a, b, rounding_mode="trunc")),
             SIGNS_A, torch.tensor([0.0, -0.0]))


# --- NaN semantics of maximum/minimum vs fmax/fmin --------------------------------------------

NAN_A = torch.tensor([1.0, math.nan, math.nan, -2.0, 3.0])
NAN_B = torch.tensor([math.nan, 0.0, math.nan, 5.0, -1.0])


@pytest.mark.parametrize("fn", [torch.maximum, torch.minimum, torch.fmax, torch.fmin], ids=_id)
def test_extremum_nan(fn):
    check_op(fn, NAN_A, NAN_B)


# --- lerp, addcmul, addcdiv -------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda a, b, w: torch.lerp(a, b, 0.25), lambda a, b, w: torch.lerp(a, b, 0.75),
    lambda a, b, w: torch.lerp(a, b, w), lambda a, b, w: a.lerp(b, w),
    lambda a, b, w: torch.addcmul(a, b, w), lambda a, b, w: a.addcmul(b, w, value=-2),
    lambda a, b, w: torch.addcdiv(a, b, w + 2, value=0.5), lambda a, b, w: a.addcdiv(b, w + 2),
])
def test_ternary(fn):
    check_op(fn, X, Y, torch.rand(3, 4))


def test_dynamic_batch():
    check_dynamic(lambda a, b: (a + b) * 2 - torch.fmod(a, 3) + b % 2, (X, Y), (X[:1], Y[:1]),
                  (X.repeat(2, 1, 1), Y.repeat(2, 1, 1)), atol=1e-4)


def test_symbolic_size_operand():
    check_dynamic(lambda a: (a / a.shape[0], a * a.size(0) - a.shape[0], a.shape[0] ** a), X,
                  X[:1], X.repeat(2, 1, 1), atol=1e-4)


# atan2 over every quadrant, both axes, signed zeros, infinities and NaN.
_SPECIAL = torch.tensor([0.0, -0.0, 1.5, -1.5, math.inf, -math.inf, math.nan, 1e-30, -3e30])
ATAN2_Y, ATAN2_X = (v.reshape(-1) for v in torch.meshgrid(_SPECIAL, _SPECIAL, indexing="ij"))


@pytest.mark.parametrize("fn", [
    torch.atan2, torch.arctan2, lambda y, x: y.atan2(x), lambda y, x: y.arctan2(x),
    lambda y, x: (y * 1).atan2_(x), lambda y, x: (y * 1).arctan2_(x),
    lambda y, x: torch.atan2(y, x[0]), lambda y, x: torch.atan2(y[:1], x),
], ids=["atan2", "arctan2", "method", "arctan2_method", "in_place", "arctan2_in_place",
        "broadcast", "broadcast_left"])
def test_atan2(fn):
    check_op(fn, torch.randn(3, 4) * 3, torch.randn(3, 4) * 3, atol=1e-6)


def test_atan2_special_values():
    converted = check_op(torch.atan2, ATAN2_Y, ATAN2_X, atol=1e-6)
    got, want = converted(ATAN2_Y, ATAN2_X), torch.atan2(ATAN2_Y, ATAN2_X)
    numbers = ~want.isnan()
    assert torch.equal(got[numbers].signbit(), want[numbers].signbit())  # -0.0 as torch
    assert want[(ATAN2_Y == 0) & (ATAN2_X == 0)].signbit().any()


@pytest.mark.parametrize("y,x", [
    (torch.arange(-3, 3, dtype=torch.int32), torch.tensor([2, -1, 0, 0, 3, -5])),
    (torch.randn(2, 3).half(), torch.randn(2, 3).half()),
    (torch.randn(2, 3).bfloat16(), torch.randn(2, 3).bfloat16()),
], ids=["int", "half", "bfloat16"])
def test_atan2_dtypes(y, x):
    check_op(torch.atan2, y, x, atol=1e-2 if y.dtype in (torch.half, torch.bfloat16) else 1e-6)


def test_atan2_dynamic():
    check_dynamic(lambda y, x: torch.atan2(y, x), (torch.randn(2, 3), torch.randn(2, 3)),
                  (torch.randn(5, 3), torch.randn(5, 3)))
