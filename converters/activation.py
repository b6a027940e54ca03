"""Activations: relu, sigmoid, tanh (one table, one loop) and the parametrised family
(leaky_relu, elu, selu, celu, softplus, hardtanh, relu6, gelu, silu, hardswish, hardsigmoid,
mish, logsigmoid, prelu, threshold, the shrinks, rrelu, glu): one converter per function, a
table of its spellings, one loop."""

from __future__ import annotations

from typing import Any

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.context import ConversionContext
from trtconv.registry import register_aliases, register_spellings, register_table

A = trt.ActivationType

# Activations without parameters, in every spelling torch has (torch, F, Tensor, in-place).
_FIXED = {"relu": A.RELU, "sigmoid": A.SIGMOID, "tanh": A.TANH}


def activation(ctx: Any, input: Any, kind: Any, alpha: float = 0.0, beta: float = 0.0) -> Any:
    """One activation layer on `input`."""
    layer = ctx.network.add_activation(ctx.trt(input), kind)
    layer.alpha, layer.beta = alpha, beta
    return layer.get_output(0)


def _fixed(kind: Any) -> Any:
    def convert(ctx: Any, input: Any, *args: Any, **kwargs: Any) -> Any:
        return activation(ctx, input, kind)

    return convert


register_spellings({name: _fixed(kind) for name, kind in _FIXED.items()},
                   namespaces=("torch", "torch.Tensor"))
register_spellings({"relu": _fixed(A.RELU)}, namespaces=("torch.nn.functional",))
# F.sigmoid and F.tanh call the Tensor methods, which the trace sees
register_aliases({f"torch.nn.functional.{name}": f"torch.Tensor.{name}"
                  for name in ("sigmoid", "tanh")})


@tensorrt_converter("torch.nn.ReLU.forward")
def convert_relu_module(ctx: Any, self: Any, input: Any) -> Any:
    return activation(ctx, input, A.RELU)


# --- parametrised activations -------------------------------------------------------------------
# Each converter takes the torch function's own parameters; several spellings share one.

E = trt.ElementWiseOperation
U = trt.UnaryOperation
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _float(ctx: Any, input: Any) -> Any:
    """The ITensor of `input`, which must hold floats (TensorRT activates floats only)."""
    x = ctx.trt(input)
    if not emit.arith.is_float(x):
        raise ctx.unsupported(f"activation of {ctx.output.dtype}")
    return x


def _act(ctx: Any, x: Any, kind: Any, alpha: float = 0.0, beta: float = 0.0) -> Any:
    layer = ctx.network.add_activation(x, kind)
    layer.alpha, layer.beta = alpha, beta
    return layer.get_output(0)


def _times(ctx: Any, x: Any, factor: float) -> Any:
    if factor == 1:
        return x
    return emit.arith.elementwise(ctx.network, x, emit.arith.const(ctx.network, factor, x), E.PROD)


def _mul(ctx: Any, a: Any, b: Any) -> Any:
    return emit.arith.elementwise(ctx.network, a, b, E.PROD)


def _where_greater(ctx: Any, x: Any, bound: float, then: Any, otherwise: Any) -> Any:
    """`then` where x > bound, else `otherwise` (ITensors or numbers of x's dtype)."""
    network = ctx.network
    then, otherwise = (v if isinstance(v, trt.ITensor) else emit.arith.const(network, v, x)
                       for v in (then, otherwise))
    above = emit.arith.compare(network, x, emit.arith.const(network, bound, x), E.GREATER)
    return emit.arith.select(network, above, then, otherwise)


def _leaky_relu(ctx: Any, input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    return _act(ctx, _float(ctx, input), A.LEAKY_RELU, negative_slope)


def _rrelu(ctx: Any, input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, inplace: bool = False, generator: Any = None) -> Any:
    if training:
        raise ctx.unsupported("rrelu in training mode (random slopes)")
    return _act(ctx, _float(ctx, input), A.LEAKY_RELU, (lower + upper) / 2)


def _elu(ctx: Any, input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    return _act(ctx, _float(ctx, input), A.ELU, alpha)


def _selu(ctx: Any, input: Any, inplace: bool = False) -> Any:
    return _act(ctx, _float(ctx, input), A.SELU, SELU_ALPHA, SELU_SCALE)


def _celu(ctx: Any, input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    # celu(x) = alpha * elu(x / alpha) with elu's alpha 1
    x = _float(ctx, input)
    return _times(ctx, _act(ctx, _times(ctx, x, 1.0 / alpha), A.ELU, 1.0), alpha)


def _softsign(ctx: Any, input: Any) -> Any:
    return _act(ctx, _float(ctx, input), A.SOFTSIGN)


def _softplus(ctx: Any, input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    # torch: x where x * beta > threshold, else log1p(exp(beta * x)) / beta
    x = _float(ctx, input)
    smooth = _act(ctx, x, A.SOFTPLUS, 1.0 / beta, beta)
    return _where_greater(ctx, _times(ctx, x, beta), threshold, x, smooth)


def _hardtanh(ctx: Any, input: Any, min_val: float = -1.0, max_val: float = 1.0,
              inplace: bool = False) -> Any:
    return _act(ctx, _float(ctx, input), A.CLIP, min_val, max_val)


def _relu6(ctx: Any, input: Any, inplace: bool = False) -> Any:
    return _act(ctx, _float(ctx, input), A.CLIP, 0.0, 6.0)


def _hardtanh_module(ctx: Any, self: Any, input: Any) -> Any:
    return _act(ctx, _float(ctx, input), A.CLIP, self.min_val, self.max_val)


def _gelu(ctx: Any, input: Any, approximate: str = "none") -> Any:
    kinds = {"none": A.GELU_ERF, "tanh": A.GELU_TANH}
    if approximate not in kinds:
        raise ctx.unsupported(f"gelu approximate={approximate!r}")
    return _act(ctx, _float(ctx, input), kinds[approximate])


def _silu(ctx: Any, input: Any, inplace: bool = False) -> Any:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, x, A.SIGMOID))


def _hardsigmoid(ctx: Any, input: Any, inplace: bool = False) -> Any:
    # relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    return _act(ctx, _float(ctx, input), A.HARD_SIGMOID, 1.0 / 6, 0.5)


def _hardswish(ctx: Any, input: Any, inplace: bool = False) -> Any:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, x, A.HARD_SIGMOID, 1.0 / 6, 0.5))


def _mish(ctx: Any, input: Any, inplace: bool = False) -> Any:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, _act(ctx, x, A.SOFTPLUS, 1.0, 1.0), A.TANH))


def _logsigmoid(ctx: Any, input: Any) -> Any:
    # min(x, 0) - log1p(exp(-|x|)): exp never overflows, as in torch
    network = ctx.network
    x = _float(ctx, input)
    negative_magnitude = emit.arith.unary(network, emit.arith.unary(network, x, U.ABS), U.NEG)
    tail = _act(ctx, negative_magnitude, A.SOFTPLUS, 1.0, 1.0)
    low = emit.arith.elementwise(network, x, emit.arith.const(network, 0.0, x), E.MIN)
    return emit.arith.elementwise(network, low, tail, E.SUB)


def _prelu(ctx: Any, input: Any, weight: Any) -> Any:
    # torch's channel axis is 1 (none below rank 2: one slope for everything)
    network = ctx.network
    x = _float(ctx, input)
    rank = len(x.shape)
    slopes = emit.cast(network, ctx.trt(weight), trt.torch_dtype(x.dtype))
    count = weight.numel()
    dims = [1] * rank
    if rank >= 2 and count > 1:
        dims[1] = count
    slopes = emit.reshape(network, slopes, dims)
    return network.add_parametric_relu(x, slopes).get_output(0)


def _threshold(ctx: Any, input: Any, threshold: float, value: float, inplace: bool = False
               ) -> Any:
    x = ctx.trt(input)
    if not emit.arith.is_float(x) and (threshold != int(threshold) or value != int(value)):
        raise ctx.unsupported("threshold of integers with a fractional threshold or value")
    return _where_greater(ctx, x, threshold, x, value)


def _hardshrink(ctx: Any, input: Any, lambd: float = 0.5) -> Any:
    # x outside [-lambd, lambd], else 0
    network = ctx.network
    x = _float(ctx, input)
    inside = emit.arith.both(
        network, emit.arith.logical_not(network, emit.arith.compare(
            network, x, emit.arith.const(network, lambd, x), E.GREATER)),
        emit.arith.logical_not(network, emit.arith.compare(
            network, x, emit.arith.const(network, -lambd, x), E.LESS)))
    return emit.arith.select(network, inside, emit.arith.const(network, 0.0, x), x)


def _softshrink(ctx: Any, input: Any, lambd: float = 0.5) -> Any:
    # x - lambd above lambd, x + lambd below -lambd, else 0
    network = ctx.network
    x = _float(ctx, input)
    c = emit.arith.const
    down = emit.arith.elementwise(network, x, c(network, lambd, x), E.SUB)
    up = emit.arith.elementwise(network, x, c(network, lambd, x), E.SUM)
    below = emit.arith.compare(network, x, c(network, -lambd, x), E.LESS)
    return _where_greater(ctx, x, lambd, down, emit.arith.select(network, below, up,
                                                                 c(network, 0.0, x)))


def _tanhshrink(ctx: Any, input: Any) -> Any:
    x = _float(ctx, input)
    return emit.arith.elementwise(ctx.network, x, _act(ctx, x, A.TANH), E.SUB)


def _glu(ctx: ConversionContext, input: torch.Tensor, dim: int = -1) -> trt.ITensor:
    """glu: the first half of `dim` times the sigmoid of the second (a dynamic `dim` is
    halved in the network)."""
    x = _float(ctx, input)
    network, rank = ctx.network, len(x.shape)
    axis = emit.normalize_dim(dim, rank)
    half = emit.dim_op(network, emit.dim_of(ctx, x, axis), 2, E.FLOOR_DIV)
    size = [half if a == axis else None for a in range(rank)]
    first = emit.slice_tensor(network, x, [0] * rank, size, [1] * rank)
    second = emit.slice_tensor(network, x, [half if a == axis else 0 for a in range(rank)],
                               size, [1] * rank)
    return _mul(ctx, first, _act(ctx, second, A.SIGMOID))


_F = "torch.nn.functional"
_PARAMETRISED: dict[Any, tuple[str, ...]] = {
    _leaky_relu: (f"{_F}.leaky_relu", f"{_F}.leaky_relu_"),
    _rrelu: (f"{_F}.rrelu", f"{_F}.rrelu_", "torch.rrelu", "torch.rrelu_"),
    _elu: (f"{_F}.elu", f"{_F}.elu_"),
    _selu: (f"{_F}.selu", f"{_F}.selu_", "torch.selu", "torch.selu_"),
    _celu: (f"{_F}.celu", f"{_F}.celu_", "torch.celu", "torch.celu_"),
    _softsign: (f"{_F}.softsign",),
    _softplus: (f"{_F}.softplus",),
    _hardtanh: (f"{_F}.hardtanh", f"{_F}.hardtanh_"),
    _relu6: (f"{_F}.relu6",),
    _hardtanh_module: ("torch.nn.ReLU6.forward", "torch.nn.Hardtanh.forward"),
    _gelu: (f"{_F}.gelu",),
    _silu: (f"{_F}.silu",),
    _hardsigmoid: (f"{_F}.hardsigmoid",),
    _hardswish: (f"{_F}.hardswish",),
    _mish: (f"{_F}.mish",),
    _logsigmoid: (f"{_F}.logsigmoid",),
    _prelu: (f"{_F}.prelu", "torch.prelu", "torch.Tensor.prelu"),
    _threshold: (f"{_F}.threshold", f"{_F}.threshold_", "torch.threshold", "torch.threshold_"),
    _hardshrink: (f"{_F}.hardshrink", "torch.hardshrink", "torch.Tensor.hardshrink"),
    _softshrink: (f"{_F}.softshrink",),
    _tanhshrink: (f"{_F}.tanhshrink",),
    _glu: (f"{_F}.glu",),
}
register_table({target: fn for fn, targets in _PARAMETRISED.items() for target in targets})
