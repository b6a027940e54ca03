"""Normalization: batch_norm, layer_norm, group_norm, instance_norm, normalize and
local_response_norm, with the BatchNorm module forwards.

Statistics over axes run on TensorRT's normalization layer, in float32 for half inputs (torch
accumulates half normalizations in float32 too). Batch norm with running statistics folds into
one multiply and one add per channel, computed in float64 when converting.
"""

from __future__ import annotations

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Ctx, E, Ints, ITensor
from trtconv.registry import register_table

# Normalizations of these dtypes are computed in float32.
_UPCAST = (torch.float16, torch.bfloat16)


def _channel_dims(rank: int, channels: int) -> list[int]:
    """The shape that broadcasts a per-channel vector against an [N, C, ...] tensor."""
    return [1, channels] + [1] * (rank - 2)


def _affine_param(ctx: Ctx, value: torch.Tensor | None, dims: list[int], fill: float,
                  dtype: torch.dtype) -> ITensor:
    """`value` (or `fill` everywhere when None) as an ITensor of shape `dims` and `dtype`."""
    if value is None:
        return ctx.constant(torch.full(dims, fill, dtype=dtype))
    tensor = emit.cast(ctx.network, ctx.trt(value), dtype)
    return emit.reshape(ctx.network, tensor, dims)


def _normalize(ctx: Ctx, x: ITensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
               param_dims: list[int], axes: list[int], eps: float, groups: int = 1) -> ITensor:
    """TensorRT's normalization over `axes` (channel groups when `groups` > 1), scaled and
    shifted by `weight`/`bias` shaped `param_dims`; computed in float32 for half inputs."""
    network = ctx.network
    out_dtype = trt.torch_dtype(x.dtype)
    compute = torch.float32 if out_dtype in _UPCAST else out_dtype
    x = emit.cast(network, x, compute)
    scale = _affine_param(ctx, weight, param_dims, 1.0, compute)
    shift = _affine_param(ctx, bias, param_dims, 0.0, compute)
    add = network.add_normalization_v2 if groups > 1 else network.add_normalization
    layer = add(x, scale, shift, emit.axes_mask(axes, len(x.shape)))
    layer.epsilon = eps
    if groups > 1:
        layer.num_groups = groups
    return emit.cast(network, layer.get_output(0), out_dtype)


def _fold_running_stats(ctx: Ctx, input: torch.Tensor, mean: torch.Tensor, var: torch.Tensor,
                        weight: torch.Tensor | None, bias: torch.Tensor | None,
                        eps: float) -> ITensor:
    """(x - mean) / sqrt(var + eps) * weight + bias as x * scale + shift per channel."""
    if any(ctx.is_traced(t) for t in (mean, var, weight, bias) if t is not None):
        raise ctx.unsupported("running statistics or affine parameters computed in the network")
    x = ctx.trt(input)
    scale = torch.rsqrt(var.detach().double() + eps)
    if weight is not None:
        scale = scale * weight.detach().double()
    shift = -mean.detach().double() * scale
    if bias is not None:
        shift = shift + bias.detach().double()
    dims = _channel_dims(len(x.shape), scale.numel())
    dtype = trt.torch_dtype(x.dtype)
    y = emit.arith.elementwise(ctx.network, x, ctx.constant(scale.to(dtype).reshape(dims)),
                               E.PROD)
    return emit.arith.elementwise(ctx.network, y, ctx.constant(shift.to(dtype).reshape(dims)),
                                  E.SUM)


def _batch_norm(ctx: Ctx, input: torch.Tensor, running_mean: torch.Tensor | None,
                running_var: torch.Tensor | None, weight: torch.Tensor | None,
                bias: torch.Tensor | None, training: bool, eps: float) -> ITensor:
    if not training:
        if running_mean is None or running_var is None:
            raise ctx.unsupported("batch_norm in eval mode without running statistics")
        return _fold_running_stats(ctx, input, running_mean, running_var, weight, bias, eps)
    if running_mean is not None or running_var is not None:
        raise ctx.unsupported("training-mode batch_norm (it updates the running statistics)")
    # Without running statistics torch normalizes with the batch's: over every axis but 1.
    x = ctx.trt(input)
    rank = len(x.shape)
    dims = _channel_dims(rank, x.shape[1])
    return _normalize(ctx, x, weight, bias, dims, [0] + list(range(2, rank)), eps)


@tensorrt_converter("torch.nn.functional.batch_norm")
def convert_batch_norm(ctx: Ctx, input: torch.Tensor, running_mean: torch.Tensor | None,
                       running_var: torch.Tensor | None, weight: torch.Tensor | None = None,
                       bias: torch.Tensor | None = None, training: bool = False,
                       momentum: float = 0.1, eps: float = 1e-5) -> ITensor:
    return _batch_norm(ctx, input, running_mean, running_var, weight, bias, training, eps)


@tensorrt_converter("torch.batch_norm")
def convert_torch_batch_norm(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor | None,
                             bias: torch.Tensor | None, running_mean: torch.Tensor | None,
                             running_var: torch.Tensor | None, training: bool, momentum: float,
                             eps: float, cudnn_enabled: bool = True) -> ITensor:
    return _batch_norm(ctx, input, running_mean, running_var, weight, bias, training, eps)


def convert_batch_norm_module(ctx: Ctx, self: torch.nn.Module, input: torch.Tensor) -> ITensor:
    if self.training:
        raise ctx.unsupported(f"{type(self).__name__} in training mode")
    # As _BatchNorm.forward: running statistics when tracked, else the batch's.
    tracked = self.running_mean is not None and self.running_var is not None
    return _batch_norm(ctx, input, self.running_mean if tracked else None,
                       self.running_var if tracked else None, self.weight, self.bias,
                       not tracked, self.eps)


register_table({f"torch.nn.BatchNorm{n}d.forward": convert_batch_norm_module for n in (1, 2, 3)})


def _layer_norm(ctx: Ctx, input: torch.Tensor, normalized_shape: Ints,
                weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                eps: float = 1e-5) -> ITensor:
    x = ctx.trt(input)
    rank = len(x.shape)
    shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    dims = [1] * (rank - len(shape)) + [int(d) for d in shape]
    return _normalize(ctx, x, weight, bias, dims, list(range(rank - len(shape), rank)), eps)


@tensorrt_converter("torch.nn.functional.layer_norm")
@tensorrt_converter("torch.layer_norm")
def convert_layer_norm(ctx: Ctx, input: torch.Tensor, normalized_shape: Ints,
                       weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                       eps: float = 1e-5, cudnn_enable: bool = True) -> ITensor:
    """F.layer_norm, and torch.layer_norm (which also takes cudnn_enable)."""
    return _layer_norm(ctx, input, normalized_shape, weight, bias, eps)


def _group_norm(ctx: Ctx, input: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
                bias: torch.Tensor | None = None, eps: float = 1e-5) -> ITensor:
    network = ctx.network
    x = ctx.trt(input)
    rank, channels = len(x.shape), x.shape[1]
    if channels < 0:
        raise ctx.unsupported("group_norm with a dynamic channel count")
    if rank == 2:  # the groups' statistics need an axis after the channels
        x = emit.reshape(network, x, emit.dims_of(network, x) + [1])
    dims = _channel_dims(len(x.shape), channels)
    # One group is every axis after the batch; TensorRT's groups are for more than one.
    first = 1 if num_groups == 1 else 2
    y = _normalize(ctx, x, weight, bias, dims, list(range(first, len(x.shape))), eps, num_groups)
    return emit.reshape(network, y, emit.dims_of(network, y)[:2]) if rank == 2 else y


@tensorrt_converter("torch.nn.functional.group_norm")
@tensorrt_converter("torch.group_norm")
def convert_group_norm(ctx: Ctx, input: torch.Tensor, num_groups: int,
                       weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                       eps: float = 1e-5, cudnn_enabled: bool = True) -> ITensor:
    """F.group_norm, and torch.group_norm (which also takes cudnn_enabled)."""
    return _group_norm(ctx, input, num_groups, weight, bias, eps)


def _instance_norm(ctx: Ctx, input: torch.Tensor, running_mean: torch.Tensor | None,
                   running_var: torch.Tensor | None, weight: torch.Tensor | None,
                   bias: torch.Tensor | None, use_input_stats: bool, eps: float) -> ITensor:
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ctx.unsupported("instance_norm without input or running statistics")
        return _fold_running_stats(ctx, input, running_mean, running_var, weight, bias, eps)
    # The result does not depend on the running statistics torch may update here.
    x = ctx.trt(input)
    rank = len(x.shape)
    dims = _channel_dims(rank, x.shape[1])
    return _normalize(ctx, x, weight, bias, dims, list(range(2, rank)), eps)


@tensorrt_converter("torch.nn.functional.instance_norm")
def convert_instance_norm(ctx: Ctx, input: torch.Tensor, running_mean: torch.Tensor | None = None,
                          running_var: torch.Tensor | None = None,
                          weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                          use_input_stats: bool = True, momentum: float = 0.1,
                          eps: float = 1e-5) -> ITensor:
    return _instance_norm(ctx, input, running_mean, running_var, weight, bias, use_input_stats,
                          eps)


@tensorrt_converter("torch.instance_norm")
def convert_torch_instance_norm(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor | None,
                                bias: torch.Tensor | None, running_mean: torch.Tensor | None,
                                running_var: torch.Tensor | None, use_input_stats: bool,
                                momentum: float, eps: float, cudnn_enabled: bool = True) -> ITensor:
    return _instance_norm(ctx, input, running_mean, running_var, weight, bias, use_input_stats,
                          eps)


@tensorrt_converter("torch.nn.functional.normalize")
def convert_normalize(ctx: Ctx, input: torch.Tensor, p: float = 2.0, dim: int = 1,
                      eps: float = 1e-12, out: torch.Tensor | None = None) -> ITensor:
    network = ctx.network
    x = ctx.trt(input)
    if not emit.arith.is_float(x):
        raise ctx.unsupported("normalize of a non-float tensor")
    norm = emit.reductions.vector_norm(network, x, float(p), dim, True)
    denominator = emit.arith.elementwise(network, norm, emit.arith.const(network, eps, norm),
                                         E.MAX)
    return emit.arith.elementwise(network, x, denominator, E.DIV)


# TensorRT's LRN layer: an odd window of at most 15 channels, parameters in these ranges.
_LRN_RANGES = {"alpha": (-1e20, 1e20), "beta": (0.01, 1e5), "k": (1e-5, 1e10)}


def _lrn_layer_fits(size: int, alpha: float, beta: float, k: float) -> bool:
    values = {"alpha": alpha, "beta": beta, "k": k}
    return size % 2 == 1 and 1 <= size <= 15 and all(
        low <= values[name] <= high for name, (low, high) in _LRN_RANGES.items())


def _lrn_explicit(ctx: Ctx, x: ITensor, size: int, alpha: float, beta: float, k: float) -> ITensor:
    """torch's formula: x / (k + alpha * mean of x^2 over channels [c - size//2,
    c + (size-1)//2], zeros outside) ^ beta."""
    network = ctx.network
    rank, channels = len(x.shape), x.shape[1]
    squares = emit.arith.elementwise(network, x, x, E.PROD)
    pairs = [(0, 0)] * rank
    pairs[1] = (size // 2, (size - 1) // 2)
    padded = emit.pad_axes(network, squares, pairs)
    total = None
    for offset in range(size):
        window = emit.slice_axis(network, padded, 1, offset, channels)
        total = window if total is None else emit.arith.elementwise(network, total, window, E.SUM)
    c = emit.arith.const
    base = emit.arith.elementwise(network, total, c(network, alpha / size, x), E.PROD)
    base = emit.arith.elementwise(network, base, c(network, k, x), E.SUM)
    return emit.arith.elementwise(
        network, x, emit.arith.elementwise(network, base, c(network, beta, x), E.POW), E.DIV)


@tensorrt_converter("torch.nn.functional.local_response_norm")
def convert_local_response_norm(ctx: Ctx, input: torch.Tensor, size: int, alpha: float = 1e-4,
                                beta: float = 0.75, k: float = 1.0) -> ITensor:
    network = ctx.network
    x = ctx.trt(input)
    if x.shape[1] < 0:
        raise ctx.unsupported("local_response_norm with a dynamic channel count")
    if not _lrn_layer_fits(size, alpha, beta, k):
        return _lrn_explicit(ctx, x, size, alpha, beta, k)
    rank = len(x.shape)
    if rank < 4:  # the LRN layer needs rank >= 4
        x = emit.reshape(network, x, emit.dims_of(network, x) + [1] * (4 - rank))
    y = network.add_lrn(x, size, alpha, beta, k).get_output(0)
    return emit.reshape(network, y, emit.dims_of(network, y)[:rank]) if rank < 4 else y
