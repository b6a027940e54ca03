"""Data-dependent selection: the indices of non-zero elements (TensorRT's non-zero layer),
whose count, and so the size of everything computed from them, is known only at run time.

The count is never read on the host while tracing: it stays a -1 dim of the network, and the
engine's outputs that carry it are sized after execution (see trtconv/output_allocator.py).
"""

from __future__ import annotations

import torch

from ..reference import trt
from .arith import nonzero as truth
from .constants import cast
from .layout import slice_tensor
from .shapes import reshape

# The types the non-zero layer reads; others are tested against zero first.
_NON_ZERO_TYPES = frozenset({trt.DataType.FLOAT, trt.DataType.HALF, trt.DataType.BF16,
                             trt.DataType.INT32, trt.DataType.INT64, trt.DataType.BOOL})


def nonzero_indices(network: trt.INetworkDefinition, x: trt.ITensor) -> trt.ITensor:
    """The (rank, count) INT64 coordinates of `x`'s non-zero elements (NaN counts), in
    row-major order, as torch.nonzero(x).T."""
    if x.dtype not in _NON_ZERO_TYPES:
        x = truth(network, cast(network, x, torch.int32))
    return network.add_non_zero(x, trt.DataType.INT64).get_output(0)


def flat_nonzero(network: trt.INetworkDefinition, mask: trt.ITensor) -> trt.ITensor:
    """The 1-D INT64 positions of the non-zero elements of `mask` read in row-major order
    (one gather index into the flattened data the mask covers)."""
    flat = reshape(network, mask, [-1]) if len(mask.shape) != 1 else mask
    return reshape(network, nonzero_indices(network, flat), [-1])


def row(network: trt.INetworkDefinition, indices: trt.ITensor, k: int) -> trt.ITensor:
    """Row `k` of a (rank, count) index tensor, as a 1-D tensor of `count` elements."""
    return reshape(network, slice_tensor(network, indices, [k, 0], [1, None], [1, 1]), [-1])
