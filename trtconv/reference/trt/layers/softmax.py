"""ISoftMaxLayer: softmax along the one axis named by the `axes` bitmask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer, known_rank
from ..core import network_method as _method
from ..enums import LayerType
from ._common import init_prop, set_initial


def _one_axis(value: Any) -> int:
    # TensorRT's setter refuses (and ignores) masks that do not name exactly one axis.
    mask = int(value)
    if mask <= 0 or mask & (mask - 1):
        raise ValueError(f"axes must have exactly one bit set, got {mask:#b}")
    return mask


def default_axes(rank: int) -> int:
    """TensorRT's default for a new layer: the channel axis of (N)CHW-style inputs."""
    return 1 << max(rank - 3, 0)


class ISoftMaxLayer(ILayer):
    """Softmax of a float tensor of rank >= 2 along axis log2(axes)."""

    layer_type = LayerType.SOFTMAX
    axes = init_prop(1, _one_axis)

    def _axis(self) -> int:
        return self.axes.bit_length() - 1

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        (x,) = self.require_inputs(ins, 1)[:1]
        if x.dtype not in FLOAT_TYPES:
            raise self.fail(f"input has type {x.dtype.name} but must be FLOAT, HALF or BF16")
        if x.rank < 2:
            raise self.fail(f"at least 2 dimensions are required for input, got {x.shape}")
        if self._axis() >= x.rank:
            raise self.fail(f"softmax axis ({self._axis()}) is beyond the input's rank "
                            f"{x.rank}")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [torch.softmax(ins[0], self._axis())]

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        axis = self._axis()
        return lambda ins: [torch.softmax(ins[0], axis)]


@_method
def add_softmax(self: Any, input: ITensor) -> ISoftMaxLayer:
    layer = add_layer(self, ISoftMaxLayer, "add_softmax", {"input": input}, [input])
    rank = known_rank(input)
    if rank is not None:
        set_initial(layer, axes=default_axes(rank))  # the replayed add_softmax does the same
    return layer
