import pytest
import torch
from harness import EXERCISED, Lambda, check_op, check_unsupported
from support.dynamic_harness import check_dynamic

import trtconv

X = torch.randn(2, 3, 4)


@pytest.mark.parametrize("fn", [
    torch.zeros_like, torch.ones_like,
    lambda x: torch.zeros_like(x, dtype=torch.int64), lambda x: torch.ones_like(x[0], dtype=torch.bool),
    lambda x: torch.full_like(x, 2.5), lambda x: torch.full_like(x, 7, dtype=torch.int32),
    lambda x: torch.full_like(x, x[0, 0, 0]), lambda x: torch.ones_like(x, device="cpu"),
    lambda x: torch.zeros_like(x, dtype=torch.float16), lambda x: torch.full_like(x, float("inf")),
    lambda x: x.new_zeros(2, 5), lambda x: x.new_ones((3,)), lambda x: x.new_full((2, 2), 3.0),
    lambda x: x.new_full([4], x[1, 1, 1]), lambda x: x.new_zeros(3, dtype=torch.int32) + 1,
    lambda x: x.new_tensor([1.0, 2.0]) + x[0, 0, :2],
    lambda x: x.new_tensor(x[0]), lambda x: x.new_ones(()),
    lambda x: torch.full((2, 3), x[0, 0, 0]), lambda x: torch.full((4,), x[1, 2, 3].int()),
    lambda x: torch.tensor(x[0]),
    # Constant creation needs no converter: the result is a constant of the network.
    lambda x: x + torch.arange(4), lambda x: x * torch.arange(1, 9, 2, dtype=torch.float16),
    lambda x: x[0] + torch.arange(0.0, 1.2, 0.4)[:, None], lambda x: x + torch.zeros(4),
    lambda x: x + torch.ones(3, 1, dtype=torch.int32), lambda x: x + torch.full((4,), 2.0),
    lambda x: x + torch.tensor([1.0, 2.0, 3.0, 4.0]), lambda x: x * torch.empty(3, 4).fill_(2),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_creation(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    torch.empty_like, lambda x: torch.empty_like(x[0], dtype=torch.int32),
    lambda x: x.new_empty(2, 3), lambda x: x.new_empty((4,), dtype=torch.float16),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_empty_has_torchs_shape_and_dtype(fn):
    # torch leaves empty memory uninitialized (it can hold NaN, so even `* 0` is not
    # comparable); only the shape and dtype are torch's to check. The engine fills zeros.
    want = fn(X)
    converted = trtconv.convert(Lambda(fn), [X], backend="reference")
    EXERCISED.update(converted.report.converted)
    got = converted(X)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    assert not got.any()


@pytest.mark.parametrize("fn", [
    lambda x: torch.tensor([x[0, 0, 0], x[1, 1, 1], 2.0]),
    lambda x: torch.tensor([[x[0, 0, 0], 1.0], [2.0, x[1, 0, 0]]]),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_tensor_of_traced_elements(fn):
    check_op(fn, X)


def test_nan_input_stays_out_of_fills():
    x = X.clone()
    x[0, 0, 0] = float("nan")
    x[1, 1, 1] = float("inf")
    check_op(lambda t: (torch.zeros_like(t), torch.ones_like(t) + 1, torch.full_like(t, 3)), x)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    check_op(lambda t: (torch.zeros_like(t), torch.ones_like(t), t.new_full((2,), 1)),
             (X * 3).to(dtype))


def test_float64_like_warns():
    with pytest.warns(UserWarning, match="float64"):
        check_op(lambda t: t + torch.ones_like(t, dtype=torch.float64).float(), X)


@pytest.mark.parametrize("fn", [
    torch.zeros_like, lambda x: torch.full_like(x, 3, dtype=torch.int64),
    lambda x: torch.ones_like(x[:, 0]) + x[:, 1], lambda x: x + torch.full_like(x, x[0, 0, 0]),
    lambda x: x.new_zeros(x.size(0), 5) + x[:, :1, 0], lambda x: x.new_full(x.shape, 2.0) * x,
    lambda x: x.new_ones(x.shape[0], 1, 4, dtype=torch.int64) + x.long(),
    lambda x: torch.zeros(x.size(0), 5) + x[:, :1, 0],
    lambda x: torch.ones((x.shape[0], 1, 4), dtype=torch.int64) + x.long(),
    lambda x: torch.ones(x.shape[0], x.shape[1] * 2, dtype=torch.bool) & (x[:, :1, 0] > 0),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda x: x + torch.arange(x.size(0)).reshape(-1, 1, 1),
    lambda x: x * torch.arange(1, x.size(2) + 1),
    lambda x: x[:, :, :2] + torch.arange(0, x.size(0) * 2, 2, dtype=torch.float32)[:, None, None],
    lambda x: torch.arange(x.shape[0] - 1, x.shape[0] * 3, step=3),
    lambda x: torch.arange(start=2, end=x.size(-1)).float().sum() + x,
    lambda x: x[torch.arange(x.size(0) - 1)],
], ids=["end", "start_end", "step_dtype", "dynamic_start", "keywords", "as_index"])
def test_arange_of_dynamic_sizes(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 7))


def test_arange_with_a_float_step_over_dynamic_sizes_is_unsupported():
    message = check_unsupported(lambda x: x[0, 0, :3] + torch.arange(0, x.size(0), 0.5)[:3], X,
                                op="torch.arange", min_shapes=[(1, 3, 4)],
                                max_shapes=[(8, 3, 4)])
    assert "arange with dynamic bounds and non-integer arguments" in message, message


def test_empty_of_dynamic_sizes_has_torchs_shape_and_dtype():
    def fn(x):
        return torch.empty(x.size(0), 2, dtype=torch.int32)

    converted = trtconv.convert(Lambda(fn), [X], backend="reference", min_shapes=[(1, 3, 4)],
                                max_shapes=[(8, 3, 4)])
    EXERCISED.update(converted.report.converted)
    assert "torch.empty" in converted.report.converted
    got = converted(torch.randn(5, 3, 4))
    assert (got.shape, got.dtype) == ((5, 2), torch.int32) and not got.any()
