"""IReverseSequenceLayer: per batch entry, reverse the first `sequence_lens[b]` elements.

The input has rank >= 2; `batch_axis` (default 1) and `sequence_axis` (default 0) are distinct
non-negative axes (the real setters refuse negative or out-of-range values and keep the old
one; the reference keeps the value and rejects the layer, so the mistake is not silent).
`sequence_lens` is a 1-D INT32/INT64 tensor with one length per batch entry; lengths are
clamped to [0, sequence length]. The output has the input's shape and type.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import ILayer, ITensor, TensorInfo, add_layer, int_prop
from ..core import network_method as _method
from ..enums import DataType, LayerType


class IReverseSequenceLayer(ILayer):
    layer_type = LayerType.REVERSE_SEQUENCE
    batch_axis = int_prop(1)
    sequence_axis = int_prop(0)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, lens = self.require_inputs(ins, 2)[:2]
        if x.rank < 2:
            raise self.fail(f"the input must have rank >= 2, got {x.rank}")
        if lens.rank != 1:
            raise self.fail(f"sequence_lens must be 1-D, got shape {lens.shape}")
        if lens.dtype not in (DataType.INT32, DataType.INT64):
            raise self.fail(f"sequence_lens has type {lens.dtype.name} but must be INT32 or "
                            "INT64")
        for name in ("batch_axis", "sequence_axis"):
            axis = getattr(self, name)
            if not 0 <= axis < x.rank:
                raise self.fail(f"{name} {axis} must be in [0, {x.rank}) (TensorRT ignores such "
                                "a value and keeps the previous one)")
        if self.batch_axis == self.sequence_axis:
            raise self.fail(f"batch_axis and sequence_axis cannot be the same, both are "
                            f"{self.batch_axis}")
        batch, count = x.shape[self.batch_axis], lens.shape[0]
        if batch >= 0 and count >= 0 and batch != count:
            raise self.fail(f"sequence_lens has {count} entries but the batch dimension "
                            f"{self.batch_axis} is {batch}")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, lens = ins[0], ins[1].to(torch.int64)
        b_axis, s_axis = self.batch_axis, self.sequence_axis
        steps = x.shape[s_axis]
        lens = lens.clamp(0, steps)
        position = torch.arange(steps, dtype=torch.int64)
        # source[b, t] = lens[b] - 1 - t for t < lens[b], else t
        source = torch.where(position < lens[:, None], lens[:, None] - 1 - position, position)
        shape = [1] * x.dim()
        shape[b_axis], shape[s_axis] = source.shape[0], steps
        if b_axis > s_axis:
            source = source.t()
        index = source.reshape(shape).expand(x.shape)
        return [torch.gather(x, s_axis, index)]


@_method
def add_reverse_sequence(self: Any, input: ITensor,
                         sequence_lens: ITensor) -> IReverseSequenceLayer:
    return add_layer(self, IReverseSequenceLayer, "add_reverse_sequence",
                     {"input": input, "sequence_lens": sequence_lens}, [input, sequence_lens])
