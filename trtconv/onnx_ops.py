"""TensorRT layers as standard ONNX operators, where one operator computes exactly the same.

Each mapper gets the exporter and a reference layer, emits one node and returns True, or
returns False when the layer's settings have no exact standard equivalent (then the exporter
writes a `trt`-domain node). Layers read through their properties, so defaults are
TensorRT's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .reference import trt, walk

Mapper = Callable[[Any, Any], bool]

_ACTIVATIONS = {"RELU": "Relu", "SIGMOID": "Sigmoid", "TANH": "Tanh", "SOFTSIGN": "Softsign",
                "GELU_ERF": "Gelu"}
_UNARY = {"EXP": "Exp", "LOG": "Log", "SQRT": "Sqrt", "RECIP": "Reciprocal", "ABS": "Abs",
          "NEG": "Neg", "SIN": "Sin", "COS": "Cos", "TAN": "Tan", "SINH": "Sinh", "COSH": "Cosh",
          "ASIN": "Asin", "ACOS": "Acos", "ATAN": "Atan", "ASINH": "Asinh", "ACOSH": "Acosh",
          "ATANH": "Atanh", "CEIL": "Ceil", "FLOOR": "Floor", "ERF": "Erf", "NOT": "Not",
          "SIGN": "Sign", "ROUND": "Round", "ISINF": "IsInf", "ISNAN": "IsNaN"}
_ELEMENTWISE = {"SUM": "Add", "PROD": "Mul", "SUB": "Sub", "MAX": "Max", "MIN": "Min",
                "EQUAL": "Equal", "GREATER": "Greater", "LESS": "Less", "AND": "And",
                "OR": "Or", "XOR": "Xor"}
_FLOAT_ONLY = {"DIV": "Div", "POW": "Pow"}  # integer division/power round differently
_REDUCE = {"SUM": "ReduceSum", "AVG": "ReduceMean", "MAX": "ReduceMax", "MIN": "ReduceMin",
           "PROD": "ReduceProd"}
_FLOATS = {trt.DataType.FLOAT, trt.DataType.HALF, trt.DataType.BF16}


def _inputs(ex: Any, layer: Any) -> list[str]:
    return [ex.name(t) for t in walk.layer_inputs(layer)]


def _activation(ex: Any, layer: Any) -> bool:
    kind, a, b = layer.type.name, layer.alpha, layer.beta
    x = _inputs(ex, layer)[:1]
    if kind in _ACTIVATIONS:
        ex.node(layer, _ACTIVATIONS[kind], x)
    elif kind == "GELU_TANH":
        ex.node(layer, "Gelu", x, approximate="tanh")
    elif kind == "LEAKY_RELU":
        ex.node(layer, "LeakyRelu", x, alpha=a)
    elif kind == "ELU":
        ex.node(layer, "Elu", x, alpha=a)
    elif kind == "SELU":
        ex.node(layer, "Selu", x, alpha=a, gamma=b)
    elif kind == "HARD_SIGMOID":
        ex.node(layer, "HardSigmoid", x, alpha=a, beta=b)
    elif kind == "THRESHOLDED_RELU":
        ex.node(layer, "ThresholdedRelu", x, alpha=a)
    elif kind == "SOFTPLUS" and a == 1.0 and b == 1.0:
        ex.node(layer, "Softplus", x)
    elif kind == "CLIP":
        dtype = trt.torch_dtype(layer.get_input(0).dtype)
        low = ex.initializer(layer, "min", torch.tensor(a, dtype=dtype))
        high = ex.initializer(layer, "max", torch.tensor(b, dtype=dtype))
        ex.node(layer, "Clip", [*x, low, high])
    else:
        return False
    return True


def _unary(ex: Any, layer: Any) -> bool:
    op = _UNARY.get(layer.op.name)
    return op is not None and ex.node(layer, op, _inputs(ex, layer))


def _elementwise(ex: Any, layer: Any) -> bool:
    name = layer.op.name
    op = _ELEMENTWISE.get(name)
    if op is None and layer.get_input(0).dtype in _FLOATS:
        op = _FLOAT_ONLY.get(name)
    return op is not None and ex.node(layer, op, _inputs(ex, layer))


def _cast(ex: Any, layer: Any) -> bool:
    return ex.node(layer, "Cast", _inputs(ex, layer), to=ex.onnx_dtype(layer.to_type))


def _identity(ex: Any, layer: Any) -> bool:
    source, out = layer.get_input(0).dtype, layer.get_output(0).dtype
    if source == out:
        return ex.node(layer, "Identity", _inputs(ex, layer))
    return ex.node(layer, "Cast", _inputs(ex, layer), to=ex.onnx_dtype(out))


def _constant(ex: Any, layer: Any) -> bool:
    shape = tuple(layer.shape)
    values = layer.weights.tensor.reshape(shape)
    return ex.node(layer, "Identity", [ex.initializer(layer, "weights", values)])


def _concatenation(ex: Any, layer: Any) -> bool:
    return ex.node(layer, "Concat", _inputs(ex, layer), axis=layer.axis)


def _window(layer: Any) -> dict[str, Any] | None:
    """Strides and pads of a convolution or pooling layer with explicit round-down padding
    (the other modes round or place padding in ways ONNX attributes do not say exactly)."""
    if layer.padding_mode != trt.PaddingMode.EXPLICIT_ROUND_DOWN:
        return None
    return {"strides": list(layer.stride_nd),
            "pads": list(layer.pre_padding) + list(layer.post_padding)}


def _convolution(ex: Any, layer: Any, op: str = "Conv") -> bool:
    window, x = _window(layer), layer.get_input(0)
    channels = x.shape[1] if len(x.shape) > 1 else -1
    if window is None or channels < 0:
        return False
    groups, maps, kernel = layer.num_groups, layer.num_output_maps, list(layer.kernel_size_nd)
    inputs = [ex.name(x)]
    if layer.num_inputs > 1 and layer.get_input(1) is not None:
        inputs.append(ex.name(layer.get_input(1)))
    else:
        shape = ([maps, channels // groups] if op == "Conv" else [channels, maps // groups])
        inputs.append(ex.initializer(layer, "kernel",
                                     layer.kernel.tensor.reshape(shape + kernel)))
    if layer.num_inputs > 2 and layer.get_input(2) is not None:
        inputs.append(ex.name(layer.get_input(2)))
    elif layer.bias is not None and layer.bias.size:
        inputs.append(ex.initializer(layer, "bias", layer.bias.tensor))
    return ex.node(layer, op, inputs, kernel_shape=kernel, group=groups,
                   dilations=list(layer.dilation_nd), **window)


def _deconvolution(ex: Any, layer: Any) -> bool:
    return _convolution(ex, layer, "ConvTranspose")


def _pooling(ex: Any, layer: Any) -> bool:
    window = _window(layer)
    if window is None or layer.type == trt.PoolingType.MAX_AVERAGE_BLEND:
        return False
    kernel = list(layer.window_size_nd)
    if layer.type == trt.PoolingType.MAX:
        return ex.node(layer, "MaxPool", _inputs(ex, layer), kernel_shape=kernel, **window)
    return ex.node(layer, "AveragePool", _inputs(ex, layer), kernel_shape=kernel,
                   count_include_pad=0 if layer.average_count_excludes_padding else 1, **window)


def _axes(mask: int, rank: int) -> list[int]:
    return [i for i in range(rank) if mask >> i & 1]


def _reduce(ex: Any, layer: Any) -> bool:
    op = _REDUCE.get(layer.op.name)
    if op is None:
        return False
    axes = ex.ints(layer, "axes", _axes(layer.axes, len(layer.get_input(0).shape)))
    return ex.node(layer, op, [ex.name(layer.get_input(0)), axes], keepdims=int(layer.keep_dims))


def _softmax(ex: Any, layer: Any) -> bool:
    axes = _axes(layer.axes, len(layer.get_input(0).shape))
    return len(axes) == 1 and ex.node(layer, "Softmax", _inputs(ex, layer), axis=axes[0])


def _matrix_multiply(ex: Any, layer: Any) -> bool:
    ops = (layer.op0.name, layer.op1.name)
    inputs = _inputs(ex, layer)
    if ops == ("NONE", "NONE"):
        return ex.node(layer, "MatMul", inputs)
    if "VECTOR" in ops or len(layer.get_input(0).shape) < 2:
        return False
    left = "ji" if ops[0] == "TRANSPOSE" else "ij"
    right = "kj" if ops[1] == "TRANSPOSE" else "jk"
    return ex.node(layer, "Einsum", inputs, equation=f"...{left},...{right}->...ik")


def _shuffle(ex: Any, layer: Any) -> bool:
    rank = len(layer.get_input(0).shape)
    first = list(layer.first_transpose)[:rank]
    reshape = "reshape_dims" in layer._props or layer.num_inputs > 1
    out_rank = len(layer.get_output(0).shape)
    second = list(layer.second_transpose)[:out_rank]
    moved = [p != list(range(len(p))) for p in (first, second)]
    if reshape and not any(moved):
        shape = (ex.name(layer.get_input(1)) if layer.num_inputs > 1 else
                 ex.ints(layer, "shape", list(layer.reshape_dims)))
        return ex.node(layer, "Reshape", [ex.name(layer.get_input(0)), shape],
                       allowzero=0 if layer.zero_is_placeholder else 1)
    if reshape or all(moved):
        return False
    if not any(moved):
        return ex.node(layer, "Identity", _inputs(ex, layer)[:1])
    return ex.node(layer, "Transpose", _inputs(ex, layer)[:1], perm=first if moved[0] else second)


def _slice(ex: Any, layer: Any) -> bool:
    if layer.num_inputs > 1 and any(t is not None for t in walk.layer_inputs(layer)[1:4]):
        return False  # start, size or stride computed at run time
    if layer.mode == trt.SampleMode.FILL:
        return _fill_slice(ex, layer)
    if layer.mode != trt.SampleMode.STRICT_BOUNDS or layer.num_inputs > 5:
        return False
    start, size, stride = list(layer.start), list(layer.shape), list(layer.stride)
    axes = list(layer.axes) if layer.axes is not None else list(range(len(start)))
    # ends past the front of an axis (negative stride) must not read as "from the back"
    ends = [s + n * d if s + n * d >= 0 else -(2 ** 63) for s, n, d in zip(start, size, stride)]
    inputs = [ex.name(layer.get_input(0)), ex.ints(layer, "starts", start),
              ex.ints(layer, "ends", ends), ex.ints(layer, "axes", axes),
              ex.ints(layer, "steps", stride)]
    return ex.node(layer, "Slice", inputs)


def _fill_slice(ex: Any, layer: Any) -> bool:
    """A unit-stride slice that reads outside its input and fills there: a constant Pad."""
    dims = list(layer.get_input(0).shape)
    start, size = list(layer.start), list(layer.shape)
    if layer.axes is not None or any(d != 1 for d in layer.stride) or min(dims) < 0:
        return False
    pads = [-s for s in start] + [s + n - d for s, n, d in zip(start, size, dims)]
    inputs = [ex.name(layer.get_input(0)), ex.ints(layer, "pads", pads)]
    if layer.num_inputs > 4 and layer.get_input(4) is not None:
        inputs.append(ex.name(layer.get_input(4)))
    return ex.node(layer, "Pad", inputs, mode="constant")


def _gather(ex: Any, layer: Any) -> bool:
    mode = layer.mode.name
    if mode == "DEFAULT" and layer.num_elementwise_dims == 0:
        return ex.node(layer, "Gather", _inputs(ex, layer), axis=layer.axis)
    if mode == "ELEMENT":
        return ex.node(layer, "GatherElements", _inputs(ex, layer), axis=layer.axis)
    if mode == "ND":
        return ex.node(layer, "GatherND", _inputs(ex, layer),
                       batch_dims=layer.num_elementwise_dims)
    return False


def _padding(ex: Any, layer: Any) -> bool:
    rank = len(layer.get_input(0).shape)
    pre, post = list(layer.pre_padding_nd), list(layer.post_padding_nd)
    lead = [0] * (rank - len(pre))
    pads = ex.ints(layer, "pads", lead + pre + lead + post)
    return ex.node(layer, "Pad", [ex.name(layer.get_input(0)), pads], mode="constant")


def _scatter(ex: Any, layer: Any) -> bool:
    if layer.mode == trt.ScatterMode.ELEMENT:
        return ex.node(layer, "ScatterElements", _inputs(ex, layer), axis=layer.axis)
    return ex.node(layer, "ScatterND", _inputs(ex, layer))


def _cumulative(ex: Any, layer: Any) -> bool:
    if layer.op.name != "SUM":
        return False
    return ex.node(layer, "CumSum", _inputs(ex, layer), exclusive=int(layer.exclusive),
                   reverse=int(layer.reverse))


def _normalization(ex: Any, layer: Any) -> bool:
    """Layer normalization over the trailing axes (scale and bias broadcast as ONNX's)."""
    rank = len(layer.get_input(0).shape)
    axes = _axes(layer.axes, rank)
    if layer.num_groups != 1 or not axes or axes != list(range(axes[0], rank)):
        return False
    return ex.node(layer, "LayerNormalization", _inputs(ex, layer)[:3], axis=axes[0],
                   epsilon=layer.epsilon)


def _one_hot(ex: Any, layer: Any) -> bool:
    indices, values, depth = _inputs(ex, layer)
    return ex.node(layer, "OneHot", [indices, depth, values], axis=layer.axis)


MAPPERS: dict[str, Mapper] = {
    "IActivationLayer": _activation, "IUnaryLayer": _unary, "IElementWiseLayer": _elementwise,
    "ICastLayer": _cast, "IIdentityLayer": _identity, "IConstantLayer": _constant,
    "IConcatenationLayer": _concatenation, "IConvolutionLayer": _convolution,
    "IDeconvolutionLayer": _deconvolution, "IPoolingLayer": _pooling, "IReduceLayer": _reduce,
    "ISoftMaxLayer": _softmax, "IMatrixMultiplyLayer": _matrix_multiply,
    "IShuffleLayer": _shuffle, "ISliceLayer": _slice, "IGatherLayer": _gather,
    "IPaddingLayer": _padding, "IScatterLayer": _scatter, "ICumulativeLayer": _cumulative,
    "IOneHotLayer": _one_hot, "INormalizationLayer": _normalization,
    "ISelectLayer": lambda ex, layer: ex.node(layer, "Where", _inputs(ex, layer)),
    "IShapeLayer": lambda ex, layer: ex.node(layer, "Shape", _inputs(ex, layer)),
    "IEinsumLayer": lambda ex, layer: ex.node(layer, "Einsum", _inputs(ex, layer),
                                              equation=layer.equation),
    "IParametricReLULayer": lambda ex, layer: ex.node(layer, "PRelu", _inputs(ex, layer)),
    "ISqueezeLayer": lambda ex, layer: ex.node(layer, "Squeeze", _inputs(ex, layer)),
    "IUnsqueezeLayer": lambda ex, layer: ex.node(layer, "Unsqueeze", _inputs(ex, layer)),
}
