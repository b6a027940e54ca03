"""`trt.ITensor`: a value in a network, whose shape and dtype come from inference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .dims import Dims, as_dims
from .enums import DataType, TensorLocation, coerce_enum
from .inference import LayerError, TensorInfo

if TYPE_CHECKING:
    from .layer import ILayer
    from .network import INetworkDefinition


class ITensor:
    """`trt.ITensor`: a value in a network. Its shape and dtype come from inference."""

    def __init__(self, network: INetworkDefinition, name: str, producer: ILayer | None,
                 index: int, info: TensorInfo | None = None):
        self._network = network
        self._name = name
        self._producer = producer
        self._index = index
        self._input_info = info  # network inputs carry their declared info
        self.location = TensorLocation.DEVICE
        self.allowed_formats = 1
        self.broadcast_across_batch = False
        self._dimension_names: dict[int, str] = {}

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._network._rename_tensor(self, str(value))

    @property
    def info(self) -> TensorInfo:
        """Reference-only: the inferred `TensorInfo` (raises RuntimeError if invalid)."""
        return self._network._info(self)

    @property
    def shape(self) -> Dims:
        return Dims(self.info.shape)

    @shape.setter
    def shape(self, value: Sequence[int]) -> None:
        if not self.is_network_input:
            raise RuntimeError(f"{self._name}: only a network input's shape can be set")
        old = self._input_info
        assert old is not None
        self._input_info = TensorInfo(tuple(as_dims(value, "shape")), old.dtype)
        self._network._invalidate(0)

    @property
    def dtype(self) -> DataType:
        return self.info.dtype

    @dtype.setter
    def dtype(self, value: DataType) -> None:
        if not self.is_network_input:
            raise RuntimeError(f"{self._name}: in a strongly typed network only inputs have a "
                               "settable dtype; add a cast layer instead")
        old = self._input_info
        assert old is not None
        self._input_info = TensorInfo(old.shape, coerce_enum(DataType, value, "dtype"))
        self._network._invalidate(0)

    @property
    def is_network_input(self) -> bool:
        return self._producer is None

    @property
    def is_network_output(self) -> bool:
        return self in self._network._outputs

    @property
    def is_shape_tensor(self) -> bool:
        return self._network._is_shape_tensor(self)

    @property
    def is_execution_tensor(self) -> bool:
        return not self.is_shape_tensor or self.is_network_output

    def get_dimension_name(self, index: int) -> str:
        return self._dimension_names.get(int(index), "")

    def set_dimension_name(self, index: int, name: str) -> None:
        self._dimension_names[int(index)] = str(name)

    def __repr__(self) -> str:
        return f"<ITensor {self._name!r}>"


def known_rank(tensor: ITensor) -> int | None:
    """The rank inference gives `tensor` now (None if it is invalid; nothing is logged).

    For defaults that TensorRT derives from the input when a layer is created."""
    info = tensor._network._lookup(tensor)
    return None if isinstance(info, LayerError) else info.rank
