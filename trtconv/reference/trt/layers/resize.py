"""IResizeLayer: NEAREST, LINEAR and CUBIC resizing of any axes.

The output shape is `shape`, or floor(input * `scales`) per axis (float32 arithmetic), or the
values of a 1-D INT32/INT64 shape tensor on input 1 (a dynamic resize). Each resized axis maps
output index i to input coordinate x (lengths `n_in`, `n_out`; float32 as on the GPU):

    ALIGN_CORNERS  x = i * (n_in - 1) / (n_out - 1)      (0 when n_out == 1)
    ASYMMETRIC     x = i * n_in / n_out
    HALF_PIXEL     x = (i + 0.5) * n_in / n_out - 0.5

With ResizeSelector.UPPER an axis resized to length 1 takes x = 0. NEAREST rounds x by
`nearest_rounding` (HALF_UP floor(x + .5), HALF_DOWN ceil(x - .5), FLOOR, CEIL) and clamps it to
the axis. LINEAR clamps x to [0, n_in - 1] and interpolates its two neighbours (PyTorch's
linear modes); CUBIC uses the four taps floor(x) - 1 .. floor(x) + 2 with Keys' kernel of
coefficient `cubic_coeff`, clamping taps to the axis, or with `exclude_outside` dropping the
taps outside it and renormalizing. Multi-axis modes apply per axis (they are separable).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..core import (
    FLOAT_TYPES,
    INT_TYPES,
    ILayer,
    ITensor,
    Prop,
    TensorInfo,
    add_layer,
    as_dims,
    bool_prop,
    enum_prop,
    float_prop,
)
from ..core import network_method as _method
from ..enums import (
    DataType,
    InterpolationMode,
    LayerType,
    ResizeCoordinateTransformation,
    ResizeRoundMode,
    ResizeSelector,
)
from ._common import check_dtype, from_compute, to_compute

_RESIZE_TYPES = FLOAT_TYPES | {DataType.INT8}
_Coord = ResizeCoordinateTransformation
_Round = ResizeRoundMode
MAX_LINEAR_AXES = 3  # TensorRT resizes at most 3 axes linearly


class _OutputSizeProp(Prop):
    """`shape` or `scales`: setting one clears the other (the last one set wins, as in
    TensorRT); a dynamic resize (input 1 set) has neither."""

    def __init__(self, coerce: Any, other: str):
        super().__init__(None, coerce)
        self.other = other

    def __get__(self, layer: Any, owner: type) -> Any:
        if layer is None:
            return self
        if layer._is_dynamic:
            return None if self.name == "shape" else []
        if self.name in layer._props:
            return layer._props[self.name]
        if self.name == "scales":
            return []
        return None if self.other in layer._props else layer.get_input(0).shape

    def __set__(self, layer: Any, value: Any) -> None:
        if layer._is_dynamic:
            raise TypeError(f"IResizeLayer.{self.name}: a dynamic resize layer (input 1 set) "
                            "takes its output dimensions from input 1")
        super().__set__(layer, value)
        layer._props.pop(self.other, None)


def _scales(value: Any) -> list[float]:
    return [float(np.float32(v)) for v in value]


def _round(x: torch.Tensor, mode: ResizeRoundMode) -> torch.Tensor:
    if mode == _Round.HALF_UP:
        return torch.floor(x + 0.5)
    if mode == _Round.HALF_DOWN:
        return torch.ceil(x - 0.5)
    return torch.floor(x) if mode == _Round.FLOOR else torch.ceil(x)


def _cubic_weights(t: torch.Tensor, a: float) -> torch.Tensor:
    """Keys' kernel at the distances of taps -1..2 from x = floor(x) + t: shape [n, 4]."""
    d = torch.stack([t + 1, t, 1 - t, 2 - t], dim=-1).abs()
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return torch.where(d <= 1, near, torch.where(d < 2, far, torch.zeros_like(d)))


class IResizeLayer(ILayer):
    """Resize; see the module docstring for the coordinate and interpolation rules."""

    layer_type = LayerType.RESIZE
    shape_inputs = frozenset({1})
    shape = _OutputSizeProp(lambda v: as_dims(v, "shape"), "scales")
    scales = _OutputSizeProp(_scales, "shape")
    resize_mode = enum_prop(InterpolationMode, InterpolationMode.NEAREST)
    coordinate_transformation = enum_prop(ResizeCoordinateTransformation, _Coord.ASYMMETRIC)
    selector_for_single_pixel = enum_prop(ResizeSelector, ResizeSelector.FORMULA)
    nearest_rounding = enum_prop(ResizeRoundMode, _Round.FLOOR)
    cubic_coeff = float_prop(-0.75)
    exclude_outside = bool_prop(False)

    def max_inputs(self) -> int:
        return 1

    @property
    def _is_dynamic(self) -> bool:
        return 1 in self._set_inputs

    # --- shapes ---------------------------------------------------------------------------
    def _output_shape(self, x: tuple[int, ...], spec: TensorInfo | None) -> tuple[int, ...]:
        if spec is not None:
            return self._from_tensor(x, spec)
        if "scales" in self._props:
            scales = self.scales
            if len(scales) != len(x):
                raise self.fail(f"number of scale factors ({len(scales)}) must equal the "
                                f"number of input dimensions ({len(x)})")
            if any(s < 0 for s in scales):
                raise self.fail(f"scales {scales} must not be negative")
            return tuple(-1 if d < 0 else math.floor(np.float32(d) * np.float32(s))
                         for d, s in zip(x, scales))
        if "shape" in self._props:
            shape = tuple(self.shape)
            if len(shape) != len(x):
                raise self.fail(f"input has {len(x)} dimensions but the output shape {shape} "
                                f"has {len(shape)}")
            if any(d < 0 for d in shape):
                raise self.fail(f"output shape {shape} must not be negative")
            return shape
        return x

    def _from_tensor(self, x: tuple[int, ...], spec: TensorInfo) -> tuple[int, ...]:
        if spec.dtype not in INT_TYPES or spec.rank != 1:
            raise self.fail(f"input 1 must be a 1-D INT32/INT64 shape tensor, got "
                            f"{spec.dtype.name} {spec.shape}")
        if spec.shape[0] != len(x):
            raise self.fail(f"input 1 has {spec.shape[0]} elements but input 0 has {len(x)} "
                            "dimensions")
        values = spec.value if spec.value is not None else (None,) * len(x)
        if any(v is not None and v < 0 for v in values):
            raise self.fail(f"output dimensions {values} must not be negative")
        return tuple(-1 if v is None else v for v in values)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        check_dtype(self, x, _RESIZE_TYPES)
        spec = ins[1] if len(ins) > 1 else None
        out = self._output_shape(x.shape, spec)
        if self.resize_mode == InterpolationMode.LINEAR:
            resized = sum(1 for a, b in zip(x.shape, out) if a != b and min(a, b) >= 0)
            if "scales" in self._props:
                resized = sum(1 for s in self.scales if s != 1)
            if resized > MAX_LINEAR_AXES:
                raise self.fail(f"linear resize only supports resizing up to the last "
                                f"{MAX_LINEAR_AXES} dimensions, got {resized} resized axes")
        return [TensorInfo(out, x.dtype)]

    # --- execution ------------------------------------------------------------------------
    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        spec = None
        if len(ins) > 1 and ins[1] is not None:
            spec = TensorInfo(tuple(ins[1].shape), DataType.INT64,
                              tuple(int(v) for v in ins[1].tolist()))
        out = self._output_shape(tuple(x.shape), spec)
        mode = self.resize_mode
        y = x if mode == InterpolationMode.NEAREST else to_compute(x)
        for axis, (n_in, n_out) in enumerate(zip(x.shape, out)):
            if n_in != n_out:
                y = self._resize_axis(y, axis, n_in, n_out)
        return [y if mode == InterpolationMode.NEAREST else from_compute(y, x.dtype)]

    def _coordinates(self, n_in: int, n_out: int) -> torch.Tensor:
        i = torch.arange(n_out, dtype=torch.float32)
        if n_out == 1 and self.selector_for_single_pixel == ResizeSelector.UPPER:
            return torch.zeros(1)
        transform = self.coordinate_transformation
        if transform == _Coord.ALIGN_CORNERS:
            return i * float(np.float32((n_in - 1) / (n_out - 1))) if n_out > 1 else i
        scale = float(np.float32(n_in) / np.float32(n_out))
        return i * scale if transform == _Coord.ASYMMETRIC else (i + 0.5) * scale - 0.5

    def _resize_axis(self, x: torch.Tensor, axis: int, n_in: int, n_out: int) -> torch.Tensor:
        coords = self._coordinates(n_in, n_out)
        mode = self.resize_mode
        if mode == InterpolationMode.NEAREST:
            index = _round(coords, self.nearest_rounding).clamp(0, n_in - 1).long()
            return x.index_select(axis, index)
        if mode == InterpolationMode.LINEAR:
            coords = coords.clamp(0, n_in - 1)
            low = coords.floor().long()
            taps = torch.stack([low, (low + 1).clamp(max=n_in - 1)], dim=-1)
            frac = coords - low
            weights = torch.stack([1 - frac, frac], dim=-1)
        else:
            low = coords.floor()
            weights = _cubic_weights(coords - low, self.cubic_coeff)
            taps = low.long()[:, None] + torch.arange(-1, 3)
            if self.exclude_outside:
                weights = weights * ((taps >= 0) & (taps < n_in))
                weights = weights / weights.sum(-1, keepdim=True)
            taps = taps.clamp(0, n_in - 1)
        return _gather_weighted(x, axis, taps, weights)


def _gather_weighted(x: torch.Tensor, axis: int, taps: torch.Tensor, weights: torch.Tensor
                     ) -> torch.Tensor:
    """out[..., i, ...] = sum_k weights[i, k] * x[..., taps[i, k], ...] along `axis`."""
    n_out, k = taps.shape
    picked = x.index_select(axis, taps.reshape(-1))
    shape = list(x.shape)
    shape[axis:axis + 1] = [n_out, k]
    view: Sequence[int] = [1] * axis + [n_out, k] + [1] * (x.dim() - axis - 1)
    return (picked.reshape(shape) * weights.reshape(view)).sum(axis + 1)


@_method
def add_resize(self: Any, input: ITensor) -> IResizeLayer:
    if isinstance(input, ITensor) and input.info.rank == 0:
        # TensorRT returns None here.
        raise ValueError("add_resize: the input must have at least one dimension")
    return add_layer(self, IResizeLayer, "add_resize", {"input": input}, [input])
