"""IQuantizeLayer and IDequantizeLayer: symmetric INT8/FP8 quantization, per tensor or per axis.

    quantize:   out = saturate(round_half_to_even(x / scale))   -> INT8 [-128, 127] or FP8 E4M3
    dequantize: out = x * scale                                  -> FLOAT, HALF or BF16

The scale (input 1) is a FLOAT/HALF/BF16 scalar or 1-element 1-D tensor (per tensor), or a 1-D
tensor with one value per element of the input's dimension `axis` (per channel; that dimension
must be known at build time). The arithmetic is done in FLOAT, with a true division, and rounded
once, so the reference predicts the GPU's integers exactly. FP8 saturates to +-448 (E4M3's
largest finite value) instead of overflowing to NaN; NaN stays NaN.

Not modelled: the zero-point input (TensorRT only accepts all-zero ones), block quantization
(`block_shape` with a 2-D scale), and executing INT4/FP4/UINT8 (inference only).
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    ILayer,
    ITensor,
    Prop,
    TensorInfo,
    add_layer,
    as_dims,
    enum_prop,
    int_prop,
    torch_dtype,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType

QUANTIZED_TYPES = frozenset({DataType.INT8, DataType.FP8, DataType.INT4, DataType.FP4,
                             DataType.UINT8})
EXECUTABLE_QUANTIZED = frozenset({DataType.INT8, DataType.FP8})
FP8_MAX = 448.0


class _BlockShape(Prop):
    """`block_shape`: reading it before it is set fails, as in the real binding."""

    def __get__(self, layer: Any, owner: type) -> Any:
        if layer is None:
            return self
        if self.name not in layer._props:
            raise RuntimeError("Could not get block_shape.")
        return layer._props[self.name]


class _QDQLayer(ILayer):
    """What quantize and dequantize share: the scale, its axis, and the zero point slot."""

    axis = int_prop(-1)
    block_shape = _BlockShape(None, lambda v: as_dims(v, "block_shape"))
    _input_types: frozenset[DataType] = frozenset()
    _output_types: frozenset[DataType] = frozenset()

    def max_inputs(self) -> int:
        return 2

    def _check(self, ins: list[TensorInfo | None]) -> TensorInfo:
        x, scale = self.require_inputs(ins, 2)[:2]
        if len(ins) > 2 and ins[2] is not None:
            raise self.fail("the zero-point input (2) is not supported by the reference; "
                            "TensorRT only accepts all-zero zero points, so leave it unset")
        if "block_shape" in self._props:
            raise self.fail("block quantization (block_shape) is not supported by the reference")
        if x.rank < 1:
            raise self.fail("the input must have at least one dimension")
        if x.dtype not in self._input_types:
            raise self.fail(f"input has type {x.dtype.name} but must have type "
                            + ", ".join(sorted(t.name for t in self._input_types)))
        to = self.to_type  # type: ignore[attr-defined]
        if to not in self._output_types:
            raise self.fail(f"output has type {to.name} but must have type "
                            + ", ".join(sorted(t.name for t in self._output_types)))
        if scale.dtype not in FLOAT_TYPES:
            raise self.fail(f"the scale has type {scale.dtype.name} but must be FLOAT, HALF "
                            "or BF16")
        if scale.rank > 1:
            raise self.fail(f"the scale must be a scalar or a 1-D tensor, got shape "
                            f"{scale.shape} (block quantization is not supported)")
        per_channel = scale.rank == 1 and scale.shape[0] != 1
        # TensorRT also takes axis == rank when the scale is per tensor (it ignores the axis)
        if not -x.rank <= self.axis < x.rank + (not per_channel):
            raise self.fail(f"axis {self.axis} is out of range for an input of rank {x.rank}")
        if per_channel:
            channels = x.shape[self.axis]
            if channels < 0 or scale.shape[0] != channels:
                raise self.fail(f"a per-channel scale of {scale.shape[0]} values must match the "
                                f"input's dimension {self.axis % x.rank} ({channels}), which must "
                                "be known at build time")
        return TensorInfo(x.shape, to)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        return [self._check(ins)]

    def _scale(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        scale = scale.float()
        if scale.dim() == 1 and scale.numel() != 1:
            axis = self.axis % x.dim()
            return scale.reshape([-1 if d == axis else 1 for d in range(x.dim())])
        return scale.reshape(())


class IQuantizeLayer(_QDQLayer):
    layer_type = LayerType.QUANTIZE
    to_type = enum_prop(DataType, DataType.INT8)
    _input_types = FLOAT_TYPES
    _output_types = QUANTIZED_TYPES

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x, to = ins[0], self.to_type
        if to not in EXECUTABLE_QUANTIZED:
            raise TypeError(f"the reference cannot execute quantization to {to.name}")
        y = x.float() / self._scale(x, ins[1])
        if to == DataType.INT8:
            return [torch.round(y).clamp(-128, 127).to(torch.int8)]
        return [y.clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)]


class IDequantizeLayer(_QDQLayer):
    layer_type = LayerType.DEQUANTIZE
    to_type = enum_prop(DataType, DataType.FLOAT)
    _input_types = QUANTIZED_TYPES
    _output_types = FLOAT_TYPES

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        if x.dtype not in (torch.int8, torch.float8_e4m3fn):
            raise TypeError(f"the reference cannot execute dequantization of {x.dtype}")
        y = x.float() * self._scale(x, ins[1])
        return [y.to(torch_dtype(self.to_type))]


def _add_qdq(network: Any, cls: type[_QDQLayer], ctor: str, input: ITensor, scale: ITensor,
             output_type: DataType) -> Any:
    layer = add_layer(network, cls, ctor,
                      {"input": input, "scale": scale, "output_type": output_type},
                      [input, scale])
    layer.to_type = output_type
    return layer


@_method
def add_quantize(self: Any, input: ITensor, scale: ITensor,
                 output_type: DataType) -> IQuantizeLayer:
    return _add_qdq(self, IQuantizeLayer, "add_quantize", input, scale, output_type)


@_method
def add_dequantize(self: Any, input: ITensor, scale: ITensor,
                   output_type: DataType) -> IDequantizeLayer:
    return _add_qdq(self, IDequantizeLayer, "add_dequantize", input, scale, output_type)
