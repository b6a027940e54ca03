"""IGridSampleLayer: sample a [N, C, *spatial] input at the normalized grid coordinates.

The grid is [N, *out, k] (k = 2 for 4-D input, 3 for 5-D) holding (x, y[, z]) in [-1, 1], as
torch.nn.functional.grid_sample, whose modes map one to one: NEAREST/LINEAR/CUBIC to
nearest/bilinear/bicubic and SampleMode FILL/CLAMP/REFLECT to zeros/border/reflection.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..core import FLOAT_TYPES, ILayer, ITensor, Prop, TensorInfo, add_layer, bool_prop, enum_prop
from ..core import network_method as _method
from ..enums import InterpolationMode, LayerType, SampleMode, coerce_enum
from ._common import check_dtype, check_same_dtype, from_compute, to_compute

_INTERPOLATION = {InterpolationMode.NEAREST: "nearest", InterpolationMode.LINEAR: "bilinear",
                  InterpolationMode.CUBIC: "bicubic"}
_PADDING = {SampleMode.FILL: "zeros", SampleMode.CLAMP: "border",
            SampleMode.REFLECT: "reflection"}
RANKS = (4, 5)


def _sample_mode(value: Any) -> SampleMode:
    mode = coerce_enum(SampleMode, value, "SampleMode")
    if mode not in _PADDING:
        raise ValueError(f"sample mode {mode.name} is not supported by grid sample; use CLAMP, "
                         "FILL or REFLECT")
    return mode


class IGridSampleLayer(ILayer):
    """Grid sampling; output [N, C, *grid.shape[1:-1]] of the input's type."""

    layer_type = LayerType.GRID_SAMPLE
    interpolation_mode = enum_prop(InterpolationMode, InterpolationMode.LINEAR)
    align_corners = bool_prop(False)
    sample_mode = Prop(SampleMode.FILL, _sample_mode)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, grid = self.require_inputs(ins, 2)[:2]
        check_dtype(self, x, FLOAT_TYPES)
        check_same_dtype(self, x, grid.dtype, "grid")
        if x.rank not in RANKS or grid.rank != x.rank:
            raise self.fail(f"input and grid must both have rank 4 or 5, got {x.shape} and "
                            f"{grid.shape}")
        if grid.shape[-1] not in (x.rank - 2, -1):
            raise self.fail(f"grid's last dimension must be {x.rank - 2}, got {grid.shape}")
        if min(x.shape[0], grid.shape[0]) >= 0 and x.shape[0] != grid.shape[0]:
            raise self.fail(f"input and grid must have the same leading dimension, got "
                            f"{x.shape} and {grid.shape}")
        if x.rank == 5 and self.interpolation_mode == InterpolationMode.CUBIC:
            raise self.fail("the reference has no cubic grid sample of 5-D input")
        return [TensorInfo((x.shape[0], x.shape[1], *grid.shape[1:-1]), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, grid = ins[0], ins[1]
        y = F.grid_sample(to_compute(x), to_compute(grid),
                          mode=_INTERPOLATION[self.interpolation_mode],
                          padding_mode=_PADDING[self.sample_mode],
                          align_corners=self.align_corners)
        return [from_compute(y, x.dtype)]


@_method
def add_grid_sample(self: Any, input: ITensor, grid: ITensor) -> IGridSampleLayer:
    ranks = [t.info.rank for t in (input, grid) if isinstance(t, ITensor)]
    if len(ranks) == 2 and (ranks[0] not in RANKS or ranks[0] != ranks[1]):
        # TensorRT returns None here.
        raise ValueError(f"add_grid_sample: input and grid must both have rank 4 or 5, got "
                         f"ranks {ranks}")
    return add_layer(self, IGridSampleLayer, "add_grid_sample", {"input": input, "grid": grid},
                     [input, grid])
