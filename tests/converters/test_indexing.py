import pytest
import torch
from harness import Lambda, check_op, check_unsupported
from support.dynamic_harness import check_dynamic

import trtconv

X = torch.randn(2, 3, 4)
MASK = torch.randn(2, 3, 4) > 0
ROWS = torch.tensor([[True, False, True], [False, True, True]])
I64 = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)


@pytest.mark.parametrize("fn", [
    lambda x: x[0], lambda x: x[-1], lambda x: x[1, 2], lambda x: x[1, -1, -2],
    lambda x: x[:, 1:], lambda x: x[:, :-1], lambda x: x[..., ::2], lambda x: x[:, ::2, 1::3],
    lambda x: x[None], lambda x: x[None, :, -2:], lambda x: x[1, None, 2], lambda x: x[..., None],
    lambda x: x[:, None, ..., None, 1], lambda x: x[...], lambda x: x[:], lambda x: x[True],
    lambda x: x[:, 5:], lambda x: x[:, -10:2], lambda x: x[:, 2:1], lambda x: x[-5:10, 1:100:2],
    lambda x: x[1:][0], lambda x: x[0][1][2],
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_basic(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x: x[:, torch.tensor([2, 0, -1])], lambda x: x[[1, 0]], lambda x: x[[1, 0, 1]],
    lambda x: x[torch.tensor(1)], lambda x: x[..., torch.tensor([[0, 1], [3, -4]])],
    lambda x: x[torch.tensor([0, 1]), :, torch.tensor([1, 3])],
    lambda x: x[:, torch.tensor([0, 1]), torch.tensor([[1], [3]])],
    lambda x: x[0, :, torch.tensor([1, 2])], lambda x: x[torch.tensor([1, 0]), None, [0, 2]],
    lambda x: x[torch.tensor([1, 0]), 1:, torch.tensor([0, 2])],
    lambda x: x[ROWS], lambda x: x[MASK], lambda x: x[:, torch.tensor([True, False, True])],
    lambda x: x[torch.tensor([0, 1, 1]), torch.tensor([2, 0, 1]), torch.tensor([3, 3, -1])],
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_advanced(fn):
    check_op(fn, X)


@pytest.mark.parametrize("fn", [
    lambda x, i: x[i], lambda x, i: x[:, i], lambda x, i: x[..., i],
    lambda x, i: x[i, :, i], lambda x, i: x[i, i.flip(0)], lambda x, i: x[1:, i, None],
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_traced_index(fn):
    check_op(fn, X, torch.tensor([1, -1]))
    check_op(fn, X, torch.tensor([0, 1], dtype=torch.int32))


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32, torch.int64, torch.bool])
def test_dtypes(dtype):
    x = (X * 3).to(dtype)
    check_op(lambda t: t[1:, ::2, torch.tensor([3, 0])][..., None], x)


def test_constant_table_traced_index():
    table = torch.randn(10, 3)
    check_op(lambda i: table[i] * 2, torch.tensor([[1, 9], [0, 3]]))


def test_traced_mask_read_with_an_index_tensor_unsupported():
    # x[m] converts (tests/converters/test_nonzero.py); with another index tensor it does not
    check_unsupported(lambda x, m: x[(x[:, 0, 0] > -100) | m[:, 0, 0], torch.tensor([1, 0])],
                      X, MASK, op="torch.Tensor.__getitem__")


@pytest.mark.parametrize("fn", [
    lambda x: x[:, 1:], lambda x: x[:, :, 1], lambda x: x[1:], lambda x: x[-1:],
    lambda x: x[:, None, -1], lambda x: x[:1, ..., ::2], lambda x: x[-1], lambda x: x[..., -3:-1],
    lambda x: x[:, torch.tensor([2, 0])], lambda x: x[:x.size(0) - 1],
    lambda x: x[torch.tensor([0, -1])],
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_dynamic_batch(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4), torch.randn(1, 3, 4))


# --- assignment and in-place updates read afterwards --------------------------------------------

def _set_scalar(x):
    y = x * 1
    y[0] = 5.0
    return y + 1


def _set_slices(x):
    y = x.clone()
    y[:, 1:, ::2] = x[:, :2, 1::2] * 2
    return y * x


def _set_mask(x, m):
    y = x.clone()
    y[m] = 0
    return y + 1


def _set_rows(x):
    y = x.clone()
    y[ROWS] = -1.0
    return y


def _set_index_list(x):
    y = x.clone()
    y[:, torch.tensor([0, 2])] = torch.arange(4.0)
    return y


def _set_into_constant(x):
    y = torch.zeros(2, 3)
    y[:, 0] = x[:, 0, 0]
    y[1, 1:] = 7
    return y * 2


def _set_traced_index(x, i):
    y = x.clone()
    y[i] = -1.0
    y[:, i, 0] = x[:, :2, 1]
    return y


def _augmented(x):
    y = x.clone()
    y[..., 1] += 1
    y[0] *= 2
    return y


def _inplace_chain(x):
    y = x.clone()
    y.add_(1)
    y += x
    y.relu_()
    y.mul_(2)
    return y - x


def _inplace_then_index(x):
    y = x * 1
    y[1, 2] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    z = y[1]
    y.sub_(1)
    return z * 1, y


def _set_broadcast_leading(x):
    y = x.clone()
    y[0, 1] = x[1, 2].reshape(1, 4)
    return y


@pytest.mark.parametrize("fn", [
    _set_scalar, _set_slices, _set_rows, _set_index_list, _set_into_constant, _augmented,
    _inplace_chain, _set_broadcast_leading,
])
def test_setitem(fn):
    check_op(fn, X)


def test_inplace_update_seen_through_view():
    """A view taken before an in-place update of its base sees the update, as in torch."""
    check_op(_inplace_then_index, X)


def test_setitem_traced_mask():
    check_op(_set_mask, X, MASK)


def _clamp_negative(x):
    y = x.clone()
    y[y < 0] = 0
    y[x > 1] = x[0, 0, 0]
    return y * 2


def _index_from_data(x):
    y = x.clone()
    idx = (x[0, 0, :2] > 0).long()
    y[idx] = -1.0
    return y + x[idx]


@pytest.mark.parametrize("fn", [_clamp_negative, _index_from_data])
def test_setitem_computed(fn):
    check_op(fn, X)


def test_setitem_computed_dynamic():
    check_dynamic(_clamp_negative, X, torch.randn(5, 3, 4))


def test_setitem_traced_index():
    check_op(_set_traced_index, X, torch.tensor([1, 0]))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.float16])
def test_setitem_dtypes(dtype):
    def fn(x):
        y = x.clone()
        y[0, :, 1] = 1
        y[1, 1] = x[0, 0]
        return y

    check_op(fn, (X * 3).to(dtype))


def test_setitem_into_a_view_updates_its_base():
    def fn(x):
        y = x * 1
        v = y[0]
        v[1] = 2.0
        return y

    check_op(fn, X)


def test_setitem_dynamic_mask():
    check_dynamic(_set_mask, (X, MASK), (torch.randn(5, 3, 4), torch.randn(5, 3, 4) > 0))


def _set_windows(x):
    y = x.clone()
    y[:, 0] = 0.5
    y[1:, 1:, ::2] = x[:-1, :2, 1::2] * 2
    y[..., -1:] = x[..., :1]
    y[None, :, 2, 1:3] = x[:, 0, :1]
    return y * x


def _shifted_window_mask(x):
    """Swin's mask: a tensor sized from the input, written window by window from the end."""
    h, w = x.shape[-2:]
    mask = x.new_zeros((h + 2, w))
    count = 0
    for rows in (slice(0, -3), slice(-3, -1), slice(-1, None)):
        for cols in (slice(0, -2), slice(-2, None)):
            mask[rows, cols] = count
            count += 1
    return x + mask[1:-1]


def _set_at_dynamic_bounds(x):
    y = x.clone()
    n = x.size(0)
    y[n // 2:] = -1.0
    y[:n - 1, 0, 1] = x[1:, 2, 3]
    z = torch.zeros(6, 4)
    z[:n] = x[:, 0]
    return y, z


@pytest.mark.parametrize("fn", [_set_windows, _set_at_dynamic_bounds])
def test_setitem_dynamic(fn):
    check_dynamic(fn, X, torch.randn(5, 3, 4), torch.randn(1, 3, 4))


def _paste_into_canvas(x):
    b, h, w = x.shape
    canvas = x.new_zeros(b, h + 3, w + 2)
    canvas[:, 1:h + 1, 2:] = x
    canvas[:, h + 1:, 2::2] = -x[:, :2, ::2]
    return canvas


@pytest.mark.parametrize("fn", [_shifted_window_mask, _paste_into_canvas])
def test_setitem_dynamic_height_and_width(fn):
    check_dynamic(fn, torch.randn(2, 4, 5), torch.randn(1, 7, 9), torch.randn(3, 5, 6))


def test_setitem_dynamic_index_tensor_unsupported():
    def fn(x):
        y = x.clone()
        y[:, torch.tensor([0, 2])] = 1.0
        return y

    message = check_unsupported(fn, X, op="torch.Tensor.__setitem__",
                                min_shapes=[(1, 3, 4)], max_shapes=[(8, 3, 4)])
    assert "index tensors into a tensor with dynamic dims" in message, message


# --- masked_fill and where ----------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda x, m: x.masked_fill(m, 2.0), lambda x, m: torch.masked_fill(x, m, -1),
    lambda x, m: x.masked_fill(m[0], x[0, 0, 0]), lambda x, m: x.masked_fill(m[:, :, :1], 3),
    lambda x, m: x.clone().masked_fill_(m, 0.5), lambda x, m: x.masked_fill(m, float("-inf")),
    lambda x, m: torch.where(m, x, 0.5), lambda x, m: torch.where(m, 1, x),
    lambda x, m: torch.where(m, x, x * 2), lambda x, m: x.where(m, torch.zeros(4)),
    lambda x, m: torch.where(m[0], x.int(), 2.5), lambda x, m: torch.where(m, 1, 0),
    lambda x, m: torch.where(m, x.half(), x.int()),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_masked(fn):
    check_op(fn, X, MASK)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.float16])
def test_masked_dtypes(dtype):
    check_op(lambda x, m: x.masked_fill(m, 1) + torch.where(m, x, x[0]), (X * 3).to(dtype), MASK)


def test_dynamic_where():
    check_dynamic(lambda x, m: torch.where(m, 0.0, x).masked_fill(m[:, :1], 1), (X, MASK),
                  (torch.randn(5, 3, 4), torch.randn(5, 3, 4) > 0))


def test_indexing_report_names_module():
    class Net(torch.nn.Module):
        def forward(self, x, m):
            return x[(x[:, 0, 0] > -100) | m[:, 0, 0], x[0, :, 0] == x[0, 1, 0]]

    with pytest.raises(trtconv.UnsupportedOperatorError,
                       match="in module 'fn'.*boolean mask computed by the network"):
        trtconv.convert(Lambda(Net()), [X, MASK], backend="reference")


def test_several_index_tensors_with_dynamic_shapes():
    """Hugging Face's padding mask: mask[batch_idx[:, None, None, None], kv_idx[None, None,
    None, :]] with both index tensors sized at run time."""
    def fn(m):
        rows = torch.arange(m.size(0))[:, None, None, None]
        cols = torch.arange(m.size(1))[None, None, None, :]
        return m[rows, cols].int() * 2 + m[torch.arange(m.size(0))[:, None],
                                           torch.arange(m.size(1) - 1)[None, :]][:, None, :1]

    check_dynamic(fn, torch.rand(2, 5) > 0.5, torch.rand(4, 9) > 0.5, torch.rand(1, 2) > 0.5)


def test_several_index_tensors_of_data_dependent_length():
    """Index tensors broadcast over a data-dependent size (torchvision's RoIAlign in Python:
    one index per axis, [K, ...] with K the number of boxes kept)."""
    from support.compare import assert_matches

    def gather(x, boxes):
        keep = boxes[:, 0] > 0
        rows = (boxes[keep, 1] * 1.9).long().clamp(0, 1)  # [K]
        cols = (boxes[keep, 2:] * 2.9).long().clamp(0, 3)  # [K, 2]
        return x[rows[:, None, None], torch.arange(3)[None, :, None], cols[:, None, :]]

    x, boxes = torch.randn(2, 3, 4), torch.rand(6, 4) - torch.tensor([0.5, 0, 0, 0])
    converted = check_op(gather, x, boxes, rtx="replay")
    for other in (torch.rand(6, 4), -torch.rand(6, 4)):  # all kept, none kept
        assert_matches(converted(x, other), gather(x, other), 0, 0)


def test_assignment_through_data_dependent_indices():
    """`result[idx] = values` with idx from torch.where (torchvision's MultiScaleRoIAlign):
    the number of positions written is the run's, including none."""
    from support.compare import assert_matches

    def scatter_levels(x, levels):
        result = x.new_zeros(6, 3)
        for level in range(3):
            idx = torch.where(levels == level)[0]
            result[idx] = x[idx] * (level + 1)
        return result

    levels = torch.tensor([0, 2, 2, 0, 0, 2])  # no level 1 in the example
    converted = check_op(scatter_levels, torch.randn(6, 3), levels, rtx="replay")
    for other in (torch.tensor([1, 1, 0, 2, 1, 0]), torch.zeros(6, dtype=torch.int64)):
        x = torch.randn(6, 3)
        assert_matches(converted(x, other), scatter_levels(x, other), 0, 0)
