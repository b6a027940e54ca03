"""Helpers converters share: constants, casts, rank broadcasting, dtype promotion, axes and
shape-tensor arithmetic. Converters compose these instead of repeating TensorRT plumbing."""

from . import arith, reductions
from .axes import axes_mask, normalize_dim, normalize_dims
from .broadcast import binary, broadcast_rank, promote, to_rank
from .constants import cast, constant, scalar_like
from .layout import dim_op, expand_to, full, reshape_to, slice_tensor
from .shapes import dims_of, is_dynamic, reshape, shape_of, static_shape

__all__ = [
    "arith", "reductions",
    "axes_mask", "normalize_dim", "normalize_dims",
    "binary", "broadcast_rank", "promote", "to_rank",
    "cast", "constant", "scalar_like",
    "dim_op", "expand_to", "full", "reshape_to", "slice_tensor",
    "dims_of", "is_dynamic", "reshape", "shape_of", "static_shape",
]
