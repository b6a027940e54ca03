"""IConcatenationLayer: equal-rank, equal-type inputs joined along one axis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, known_rank, moved_value
from ..core import network_method as _method
from ..enums import LayerType
from ._common import init_prop, set_initial
from .constant import MAX_HOST_VALUE

MAX_DIMS = 8


def _axis(value: Any) -> int:
    # TensorRT's setter refuses (and ignores) axes outside [0, MAX_DIMS): negative axes are not
    # counted from the end. Refusing loudly beats silently keeping the old axis.
    axis = int(value)
    if not 0 <= axis < MAX_DIMS:
        raise ValueError(f"axis must be in [0, {MAX_DIMS}) (no negative axes), got {axis}")
    return axis


def default_axis(rank: int) -> int:
    """TensorRT's default axis for a new layer: the channel axis of (N)CHW-style inputs."""
    return max(rank - 3, 0)


def _merge(a: int, b: int) -> int | None:
    """Two inputs' sizes of a non-concatenated axis: equal, or one unknown (the other wins)."""
    if a == b or b == -1:
        return a
    if a == -1:
        return b
    return None


class IConcatenationLayer(ILayer):
    """Concatenation of any number of inputs along `axis`; carries host values of shape tensors."""

    layer_type = LayerType.CONCATENATION
    axis = init_prop(0, _axis)

    def max_inputs(self) -> int:
        return len(self._inputs) - 1

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        if not ins:
            raise self.fail("needs at least one input")
        xs = self.require_inputs(ins, len(ins))
        first, axis = xs[0], self.axis
        for i, x in enumerate(xs[1:], 1):
            if x.dtype != first.dtype:
                raise self.fail(f"inputs must all be of the same type: input {i} is "
                                f"{x.dtype.name}, input 0 is {first.dtype.name}")
            if x.rank != first.rank:
                raise self.fail(f"inputs must have the same rank: input {i} has shape "
                                f"{x.shape}, input 0 has {first.shape}")
        if not axis < first.rank:
            raise self.fail(f"axis {axis} is out of range for rank {first.rank}")
        shape = list(first.shape)
        for i, x in enumerate(xs[1:], 1):
            for d, size in enumerate(x.shape):
                if d == axis:
                    shape[d] = -1 if -1 in (shape[d], size) else shape[d] + size
                    continue
                merged = _merge(shape[d], size)
                if merged is None:
                    raise self.fail(f"all inputs must have the same dimensions except on the "
                                    f"concatenation axis ({axis}): input {i} has shape "
                                    f"{x.shape}, input 0 has {first.shape}")
                shape[d] = merged
        value, symbols = moved_value(xs, lambda *p: torch.cat(p, axis), MAX_HOST_VALUE)
        return [TensorInfo(tuple(shape), first.dtype, value, symbols)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [torch.cat(ins, self.axis)]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        axis = self.axis
        return lambda ins: [torch.cat(ins, axis)]


@_method
def add_concatenation(self: Any, inputs: list[ITensor]) -> IConcatenationLayer:
    inputs = list(inputs)
    layer = add_layer(self, IConcatenationLayer, "add_concatenation", {"inputs": inputs}, inputs)
    rank = known_rank(inputs[0]) if inputs else None
    if rank is not None:
        set_initial(layer, axis=default_axis(rank))  # the replayed call does the same
    return layer
