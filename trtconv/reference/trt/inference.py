"""What shape/type inference knows about a tensor (`TensorInfo`), the error a layer raises for
what TensorRT rejects (`LayerError`), and the shape arithmetic layer families share."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from .dtypes import trt_dtype
from .enums import DataType

if TYPE_CHECKING:
    from .tensor import ITensor

Value = tuple  # host-known values of a small int tensor, flat, entries int or None


@dataclass(frozen=True)
class TensorInfo:
    """What inference knows about a tensor: shape (-1 unknown), dtype, host value if known.

    `symbols`, when set, runs alongside `value`: for an unknown (None) entry that is a dynamic
    dimension of some tensor, the `DimRef` naming it. TensorRT reasons symbolically, so a
    reshape of `x` to `(x.shape[0], -1)` has a known second dim; a shuffle uses `symbols` to
    cancel such an entry against its own input's dimension. Layers that ignore it lose nothing.
    """

    shape: tuple[int, ...]
    dtype: DataType
    value: Value | None = None
    symbols: tuple[DimRef | None, ...] | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    def known_value(self) -> tuple[int, ...] | None:
        """The host value if every element is known."""
        if self.value is None or any(v is None for v in self.value):
            return None
        return self.value


class LayerError(RuntimeError):
    """A layer that TensorRT would reject; raised by `infer`, reported with the layer's name."""


def volume(shape: Sequence[int]) -> int:
    """Number of elements of a shape, -1 if any dim is unknown."""
    if any(d < 0 for d in shape):
        return -1
    return math.prod(shape)


def broadcast_dims(a: int, b: int, what: str) -> int:
    """TensorRT's per-dimension broadcast of two equal-rank shapes (1 stretches, -1 unknown)."""
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    if a == -1 or b == -1:
        # An unknown dim meets a known one: it must be 1 or equal, so the result is the known
        # one (TensorRT infers (-1) with (5) as 5).
        return max(a, b)
    raise LayerError(f"{what}: dimensions {a} and {b} cannot be broadcast")


def broadcast_shapes(shapes: Sequence[Sequence[int]], what: str) -> tuple[int, ...]:
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        raise LayerError(f"{what}: inputs must have the same rank, got shapes "
                         + " and ".join(str(tuple(s)) for s in shapes))
    out = list(shapes[0])
    for s in shapes[1:]:
        out = [broadcast_dims(a, b, what) for a, b in zip(out, s)]
    return tuple(out)


def normalize_axis(axis: int, rank: int, what: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise LayerError(f"{what}: axis {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


def axes_from_mask(mask: int, rank: int, what: str) -> list[int]:
    if mask < 0 or mask >= (1 << max(rank, 0)) and rank < 32:
        raise LayerError(f"{what}: axes bitmask {mask:#b} names axes beyond rank {rank}")
    return [i for i in range(rank) if mask >> i & 1]


@dataclass(frozen=True)
class DimRef:
    """Dimension `axis` of `tensor`, a dynamic one: an entry of `TensorInfo.symbols`."""

    tensor: ITensor
    axis: int


def moved_value(infos: Sequence[TensorInfo], move: Callable[..., torch.Tensor], limit: int,
                fill: int | None = None) -> tuple[Value | None, tuple | None]:
    """The host value and symbols after a pure data-movement op (slice, gather, concat, ...).

    `move` gets one tensor of element positions per input (numbered across all inputs) and
    moves them as the op moves data; a negative position in its result stands for `fill`.
    Unknown entries stay unknown. (None, None) if an input has no value or the result is over
    `limit`.
    """
    if any(i.value is None or volume(i.shape) < 0 for i in infos):
        return None, None
    flat: list[int | None] = []
    refs: list[DimRef | None] = []
    positions = []
    for info in infos:
        n = volume(info.shape)
        positions.append(torch.arange(len(flat), len(flat) + n).reshape(info.shape))
        flat.extend(info.value)  # type: ignore[arg-type]
        refs.extend(info.symbols or (None,) * n)
    moved = move(*positions).reshape(-1).tolist()
    if len(moved) > limit:
        return None, None
    value = tuple(flat[p] if p >= 0 else fill for p in moved)
    symbols = tuple(refs[p] if p >= 0 else None for p in moved)
    return value, (symbols if any(symbols) else None)


def host_info(t: torch.Tensor, with_value: bool = True) -> TensorInfo:
    """The `TensorInfo` of a run-time tensor, with its values (for shape-tensor inputs read by
    `execute` through the same checks as `infer`)."""
    value = tuple(int(v) for v in t.reshape(-1).tolist()) if with_value else None
    return TensorInfo(tuple(t.shape), trt_dtype(t.dtype), value)
