"""ISliceLayer: strided windows with TensorRT's out-of-bounds modes (SampleMode).

Output coordinate `y` of a sliced axis reads input coordinate `x = start + y * stride`; the
mode says what an `x` outside `[0, d)` reads. Start, size and stride come from the static
properties or from 1-D shape tensors on inputs 1, 2 and 3; input 4 is FILL's value; input 5
(or the `axes` property) names the axes the parameters apply to (the others are kept whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    SHAPE_TYPES,
    ILayer,
    ITensor,
    LayerError,
    Prop,
    TensorInfo,
    add_layer,
    as_dims,
    dims_prop,
    enum_prop,
    host_info,
    moved_value,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType, SampleMode
from .constant import MAX_HOST_VALUE

_PARAMS = {1: "start", 2: "shape", 3: "stride"}
_AXES_INPUT, _FILL_INPUT = 5, 4
_NEEDS_DATA = (SampleMode.WRAP, SampleMode.CLAMP, SampleMode.REFLECT)


@dataclass(frozen=True)
class _Window:
    """One sliced axis: output coordinate y reads input coordinate start + y * stride."""

    axis: int
    start: int | None
    size: int | None
    stride: int | None

    def known(self) -> bool:
        return None not in (self.start, self.size, self.stride)


def source_index(coords: torch.Tensor, d: int,
                 mode: SampleMode) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Input positions that output coordinates `coords` read along an axis of size `d`, and
    for FILL the mask of in-bounds ones (TensorRT's formulas for each SampleMode)."""
    if mode == SampleMode.WRAP:
        return coords.remainder(d), None  # Python modulo: non-negative for d > 0
    if mode == SampleMode.CLAMP:
        return coords.clamp(0, d - 1), None
    if mode == SampleMode.REFLECT:
        if d == 1:  # a single element reflects onto itself
            return torch.zeros_like(coords), None
        period = 2 * d - 2
        c = coords.abs().remainder(period)
        return torch.where(c >= d, period - c, c), None
    inside = (coords >= 0) & (coords < d)
    if mode == SampleMode.FILL:
        return coords.clamp(0, max(d - 1, 0)), inside
    if not bool(inside.all()):
        raise LayerError(f"out of bounds slice: coordinates {coords.tolist()} of an axis of "
                         f"length {d} (mode STRICT_BOUNDS)")
    return coords, None


def _slice(x: torch.Tensor, windows: list[_Window], mode: SampleMode,
           fill: torch.Tensor) -> torch.Tensor:
    for w in windows:
        assert w.start is not None and w.size is not None and w.stride is not None
        d = x.shape[w.axis]
        coords = w.start + torch.arange(w.size, dtype=torch.int64) * w.stride
        if d == 0:  # nothing to read: only FILL (or an empty window) gets here
            shape = list(x.shape)
            shape[w.axis] = w.size
            x = fill.to(x.dtype).expand(shape).clone()
            continue
        index, inside = source_index(coords, d, mode)
        x = x.index_select(w.axis, index)
        if inside is not None:
            view = [1] * x.dim()
            view[w.axis] = w.size
            x = torch.where(inside.view(view), x, fill.to(x.dtype))
    return x


def _axes_value(value: Any) -> Any:
    return None if value is None else as_dims(value, "axes")


class ISliceLayer(ILayer):
    """Slice with static or tensor start/size/stride/axes, every SampleMode, and host values
    of sliced shape tensors."""

    layer_type = LayerType.SLICE
    shape_inputs = frozenset({1, 2, 3, 5})
    start = dims_prop()
    shape = dims_prop()
    stride = dims_prop()
    mode = enum_prop(SampleMode, SampleMode.STRICT_BOUNDS)
    axes = Prop(None, _axes_value)

    def max_inputs(self) -> int:
        return _AXES_INPUT

    # --- parameters -----------------------------------------------------------------------
    def _param(self, ins: list[TensorInfo | None], index: int) -> tuple[int | None, ...]:
        """A parameter from its shape-tensor input (None entries unknown) or its property."""
        spec = ins[index] if index < len(ins) else None
        if spec is None:
            return tuple(getattr(self, _PARAMS[index]))
        what = _PARAMS.get(index, "axes")
        if spec.dtype not in SHAPE_TYPES:
            raise self.fail(f"{what} input {index} has type {spec.dtype.name} but must have "
                            "type INT32 or INT64")
        if spec.rank != 1 or spec.shape[0] < 0:
            raise self.fail(f"{what} input {index} must be a 1-D shape tensor with a "
                            f"build-time length, got shape {spec.shape}")
        return spec.value if spec.value is not None else (None,) * spec.shape[0]

    def _axes(self, ins: list[TensorInfo | None], rank: int) -> list[int | None]:
        if len(ins) > _AXES_INPUT and ins[_AXES_INPUT] is not None:
            raw = self._param(ins, _AXES_INPUT)
        elif self.axes is not None:
            raw = tuple(self.axes)
        else:
            return list(range(rank))
        axes: list[int | None] = []
        for a in raw:
            if a is not None and not -rank <= a < rank:
                raise self.fail(f"axis {a} in axes {raw} is out of range for rank {rank}")
            axes.append(None if a is None else a % rank)
        known = [a for a in axes if a is not None]
        if len(set(known)) != len(known):
            raise self.fail(f"axes {raw} name an axis twice")
        return axes

    def _windows(self, ins: list[TensorInfo | None], x: TensorInfo) -> list[_Window] | None:
        """The sliced axes; None when an axis is unknown (then every dim is unknown)."""
        axes = self._axes(ins, x.rank)
        params = [self._param(ins, i) for i in _PARAMS]
        for name, p in zip(_PARAMS.values(), params):
            if len(p) != len(axes):
                raise self.fail(f"{name} has {len(p)} values, but {len(axes)} axes are sliced "
                                f"(input shape {x.shape})")
        if None in axes:
            return None
        windows = [_Window(a, *p) for a, *p in zip(axes, *params)]  # type: ignore[arg-type]
        for w in windows:
            if w.size is not None and w.size < 0:
                raise self.fail(f"slice size cannot have a negative dimension, size = "
                                f"{params[1]}")
        return windows

    # --- inference ----------------------------------------------------------------------------
    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        if x.dtype == DataType.UINT8:
            raise self.fail("input has type UINT8, which slice does not accept")
        fill = self._check_fill(ins, x)
        windows = self._windows(ins, x)
        if windows is None:
            return [TensorInfo((-1,) * x.rank, x.dtype)]
        shape = list(x.shape)
        for w in windows:
            self._check_bounds(w, x.shape[w.axis])
            shape[w.axis] = -1 if w.size is None else w.size
        value = symbols = None
        if all(w.known() for w in windows):
            value, symbols = moved_value(
                [x], lambda p: _slice(p, windows, self.mode, torch.tensor(-1)), MAX_HOST_VALUE,
                None if fill is None else fill[0])
        return [TensorInfo(tuple(shape), x.dtype, value, symbols)]

    def _check_fill(self, ins: list[TensorInfo | None], x: TensorInfo) -> tuple | None:
        """Validate input 4; return the fill's host value ((0,) when FILL has no input)."""
        spec = ins[_FILL_INPUT] if len(ins) > _FILL_INPUT else None
        if spec is None:
            return (0,)
        if self.mode != SampleMode.FILL:
            raise self.fail("a fill input (4) is only allowed with SampleMode.FILL")
        if spec.dtype != x.dtype and not {spec.dtype, x.dtype} <= FLOAT_TYPES:
            raise self.fail(f"fill input type {spec.dtype.name} must be the same as or "
                            f"implicitly convertible to the input type {x.dtype.name}")
        if spec.rank != 0 and spec.shape != (1,) * x.rank:
            raise self.fail(f"the fill value must be a scalar or a singleton of the input's "
                            f"rank {x.rank}, got shape {spec.shape}")
        return spec.known_value()

    def _check_bounds(self, w: _Window, d: int) -> None:
        if d < 0 or not w.known() or w.size == 0:
            return
        assert w.start is not None and w.size is not None and w.stride is not None
        last = w.start + (w.size - 1) * w.stride
        if self.mode == SampleMode.STRICT_BOUNDS and not (0 <= w.start < d and 0 <= last < d):
            raise self.fail(f"out of bounds slice on axis {w.axis} of length {d}: start "
                            f"{w.start}, size {w.size}, stride {w.stride}")
        if self.mode in _NEEDS_DATA and d == 0:
            raise self.fail(f"{self.mode.name} cannot read from axis {w.axis} of length 0")

    # --- execution ----------------------------------------------------------------------------
    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """With the windows known at these shapes: a view of in-bounds windows with positive
        strides (what every mode reads there), else the general slice without re-deriving
        the windows."""
        windows = self._windows(ins, ins[0])
        if windows is None or not all(w.known() for w in windows) or (
                len(ins) > _FILL_INPUT and ins[_FILL_INPUT] is not None):
            return self.execute
        shape = ins[0].shape
        for w in windows:
            self._check_bounds(w, shape[w.axis])
        if all(w.stride > 0 and 0 <= w.start and (w.size == 0 or w.start + (w.size - 1)
                                                  * w.stride < shape[w.axis])
               for w in windows):
            index = [slice(None)] * len(shape)
            for w in windows:
                index[w.axis] = slice(w.start, w.start + max(w.size - 1, 0) * w.stride + 1
                                      if w.size else w.start, w.stride)
            key = tuple(index)
            return lambda ins: [ins[0][key]]
        mode = self.mode
        return lambda ins: [_slice(ins[0], windows, mode, torch.zeros((), dtype=ins[0].dtype))]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        infos = [host_info(x, with_value=False)]  # and the parameters with their values
        infos += [None if t is None or i == _FILL_INPUT else host_info(t)
                  for i, t in enumerate(ins[1:], 1)]
        windows = self._windows(infos, infos[0])
        assert windows is not None
        for w in windows:
            self._check_bounds(w, x.shape[w.axis])
        fill = ins[_FILL_INPUT] if len(ins) > _FILL_INPUT and ins[_FILL_INPUT] is not None \
            else torch.zeros((), dtype=x.dtype)
        return [_slice(x, windows, self.mode, fill.reshape(()))]


@_method
def add_slice(self: Any, input: ITensor, start: Any, shape: Any, stride: Any) -> ISliceLayer:
    args = {"input": input, "start": as_dims(start, "start"), "shape": as_dims(shape, "shape"),
            "stride": as_dims(stride, "stride")}
    layer = add_layer(self, ISliceLayer, "add_slice", args, [input])
    layer.start, layer.shape, layer.stride = start, shape, stride
    return layer
