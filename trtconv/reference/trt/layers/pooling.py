"""IPoolingLayer: 2-D/3-D MAX, AVERAGE and MAX_AVERAGE_BLEND pooling over the innermost axes.

Max pooling pads with -inf. Average pooling divides the window's sum by the number of input
elements it covers (`average_count_excludes_padding`, the default) or by the elements it covers
in the explicitly padded input; EXPLICIT_ROUND_UP's extra room at the end is never counted
(as PyTorch's ceil_mode). A window covering nothing counted averages to 0. Blending gives
(1 - blend_factor) * max + blend_factor * average.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from ..core import FLOAT_TYPES, ITensor, Prop, TensorInfo, add_layer, as_dims, bool_prop
from ..core import network_method as _method
from ..enums import DataType, LayerType, PaddingMode, PoolingType, coerce_enum
from ._common import check_dtype, from_compute, init_prop, set_initial, to_compute
from ._spatial import (
    SpatialProp,
    WindowLayer,
    as_batched,
    forward_axis,
    from_batched,
    pad_spatial,
)

_POOL_TYPES = FLOAT_TYPES | {DataType.INT8}
_MAX_POOL = {2: F.max_pool2d, 3: F.max_pool3d}
_CONV = {2: F.conv2d, 3: F.conv3d}


def _unit_interval(value: Any) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"blend_factor must be in [0, 1], got {value}")
    return value


def _window_sum(x: torch.Tensor, window: Sequence[int], stride: Sequence[int]) -> torch.Tensor:
    """Sum over each window of [N, C, *spatial] (a ones-kernel convolution: exact sums)."""
    flat = x.reshape(-1, 1, *x.shape[2:])
    ones = torch.ones((1, 1, *window), dtype=x.dtype)
    y = _CONV[len(window)](flat, ones, stride=tuple(stride))
    return y.reshape(*x.shape[:2], *y.shape[2:])


class IPoolingLayer(WindowLayer):
    """Pooling; `type` is the PoolingType (it shadows ILayer.type, as in TensorRT)."""

    layer_type = LayerType.POOLING
    _window_prop = "window_size_nd"
    type = init_prop(coerce=lambda v: coerce_enum(PoolingType, v, "PoolingType"))
    window_size_nd = SpatialProp(None, 1)
    blend_factor = Prop(0.0, _unit_interval)
    average_count_excludes_padding = bool_prop(True)

    def _geometry(self, spatial: Sequence[int]) -> list[tuple[int, int, int]]:
        return [forward_axis(size, axis, self.padding_mode)
                for size, axis in zip(spatial, self._axes())]

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        check_dtype(self, x, _POOL_TYPES)
        self._axes()
        self._check_rank(x)
        nd = len(self.window_size_nd)
        spatial = x.shape[-nd:]
        geometry = self._geometry(spatial)
        out = [length for length, _, _ in geometry]
        self._check_lengths(spatial, out)
        if self.type != PoolingType.MAX and self.average_count_excludes_padding:
            # A window entirely in padding would divide by zero; TensorRT rejects it upfront.
            for (_, pre, post), window in zip(geometry, self.window_size_nd):
                if max(pre, post) >= window:
                    raise self.fail(f"the padding size ({pre}, {post}) is larger than or equal "
                                    f"to the filter size {window} for exclusive-counting "
                                    "pooling")
        return [TensorInfo(x.shape[:-nd] + tuple(out), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, nd = ins[0], len(self.window_size_nd)
        geometry = self._geometry(x.shape[-nd:])
        out = (*x.shape[:-nd], *(length for length, _, _ in geometry))
        if 0 in out:  # torch refuses empty pooling outputs
            return [torch.zeros(out, dtype=x.dtype)]
        pads = [(pre, post) for _, pre, post in geometry]
        batched, lead = as_batched(to_compute(x), nd + 1)
        kind, b = self.type, self.blend_factor
        if kind == PoolingType.MAX:
            y = self._max(batched, pads)
        elif kind == PoolingType.AVERAGE:
            y = self._average(batched, pads)
        else:
            y = (1 - b) * self._max(batched, pads) + b * self._average(batched, pads)
        return [from_compute(from_batched(y, lead), x.dtype)]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """Max pooling, and average pooling with its divisors counted once for the shapes."""
        x, nd = ins[0], len(self.window_size_nd)
        geometry = self._geometry(x.shape[-nd:])
        if 0 in outs[0].shape or self.type == PoolingType.MAX_AVERAGE_BLEND:
            return self.execute
        pads = [(pre, post) for _, pre, post in geometry]
        batched = None if x.rank == nd + 2 else (-1, *x.shape[-nd - 1:])
        out = outs[0].shape
        if self.type == PoolingType.MAX:
            def pool(v: torch.Tensor) -> torch.Tensor:
                return self._max(v, pads)
        else:
            window, stride = self.window_size_nd, self.stride_nd
            count = _window_sum(self._count_mask(pads, x.shape[-nd:]), window, stride)
            count = count.clamp(min=1)

            def pool(v: torch.Tensor) -> torch.Tensor:
                return _window_sum(pad_spatial(v, pads), window, stride) / count

        def run(ins: list[Any]) -> list[torch.Tensor]:
            v = to_compute(ins[0])
            y = pool(v if batched is None else v.reshape(batched))
            return [from_compute(y if batched is None else y.reshape(out), ins[0].dtype)]

        return run

    def _max(self, x: torch.Tensor, pads: list[tuple[int, int]]) -> torch.Tensor:
        window, stride = tuple(self.window_size_nd), tuple(self.stride_nd)
        if all(pre == post >= 0 and 2 * pre <= k for (pre, post), k in zip(pads, window)):
            # torch pads with -inf itself (it allows up to half the window): no padded copy
            return _MAX_POOL[len(pads)](x, window, stride, tuple(pre for pre, _ in pads))
        padded = pad_spatial(x, pads, -math.inf)
        return _MAX_POOL[len(pads)](padded, window, stride)

    def _average(self, x: torch.Tensor, pads: list[tuple[int, int]]) -> torch.Tensor:
        window, stride = self.window_size_nd, self.stride_nd
        total = _window_sum(pad_spatial(x, pads), window, stride)
        count = _window_sum(self._count_mask(pads, x.shape[2:]), window, stride)
        return total / count.clamp(min=1)

    def _count_mask(self, pads: list[tuple[int, int]], size: Sequence[int]) -> torch.Tensor:
        """[1, 1, *padded extent]: 1 where an average counts an element of the padded input."""
        counted = [(0, 0)] * len(pads)
        if not self.average_count_excludes_padding:
            counted = pads
            if self.padding_mode == PaddingMode.EXPLICIT_ROUND_UP:  # its extra room: not counted
                counted = [(pre, min(post, explicit))
                           for (pre, post), explicit in zip(pads, self.post_padding)]
        mask = torch.ones(())
        for (pre, post), (counted_pre, counted_post), length in zip(pads, counted, size):
            axis = torch.zeros(pre + length + post)
            axis[pre - counted_pre:pre + length + counted_post] = 1
            mask = mask[..., None] * axis
        return mask[None, None]


@_method
def add_pooling_nd(self: Any, input: ITensor, type: PoolingType, window_size: Any
                   ) -> IPoolingLayer:
    window = as_dims(window_size, "window_size")
    if len(window) not in (2, 3) or any(d < 1 for d in window):
        # TensorRT returns None here: only 2-D and 3-D pooling exist.
        raise ValueError(f"add_pooling_nd: window_size must have 2 or 3 dimensions >= 1, got "
                         f"{tuple(window)}")
    kind = coerce_enum(PoolingType, type, "PoolingType")
    layer = add_layer(self, IPoolingLayer, "add_pooling_nd",
                      {"input": input, "type": kind, "window_size": window}, [input])
    set_initial(layer, type=kind, window_size_nd=window)
    return layer
