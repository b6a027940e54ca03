"""`trtconv.Input`: an input given by its range of shapes instead of an example tensor.

>>> import torch, trtconv
>>> spec = trtconv.Input(min_shape=(1, 3, 32, 32), opt_shape=(4, 3, 32, 32),
...                      max_shape=(16, 3, 32, 32))
>>> spec.example().shape
torch.Size([4, 3, 32, 32])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Input:
    """An input's shape range (one optimization profile) and dtype.

    Dims equal in min and max are static; the others are dynamic in the engine. The trace
    runs on an example of `opt_shape` (random values for float dtypes, zeros otherwise).
    """

    min_shape: Sequence[int]
    opt_shape: Sequence[int]
    max_shape: Sequence[int]
    dtype: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        shapes = [tuple(int(d) for d in s) for s in (self.min_shape, self.opt_shape,
                                                     self.max_shape)]
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(f"Input shapes must have one rank: {shapes}")
        if any(not 0 <= lo <= opt <= hi for lo, opt, hi in zip(*shapes)):
            raise ValueError(f"Input needs 0 <= min <= opt <= max in every dim: {shapes}")
        object.__setattr__(self, "min_shape", shapes[0])
        object.__setattr__(self, "opt_shape", shapes[1])
        object.__setattr__(self, "max_shape", shapes[2])

    def example(self) -> torch.Tensor:
        if self.dtype.is_floating_point:
            return torch.randn(self.opt_shape, dtype=self.dtype)
        return torch.zeros(self.opt_shape, dtype=self.dtype)
