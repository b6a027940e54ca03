"""Padding with torch.nn.functional.pad's semantics, as one slice layer.

A slice that starts before the data and ends after it reads outside the input; its
`SampleMode` says what it reads there: FILL (a constant), REFLECT, CLAMP (replicate) or WRAP
(circular). Negative pads start inside the data or end before its end: they crop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..reference import trt
from .constants import constant
from .layout import dim_op
from .shapes import dims_of, shape_tensor

S = trt.SampleMode
E = trt.ElementWiseOperation

PAD_MODES = {"constant": S.FILL, "reflect": S.REFLECT, "replicate": S.CLAMP,
             "circular": S.WRAP}


def torch_pads(pad: Sequence[int], rank: int) -> list[tuple[int, int]]:
    """F.pad's flat `pad` (pairs from the last axis backwards) as (before, after) per axis."""
    if len(pad) % 2 or len(pad) // 2 > rank:
        raise ValueError(f"padding {tuple(pad)} does not fit a tensor of rank {rank}")
    pairs = [(0, 0)] * rank
    for i in range(len(pad) // 2):
        pairs[rank - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


def pad_axes(network: Any, tensor: Any, pairs: Sequence[tuple[int, int]],
             mode: str = "constant", value: float | int | bool = 0) -> Any:
    """`tensor` padded by (before, after) on every axis (negative: cropped), reading `value`
    (mode "constant"), the mirrored data without the edge ("reflect"), the edge
    ("replicate") or the other end ("circular") outside it."""
    if mode not in PAD_MODES:
        raise ValueError(f"unknown padding mode {mode!r}")
    if all(p == (0, 0) for p in pairs):
        return tensor
    dims = dims_of(network, tensor)
    size = [dim_op(network, d, before + after, E.SUM) for d, (before, after) in zip(dims, pairs)]
    start = tuple(-before for before, _ in pairs)
    fill = None
    if mode == "constant" and value != 0:
        fill = constant(network, torch.tensor(value, dtype=trt.torch_dtype(tensor.dtype)))
    static = not any(isinstance(d, trt.ITensor) for d in size)
    # A layer's inputs come from earlier layers: the shape tensor first.
    size_tensor = None if static else shape_tensor(network, size)
    layer = network.add_slice(tensor, start, tuple(size) if static else start, (1,) * len(start))
    if size_tensor is not None:
        layer.set_input(2, size_tensor)
    layer.mode = PAD_MODES[mode]
    if fill is not None:
        layer.set_input(4, fill)  # the fill value: a 0-d tensor of the data's dtype
    return layer.get_output(0)


def pad(network: Any, tensor: Any, pad: Sequence[int], mode: str = "constant",
        value: float | int | bool = 0) -> Any:
    """`torch.nn.functional.pad(tensor, pad, mode, value)` for an ITensor."""
    return pad_axes(network, tensor, torch_pads(pad, len(tensor.shape)), mode, value)
