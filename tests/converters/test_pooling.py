import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
X2 = torch.randn(2, 3, 7, 6)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1)}, {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},  # torch drops a window
    {"kernel_size": 3, "dilation": 2}, {"kernel_size": 2, "dilation": (2, 1), "padding": 1,
                                        "stride": 2, "ceil_mode": True},
], ids=str)
def test_max_pool2d(kwargs):
    check_op(lambda x: F.max_pool2d(x, **kwargs), X2)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "padding": 1, "divisor_override": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 4},
], ids=str)
def test_avg_pool2d(kwargs):
    check_op(lambda x: F.avg_pool2d(x, **kwargs), X2)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), torch.randn(2, 3, 10)),
    (lambda x: torch.max_pool1d(x, 2), torch.randn(2, 3, 10)),
    (lambda x: F.max_pool1d(x, 3, dilation=2), torch.randn(3, 10)),  # unbatched
    (lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True), torch.randn(2, 3, 10)),
    (lambda x: torch.avg_pool1d(x, 3, 2, 1, True, False), torch.randn(3, 10)),
    (lambda x: F.max_pool3d(x, 2, ceil_mode=True), torch.randn(1, 2, 5, 6, 7)),
    (lambda x: torch.max_pool3d(x, 3, 1, 1), torch.randn(1, 2, 5, 6, 7)),
    (lambda x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True), torch.randn(1, 2, 5, 6, 7)),
    (lambda x: F.avg_pool3d(x, 2, divisor_override=3), torch.randn(2, 5, 6, 7)),
    (lambda x: torch.max_pool2d(x, 3, 2, 1, 1, True), X2),
    (lambda x: F.max_pool2d(x, 2), X2[0]),  # unbatched
    (lambda x: F.avg_pool2d(x, 3, 2, 1, True), X2[0]),
    (lambda x: torch.nn.MaxPool2d(3, 2)(x), X2),
    (lambda x: torch.nn.AvgPool2d(3, 2, 1)(x), X2.half()),
], ids=["max1d", "torch_max1d", "max1d_dilated", "avg1d", "torch_avg1d", "max3d",
        "torch_max3d", "avg3d", "avg3d_divisor", "torch_max2d", "max_unbatched",
        "avg_unbatched", "MaxPool2d", "AvgPool2d_half"])
def test_pool_variants(fn, x):
    check_op(fn, x, atol=1e-3 if x.dtype == torch.half else 1e-5)


@pytest.mark.parametrize("size,out", [
    (7, 1), (7, 7), (14, 7), (13, 7), (6, 6), (5, 6), (13, 6), (224, 7), (9, (None, 4)),
    (8, (3, 5)),
], ids=str)
def test_adaptive_avg_pool2d(size, out):
    check_op(lambda x: F.adaptive_avg_pool2d(x, out), torch.randn(2, 3, size, size))


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.adaptive_max_pool2d(x, (3, 4)), torch.randn(2, 3, 10, 8)),
    (lambda x: F.adaptive_max_pool2d(x, 2), torch.randn(2, 3, 10, 8)),
    (lambda x: F.adaptive_max_pool1d(x, 3), torch.randn(2, 3, 10)),
    (lambda x: F.adaptive_avg_pool1d(x, 4), torch.randn(2, 3, 10)),
    (lambda x: torch.adaptive_avg_pool1d(x, 5), torch.randn(3, 10)),
    (lambda x: F.adaptive_max_pool3d(x, (1, 2, 3)), torch.randn(1, 2, 5, 6, 7)),
    (lambda x: F.adaptive_avg_pool3d(x, 1), torch.randn(1, 2, 5, 6, 7)),
    (lambda x: F.adaptive_avg_pool3d(x, (2, 3, 7)), torch.randn(1, 2, 4, 6, 7)),
    (lambda x: F.adaptive_avg_pool2d(x, 3), torch.randn(3, 7, 9)),  # unbatched
    (torch.nn.AdaptiveAvgPool2d((7, 7)), torch.randn(1, 4, 13, 13)),
    (torch.nn.AdaptiveAvgPool2d(1), torch.randn(1, 4, 6, 6).half()),
    (torch.nn.AdaptiveAvgPool3d((2, 2, 3)), torch.randn(1, 2, 4, 6, 5)),
    (torch.nn.AdaptiveMaxPool2d(3), torch.randn(1, 2, 7, 5)),
], ids=["max2d", "max2d_div", "max1d", "avg1d", "torch_avg1d", "max3d", "avg3d_global",
        "avg3d", "avg_unbatched", "module2d", "module_global_half", "module3d", "max_module"])
def test_adaptive_variants(fn, x):
    check_op(fn, x, atol=1e-3 if x.dtype == torch.half else 1e-5)


@pytest.mark.skipif(not hasattr(torch, "avg_pool2d"), reason="torch.avg_pool2d/3d are absent")
def test_torch_avg_pool2d_3d():
    check_op(lambda x: torch.avg_pool2d(x, 3, 2, 1), X2)
    check_op(lambda x: torch.avg_pool3d(x, 2), torch.randn(1, 2, 4, 4, 4))


def test_pool_unsupported():
    check_unsupported(lambda x: F.max_pool2d(x, 2, return_indices=True)[0], X2,
                      op="torch.nn.functional.max_pool2d")
    check_unsupported(lambda x: F.adaptive_max_pool2d(x, 3, return_indices=True)[0], X2,
                      op="torch.nn.functional.adaptive_max_pool2d")


def test_pool_dynamic_batch():
    x = torch.randn(1, 3, 7, 6)
    check_dynamic(lambda x: F.max_pool2d(x, 3, 2, 1, dilation=1), x, x.repeat(3, 1, 1, 1))
    check_dynamic(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), x, x.repeat(2, 1, 1, 1))
    check_dynamic(lambda x: F.max_pool1d(x, 2, dilation=2), x[0], x[0].repeat(2, 1, 1))
    check_dynamic(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), x, x.repeat(2, 1, 1, 1))
    check_dynamic(lambda x: F.adaptive_max_pool1d(x, 4), x[0], x[0].repeat(2, 1, 1))


HW = (torch.randn(1, 3, 5, 6), torch.randn(3, 3, 8, 4))  # dynamic batch, height and width


@pytest.mark.parametrize("fn", [
    lambda x: F.adaptive_avg_pool2d(x, 1),
    lambda x: F.adaptive_max_pool2d(x, (1, 1)),
    lambda x: F.adaptive_avg_pool2d(x, (None, 1)),
    lambda x: F.adaptive_max_pool2d(x, (1, None)),
    torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.AdaptiveAvgPool2d((None, 1)),
    lambda x: F.adaptive_avg_pool1d(x.flatten(2), 1),
    lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
    lambda x: F.adaptive_max_pool2d(x, (7, 5)),
    lambda x: F.adaptive_avg_pool2d(x, (None, 3)),
    torch.nn.AdaptiveAvgPool2d(7),
    lambda x: F.adaptive_max_pool1d(x.flatten(2), 4),
    lambda x: F.adaptive_avg_pool3d(x[:, None], (2, 3, 3)),
], ids=["avg_1", "max_1x1", "avg_none_1", "max_1_none", "module_1", "module_none_1", "avg1d",
        "avg_3x2", "max_7x5_upsampling", "avg_none_3", "module_7", "max1d_4", "avg3d"])
def test_adaptive_pool_of_dynamic_spatial_dims(fn):
    check_dynamic(fn, *HW)


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True),
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.max_pool2d(x, 2, 2, ceil_mode=True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.max_pool1d(x.flatten(2), 3, 2, ceil_mode=True),
    lambda x: F.max_pool2d(x[..., :3], 3, 2, ceil_mode=True),  # W static, H dynamic
], ids=["max_3_2", "max_3_2_pad", "max_2_2", "avg_3_2_pad", "avg_excluding_pad", "max1d",
        "static_w"])
def test_ceil_mode_over_dynamic_spatial_dims(fn):
    check_dynamic(fn, *HW, torch.randn(2, 3, 9, 7))


def test_ceil_mode_that_could_drop_a_window_over_dynamic_dims_is_unsupported():
    message = check_unsupported(lambda x: F.max_pool2d(x, 2, 2, 1, ceil_mode=True), HW[0],
                                op="torch.nn.functional.max_pool2d",
                                min_shapes=[(1, 3, 4, 4)], max_shapes=[(4, 3, 9, 9)])
    assert "ceil_mode with dynamic spatial dims and padding + stride > kernel" in message
