"""Reductions over axes: reduce layers with torch's dim/keepdim conventions, NaN-propagating
max/min, top-k with int64 indices, and vector norms."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from ..api import Dim, E, ITensor, Network, R, U
from ..reference import trt
from .arith import const, elementwise, identity, is_float, nonzero, select, unary
from .axes import axes_mask, normalize_dims
from .broadcast import to_rank
from .constants import cast
from .layout import dim_as_tensor, dim_op
from .shapes import dims_of, is_dynamic, reshape

# TensorRT's top-k layer handles at most this many elements per reduction.
MAX_TOPK = 3840

Dims = int | Iterable[int] | None


def reduce(network: Network, x: ITensor, op: R, dims: Dims, keepdim: bool) -> ITensor:
    """`op` over `dims` (None: all axes) like torch's reductions; a 0-d input is copied."""
    rank = len(x.shape)
    mask = axes_mask(dims, rank)
    if rank == 0 or mask == 0:
        return identity(network, x)
    return network.add_reduce(x, op, mask, keepdim).get_output(0)


def any_true(network: Network, mask: ITensor, dims: Dims, keepdim: bool) -> ITensor:
    """Bool reduction: is any element of the BOOL `mask` true over `dims`."""
    as_int = cast(network, mask, torch.int32)
    return cast(network, reduce(network, as_int, R.MAX, dims, keepdim), torch.bool)


def all_true(network: Network, mask: ITensor, dims: Dims, keepdim: bool) -> ITensor:
    """Bool reduction: are all elements of the BOOL `mask` true over `dims`."""
    as_int = cast(network, mask, torch.int32)
    return cast(network, reduce(network, as_int, R.MIN, dims, keepdim), torch.bool)


def reduce_extremum(network: Network, x: ITensor, largest: bool, dims: Dims, keepdim: bool
                    ) -> ITensor:
    """max/min over `dims`; a NaN anywhere in a reduced slice makes its result NaN (torch).
    BOOL inputs reduce as INT32 (TensorRT reduces no BOOLs)."""
    if x.dtype == trt.DataType.BOOL:
        as_int = cast(network, x, torch.int32)
        return cast(network, reduce_extremum(network, as_int, largest, dims, keepdim), torch.bool)
    values = reduce(network, x, R.MAX if largest else R.MIN, dims, keepdim)
    return nan_if_any(network, x, values, dims, keepdim)


def nan_if_any(network: Network, x: ITensor, values: ITensor, dims: Dims, keepdim: bool) -> ITensor:
    """`values` (a reduction of `x` over `dims`) with NaN where the reduced slice of `x` holds
    a NaN."""
    if not is_float(x):
        return values
    has_nan = any_true(network, unary(network, x, U.ISNAN), dims, keepdim)
    return select(network, has_nan, const(network, math.nan, values), values)


def nan_ranked(network: Network, x: ITensor, nan_is_largest: bool) -> ITensor:
    """Ranking keys for `x` that order NaN as torch does: NaN becomes +inf (-inf when not
    `nan_is_largest`) and a genuine +inf (-inf) the largest finite value, so NaN still ranks
    strictly beyond it. Only a slice holding both inf and the largest finite value ties."""
    if not is_float(x):
        return x
    limit = math.inf if nan_is_largest else -math.inf
    finite = torch.finfo(trt.torch_dtype(x.dtype)).max * (1 if nan_is_largest else -1)
    is_limit = elementwise(network, x, const(network, limit, x), E.EQUAL)
    keys = select(network, is_limit, const(network, finite, x), x)
    return select(network, unary(network, x, U.ISNAN), const(network, limit, x), keys)


def _drop_leading(network: Network, x: ITensor, count: int) -> ITensor:
    return reshape(network, x, dims_of(network, x)[count:]) if count else x


def topk(network: Network, x: ITensor, k: Dim, axis: int, largest: bool,
         nan_is_largest: bool = True) -> tuple[ITensor, ITensor]:
    """Values and INT64 indices of the `k` largest (or smallest) along `axis`, sorted.

    NaN ranks above every number (below, with `nan_is_largest=False`) and the values are read
    back from `x`, so NaNs come out as NaN. BOOL inputs rank as INT32 (top-k takes no BOOL);
    inputs of rank < 2 get leading size-1 dims (top-k needs two). Raises ValueError when a
    static `k` exceeds TensorRT's limit; a dynamic one (a DimInt or (1,) INT64 tensor) is the
    layer's k input, which the engine checks against the limit when it runs.
    """
    if not is_dynamic(k) and k > MAX_TOPK:
        raise ValueError(f"top-k of {k} elements exceeds TensorRT's limit of {MAX_TOPK}")
    lifted = max(0, 2 - len(x.shape))
    data = to_rank(network, x, 2)  # top-k needs two dims
    axis += lifted
    source = cast(network, data, torch.int32) if data.dtype == trt.DataType.BOOL else data
    source = nan_ranked(network, source, nan_is_largest)
    op = trt.TopKOperation.MAX if largest else trt.TopKOperation.MIN
    k_input = reshape(network, dim_as_tensor(network, k), []) if is_dynamic(k) else None
    layer = network.add_topk(source, op, 1 if k_input is not None else k, 1 << axis,
                             trt.DataType.INT64)
    if k_input is not None:
        layer.set_input(1, k_input)
    indices = layer.get_output(1)
    if is_float(data):
        gather = network.add_gather_v2(data, indices, trt.GatherMode.ELEMENT)
        gather.axis = axis
        values = gather.get_output(0)
    else:
        values = cast(network, layer.get_output(0), data.dtype)
    return _drop_leading(network, values, lifted), _drop_leading(network, indices, lifted)


def vector_norm(network: Network, x: ITensor, ord: float, dims: Dims, keepdim: bool) -> ITensor:
    """torch.linalg.vector_norm of a float ITensor: 2, 1, inf, -inf, 0 and any other p."""
    magnitude = unary(network, x, U.ABS)
    if ord == 2:
        squares = elementwise(network, x, x, E.PROD)
        return unary(network, reduce(network, squares, R.SUM, dims, keepdim), U.SQRT)
    if ord == 1:
        return reduce(network, magnitude, R.SUM, dims, keepdim)
    if ord == math.inf or ord == -math.inf:
        return reduce_extremum(network, magnitude, ord > 0, dims, keepdim)
    if ord == 0:
        count = cast(network, nonzero(network, x), trt.torch_dtype(x.dtype))
        return reduce(network, count, R.SUM, dims, keepdim)
    powered = elementwise(network, magnitude, const(network, ord, x), E.POW)
    total = reduce(network, powered, R.SUM, dims, keepdim)
    return elementwise(network, total, const(network, 1.0 / ord, total), E.POW)


def reduced_count_tensor(network: Network, x: ITensor, dims: Dims, like: ITensor) -> ITensor:
    """How many elements each reduction of `x` over `dims` sees, computed in the network from
    its run-time shape: a one-element tensor of `like`'s dtype that broadcasts against it."""
    shape = dims_of(network, x)
    count: Dim = 1
    for axis in normalize_dims(dims, len(x.shape)):
        count = dim_op(network, count, shape[axis], E.PROD)
    if not isinstance(count, trt.ITensor):
        return const(network, count, like)
    return cast(network, reshape(network, count, [1] * len(like.shape)),
                trt.torch_dtype(like.dtype))


def reduced_count(shape: tuple[int, ...], dims: Dims) -> int | None:
    """How many elements each reduction over `dims` sees, or None if a reduced dim is
    dynamic."""
    count = 1
    for axis in normalize_dims(dims, len(shape)):
        if shape[axis] < 0:
            return None
        count *= shape[axis]
    return count
