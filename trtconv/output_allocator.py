"""Outputs sized after execution: an `IOutputAllocator` that hands TensorRT torch memory.

An engine output whose shape depends on the data (the indices of `torch.nonzero`, the rows
`x[mask]` selects, what NMS keeps) has -1 dims in `get_tensor_shape` even once every input
shape is set. `TRTModule` gives each such output one `TorchOutputAllocator`: at every
execution TensorRT asks it for the exact number of bytes (`reallocate_output_async`), writes
the output there and reports the shape (`notify_shape`); `take` then returns the tensor. Each
execution gets new memory, so a returned tensor is never overwritten by the next call.

>>> import torch
>>> from trtconv.reference import trt
>>> allocator = output_allocator_class(trt)(torch.device("cpu"))
>>> address = allocator.reallocate_output("y", 0, 12, 256)
>>> allocator.notify_shape("y", trt.Dims((3,)))
>>> allocator.take(torch.int32).shape
torch.Size([3])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import torch

_CLASSES: dict[str, type] = {}


def output_allocator_class(trt: ModuleType) -> type:
    """The allocator class for module `trt` (made once per module: it must subclass that
    module's own `IOutputAllocator`)."""
    cls = _CLASSES.get(trt.__name__)
    if cls is None:
        cls = _make_class(trt)
        _CLASSES[trt.__name__] = cls
    return cls


def _make_class(trt: ModuleType) -> type:
    base: Any = trt.IOutputAllocator

    class TorchOutputAllocator(base):  # type: ignore[misc, valid-type]
        """Allocates each output as a new uint8 torch tensor on `device`."""

        def __init__(self, device: torch.device) -> None:
            base.__init__(self)
            self.device = device
            self.buffer: torch.Tensor | None = None
            self.shape: tuple[int, ...] | None = None

        def reallocate_output(self, tensor_name: str, memory: int, size: int,
                              alignment: int) -> int:
            self.buffer = torch.empty(int(size), dtype=torch.uint8, device=self.device)
            self.shape = None
            return self.buffer.data_ptr()

        def reallocate_output_async(self, tensor_name: str, memory: int, size: int,
                                    alignment: int, stream: int) -> int:
            return self.reallocate_output(tensor_name, memory, size, alignment)

        def notify_shape(self, tensor_name: str, shape: Sequence[int]) -> None:
            self.shape = tuple(int(d) for d in shape)

        def take(self, dtype: torch.dtype) -> torch.Tensor:
            """The output the last execution wrote, as a `dtype` tensor (the allocator lets
            go of it)."""
            if self.buffer is None or self.shape is None:
                raise RuntimeError("the engine did not write this data-dependent output")
            nbytes = math.prod(self.shape) * dtype.itemsize
            result = self.buffer[:nbytes].view(dtype).view(self.shape)
            self.buffer, self.shape = None, None
            return result

    return TorchOutputAllocator
