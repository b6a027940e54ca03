"""Helpers converters share: constants, casts, rank broadcasting, dtype promotion, axes and
shape-tensor arithmetic. Converters compose these instead of repeating TensorRT plumbing."""

from . import arith, compute, reductions, spatial
from .axes import axes_mask, normalize_dim, normalize_dims, varargs
from .broadcast import binary, broadcast_rank, promote, to_rank
from .constants import cast, constant, scalar_like, storable_dtype
from .layout import (
    broadcast_dims,
    dim_as_tensor,
    dim_of,
    dim_op,
    expand_to,
    full,
    iota,
    permute,
    reshape_to,
    slice_axis,
    slice_tensor,
)
from .matmul import matmul
from .padding import pad, pad_axes
from .pooling import adaptive_pool
from .shapes import dims_of, is_dynamic, reshape, shape_of, shape_tensor, static_shape

__all__ = [
    "arith", "compute", "reductions", "spatial",
    "axes_mask", "normalize_dim", "normalize_dims", "varargs",
    "binary", "broadcast_rank", "promote", "to_rank",
    "cast", "constant", "scalar_like", "storable_dtype",
    "broadcast_dims", "dim_as_tensor", "dim_of", "dim_op", "expand_to", "full", "iota",
    "permute", "reshape_to", "slice_axis", "slice_tensor", "matmul", "pad", "pad_axes",
    "adaptive_pool",
    "dims_of", "is_dynamic", "reshape", "shape_of", "shape_tensor", "static_shape",
]
