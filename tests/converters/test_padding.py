import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
X = {3: torch.randn(2, 3, 6), 4: torch.randn(2, 3, 5, 6), 5: torch.randn(1, 2, 4, 5, 6)}


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("rank,pad", [
    (3, (1, 2)), (3, (0, 3)), (4, (1, 2, 3, 0)), (5, (1, 0, 2, 1, 1, 3)),
    (3, (-1, 2)), (4, (2, -1, -2, 1)), (5, (-1, -1, 1, 1, 0, 0)),
], ids=str)
def test_pad(mode, rank, pad):
    check_op(lambda x: F.pad(x, pad, mode=mode), X[rank])


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.pad(x, (1, 2), value=3.5), X[3]),
    (lambda x: F.pad(x, (1, 1, 1, 1, 1, 1), value=-1.0), X[3]),  # every axis
    (lambda x: F.pad(x, (2, 1)), torch.arange(6, dtype=torch.int32).reshape(2, 3)),
    (lambda x: F.pad(x, (2, 1), value=7), torch.arange(6).reshape(2, 3)),
    (lambda x: F.pad(x, (1, 1), value=1), torch.tensor([[True, False]])),
    (lambda x: F.pad(x, (1, 1, 2, 0), mode="reflect"), X[4].half()),
    (lambda x: torch.constant_pad_nd(x, (1, 2, 0, 1), 2.0), X[4]),
    (lambda x: torch.constant_pad_nd(x, (-1, 2)), X[3]),
    (torch.nn.ReflectionPad2d((1, 2, 0, 1)), X[4]),
    (torch.nn.ReplicationPad3d(1), X[5]),
    (torch.nn.CircularPad1d(2), X[3]),
    (torch.nn.ZeroPad2d(1), X[4]),
    (torch.nn.ConstantPad1d(2, 0.5), X[3]),
], ids=["value", "all_axes", "int32", "int64_value", "bool", "half_reflect", "constant_pad_nd",
        "constant_pad_nd_crop", "ReflectionPad2d", "ReplicationPad3d", "CircularPad1d",
        "ZeroPad2d", "ConstantPad1d"])
def test_pad_variants(fn, x):
    check_op(fn, x)


def test_pad_dynamic_batch():
    x = X[4][:1]
    check_dynamic(lambda x: F.pad(x, (1, 2, 0, 1), value=2.0), x, x.repeat(3, 1, 1, 1))
    check_dynamic(lambda x: F.pad(x, (1, -2, 0, 1), mode="circular"), x, x.repeat(3, 1, 1, 1))
    check_dynamic(lambda x: F.pad(x, (1, 1, 2, 2), mode="reflect"), x, x.repeat(3, 1, 1, 1))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_pads_computed_from_dynamic_sizes(mode):
    """Pad amounts read off the input's dynamic dims stay dynamic (crop too, in constant)."""
    crop = -1 if mode == "constant" else 0
    check_dynamic(lambda x: F.pad(x, (x.size(-1) // 2, 1, crop, x.size(-2) - 2), mode=mode),
                  torch.randn(2, 3, 5), torch.randn(1, 3, 9), torch.randn(3, 4, 14))


def test_circular_pads_computed_from_dynamic_sizes_are_unsupported():
    message = check_unsupported(lambda x: F.pad(x, (x.size(-1) // 2, 0), mode="circular"),
                                torch.randn(2, 3, 5), op="torch.nn.functional.pad",
                                min_shapes=[(1, 3, 4)], max_shapes=[(4, 3, 9)])
    assert "circular padding by amounts computed from dynamic dims" in message, message
