import pytest
import torch
import torch.nn.functional as F
from harness import check_op, check_unsupported
from support.dynamic_harness import check_dynamic

torch.manual_seed(0)
TOL = {"atol": 1e-5, "rtol": 1e-5}
X3, X4, X5 = torch.randn(2, 3, 5), torch.randn(2, 3, 5, 6), torch.randn(1, 2, 3, 4, 5)
X = {3: X3, 4: X4, 5: X5}
U8 = torch.arange(30, dtype=torch.uint8).reshape(1, 1, 5, 6)
MODES = {3: ["nearest", "nearest-exact", "linear", "area"],
         4: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
         5: ["nearest", "nearest-exact", "trilinear", "area"]}
CASES = [(rank, mode) for rank, modes in MODES.items() for mode in modes]


@pytest.mark.parametrize("rank,mode", CASES, ids=str)
@pytest.mark.parametrize("resize", [
    {"scale_factor": 2}, {"scale_factor": 0.5}, {"scale_factor": 1.7},
    {"scale_factor": 1.7, "recompute_scale_factor": True}, {"scale_factor": 3.0},
    {"size": 7}, {"size": 2}, {"size": 1},
], ids=str)
def test_interpolate(rank, mode, resize):
    check_op(lambda x: F.interpolate(x, mode=mode, **resize), X[rank], **TOL)


@pytest.mark.parametrize("rank,mode", [(3, "linear"), (4, "bilinear"), (4, "bicubic"),
                                       (5, "trilinear")], ids=str)
@pytest.mark.parametrize("resize", [
    {"scale_factor": 2}, {"scale_factor": 0.6}, {"scale_factor": 1.7}, {"size": 7}, {"size": 1},
], ids=str)
def test_interpolate_align_corners(rank, mode, resize):
    check_op(lambda x: F.interpolate(x, mode=mode, align_corners=True, **resize), X[rank], **TOL)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.interpolate(x, size=(7, 4), mode="bilinear"), X4),
    (lambda x: F.interpolate(x, scale_factor=(2, 1.5), mode="nearest"), X4),
    (lambda x: F.interpolate(x, scale_factor=(1.3, 2), mode="bicubic"), X4),
    (lambda x: F.interpolate(x, size=(4, 6), mode="area"), X4),
    (lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), U8),
    (lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest"), U8),
    (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), X4.half()),
    (lambda x: F.upsample(x, scale_factor=2, mode="bilinear", align_corners=False), X4),
    (lambda x: F.upsample_nearest(x, scale_factor=2), X4),
    (lambda x: F.upsample_bilinear(x, size=(8, 9)), X4),
    (torch.nn.Upsample(scale_factor=2, mode="nearest"), X4),
    (torch.nn.UpsamplingBilinear2d(scale_factor=2), X4),
], ids=["size_pair", "scale_pair", "bicubic_scale_pair", "area_pair", "nearest_uint8",
        "nearest_uint8_fractional", "bilinear_half", "upsample", "upsample_nearest",
        "upsample_bilinear", "Upsample", "UpsamplingBilinear2d"])
def test_interpolate_variants(fn, x):
    check_op(fn, x, atol=1e-2 if x.dtype == torch.half else 1e-5, rtol=1e-3)


@pytest.mark.parametrize("fn,x", [
    (lambda x: F.pixel_shuffle(x, 2), torch.randn(2, 8, 3, 4)),
    (lambda x: torch.pixel_shuffle(x, 3), torch.randn(9, 2, 3)),
    (lambda x: F.pixel_shuffle(x, 2), torch.randn(2, 3, 4, 2, 3)),
    (lambda x: F.pixel_unshuffle(x, 2), torch.randn(2, 3, 4, 6)),
    (lambda x: torch.pixel_unshuffle(x, 3), torch.randn(1, 6, 9)),
    (torch.nn.PixelShuffle(2), torch.arange(2 * 8 * 6, dtype=torch.int32).reshape(1, 8, 2, 6)),
], ids=["shuffle", "torch_shuffle_unbatched", "shuffle_5d", "unshuffle", "torch_unshuffle",
        "module_int"])
def test_pixel_shuffle(fn, x):
    check_op(fn, x)


def test_interpolate_unsupported():
    check_unsupported(lambda x: F.interpolate(x, scale_factor=0.5, mode="bilinear",
                                              antialias=True), X4,
                      op="torch.nn.functional.interpolate")


def test_interpolate_dynamic_batch():
    x = torch.randn(1, 3, 5, 6)
    check_dynamic(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), x,
                  x.repeat(2, 1, 1, 1))
    check_dynamic(lambda x: F.interpolate(x, scale_factor=1.7, mode="bicubic"), x,
                  x.repeat(2, 1, 1, 1))
    check_dynamic(lambda x: F.interpolate(x, size=(3, 4), mode="area"), x, x.repeat(2, 1, 1, 1))
    check_dynamic(lambda x: F.pixel_shuffle(x.repeat(1, 4, 1, 1), 2), x, x.repeat(2, 1, 1, 1))


# Dynamic batch, height and width: two cases, converted once with the range they span.
HW = (torch.randn(1, 3, 5, 6), torch.randn(3, 3, 8, 4))
HW_RANGE = {"min_shapes": [(1, 3, 4, 4)], "max_shapes": [(4, 3, 9, 9)]}


RESIZES = [{"scale_factor": 2}, {"scale_factor": (3, 1)}, {"size": (4, 9)}, {"size": 1}]
DYNAMIC_CASES = [pytest.param(mode, resize, id=f"{mode}-{resize}")
                 for mode in ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]
                 for resize in RESIZES
                 if mode != "area" or "size" in resize]  # area by a factor: unsupported below


@pytest.mark.parametrize("mode,resize", DYNAMIC_CASES)
def test_interpolate_dynamic_spatial_dims(mode, resize):
    check_dynamic(lambda x: F.interpolate(x, mode=mode, **resize), *HW, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_to_a_size_read_off_a_dynamic_tensor(mode):
    """A static input resized to another input's dynamic H x W (segmentation heads)."""
    small = torch.randn(2, 3, 2, 3)
    check_dynamic(lambda x, y: F.interpolate(x, size=y.shape[-2:], mode=mode), (small, HW[0]),
                  (small, HW[1]), atol=1e-5)
    check_dynamic(lambda x: F.interpolate(x[:, :, :2, :3], size=x.shape[2:], mode=mode), *HW,
                  atol=1e-5)


@pytest.mark.parametrize("call,reason", [
    (lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
     "scale_factor 1.5 with dynamic spatial dims"),
    (lambda x: F.interpolate(x, scale_factor=0.5, mode="nearest"),
     "scale_factor 0.5 with dynamic spatial dims"),
    (lambda x: F.interpolate(x, scale_factor=0.5, mode="area"),
     "interpolate(mode='area') to a size known only at run time"),
])
def test_interpolate_dynamic_spatial_dims_unsupported(call, reason):
    message = check_unsupported(call, HW[0], op="torch.nn.functional.interpolate", **HW_RANGE)
    assert reason in message, message
