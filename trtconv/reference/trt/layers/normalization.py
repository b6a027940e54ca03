"""INormalizationLayer: layer, instance and group normalization.

y = (x - mean) / sqrt(var + epsilon) * scale + bias, with the mean and the biased variance
taken over the `axes` bitmask. With num_groups G > 1 the channel axis 1 is split into G groups
and each group is normalized over its channels and the axes after them (which `axes` must name,
exactly). scale and bias have the input's rank and type, each dimension 1 or the input's; for
groups, their channel dimension is C with `add_normalization_v2` and G with the deprecated
`add_normalization` (which then scales each group as a whole).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, Prop, TensorInfo, add_layer, float_prop
from ..core import network_method as _method
from ..enums import LayerType
from ._common import check_dtype, check_same_dtype, from_compute, init_prop, set_initial, to_compute


def _positive(value: Any) -> int:
    value = int(value)
    if value < 1:
        raise ValueError(f"num_groups must be >= 1, got {value}")
    return value


class INormalizationLayer(ILayer):
    """Normalization over a bitmask of axes; `is_v2` tells which add_* made it."""

    layer_type = LayerType.NORMALIZATION
    axes = init_prop(coerce=int)
    epsilon = float_prop(1e-5)
    num_groups = Prop(1, _positive)

    @property
    def is_v2(self) -> bool:
        return self._ctor == "add_normalization_v2"

    def _reduced_axes(self, rank: int) -> list[int]:
        mask = self.axes
        if mask == 0:
            raise self.fail("no dimensions specified by axes")
        if mask < 0 or mask >> rank:
            raise self.fail(f"axes bitmask {mask:#b} names a dimension beyond rank {rank}")
        axes = [i for i in range(rank) if mask >> i & 1]
        if self.num_groups != 1 and axes != list(range(2, rank)):
            raise self.fail(f"with num_groups != 1 the axes must be exactly 2..{rank - 1} "
                            f"(after the channel axis), got {axes}")
        return axes

    def _channel_width(self, x: TensorInfo) -> int:
        """The channel dimension scale/bias may have besides 1 (G for v1 groups, else C)."""
        groups = self.num_groups
        if groups == 1:
            return x.shape[1] if x.rank > 1 else -1
        if x.shape[1] >= 0 and x.shape[1] % groups:
            raise self.fail(f"group count {groups} must divide input channel count "
                            f"{x.shape[1]}")
        return x.shape[1] if self.is_v2 else groups

    def _check_affine(self, x: TensorInfo, t: TensorInfo, what: str) -> None:
        check_same_dtype(self, x, t.dtype, what)
        if t.rank != x.rank:
            raise self.fail(f"{what} {t.shape} must have the input's rank {x.rank}")
        wants = list(x.shape)
        if x.rank > 1:
            wants[1] = self._channel_width(x)
        for axis, (have, want) in enumerate(zip(t.shape, wants)):
            if have not in (1, want) and min(have, want) >= 0:
                raise self.fail(f"{what} {t.shape} does not broadcast to the input {x.shape} at "
                                f"axis {axis} (must be 1 or {want})")

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, scale, bias = self.require_inputs(ins, 3)[:3]
        check_dtype(self, x, FLOAT_TYPES)
        self._reduced_axes(x.rank)
        self._check_affine(x, scale, "scale")
        self._check_affine(x, bias, "bias")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = to_compute(ins[0])
        scale, bias = to_compute(ins[1]), to_compute(ins[2])
        axes, groups = self._reduced_axes(x.dim()), self.num_groups
        if groups == 1:
            y = self._normalize(x, axes) * scale + bias
        else:
            # [N, G, C/G, *rest]: each group normalized over its channels and the rest.
            grouped = x.reshape(x.shape[0], groups, -1, *x.shape[2:])
            y = self._normalize(grouped, list(range(2, grouped.dim())))
            if not self.is_v2:  # per-group scale/bias: broadcast over the group's channels
                y = y * scale.unsqueeze(2) + bias.unsqueeze(2)
            y = y.reshape(x.shape)
            if self.is_v2:
                y = y * scale + bias
        return [from_compute(y, ins[0].dtype)]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """Over the trailing axes with scale and bias along those axes only (layer norm):
        torch's fused layer_norm, the same formula in one kernel."""
        x, scale, bias = ins[0], ins[1], ins[2]
        rank = x.rank
        axes = self._reduced_axes(rank)
        lead = rank - len(axes)
        if (self.num_groups != 1 or axes != list(range(lead, rank))
                or any(d != 1 for t in (scale, bias) for d in t.shape[:lead])):
            return self.execute
        normalized, eps = x.shape[lead:], self.epsilon

        def run(ins: list[Any]) -> list[torch.Tensor]:
            weight = to_compute(ins[1]).expand(scale.shape[:lead] + normalized)
            shift = to_compute(ins[2]).expand(bias.shape[:lead] + normalized)
            y = torch.nn.functional.layer_norm(to_compute(ins[0]), normalized,
                                               weight.reshape(normalized),
                                               shift.reshape(normalized), eps)
            return [from_compute(y, ins[0].dtype)]

        return run

    def _normalize(self, x: torch.Tensor, axes: list[int]) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.epsilon)


def _add(network: Any, ctor: str, input: ITensor, scale: ITensor, bias: ITensor,
         axesMask: int) -> INormalizationLayer:
    layer = add_layer(network, INormalizationLayer, ctor, {
        "input": input, "scale": scale, "bias": bias, "axesMask": int(axesMask)},
        [input, scale, bias])
    set_initial(layer, axes=int(axesMask))
    return layer


@_method
def add_normalization(self: Any, input: ITensor, scale: ITensor, bias: ITensor,
                      axesMask: int) -> INormalizationLayer:
    return _add(self, "add_normalization", input, scale, bias, axesMask)


@_method
def add_normalization_v2(self: Any, input: ITensor, scale: ITensor, bias: ITensor,
                         axesMask: int) -> INormalizationLayer:
    return _add(self, "add_normalization_v2", input, scale, bias, axesMask)
