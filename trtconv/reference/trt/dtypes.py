"""TensorRT's data types and torch's: the mapping both ways, sizes and the type families."""

from __future__ import annotations

import torch

from .enums import DataType, coerce_enum

_TORCH_OF: dict[DataType, torch.dtype] = {
    DataType.FLOAT: torch.float32,
    DataType.HALF: torch.float16,
    DataType.BF16: torch.bfloat16,
    DataType.INT8: torch.int8,
    DataType.INT32: torch.int32,
    DataType.INT64: torch.int64,
    DataType.BOOL: torch.bool,
    DataType.UINT8: torch.uint8,
    DataType.FP8: torch.float8_e4m3fn,
}
_TRT_OF: dict[torch.dtype, DataType] = {v: k for k, v in _TORCH_OF.items()}
_ITEMSIZE: dict[DataType, float] = {
    DataType.FLOAT: 4, DataType.HALF: 2, DataType.BF16: 2, DataType.INT8: 1, DataType.INT32: 4,
    DataType.INT64: 8, DataType.BOOL: 1, DataType.UINT8: 1, DataType.FP8: 1, DataType.INT4: 0.5,
    DataType.FP4: 0.5, DataType.E8M0: 1,
}
FLOAT_TYPES = frozenset({DataType.FLOAT, DataType.HALF, DataType.BF16})
INT_TYPES = frozenset({DataType.INT32, DataType.INT64})
SHAPE_TYPES = frozenset({DataType.INT32, DataType.INT64})
QUANT_TYPES = frozenset({DataType.INT8, DataType.FP8, DataType.INT4, DataType.FP4, DataType.UINT8})


def torch_dtype(dtype: DataType) -> torch.dtype:
    """The torch dtype that holds a TensorRT `DataType` (TypeError for INT4/FP4/E8M0)."""
    try:
        return _TORCH_OF[coerce_enum(DataType, dtype, "dtype")]
    except KeyError:
        raise TypeError(f"the reference runtime has no torch dtype for {dtype}") from None


def trt_dtype(dtype: torch.dtype) -> DataType:
    """The TensorRT `DataType` of a torch dtype (TypeError for float64 and other unsupported)."""
    try:
        return _TRT_OF[dtype]
    except KeyError:
        raise TypeError(f"TensorRT has no data type for torch.{str(dtype).split('.')[-1]}") from None


def itemsize(dtype: DataType) -> float:
    return _ITEMSIZE[dtype]


# DataType.itemsize like the real binding.
DataType.itemsize = property(lambda self: _ITEMSIZE[self])  # type: ignore[attr-defined]
