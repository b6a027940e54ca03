"""Activations: relu, sigmoid, tanh and the parametrised family (one table, one loop)."""

from __future__ import annotations

from typing import Any

from trtconv import tensorrt_converter, trt

A = trt.ActivationType

# target -> (activation, alpha, beta); alpha/beta as TensorRT defines them per type.
_FIXED: dict[str, tuple[Any, float, float]] = {}
for _prefix in ("torch", "torch.nn.functional", "torch.Tensor"):
    for _name, _act in (("relu", A.RELU), ("relu_", A.RELU), ("sigmoid", A.SIGMOID),
                        ("tanh", A.TANH)):
        if _prefix == "torch.nn.functional" and _name == "sigmoid":
            continue
        _FIXED[f"{_prefix}.{_name}"] = (_act, 0.0, 0.0)
_FIXED["torch.nn.functional.sigmoid"] = (A.SIGMOID, 0.0, 0.0)
_FIXED["torch.nn.functional.tanh"] = (A.TANH, 0.0, 0.0)
for _name in ("sigmoid_", "tanh_"):
    _FIXED[f"torch.{_name}"] = (getattr(A, _name[:-1].upper()), 0.0, 0.0)
    _FIXED[f"torch.Tensor.{_name}"] = (getattr(A, _name[:-1].upper()), 0.0, 0.0)


def activation(ctx: Any, input: Any, kind: Any, alpha: float = 0.0, beta: float = 0.0) -> Any:
    """One activation layer on `input`."""
    layer = ctx.network.add_activation(ctx.trt(input), kind)
    layer.alpha, layer.beta = alpha, beta
    return layer.get_output(0)


def _fixed(kind: Any, alpha: float, beta: float) -> Any:
    def convert(ctx: Any, input: Any, *args: Any, **kwargs: Any) -> Any:
        return activation(ctx, input, kind, alpha, beta)

    return convert


for _target, (_kind, _alpha, _beta) in _FIXED.items():
    tensorrt_converter(_target)(_fixed(_kind, _alpha, _beta))


@tensorrt_converter("torch.nn.ReLU.forward")
def convert_relu_module(ctx: Any, self: Any, input: Any) -> Any:
    return activation(ctx, input, A.RELU)
