"""IFillLayer: LINSPACE (an affine function of the indices), RANDOM_UNIFORM and RANDOM_NORMAL.

Every parameter starts static and becomes dynamic when its input is set: input 0 is a 1-D
INT32/INT64 shape tensor with the output dimensions, input 1 is alpha (a scalar), input 2 is
beta (LINSPACE: a 1-D tensor with one delta per output dimension; random: a scalar). Alpha and
beta must both be static or both be dynamic, and dynamic ones must have the same type.

LINSPACE: `out[i0, .., in] = alpha + sum_k beta[k] * ik`; a static beta `b` is `Beta = [b]`, so
with static parameters the reference computes rank-0/1 outputs only (see `_static_beta`).
Random: uniform on [alpha, beta), or normal with mean alpha and standard deviation beta, drawn
with torch's RNG (TensorRT's generator differs, so only shapes and dtypes can match).

Static alpha/beta are stored as the Python numbers they were set to: an int alpha switches the
layer to int64 parameters (`is_alpha_beta_int64()`), like the real binding, which keeps a double
and an int64 copy of each and reads the copy that matches the mode.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import torch

from ..core import (
    INT_TYPES,
    ILayer,
    Prop,
    TensorInfo,
    add_layer,
    as_dims,
    dims_prop,
    enum_prop,
    torch_dtype,
    volume,
)
from ..core import network_method as _method
from ..enums import DataType, FillOperation, LayerType

_LINSPACE_TYPES = frozenset({DataType.INT32, DataType.INT64, DataType.FLOAT})
_RANDOM_TYPES = frozenset({DataType.FLOAT, DataType.HALF})
MAX_HOST_VALUE = 64  # small integer LINSPACE outputs are tracked as shape-tensor values


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value) if isinstance(value, Integral) else float(value)


class _FillParam(Prop):
    """alpha/beta: reads the int64 or the double copy, according to alpha's type."""

    def __get__(self, layer: Any, owner: type) -> Any:
        if layer is None:
            return self
        return layer._param(self.name)


class IFillLayer(ILayer):
    layer_type = LayerType.FILL
    shape_inputs = frozenset({0})
    shape = dims_prop()
    operation = enum_prop(FillOperation, FillOperation.LINSPACE)
    to_type = enum_prop(DataType, DataType.FLOAT)
    alpha = _FillParam(0.0, _number)
    beta = _FillParam(1.0, _number)

    def max_inputs(self) -> int:
        return 2

    def is_alpha_beta_int64(self) -> bool:
        return isinstance(self._props.get("alpha"), int)

    def _param(self, name: str) -> int | float:
        default = {"alpha": 0.0, "beta": 1.0}[name]
        value = self._props.get(name, default)
        if self.is_alpha_beta_int64():
            return value if isinstance(value, int) else int(default)
        return value if isinstance(value, float) else default

    # --- inference ------------------------------------------------------------------------------
    def _input(self, ins: list[TensorInfo | None], i: int) -> TensorInfo | None:
        return ins[i] if i < len(ins) else None

    def _out_shape(self, ins: list[TensorInfo | None]) -> tuple[int, ...]:
        spec = self._input(ins, 0)
        if spec is None:
            return tuple(self.shape)
        if spec.rank != 1 or spec.dtype not in INT_TYPES:
            raise self.fail(f"input 0 (the output shape) must be a 1-D INT32/INT64 shape tensor, "
                            f"got {spec.dtype.name} of shape {spec.shape}")
        if spec.shape[0] < 0:
            raise self.fail("input 0 (the output shape) must have a build-time length")
        value = spec.value if spec.value is not None else (None,) * spec.shape[0]
        if any(v is not None and v < 0 for v in value):
            raise self.fail(f"output dimensions {value} must not be negative")
        return tuple(-1 if v is None else int(v) for v in value)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        op, to = self.operation, self.to_type
        allowed = _LINSPACE_TYPES if op == FillOperation.LINSPACE else _RANDOM_TYPES
        if to not in allowed:
            raise self.fail(f"FillOperation.{op.name} supports output types "
                            f"{', '.join(sorted(t.name for t in allowed))}, got {to.name}")
        shape = self._out_shape(ins)
        if any(d < -1 for d in shape):
            raise self.fail(f"invalid output dimensions {shape}")
        if not shape:
            raise self.fail("a 0-d fill output cannot be built by TensorRT (its compiler rejects "
                            "it); fill shape (1,) and reshape")
        alpha, beta = self._input(ins, 1), self._input(ins, 2)
        if (alpha is None) != (beta is None):
            raise self.fail("alpha (input 1) and beta (input 2) must both be static or both be "
                            "set as inputs")
        if alpha is not None and beta is not None:
            self._check_dynamic(alpha, beta, len(shape))
        elif op == FillOperation.LINSPACE and len(shape) > 1:
            raise self.fail(f"LINSPACE with a static beta makes Beta = [beta] (one delta) but the "
                            f"output has rank {len(shape)}; the reference does not guess how "
                            "TensorRT spreads it: set input 2 to a 1-D tensor of "
                            f"{len(shape)} deltas")
        return [TensorInfo(shape, to, self._host_value(shape, alpha, beta))]

    def _check_dynamic(self, alpha: TensorInfo, beta: TensorInfo, rank: int) -> None:
        op = self.operation
        if alpha.rank != 0:
            raise self.fail(f"FillOperation {op.name} requires that input 1 (alpha) have rank 0, "
                            f"got rank {alpha.rank}")
        want = 1 if op == FillOperation.LINSPACE else 0
        if beta.rank != want:
            raise self.fail(f"FillOperation {op.name} requires that input 2 (beta) have rank "
                            f"{want}, got rank {beta.rank}")
        if alpha.dtype != beta.dtype:
            raise self.fail(f"alpha and beta must have the same type, got {alpha.dtype.name} "
                            f"and {beta.dtype.name}")
        if want == 1 and beta.shape[0] >= 0 and beta.shape[0] != rank:
            raise self.fail(f"the delta input (beta) has {beta.shape[0]} values but the output "
                            f"has {rank} dimensions; they must be equal")

    def _host_value(self, shape: tuple[int, ...], alpha: TensorInfo | None,
                    beta: TensorInfo | None) -> tuple | None:
        if (self.operation != FillOperation.LINSPACE or self.to_type not in INT_TYPES
                or len(shape) != 1 or volume(shape) < 0 or volume(shape) > MAX_HOST_VALUE):
            return None
        if alpha is None or beta is None:
            a, b = self.alpha, self.beta
        else:
            av, bv = alpha.known_value(), beta.known_value()
            if av is None or bv is None:
                return None
            a, b = av[0], bv[0]
        if not isinstance(a, int) or not isinstance(b, int):
            return None
        return tuple(a + b * i for i in range(shape[0]))

    # --- execution ------------------------------------------------------------------------------
    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        shape_t = ins[0] if ins and ins[0] is not None else None
        shape = tuple(int(v) for v in shape_t.tolist()) if shape_t is not None else tuple(
            self.shape)
        dynamic = len(ins) > 2 and ins[1] is not None and ins[2] is not None
        out = torch_dtype(self.to_type)
        if self.operation == FillOperation.LINSPACE:
            return [self._linspace(shape, ins, dynamic, out)]
        if dynamic:
            a, b = float(ins[1].item()), float(ins[2].item())
        else:
            a, b = float(self.alpha), float(self.beta)
        if self.operation == FillOperation.RANDOM_UNIFORM:
            values = a + (b - a) * torch.rand(shape, dtype=torch.float32)
        else:
            values = a + b * torch.randn(shape, dtype=torch.float32)
        return [values.to(out)]

    def _linspace(self, shape: tuple[int, ...], ins: list[Any], dynamic: bool,
                  out: torch.dtype) -> torch.Tensor:
        if dynamic:
            alpha, beta = ins[1].reshape(()), ins[2].reshape(-1)
        else:
            alpha, beta = torch.tensor(self.alpha), torch.tensor([self.beta])
        exact = not alpha.is_floating_point() and not beta.is_floating_point()
        work = torch.int64 if exact else torch.float64
        result = alpha.to(work).expand(shape).clone()
        for axis, size in enumerate(shape):
            index = torch.arange(size, dtype=work).reshape(
                [size if k == axis else 1 for k in range(len(shape))])
            result = result + index * beta[axis].to(work)
        if not exact and not out.is_floating_point:
            result = result.trunc()
        return result.to(out)


@_method
def add_fill(self: Any, shape: Any, op: FillOperation,
             output_type: DataType = DataType.FLOAT) -> IFillLayer:
    dims = as_dims(shape, "add_fill shape")
    if any(d < 0 for d in dims):  # TensorRT: "condition: isValidDims(dimensions)", no layer
        raise ValueError(f"add_fill: dimensions must be >= 0, got {tuple(dims)} (use input 0 "
                         "for a dynamic shape)")
    layer = add_layer(self, IFillLayer, "add_fill",
                      {"shape": dims, "op": op, "output_type": output_type}, [])
    layer.shape = dims
    layer.operation = op
    layer.to_type = output_type
    return layer

