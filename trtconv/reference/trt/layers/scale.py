"""IScaleLayer: y = (x * scale + shift) ^ power with weights per tensor, channel or element.

Empty weights mean scale 1, shift 0, power 1. UNIFORM weights have one value, CHANNEL weights
one per index of `channel_axis`, ELEMENTWISE weights one per element of the axes from
`channel_axis` on. `add_scale` puts the channel axis third from the end (NCHW's C); weights
passed as None are empty weights of the input's type (the binding's default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..core import (
    FLOAT_TYPES,
    ILayer,
    ITensor,
    LayerError,
    TensorInfo,
    Weights,
    add_layer,
    as_weights,
    normalize_axis,
)
from ..core import network_method as _method
from ..enums import LayerType, ScaleMode, coerce_enum
from ._common import (
    check_dtype,
    check_same_dtype,
    from_compute,
    init_prop,
    nonempty_weights,
    set_initial,
    to_compute,
)

_WEIGHTS = ("shift", "scale", "power")


class IScaleLayer(ILayer):
    """Per-tensor, per-channel or per-element affine transform followed by a power."""

    layer_type = LayerType.SCALE
    mode = init_prop(coerce=lambda v: coerce_enum(ScaleMode, v, "ScaleMode"))
    shift = init_prop(coerce=nonempty_weights)
    scale = init_prop(coerce=nonempty_weights)
    power = init_prop(coerce=nonempty_weights)
    channel_axis = init_prop(coerce=int)

    def _weights(self) -> dict[str, Weights]:
        return {name: getattr(self, name) for name in _WEIGHTS}

    def _count(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(the channel axis, how many values non-empty weights need; -1 if unknown)."""
        if self.mode == ScaleMode.UNIFORM:
            return -1, 1
        try:
            axis = normalize_axis(self.channel_axis, len(shape), "channel_axis")
        except LayerError as e:
            raise self.fail(str(e)) from None
        dims = shape[axis:axis + 1] if self.mode == ScaleMode.CHANNEL else shape[axis:]
        return axis, -1 if any(d < 0 for d in dims) else math.prod(dims)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        check_dtype(self, x, FLOAT_TYPES)
        weights = self._weights()
        types = {w.dtype for w in weights.values()}
        if len(types) > 1:
            raise self.fail("shift, scale and power must have the same type, got "
                            + ", ".join(f"{k} {w.dtype.name}" for k, w in weights.items()))
        check_same_dtype(self, x, types.pop(), "weights")
        axis, count = self._count(x.shape)
        shape = list(x.shape)
        for name, w in weights.items():
            if not w.size:
                continue
            if self.mode == ScaleMode.CHANNEL and shape[axis] < 0:
                shape[axis] = count = w.size  # TensorRT takes C from the weights
            if count >= 0 and w.size != count:
                raise self.fail(f"invalid {name} weights: {w.size} values, {self.mode.name} "
                                f"mode needs {count}")
        return [TensorInfo(tuple(shape), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = to_compute(ins[0])
        axis, _ = self._count(tuple(x.shape))
        if (self.mode == ScaleMode.CHANNEL and axis == 1 and self.scale.size
                and self.shift.size and not self.power.size):
            # x * scale + shift over axis 1 in one pass: batch norm's inference kernel with
            # mean 0, variance 1 and eps 0 computes exactly that (twice as fast as addcmul)
            scale, shift, zeros, ones = self._channel_coefficients()
            y = F.batch_norm(x, zeros, ones, scale, shift, False, 0.0, 0.0)
            return [from_compute(y, ins[0].dtype)]
        view = [1] * x.dim() if axis < 0 else [-1] + [1] * (x.dim() - axis - 1)
        if self.mode == ScaleMode.ELEMENTWISE:
            view = list(x.shape[axis:])

        def coefficient(name: str) -> torch.Tensor | None:
            w = getattr(self, name)
            return to_compute(w.tensor).reshape(view) if w.size else None

        scale, shift, power = coefficient("scale"), coefficient("shift"), coefficient("power")
        if scale is not None and shift is not None:
            y = torch.addcmul(shift, x, scale)  # x * scale + shift in one pass
        else:
            y = x if scale is None else x * scale
            y = y if shift is None else y + shift
        y = y if power is None else torch.pow(y, power)
        return [from_compute(y, ins[0].dtype)]


    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """Batch norm's path (CHANNEL scale and shift over axis 1) with its coefficients made
        once; the other modes run `execute`."""
        axis, _ = self._count(ins[0].shape)
        if not (self.mode == ScaleMode.CHANNEL and axis == 1 and self.scale.size
                and self.shift.size and not self.power.size):
            return self.execute
        scale, shift, zeros, ones = self._channel_coefficients()

        def run(ins: list[Any]) -> list[torch.Tensor]:
            y = F.batch_norm(to_compute(ins[0]), zeros, ones, scale, shift, False, 0.0, 0.0)
            return [from_compute(y, ins[0].dtype)]

        return run

    def _channel_coefficients(self) -> tuple[torch.Tensor, ...]:
        """scale, shift, zeros, ones as float32 vectors (made again if the weights change)."""
        weights = (self.scale, self.shift)
        cached = getattr(self, "_channel_cache", None)
        if cached is None or cached[0][0] is not weights[0] or cached[0][1] is not weights[1]:
            scale, shift = (to_compute(w.tensor) for w in weights)
            cached = (weights, (scale, shift, torch.zeros_like(scale), torch.ones_like(scale)))
            self._channel_cache = cached
        return cached[1]


def _add(network: Any, ctor: str, input: ITensor, mode: ScaleMode, given: dict[str, Any],
         channel_axis: int, extra: dict[str, Any]) -> IScaleLayer:
    dtype = input.dtype if isinstance(input, ITensor) else None
    weights = {k: as_weights(v, k) if v is not None else Weights(dtype) for k, v in given.items()}
    if len({w.dtype for w in weights.values()}) > 1:
        # TensorRT returns None here.
        raise ValueError(f"{ctor}: shift, scale and power must have the same type (weights "
                         "left out are empty weights of the input's type)")
    mode = coerce_enum(ScaleMode, mode, "ScaleMode")
    args = {"input": input, "mode": mode}
    args.update({k: None if v is None else weights[k] for k, v in given.items()})
    args.update(extra)
    layer = add_layer(network, IScaleLayer, ctor, args, [input])
    set_initial(layer, mode=mode, channel_axis=channel_axis, **weights)
    return layer


@_method
def add_scale(self: Any, input: ITensor, mode: ScaleMode, shift: Weights | None = None,
              scale: Weights | None = None, power: Weights | None = None) -> IScaleLayer:
    rank = input.info.rank if isinstance(input, ITensor) else 0
    if rank == 1:
        # TensorRT returns None: the default channel axis (rank - 3) is invalid for rank 1.
        raise ValueError("add_scale: a rank-1 input has no valid channel axis; use "
                         "add_scale_nd")
    return _add(self, "add_scale", input, mode,
                {"shift": shift, "scale": scale, "power": power}, rank - 3, {})


@_method
def add_scale_nd(self: Any, input: ITensor, mode: ScaleMode, shift: Weights | None = None,
                 scale: Weights | None = None, power: Weights | None = None,
                 channel_axis: int = 1) -> IScaleLayer:
    return _add(self, "add_scale_nd", input, mode,
                {"shift": shift, "scale": scale, "power": power}, int(channel_axis),
                {"channel_axis": int(channel_axis)})
