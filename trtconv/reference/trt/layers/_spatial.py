"""Window geometry shared by convolution, deconvolution and pooling (not a family itself).

A window layer slides a 2-D or 3-D window over the innermost axes of its input. Its spatial
rank is fixed by the `add_*` call's kernel/window dims (as in TensorRT: stride, padding and
dilation start as that many 1s or 0s). The output length of each axis follows TensorRT's
`PaddingMode` formulas (NvInfer.h), with I the input length, B/A the pre/post padding,
M = I + B + A and DK = 1 + dilation * (k - 1):

    convolution, pooling   EXPLICIT_ROUND_DOWN  O = floor((M - DK) / S) + 1
                           EXPLICIT_ROUND_UP    O = ceil((M - DK) / S) + 1
                           SAME_UPPER/LOWER     O = ceil(I / S), P = (O - 1) * S + DK - I
    deconvolution          EXPLICIT_*           O = (I - 1) * S + DK - (B + A)
                           SAME_UPPER/LOWER     O = min(I * S, (I - 1) * S + DK), P = DK - S

SAME_UPPER puts the odd padding element after the data (B = floor(P / 2)), SAME_LOWER before.
A negative P is taken as 0, as ONNX and TensorFlow define SAME.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from ..core import Dims, ILayer, TensorInfo, as_dims, enum_prop
from ..enums import PaddingMode
from ._common import InitProp

SAME_MODES = frozenset({PaddingMode.SAME_UPPER, PaddingMode.SAME_LOWER})


def spatial_dims(minimum: int) -> Any:
    """Coercion of a 2-D/3-D dims setter whose entries must be >= `minimum`."""

    def coerce(value: Any) -> Dims:
        dims = as_dims(value, "value")
        if len(dims) not in (2, 3) or any(d < minimum for d in dims):
            raise ValueError(f"needs 2 or 3 dimensions, each >= {minimum}, got {tuple(dims)}")
        return dims

    return coerce


class SpatialProp(InitProp):
    """Per-axis dims of a window layer; until set, `fill` on each axis of its window."""

    def __init__(self, fill: int | None, minimum: int):
        super().__init__(None, spatial_dims(minimum))
        self.fill = fill

    def __get__(self, layer: Any, owner: type) -> Any:
        value = super().__get__(layer, owner)
        if layer is None or value is not None:
            return value
        return Dims((self.fill,) * layer._spatial_rank)


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a window layer: dilated extent DK, stride and explicit padding."""

    extent: int
    stride: int
    pre: int
    post: int


def _split_same(total: int, mode: PaddingMode) -> tuple[int, int]:
    small, large = total // 2, total - total // 2
    return (small, large) if mode == PaddingMode.SAME_UPPER else (large, small)


def forward_axis(size: int, axis: Axis, mode: PaddingMode) -> tuple[int, int, int]:
    """Output length and the (pre, post) padding that realizes it, for convolution/pooling.

    The post padding of EXPLICIT_ROUND_UP grows so that the last window fits, as TensorRT does
    (its exclusive-average check sees that padding too). -1 for an unknown input length.
    """
    if mode in SAME_MODES:
        if size < 0:
            return -1, axis.pre, axis.post
        out = -(-size // axis.stride)
        pre, post = _split_same(max(0, (out - 1) * axis.stride + axis.extent - size), mode)
        return out, pre, post
    if size < 0:
        return -1, axis.pre, axis.post
    span = size + axis.pre + axis.post - axis.extent
    if mode == PaddingMode.EXPLICIT_ROUND_UP:
        out = -(-span // axis.stride) + 1
        return out, axis.pre, axis.post + max(0, (out - 1) * axis.stride - span)
    return span // axis.stride + 1, axis.pre, axis.post


def backward_axis(size: int, axis: Axis, mode: PaddingMode) -> tuple[int, int, int]:
    """Output length and the (pre, post) cropping of a deconvolution axis (-1 if unknown)."""
    pre, post = axis.pre, axis.post
    if mode in SAME_MODES:
        pre, post = _split_same(max(0, axis.extent - axis.stride), mode)
    if size < 0:
        return -1, pre, post
    return (size - 1) * axis.stride + axis.extent - pre - post, pre, post


class WindowLayer(ILayer):
    """Base of IConvolutionLayer, IDeconvolutionLayer and IPoolingLayer: a window with stride,
    explicit padding (`padding_nd` sets both sides and reads the pre side) and a padding mode."""

    _window_prop: ClassVar[str]  # the property holding the window's extent
    stride_nd = SpatialProp(1, 1)
    pre_padding = SpatialProp(0, 0)
    post_padding = SpatialProp(0, 0)
    padding_mode = enum_prop(PaddingMode, PaddingMode.EXPLICIT_ROUND_DOWN)

    @property
    def _spatial_rank(self) -> int:
        return len(self._initial[self._window_prop])  # type: ignore[attr-defined]

    @property
    def padding_nd(self) -> Dims:
        return self.pre_padding

    @padding_nd.setter
    def padding_nd(self, value: Any) -> None:
        # Stored as the two properties it sets, so a replay does not depend on setter order.
        self.pre_padding = value
        self.post_padding = value

    def _dilation(self) -> Dims:
        return Dims((1,) * len(getattr(self, self._window_prop)))

    def _axes(self) -> list[Axis]:
        """The per-axis parameters, which must all have the window's number of dimensions."""
        window = getattr(self, self._window_prop)
        named = {"stride": self.stride_nd, "pre-padding": self.pre_padding,
                 "post-padding": self.post_padding, "dilation": self._dilation()}
        if any(len(v) != len(window) for v in named.values()):
            listed = ", ".join(f"{k} {tuple(v)}" for k, v in named.items())
            raise self.fail(f"window {tuple(window)} and {listed} must have the same number of "
                            "dimensions")
        return [Axis(1 + d * (k - 1), s, b, a) for k, s, b, a, d in
                zip(window, *named.values())]

    def _check_rank(self, x: TensorInfo) -> None:
        need = len(getattr(self, self._window_prop)) + 2
        if x.rank < need:
            raise self.fail(f"at least {need} dimensions are required for input, got shape "
                            f"{x.shape}")

    def _check_lengths(self, spatial: Sequence[int], out: Sequence[int]) -> None:
        """Known input lengths must not give negative output lengths (-1 is also unknown)."""
        for i, (size, length) in enumerate(zip(spatial, out)):
            if size >= 0 and length < 0:
                raise self.fail(f"output spatial axis {i} has negative length {length} (input "
                                f"length {size})")


def pad_spatial(x: torch.Tensor, pads: Sequence[tuple[int, int]], value: float = 0.0
                ) -> torch.Tensor:
    """`x` with (pre, post) padding on its innermost len(pads) axes (negative pads crop)."""
    flat = [p for pre, post in reversed(pads) for p in (pre, post)]
    return F.pad(x, flat, value=value) if any(flat) else x


def crop_spatial(x: torch.Tensor, crops: Sequence[tuple[int, int]]) -> torch.Tensor:
    return pad_spatial(x, [(-pre, -post) for pre, post in crops])


def as_batched(x: torch.Tensor, inner: int) -> tuple[torch.Tensor, tuple[int, ...]]:
    """`x` as [N, *innermost `inner` axes], N the product of the leading axes (restored by
    `from_batched`): TensorRT treats every axis before the channel as a batch axis."""
    lead = tuple(x.shape[:x.dim() - inner])
    return x.reshape(math.prod(lead), *x.shape[x.dim() - inner:]), lead


def from_batched(y: torch.Tensor, lead: tuple[int, ...]) -> torch.Tensor:
    return y.reshape(*lead, *y.shape[1:])
