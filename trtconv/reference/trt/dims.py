"""`trt.Dims`, `trt.Permutation` and `trt.Weights`: the value types of layer parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .dtypes import _TORCH_OF, trt_dtype
from .enums import DataType, coerce_enum


class Dims(tuple):
    """`trt.Dims`: a tuple of ints; -1 marks a dynamic dimension."""

    MAX_DIMS = 8

    def __new__(cls, shape: Iterable[int] = ()) -> Dims:
        return super().__new__(cls, (int(d) for d in shape))

    def __repr__(self) -> str:
        return repr(tuple(self))


class Dims2(Dims):
    pass


class Dims3(Dims):
    pass


class Dims4(Dims):
    pass


class DimsHW(Dims2):
    pass


class Permutation(tuple):
    """`trt.Permutation`: the order in which a shuffle reads its input's axes."""

    def __new__(cls, arg0: Iterable[int] = ()) -> Permutation:
        return super().__new__(cls, (int(d) for d in arg0))


def as_dims(value: Any, what: str) -> Dims:
    """A `Dims` from any sequence of ints (a real `trt.Dims` too), or TypeError naming `what`."""
    try:
        return Dims(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a sequence of ints, got {value!r}") from None


class Weights:
    """`trt.Weights`: host data for constants, kernels and biases.

    Accepts a numpy array, a torch tensor, a real `tensorrt.Weights`, or a DataType alone
    (empty weights). The data is copied, so later changes to the source do not leak in.
    """

    def __init__(self, type: Any = DataType.FLOAT, ptr: int | None = None,
                 count: int | None = None):
        # TensorRT's overloads are (type), (type, ptr, count) and (a: ndarray): `type` may
        # be the array itself.
        if ptr is not None:
            raise TypeError("Weights from a raw pointer are not supported by the reference")
        a = type
        if isinstance(a, DataType) or (hasattr(a, "name") and a.__class__.__name__ == "DataType"):
            self._dtype = coerce_enum(DataType, a, "Weights type")
            self._data = torch.empty(0, dtype=_TORCH_OF.get(self._dtype, torch.float32))
            return
        if hasattr(a, "numpy") and not isinstance(a, torch.Tensor):
            a = a.numpy()  # a real trt.Weights
        if isinstance(a, np.ndarray):
            if a.dtype == np.float64:
                raise TypeError("Weights do not accept float64 arrays; convert to float32 first")
            a = torch.from_numpy(np.ascontiguousarray(a))
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"Weights need a numpy array or torch tensor, got {a.__class__.__name__}")
        tensor = a.detach().to("cpu").contiguous().clone()
        self._dtype = trt_dtype(tensor.dtype)
        self._data = tensor

    @property
    def dtype(self) -> DataType:
        return self._dtype

    @property
    def size(self) -> int:
        return self._data.numel()

    @property
    def nbytes(self) -> int:
        return self._data.numel() * self._data.element_size()

    def numpy(self) -> np.ndarray:
        if self._data.dtype == torch.bfloat16:
            return self._data.view(torch.int16).numpy().view(np.dtype("V2"))
        return self._data.numpy()

    @property
    def tensor(self) -> torch.Tensor:
        """The data as a flat torch tensor (reference-only accessor)."""
        return self._data.reshape(-1)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Weights(dtype={self._dtype}, size={self.size})"


def as_weights(value: Any, what: str) -> Weights:
    if value is None:
        return Weights(DataType.FLOAT)
    if isinstance(value, Weights):
        return value
    try:
        return Weights(value)
    except TypeError as e:
        raise TypeError(f"{what}: {e}") from None
