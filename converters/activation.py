"""Activations: relu, sigmoid, tanh (one table, one loop) and the parametrised family
(leaky_relu, elu, selu, celu, softplus, hardtanh, relu6, gelu, silu, hardswish, hardsigmoid,
mish, logsigmoid, prelu, threshold, the shrinks, rrelu, glu): one converter per function, a
table of its spellings, one loop."""

from __future__ import annotations

import torch

from trtconv import emit, tensorrt_converter, trt
from trtconv.api import Converter, Ctx, E, ITensor, Number, U
from trtconv.emit import arith
from trtconv.registry import register_aliases, register_spellings, register_table

A = trt.ActivationType

# Activations without parameters, in every spelling torch has (torch, F, Tensor, in-place).
_FIXED = {"relu": A.RELU, "sigmoid": A.SIGMOID, "tanh": A.TANH}


def _act(ctx: Ctx, x: ITensor, kind: A, alpha: float = 0.0, beta: float = 0.0) -> ITensor:
    """One activation layer on the ITensor `x`."""
    layer = ctx.network.add_activation(x, kind)
    layer.alpha, layer.beta = alpha, beta
    return layer.get_output(0)


def _fixed_converter(kind: A) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, *args: object, **kwargs: object) -> ITensor:
        return _act(ctx, ctx.trt(input), kind)

    return convert


register_spellings({name: _fixed_converter(kind) for name, kind in _FIXED.items()},
                   namespaces=("torch", "torch.Tensor"))
register_spellings({"relu": _fixed_converter(A.RELU)}, namespaces=("torch.nn.functional",))
# F.sigmoid and F.tanh call the Tensor methods, which the trace sees
register_aliases({f"torch.nn.functional.{name}": f"torch.Tensor.{name}"
                  for name in ("sigmoid", "tanh")})


@tensorrt_converter("torch.nn.ReLU.forward")
def convert_relu_module(ctx: Ctx, self: torch.nn.ReLU, input: torch.Tensor) -> ITensor:
    return _act(ctx, ctx.trt(input), A.RELU)


# --- parametrised activations -------------------------------------------------------------------
# Each converter takes the torch function's own parameters; several spellings share one.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _float(ctx: Ctx, input: torch.Tensor) -> ITensor:
    """The ITensor of `input`, which must hold floats (TensorRT activates floats only)."""
    x = ctx.trt(input)
    if not arith.is_float(x):
        raise ctx.unsupported(f"activation of {ctx.output.dtype}")
    return x


def _mul(ctx: Ctx, a: ITensor, b: ITensor) -> ITensor:
    return arith.elementwise(ctx.network, a, b, E.PROD)


def _where_greater(ctx: Ctx, x: ITensor, bound: float, then: ITensor | Number,
                   otherwise: ITensor | Number) -> ITensor:
    """`then` where x > bound, else `otherwise` (ITensors or numbers of x's dtype)."""
    network = ctx.network
    then, otherwise = (v if isinstance(v, trt.ITensor) else arith.const(network, v, x)
                       for v in (then, otherwise))
    above = arith.compare(network, x, arith.const(network, bound, x), E.GREATER)
    return arith.select(network, above, then, otherwise)


def convert_leaky_relu(ctx: Ctx, input: torch.Tensor, negative_slope: float = 0.01,
                       inplace: bool = False) -> ITensor:
    return _act(ctx, _float(ctx, input), A.LEAKY_RELU, negative_slope)


def convert_rrelu(ctx: Ctx, input: torch.Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                  training: bool = False, inplace: bool = False,
                  generator: torch.Generator | None = None) -> ITensor:
    if training:
        raise ctx.unsupported("rrelu in training mode (random slopes)")
    return _act(ctx, _float(ctx, input), A.LEAKY_RELU, (lower + upper) / 2)


def convert_elu(ctx: Ctx, input: torch.Tensor, alpha: float = 1.0, inplace: bool = False
                ) -> ITensor:
    return _act(ctx, _float(ctx, input), A.ELU, alpha)


def convert_selu(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    return _act(ctx, _float(ctx, input), A.SELU, SELU_ALPHA, SELU_SCALE)


def convert_celu(ctx: Ctx, input: torch.Tensor, alpha: float = 1.0, inplace: bool = False
                 ) -> ITensor:
    # celu(x) = alpha * elu(x / alpha) with elu's alpha 1
    network, x = ctx.network, _float(ctx, input)
    elu = _act(ctx, arith.scaled(network, x, 1.0 / alpha), A.ELU, 1.0)
    return arith.scaled(network, elu, alpha)


def convert_softsign(ctx: Ctx, input: torch.Tensor) -> ITensor:
    return _act(ctx, _float(ctx, input), A.SOFTSIGN)


def convert_softplus(ctx: Ctx, input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0
                     ) -> ITensor:
    # torch: x where x * beta > threshold, else log1p(exp(beta * x)) / beta
    x = _float(ctx, input)
    smooth = _act(ctx, x, A.SOFTPLUS, 1.0 / beta, beta)
    return _where_greater(ctx, arith.scaled(ctx.network, x, beta), threshold, x, smooth)


def convert_hardtanh(ctx: Ctx, input: torch.Tensor, min_val: float = -1.0, max_val: float = 1.0,
                     inplace: bool = False) -> ITensor:
    return _act(ctx, _float(ctx, input), A.CLIP, min_val, max_val)


def convert_relu6(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    return _act(ctx, _float(ctx, input), A.CLIP, 0.0, 6.0)


def convert_hardtanh_module(ctx: Ctx, self: torch.nn.Hardtanh, input: torch.Tensor) -> ITensor:
    return _act(ctx, _float(ctx, input), A.CLIP, self.min_val, self.max_val)


def convert_gelu(ctx: Ctx, input: torch.Tensor, approximate: str = "none") -> ITensor:
    kinds = {"none": A.GELU_ERF, "tanh": A.GELU_TANH}
    if approximate not in kinds:
        raise ctx.unsupported(f"gelu approximate={approximate!r}")
    return _act(ctx, _float(ctx, input), kinds[approximate])


def convert_silu(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, x, A.SIGMOID))


def convert_hardsigmoid(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    # relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    return _act(ctx, _float(ctx, input), A.HARD_SIGMOID, 1.0 / 6, 0.5)


def convert_hardswish(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, x, A.HARD_SIGMOID, 1.0 / 6, 0.5))


def convert_mish(ctx: Ctx, input: torch.Tensor, inplace: bool = False) -> ITensor:
    x = _float(ctx, input)
    return _mul(ctx, x, _act(ctx, _act(ctx, x, A.SOFTPLUS, 1.0, 1.0), A.TANH))


def convert_logsigmoid(ctx: Ctx, input: torch.Tensor) -> ITensor:
    # min(x, 0) - log1p(exp(-|x|)): exp never overflows, as in torch
    network = ctx.network
    x = _float(ctx, input)
    negative_magnitude = arith.unary(network, arith.unary(network, x, U.ABS), U.NEG)
    tail = _act(ctx, negative_magnitude, A.SOFTPLUS, 1.0, 1.0)
    low = arith.elementwise(network, x, arith.const(network, 0.0, x), E.MIN)
    return arith.elementwise(network, low, tail, E.SUB)


def convert_prelu(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor) -> ITensor:
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


def convert_threshold(ctx: Ctx, input: torch.Tensor, threshold: float, value: float,
                      inplace: bool = False) -> ITensor:
    x = ctx.trt(input)
    if not arith.is_float(x) and (threshold != int(threshold) or value != int(value)):
        raise ctx.unsupported("threshold of integers with a fractional threshold or value")
    return _where_greater(ctx, x, threshold, x, value)


def convert_hardshrink(ctx: Ctx, input: torch.Tensor, lambd: float = 0.5) -> ITensor:
    # x outside [-lambd, lambd], else 0
    network = ctx.network
    x = _float(ctx, input)
    inside = arith.both(
        network, arith.logical_not(network, arith.compare(
            network, x, arith.const(network, lambd, x), E.GREATER)),
        arith.logical_not(network, arith.compare(
            network, x, arith.const(network, -lambd, x), E.LESS)))
    return arith.select(network, inside, arith.const(network, 0.0, x), x)


def convert_softshrink(ctx: Ctx, input: torch.Tensor, lambd: float = 0.5) -> ITensor:
    # x - lambd above lambd, x + lambd below -lambd, else 0
    network = ctx.network
    x = _float(ctx, input)
    c = arith.const
    down = arith.elementwise(network, x, c(network, lambd, x), E.SUB)
    up = arith.elementwise(network, x, c(network, lambd, x), E.SUM)
    below = arith.compare(network, x, c(network, -lambd, x), E.LESS)
    return _where_greater(ctx, x, lambd, down, arith.select(network, below, up,
                                                            c(network, 0.0, x)))


def convert_tanhshrink(ctx: Ctx, input: torch.Tensor) -> ITensor:
    x = _float(ctx, input)
    return arith.elementwise(ctx.network, x, _act(ctx, x, A.TANH), E.SUB)


def convert_glu(ctx: Ctx, input: torch.Tensor, dim: int = -1) -> ITensor:
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
_PARAMETRISED: dict[Converter, tuple[str, ...]] = {
    convert_leaky_relu: (f"{_F}.leaky_relu", f"{_F}.leaky_relu_"),
    convert_rrelu: (f"{_F}.rrelu", f"{_F}.rrelu_", "torch.rrelu", "torch.rrelu_"),
    convert_elu: (f"{_F}.elu", f"{_F}.elu_"),
    convert_selu: (f"{_F}.selu", f"{_F}.selu_", "torch.selu", "torch.selu_"),
    convert_celu: (f"{_F}.celu", f"{_F}.celu_", "torch.celu", "torch.celu_"),
    convert_softsign: (f"{_F}.softsign",),
    convert_softplus: (f"{_F}.softplus",),
    convert_hardtanh: (f"{_F}.hardtanh", f"{_F}.hardtanh_"),
    convert_relu6: (f"{_F}.relu6",),
    convert_hardtanh_module: ("torch.nn.ReLU6.forward", "torch.nn.Hardtanh.forward"),
    convert_gelu: (f"{_F}.gelu",),
    convert_silu: (f"{_F}.silu",),
    convert_hardsigmoid: (f"{_F}.hardsigmoid",),
    convert_hardswish: (f"{_F}.hardswish",),
    convert_mish: (f"{_F}.mish",),
    convert_logsigmoid: (f"{_F}.logsigmoid",),
    convert_prelu: (f"{_F}.prelu", "torch.prelu", "torch.Tensor.prelu"),
    convert_threshold: (f"{_F}.threshold", f"{_F}.threshold_", "torch.threshold",
                        "torch.threshold_"),
    convert_hardshrink: (f"{_F}.hardshrink", "torch.hardshrink", "torch.Tensor.hardshrink"),
    convert_softshrink: (f"{_F}.softshrink",),
    convert_tanhshrink: (f"{_F}.tanhshrink",),
    convert_glu: (f"{_F}.glu",),
}
register_table({target: fn for fn, targets in _PARAMETRISED.items() for target in targets})
