"""Helpers shared by several layer families (a leading underscore: not a family itself).

- `InitProp`: a property whose value, until set, is the one the layer's `add_*` call gave it;
- `nonempty_weights`: the coercion of TensorRT's weights setters, which refuse empty weights;
- `check_dtype`: the "input has type X but must have type ..." check every family makes;
- `to_compute` / `from_compute`: run float16/bfloat16/int8 arithmetic in float32 and back;
- `int_in_range` / `index_type`: the setters' checks of a bounded count and of an indices type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import torch

from ..core import ILayer, Prop, TensorInfo, Weights, as_weights
from ..enums import DataType, coerce_enum


class InitProp(Prop):
    """A property whose value, until set, is the one the layer's `add_*` call gave it.

    `add_*` arguments are replayed with the call itself, so they stay out of `_props` (which a
    recording replays as setter calls): a setter may refuse what the call accepted (TensorRT
    refuses to *set* empty weights, which `add_convolution_nd` takes for a kernel tensor input).
    """

    def __get__(self, layer: ILayer | None, owner: type) -> Any:
        if layer is None:
            return self
        if self.name in layer._props:
            return layer._props[self.name]
        return getattr(layer, "_initial", {}).get(self.name, self.default)


def init_prop(default: Any = None, coerce: Callable[[Any], Any] | None = None) -> InitProp:
    return InitProp(default, coerce)


def set_initial(layer: ILayer, **values: Any) -> None:
    """Record the values the `add_*` call gave the layer's `InitProp`s."""
    layer._initial = values  # type: ignore[attr-defined]


def nonempty_weights(value: Any) -> Weights:
    """Weights for a setter: TensorRT refuses empty ones there (`values != nullptr`)."""
    weights = as_weights(value, "weights")
    if weights.size == 0:
        raise ValueError("TensorRT refuses to set empty weights (pass them to add_* instead)")
    return weights


def check_dtype(layer: ILayer, info: TensorInfo, allowed: Collection[DataType],
                what: str = "input") -> None:
    if info.dtype not in allowed:
        names = ", ".join(sorted(d.name for d in allowed))
        raise layer.fail(f"{what} has type {info.dtype.name} but must have type {names}")


def check_same_dtype(layer: ILayer, x: TensorInfo, dtype: DataType, what: str) -> None:
    """Strong typing: weights and secondary inputs must have the input's type."""
    if dtype != x.dtype:
        raise layer.fail(f"input and {what} must have the same type, got {x.dtype.name} and "
                         f"{dtype.name}")


def to_compute(x: torch.Tensor) -> torch.Tensor:
    """float32 for arithmetic (TensorRT accumulates reduced-precision types in float32)."""
    return x if x.dtype == torch.float32 else x.to(torch.float32)


def from_compute(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Back to the layer's type; integers round half to even and saturate, as a GPU cast does."""
    if dtype.is_floating_point:
        return y.to(dtype)
    info = torch.iinfo(dtype)
    return torch.round(y).clamp(info.min, info.max).to(dtype)


def int_in_range(name: str, high: int) -> Callable[[Any], int]:
    """The coercion of a setter that refuses (and ignores) an int outside [0, high]."""
    def coerce(value: Any) -> int:
        number = int(value)
        if not 0 <= number <= high:
            raise ValueError(f"{name} must be in [0, {high}], got {number}")
        return number
    return coerce


def index_type(value: Any) -> DataType:
    """The coercion of an `indices_type` setter: INT32 or INT64 only."""
    dtype = coerce_enum(DataType, value, "indices_type")
    if dtype not in (DataType.INT32, DataType.INT64):
        raise ValueError(f"indices_type must be INT32 or INT64, got {dtype.name}")
    return dtype
