"""Resampling: interpolate (every mode), upsample*, pixel_shuffle and pixel_unshuffle.

torch maps output index i of an axis to an input coordinate with a scale that is in/out, or
1/scale_factor when a scale_factor is given and not recomputed. TensorRT's resize layer always
uses in/out, so it serves every case where the two agree (in float32, as both compute them):

    nearest        ASYMMETRIC, FLOOR     x = floor(i * scale)
    nearest-exact  HALF_PIXEL, HALF_UP   x = floor((i + 0.5) * scale)
    linear modes   ALIGN_CORNERS or HALF_PIXEL (torch clamps x at 0; so does the layer)
    bicubic        CUBIC with Keys' coefficient -0.75, taps clamped to the axis

Otherwise (and for integer nearest resizing, which the layer does not take) each axis is a
gather of torch's own taps, weighted and summed. 'area' is adaptive average pooling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, Dim, E, ITensor
from trtconv.registry import register_aliases

Size = int | Sequence[int]
"""torch's `size` of interpolate: one for every spatial axis, or one per axis (ints or DimInts)."""
Scale = float | Sequence[float]
"""torch's `scale_factor`: one for every spatial axis, or one per axis."""

I = trt.InterpolationMode  # noqa: E741
C = trt.ResizeCoordinateTransformation
R = trt.ResizeRoundMode

CUBIC_COEFF = -0.75  # torch's bicubic kernel


def _torch_scales(nsp: int, scale_factor: Scale | None, recompute: bool | None
                  ) -> list[float | None]:
    """The scale_factor torch's kernels use per axis, or None where they use in/out."""
    if scale_factor is None or recompute:
        return [None] * nsp
    if isinstance(scale_factor, (int, float)):
        return [float(scale_factor)] * nsp
    return [None if s is None else float(s) for s in scale_factor]


def _coordinate_scale(n_in: int, n_out: int, scale: float | None) -> float:
    """torch's float32 scale from output to input coordinates (compute_scales_value)."""
    if scale is not None and scale > 0:
        return float(np.float32(1.0 / scale))
    return float(np.float32(n_in) / np.float32(n_out))


def _torch_taps(mode: str, n_in: int, n_out: int, nsp: int, axis: int, scale: float | None,
                align_corners: bool | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The input indices [n_out, K] and weights [n_out, K] (None: one tap of weight 1) that
    torch's own kernel uses along one axis: read off by interpolating one-hot inputs (so
    every special case of the kernel is the kernel's)."""
    shape = [n_in, 1] + [1] * nsp
    shape[axis] = n_in
    basis = torch.eye(n_in, dtype=torch.float32).reshape(shape)
    if scale is None:
        size = [1] * nsp
        size[axis - 2] = n_out
        resized = F.interpolate(basis, size=size, mode=mode, align_corners=align_corners)
    else:
        factors = [1.0] * nsp
        factors[axis - 2] = scale
        resized = F.interpolate(basis, scale_factor=factors, mode=mode,
                                align_corners=align_corners)
    matrix = resized.reshape(n_in, n_out).T  # [n_out, n_in]
    if mode in ("nearest", "nearest-exact"):
        return matrix.argmax(dim=1, keepdim=True), None
    k = int((matrix != 0).sum(dim=1).max().clamp(min=1))
    taps = matrix.abs().topk(k, dim=1).indices
    return taps, matrix.gather(1, taps)


def _gather_axis(ctx: Ctx, x: ITensor, axis: int, taps: torch.Tensor, weights: torch.Tensor | None
                 ) -> ITensor:
    """out[.., i, ..] = sum_k weights[i, k] * x[.., taps[i, k], ..] along `axis`."""
    network = ctx.network
    n_out, k = taps.shape
    indices = ctx.constant(taps.reshape(-1).to(torch.int32))
    picked = network.add_gather(x, indices, axis).get_output(0)
    if weights is None:
        return picked
    dims = emit.dims_of(network, picked)
    rank = len(dims)
    picked = emit.reshape(network, picked, dims[:axis] + [n_out, k] + dims[axis + 1:])
    view = [1] * axis + [n_out, k] + [1] * (rank - axis - 1)
    w = ctx.constant(weights.reshape(view).to(trt.torch_dtype(x.dtype)))
    weighted = emit.arith.elementwise(network, picked, w, E.PROD)
    return emit.reductions.reduce(network, weighted, trt.ReduceOperation.SUM, axis + 1, False)


def _resize_layer(ctx: Ctx, x: ITensor, out: list[Dim], mode: str, align_corners: bool,
                  scales: list[float] | None = None) -> ITensor:
    """Resize the spatial axes of `x` to `out` (ints, DimInts or (1,) INT64 tensors), or by
    `scales` (one per spatial axis) when given: the layer then sizes a dynamic input itself."""
    network = ctx.network
    rank, nsp = len(x.shape), len(out)
    dims = emit.dims_of(network, x)[:rank - nsp] + list(out)
    dynamic = scales is None and any(emit.is_dynamic(d) for d in dims)
    shape_tensor = emit.shape_tensor(network, dims) if dynamic else None  # before its consumer
    layer = network.add_resize(x)
    if scales is not None:
        layer.scales = [1.0] * (rank - nsp) + scales
    elif shape_tensor is not None:
        layer.set_input(1, shape_tensor)
    else:
        layer.shape = tuple(int(d) for d in dims)
    if mode in ("nearest", "nearest-exact"):
        layer.resize_mode = I.NEAREST
        exact = mode == "nearest-exact"
        layer.coordinate_transformation = C.HALF_PIXEL if exact else C.ASYMMETRIC
        layer.nearest_rounding = R.HALF_UP if exact else R.FLOOR
        return layer.get_output(0)
    layer.resize_mode = I.CUBIC if mode == "bicubic" else I.LINEAR
    if mode == "bicubic":
        layer.cubic_coeff = CUBIC_COEFF
        layer.exclude_outside = False
    if align_corners:
        layer.coordinate_transformation = C.ALIGN_CORNERS
        layer.selector_for_single_pixel = trt.ResizeSelector.UPPER  # torch: index 0
    else:
        layer.coordinate_transformation = C.HALF_PIXEL
        layer.selector_for_single_pixel = trt.ResizeSelector.FORMULA
    return layer.get_output(0)


def _given_size(size: Size | None, nsp: int) -> list[int] | None:
    """`size` as one entry per spatial axis (ints or DimInts), or None when not given."""
    if size is None:
        return None
    return list(size) if isinstance(size, (list, tuple, torch.Size)) else [size] * nsp


def _interpolate_dynamic(ctx: Ctx, x: ITensor, size: list[int] | None, given: list[float | None],
                         mode: str, align: bool) -> ITensor:
    """Resize where a spatial dim of the input or of `size` is only known at run time.

    With `size` torch maps coordinates by in/out, as the layer does, so any size works. With a
    scale_factor torch maps by 1/scale_factor: on a dynamic axis that agrees with the layer's
    in/out only for whole factors (out = in * s exactly), so only those are taken."""
    if mode == "area":  # adaptive average pooling, whose bins the network computes
        if size is None or any(emit.is_dynamic(d) for d in size):
            raise ctx.unsupported("interpolate(mode='area') to a size known only at run time")
        return emit.adaptive_pool(ctx.network, x, [int(d) for d in size], average=True)
    if not emit.arith.is_float(x):
        raise ctx.unsupported(f"{mode} interpolation of dynamic spatial dims of integers")
    if size is not None:
        return _resize_layer(ctx, x, size, mode, align)
    lengths = list(x.shape[2:])
    out = [int(d) for d in ctx.output.shape[2:]]
    if not all(map(_layer_agrees, lengths, out, given)):
        raise ctx.unsupported(f"scale_factor {_scale_factor_text(given)} with dynamic spatial "
                              "dims: only whole factors (or size=...) resize as torch does")
    return _resize_layer(ctx, x, out, mode, align, scales=[float(s) for s in given])


def _layer_agrees(n_in: int, n_out: int, scale: float | None) -> bool:
    """Whether the resize layer maps this axis's coordinates as torch does (torch: by
    1/scale_factor when one is given, else by in/out; the layer: by in/out). On a dynamic axis
    (n_in < 0) that holds only for a whole scale_factor."""
    if n_in < 0:
        return scale is not None and scale >= 1 and float(scale).is_integer()
    return _coordinate_scale(n_in, n_out, scale) == float(np.float32(n_in) / np.float32(n_out))


def _scale_factor_text(given: list[float | None]) -> str:
    return str(given[0]) if len(set(given)) == 1 else str(tuple(given))


def _interpolate(ctx: Ctx, input: torch.Tensor, size: Size | None, scale_factor: Scale | None,
                 mode: str, align_corners: bool | None, recompute_scale_factor: bool | None,
                 antialias: bool) -> ITensor:
    if antialias:
        raise ctx.unsupported("antialias=True")
    x = ctx.trt(input)
    nsp = len(x.shape) - 2
    align = bool(align_corners)
    given = _torch_scales(nsp, scale_factor, recompute_scale_factor)
    sizes = _given_size(size, nsp)
    lengths = list(x.shape[2:])
    if any(d < 0 for d in lengths) or any(emit.is_dynamic(d) for d in sizes or ()):
        return _interpolate_dynamic(ctx, x, sizes, given, mode, align)
    out = [int(d) for d in ctx.output.shape[2:]]
    if mode == "area":
        return emit.adaptive_pool(ctx.network, x, out, average=True)
    float_input = emit.arith.is_float(x)
    if float_input and (align or all(map(_layer_agrees, lengths, out, given))):
        return _resize_layer(ctx, x, out, mode, align)
    if not float_input and mode not in ("nearest", "nearest-exact"):
        raise ctx.unsupported(f"{mode} interpolation of integers")
    dtype = trt.torch_dtype(x.dtype)
    if dtype == torch.uint8:  # TensorRT keeps UINT8 to network inputs and outputs
        x = emit.cast(ctx.network, x, torch.int32)
    for axis, (n_in, n_out, scale) in enumerate(zip(lengths, out, given), start=2):
        taps, weights = _torch_taps(mode, n_in, n_out, nsp, axis, scale, align_corners)
        if weights is None and torch.equal(taps[:, 0], torch.arange(n_in)):
            continue  # this axis is copied
        x = _gather_axis(ctx, x, axis, taps, weights)
    return emit.cast(ctx.network, x, dtype)


@tensorrt_converter("torch.nn.functional.interpolate")
def convert_interpolate(ctx: Ctx, input: torch.Tensor, size: Size | None = None,
                        scale_factor: Scale | None = None, mode: str = "nearest",
                        align_corners: bool | None = None,
                        recompute_scale_factor: bool | None = None, antialias: bool = False
                        ) -> ITensor:
    return _interpolate(ctx, input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)


# The deprecated upsample functions call interpolate, which the trace sees.
register_aliases({f"torch.nn.functional.{name}": "torch.nn.functional.interpolate"
                  for name in ("upsample", "upsample_nearest", "upsample_bilinear")})


def _pixel_rearrange(ctx: Ctx, input: torch.Tensor, factor: int, shuffle: bool) -> ITensor:
    """pixel_shuffle: [*, C r r, H, W] -> [*, C, H r, W r]; pixel_unshuffle the inverse."""
    network = ctx.network
    x = ctx.trt(input)
    if any(d < 0 for d in x.shape[-3:]):
        raise ctx.unsupported("pixel (un)shuffle of dynamic channel or spatial dims")
    dims = emit.dims_of(network, x)
    lead, (c, h, w) = dims[:-3], x.shape[-3:]
    n, r = len(lead), factor
    if shuffle:
        split = lead + [c // (r * r), r, r, h, w]
        perm = [n, n + 3, n + 1, n + 4, n + 2]
        final = lead + [c // (r * r), h * r, w * r]
    else:
        split = lead + [c, h // r, r, w // r, r]
        perm = [n, n + 2, n + 4, n + 1, n + 3]
        final = lead + [c * r * r, h // r, w // r]
    moved = emit.permute(network, emit.reshape(network, x, split), list(range(n)) + perm)
    return emit.reshape(network, moved, final)


@tensorrt_converter("torch.nn.functional.pixel_shuffle")
@tensorrt_converter("torch.pixel_shuffle")
def convert_pixel_shuffle(ctx: Ctx, input: torch.Tensor, upscale_factor: int) -> ITensor:
    return _pixel_rearrange(ctx, input, upscale_factor, True)


@tensorrt_converter("torch.nn.functional.pixel_unshuffle")
@tensorrt_converter("torch.pixel_unshuffle")
def convert_pixel_unshuffle(ctx: Ctx, input: torch.Tensor, downscale_factor: int) -> ITensor:
    return _pixel_rearrange(ctx, input, downscale_factor, False)

