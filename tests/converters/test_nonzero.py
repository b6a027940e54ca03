"""nonzero, argwhere, where(condition), masked_select and x[mask]: data-dependent sizes.

Each converted engine runs on inputs that select different numbers of elements (none and all
included), so a count baked from the example would fail. TensorRT-RTX has no non-zero kernel
here: networks are replayed and checked on it, and the build fails for that layer only
(`rtx="replay"`, see support/op_harness.py)."""

import pytest
import torch
from harness import Lambda, check_op, check_unsupported
from support.compare import assert_matches as compare
from support.dynamic_harness import check_dynamic

import trtconv

T = torch.Tensor
X = torch.randn(3, 4)
OTHERS = [torch.randn(3, 4), -X.abs() - 1, X.abs() + 1]  # other counts, none and all


def check_counts(fn, x, *others, **options):
    """check_op on `x`, then the same engine on `others` (other selection counts)."""
    converted = check_op(fn, x, rtx="replay", **options)
    for other in others:
        compare(converted(other.clone()), fn(other.clone()), 0, 0)
    return converted


@pytest.mark.parametrize("fn", [
    lambda x: torch.nonzero(x > 0), lambda x: (x > 0).nonzero(), lambda x: torch.nonzero(x),
    lambda x: torch.nonzero(x > 0, as_tuple=True), lambda x: (x > 0).nonzero(as_tuple=True),
    lambda x: torch.argwhere(x > 0.5), lambda x: (x < 0).argwhere() * 2,
    lambda x: torch.where(x > 0), lambda x: torch.where(x[0] > 0)[0] + 1,
], ids=["nonzero", "method", "float", "as_tuple", "method_as_tuple", "argwhere",
        "argwhere_method", "where", "where_1d"])
def test_nonzero(fn):
    check_counts(fn, X, *OTHERS)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8, torch.uint8,
                                   torch.float16, torch.bfloat16, torch.bool])
def test_nonzero_dtypes(dtype):
    x = torch.tensor([[0, 3, 0], [1, 0, 2]]).to(dtype)
    check_counts(lambda a: (torch.nonzero(a), torch.where(a)), x, torch.zeros_like(x))


def test_nonzero_nan_and_0d():
    check_counts(lambda a: torch.nonzero(a), torch.tensor([0.0, float("nan"), -0.0, 2.0]))
    check_counts(lambda a: (torch.nonzero(a[0] > 0), torch.where(a[0] > 0)), X[0], -X[0].abs())


@pytest.mark.parametrize("fn", [
    lambda x: x[x > 0], lambda x: x[(x > 0).any(1)], lambda x: x[:, x[0] > 0],
    lambda x: x[..., x[1] > 0], lambda x: x[(x > 0).any(1), ...], lambda x: (x * 2)[x > 0.5],
    lambda x: x.unsqueeze(0).expand(2, 3, 4)[:, x > 0], lambda x: x[(x > 0).int().bool()],
    lambda x: torch.masked_select(x, x > 0), lambda x: x.masked_select(x[0] > 0),
    lambda x: torch.masked_select(x[:, :1], x > 0),
], ids=["mask", "rows", "columns", "ellipsis", "rows_ellipsis", "computed", "middle_axes",
        "cast_mask", "masked_select", "broadcast_mask", "broadcast_input"])
def test_mask_reading(fn):
    check_counts(fn, X, *OTHERS)


def test_mask_then_more_computation():
    """The selected rows feed further ops (sizes stay data-dependent through them)."""
    def fn(x):
        rows = x[x[:, 0] > 0]
        return rows.sum(0), rows * 2, torch.cat([rows, rows + 1])

    check_counts(fn, torch.randn(6, 3), torch.randn(6, 3), -torch.ones(6, 3))


def test_mask_dynamic_batch():
    check_dynamic(lambda x: (x[x.sum(1) > 0], torch.nonzero(x > 0)), X, torch.randn(7, 4),
                  -torch.ones(1, 4), rtx="replay")


@pytest.mark.parametrize("fn", [
    lambda x: x[x[:, 0] > 0, 1:], lambda x: x[x[:, 0] > 0, 2], lambda x: x[1:, x[0] > 0],
    lambda x: x[None, x > 0], lambda x: x[0, None, x[0] > 0], lambda x: x[..., x[1] > 0, None],
], ids=["slice", "int", "slice_before", "none", "int_none", "ellipsis_none"])
def test_mask_with_basic_indices(fn):
    check_counts(fn, X, *OTHERS)


def test_mask_with_other_index_tensors_unsupported():
    every_row = lambda x: x[:, 0] > -100  # noqa: E731  (3 rows: broadcasts with 3 indices)
    check_unsupported(lambda x: x[every_row(x), torch.tensor([0, 1, 3])], X,
                      op="torch.Tensor.__getitem__")
    check_unsupported(lambda x: x[every_row(x), x[0] == x[0, 2]], X,
                      op="torch.Tensor.__getitem__")


def test_assigning_values_through_a_network_mask_unsupported():
    def fn(x):
        y = x.clone()
        y[x > 0] = x[x > 0] * 2
        return y

    check_unsupported(fn, X, op="torch.Tensor.__setitem__")


def test_count_read_as_a_size_stays_dynamic():
    """`len(idx)` of a data-dependent selection is a size of the network, not the example's."""
    def fn(x):
        idx = torch.nonzero(x > 0)
        return x.new_zeros(idx.shape[0], 2) + 1.0, idx.reshape(-1)

    check_counts(fn, X, *OTHERS)


def test_saved_engine_runs_data_dependent_outputs():
    module = Lambda(lambda x: x[x > 0])
    converted = trtconv.convert(module, [X], backend="reference")
    fresh = trtconv.TRTModule()
    fresh.load_state_dict(converted.state_dict())
    for x in (X, *OTHERS):
        assert torch.equal(fresh(x), x[x > 0])
