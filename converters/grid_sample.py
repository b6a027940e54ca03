"""grid_sample: TensorRT's grid-sample layer, whose modes are torch's one for one.

`mode` bilinear / nearest / bicubic is the layer's LINEAR / NEAREST / CUBIC interpolation,
`padding_mode` zeros / border / reflection its FILL / CLAMP / REFLECT sample mode, and
`align_corners` its own flag (torch's default None is False). Input and grid are 4-D
([N, C, H, W] with a [N, H', W', 2] grid) or 5-D ([N, C, D, H, W] with [N, D', H', W', 3]);
torch itself has no bicubic 5-D sampling. Inputs and grids of one float dtype (float32, float16,
bfloat16); float64 computes in float32, as everywhere in TensorRT.
"""

from __future__ import annotations

import torch

from trtconv import emit, trt
from trtconv.api import Ctx, ITensor
from trtconv.registry import register_table

_INTERPOLATION = {"bilinear": trt.InterpolationMode.LINEAR,
                  "nearest": trt.InterpolationMode.NEAREST,
                  "bicubic": trt.InterpolationMode.CUBIC}
_PADDING = {"zeros": trt.SampleMode.FILL, "border": trt.SampleMode.CLAMP,
            "reflection": trt.SampleMode.REFLECT}


def convert_grid_sample(ctx: Ctx, input: torch.Tensor, grid: torch.Tensor,
                mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> ITensor:
    if mode not in _INTERPOLATION:
        raise ctx.unsupported(f"grid_sample mode {mode!r} (TensorRT has bilinear, nearest and "
                              "bicubic)")
    if padding_mode not in _PADDING:
        raise ctx.unsupported(f"grid_sample padding_mode {padding_mode!r} (TensorRT has zeros, "
                              "border and reflection)")
    if input.dim() not in (4, 5):
        raise ctx.unsupported(f"grid_sample of a {input.dim()}-D input (TensorRT samples 4-D "
                              "and 5-D inputs)")
    dtype = emit.storable_dtype(ctx, ctx.output.dtype)
    x = emit.cast(ctx.network, ctx.trt(input), dtype)
    g = emit.cast(ctx.network, ctx.trt(grid), dtype)
    layer = ctx.network.add_grid_sample(x, g)
    layer.interpolation_mode = _INTERPOLATION[mode]
    layer.sample_mode = _PADDING[padding_mode]
    layer.align_corners = bool(align_corners)
    return layer.get_output(0)


register_table({"torch.nn.functional.grid_sample": convert_grid_sample})
