import pytest
import torch
import torch.nn.functional as F
from harness import check_op
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-4, "rtol": 1e-4}


def _seeded(module):
    torch.manual_seed(0)
    return module


@pytest.mark.parametrize("kwargs", [
    {}, {"stride": 2}, {"padding": 1}, {"padding": (1, 2)}, {"dilation": 2, "padding": 2},
    {"groups": 2}, {"padding": "same"}, {"padding": "valid"}, {"padding": "same", "dilation": 2},
    {"bias": False}, {"stride": (2, 1), "padding": (0, 1), "dilation": (1, 2)},
], ids=str)
def test_conv2d_module(kwargs):
    kernel = (3, 4) if kwargs.get("padding") == "same" else 3
    check_op(_seeded(torch.nn.Conv2d(4, 6, kernel, **kwargs)), torch.randn(2, 4, 9, 10), **TOL)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
def test_conv_padding_mode(mode):
    check_op(_seeded(torch.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode)),
             torch.randn(1, 3, 7, 8), **TOL)
    check_op(_seeded(torch.nn.Conv1d(3, 4, 4, padding="same", padding_mode=mode)),
             torch.randn(1, 3, 9), **TOL)


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "groups": 3},
                                    {"padding": "same"}], ids=str)
def test_conv1d_and_3d_modules(kwargs):
    check_op(_seeded(torch.nn.Conv1d(3, 6, 3, **kwargs)), torch.randn(2, 3, 11), **TOL)
    check_op(_seeded(torch.nn.Conv3d(3, 6, 3, **kwargs)), torch.randn(1, 3, 6, 7, 8), **TOL)


W2 = torch.randn(6, 2, 3, 3)
B = torch.randn(6)
X1, X2, X3 = torch.randn(2, 4, 9), torch.randn(2, 4, 7, 8), torch.randn(1, 4, 3, 5, 6)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.conv2d(x, W2, B, groups=2), X2),
    (lambda x: torch.conv2d(x, W2, None, 2, 1, 1, 2), X2),
    (lambda x: F.conv2d(x, W2, B, padding="same", groups=2), X2[0]),  # unbatched
    (lambda x: F.conv1d(x, W2[..., 0], B, stride=2, groups=2), X1),
    (lambda x: torch.conv1d(x, W2[..., 0], B, groups=2), X1[0]),  # unbatched 1-D
    (lambda x: F.conv3d(x, W2.unsqueeze(2), B, padding=(0, 1, 1), groups=2), X3),
    (lambda x: torch.conv3d(x, W2.unsqueeze(2), B, groups=2), X3[0]),
], ids=["f2d", "torch2d", "unbatched", "f1d", "torch1d", "f3d", "torch3d"])
def test_conv_functional(fn, x):
    check_op(fn, x, **TOL)


def test_conv_kernel_from_network():
    check_op(lambda x, w, b: F.conv2d(x, w * 1, b * 2, padding=1), X2, W2[:, :1].repeat(1, 4, 1, 1),
             B, **TOL)
    check_op(lambda x, w: F.conv1d(x, w * 1), X1, W2[:, :1, :, 0].repeat(1, 4, 1), **TOL)


@pytest.mark.parametrize("kwargs", [
    {}, {"stride": 2}, {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": 2, "output_padding": 1}, {"stride": 3, "padding": 1, "output_padding": 2},
    {"stride": 2, "dilation": 2, "output_padding": 1}, {"groups": 2, "stride": 2},
    {"bias": False, "stride": 2, "output_padding": 1},
], ids=str)
def test_conv_transpose_modules(kwargs):
    check_op(_seeded(torch.nn.ConvTranspose2d(4, 6, 3, **kwargs)), torch.randn(2, 4, 5, 6), **TOL)
    check_op(_seeded(torch.nn.ConvTranspose1d(4, 6, 3, **kwargs)), torch.randn(2, 4, 5), **TOL)
    check_op(_seeded(torch.nn.ConvTranspose3d(4, 6, 3, **kwargs)), torch.randn(1, 4, 3, 4, 5),
             **TOL)


def test_conv_transpose_output_size():
    deconv = _seeded(torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1))
    check_op(lambda x: deconv(x, output_size=(10, 12)), torch.randn(1, 4, 5, 6), **TOL)


WT = torch.randn(4, 3, 3, 3)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.conv_transpose2d(x, WT, B[:3], stride=2, output_padding=1), X2),
    (lambda x: torch.conv_transpose2d(x, WT, None, 2, 1, 1), X2),
    (lambda x: F.conv_transpose2d(x, WT, B[:3]), X2[0]),  # unbatched
    (lambda x: F.conv_transpose1d(x, WT[..., 0], B[:3], stride=2, output_padding=1), X1),
    (lambda x: torch.conv_transpose1d(x, WT[..., 0], B[:3], 2), X1),
    (lambda x: F.conv_transpose3d(x, WT.unsqueeze(2), B[:3], stride=2), X3),
    (lambda x: torch.conv_transpose3d(x, WT.unsqueeze(2), None, 1, 0, 0, 1, 2), X3),
], ids=["f2d", "torch2d", "unbatched", "f1d", "torch1d", "f3d", "torch3d"])
def test_conv_transpose_functional(fn, x):
    check_op(fn, x, **TOL)


def test_conv_float16():
    conv = _seeded(torch.nn.Conv2d(3, 4, 3, padding=1)).half()
    check_op(conv, torch.randn(1, 3, 6, 6).half(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("module,shape", [
    (torch.nn.Conv2d(3, 4, 3, padding=1), (1, 3, 6, 7)),
    (torch.nn.Conv1d(3, 4, 3, padding=1, padding_mode="circular"), (1, 3, 6)),
    (torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1), (1, 3, 4, 5)),
    (torch.nn.ConvTranspose2d(3, 4, 3, stride=2, dilation=2), (1, 3, 4, 5)),
], ids=["conv2d", "conv1d_circular", "deconv_output_padding", "deconv_strided_dilated"])
def test_conv_dynamic_batch(module, shape):
    x = torch.randn(shape)
    check_dynamic(_seeded(module), x, x.repeat(3, *[1] * (x.dim() - 1)), atol=1e-4)

