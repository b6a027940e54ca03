"""Padding with torch.nn.functional.pad's semantics, as one slice layer.

A slice that starts before the data and ends after it reads outside the input; its
`SampleMode` says what it reads there: FILL (a constant), REFLECT, CLAMP (replicate) or WRAP
(circular). Negative pads start inside the data or end before its end: they crop.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..api import Dim, E, ITensor, Network, Number
from ..reference import trt
from .constants import constant
from .layout import dim_op
from .shapes import dims_of, is_dynamic, shape_tensor

S = trt.SampleMode

PAD_MODES = {"constant": S.FILL, "reflect": S.REFLECT, "replicate": S.CLAMP,
             "circular": S.WRAP}


def torch_pads(pad: Sequence[Dim], rank: int) -> list[tuple[Dim, Dim]]:
    """F.pad's flat `pad` (pairs from the last axis backwards) as (before, after) per axis;
    sizes read off traced tensors (DimInts) stay dynamic."""
    if len(pad) % 2 or len(pad) // 2 > rank:
        raise ValueError(f"padding {tuple(pad)} does not fit a tensor of rank {rank}")
    pairs: list[tuple[Dim, Dim]] = [(0, 0)] * rank
    for i in range(len(pad) // 2):
        pairs[rank - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pairs


def _is_zero(d: Dim) -> bool:
    return not is_dynamic(d) and int(d) == 0


def pad_axes(network: Network, tensor: ITensor, pairs: Sequence[tuple[Dim, Dim]],
             mode: str = "constant", value: Number = 0) -> ITensor:
    """`tensor` padded by (before, after) on every axis (negative: cropped), reading `value`
    (mode "constant"), the mirrored data without the edge ("reflect"), the edge
    ("replicate") or the other end ("circular") outside it. Pads may be dynamic dims."""
    if mode not in PAD_MODES:
        raise ValueError(f"unknown padding mode {mode!r}")
    if all(_is_zero(before) and _is_zero(after) for before, after in pairs):
        return tensor
    dims = dims_of(network, tensor)
    size = [dim_op(network, dim_op(network, d, before, E.SUM), after, E.SUM)
            for d, (before, after) in zip(dims, pairs)]
    start = [dim_op(network, 0, before, E.SUB) for before, _ in pairs]
    fill = None
    if mode == "constant" and value != 0:
        fill = constant(network, torch.tensor(value, dtype=trt.torch_dtype(tensor.dtype)))
    # A layer's inputs come from earlier layers: the shape tensors first.
    start_tensor = shape_tensor(network, start) if any(map(is_dynamic, start)) else None
    size_tensor = shape_tensor(network, size) if any(map(is_dynamic, size)) else None
    rank = len(start)
    layer = network.add_slice(tensor, (0,) * rank if start_tensor else tuple(start),
                              (0,) * rank if size_tensor else tuple(size), (1,) * rank)
    if start_tensor is not None:
        layer.set_input(1, start_tensor)
    if size_tensor is not None:
        layer.set_input(2, size_tensor)
    layer.mode = PAD_MODES[mode]
    if fill is not None:
        layer.set_input(4, fill)  # the fill value: a 0-d tensor of the data's dtype
    return layer.get_output(0)


def pad(network: Network, tensor: ITensor, pad: Sequence[Dim], mode: str = "constant",
        value: Number = 0) -> ITensor:
    """`torch.nn.functional.pad(tensor, pad, mode, value)` for an ITensor."""
    return pad_axes(network, tensor, torch_pads(pad, len(tensor.shape)), mode, value)
