"""The reference TensorRT's building blocks: dims, weights, tensors, layers and their properties.

Every layer family (one file in `layers/`) subclasses `ILayer`, declares its properties with
`Prop`, and implements two pure functions:

- `infer(ins)`: from the inputs' `TensorInfo` (shape with -1 for unknown dims, dtype, and for
  small integer shape tensors the host-known value) to the outputs' `TensorInfo`, raising
  `LayerError` for anything TensorRT rejects;
- `execute(ins)`: from input torch tensors to output torch tensors.

The same `infer` runs at network-definition time (dims may be -1) and at run time with the
concrete input shapes, so the runtime's output shapes come from the same code as the builder's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from .enums import DataType, LayerType, TensorLocation, coerce_enum

if TYPE_CHECKING:
    from .network import INetworkDefinition

# ---------------------------------------------------------------------------------------------
# dtypes

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


# ---------------------------------------------------------------------------------------------
# Dims, Permutation, Weights

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


# ---------------------------------------------------------------------------------------------
# Shape/type inference records

Value = tuple  # host-known values of a small int tensor, flat, entries int or None


@dataclass(frozen=True)
class TensorInfo:
    """What inference knows about a tensor: shape (-1 unknown), dtype, host value if known.

    `symbols`, when set, runs alongside `value`: for an unknown (None) entry that is a dynamic
    dimension of some tensor, the `DimRef` naming it. TensorRT reasons symbolically, so a
    reshape of `x` to `(x.shape[0], -1)` has a known second dim; a shuffle uses `symbols` to
    cancel such an entry against its own input's dimension. Layers that ignore it lose nothing.
    """

    shape: tuple[int, ...]
    dtype: DataType
    value: Value | None = None
    symbols: tuple[DimRef | None, ...] | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    def known_value(self) -> tuple[int, ...] | None:
        """The host value if every element is known."""
        if self.value is None or any(v is None for v in self.value):
            return None
        return self.value


class LayerError(RuntimeError):
    """A layer that TensorRT would reject; raised by `infer`, reported with the layer's name."""


def volume(shape: Sequence[int]) -> int:
    """Number of elements of a shape, -1 if any dim is unknown."""
    if any(d < 0 for d in shape):
        return -1
    return math.prod(shape)


def broadcast_dims(a: int, b: int, what: str) -> int:
    """TensorRT's per-dimension broadcast of two equal-rank shapes (1 stretches, -1 unknown)."""
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    if a == -1 or b == -1:
        # An unknown dim meets a known one: it must be 1 or equal, so the result is the known
        # one (TensorRT infers (-1) with (5) as 5).
        return max(a, b)
    raise LayerError(f"{what}: dimensions {a} and {b} cannot be broadcast")


def broadcast_shapes(shapes: Sequence[Sequence[int]], what: str) -> tuple[int, ...]:
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        raise LayerError(f"{what}: inputs must have the same rank, got shapes "
                         + " and ".join(str(tuple(s)) for s in shapes))
    out = list(shapes[0])
    for s in shapes[1:]:
        out = [broadcast_dims(a, b, what) for a, b in zip(out, s)]
    return tuple(out)


def normalize_axis(axis: int, rank: int, what: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise LayerError(f"{what}: axis {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


def axes_from_mask(mask: int, rank: int, what: str) -> list[int]:
    if mask < 0 or mask >= (1 << max(rank, 0)) and rank < 32:
        raise LayerError(f"{what}: axes bitmask {mask:#b} names axes beyond rank {rank}")
    return [i for i in range(rank) if mask >> i & 1]


# ---------------------------------------------------------------------------------------------
# Tensors


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


# ---------------------------------------------------------------------------------------------
# Layers and their properties

_UNSET = object()


class Prop:
    """A layer property with a default and a coercion; setting it re-runs inference downstream."""

    def __init__(self, default: Any, coerce: Callable[[Any], Any] | None = None,
                 serialize: Callable[[Any], Any] | None = None):
        self.default = default
        self.coerce = coerce
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, layer: ILayer | None, owner: type) -> Any:
        if layer is None:
            return self
        return layer._props.get(self.name, self.default)

    def __set__(self, layer: ILayer, value: Any) -> None:
        if self.coerce is not None:
            try:
                value = self.coerce(value)
            except (TypeError, ValueError) as e:
                raise TypeError(f"{type(layer).__name__}.{self.name}: {e}") from None
        layer._props[self.name] = value
        layer._network._invalidate(layer._index)


def enum_prop(enum_type: type, default: Any) -> Prop:
    return Prop(default, lambda v: coerce_enum(enum_type, v, enum_type.__name__))


def dims_prop(default: Sequence[int] = ()) -> Prop:
    return Prop(Dims(default), lambda v: as_dims(v, "value"))


def int_prop(default: int) -> Prop:
    return Prop(default, lambda v: int(v))


def float_prop(default: float) -> Prop:
    return Prop(default, lambda v: float(v))


def bool_prop(default: bool) -> Prop:
    return Prop(default, lambda v: bool(v))


def weights_prop() -> Prop:
    return Prop(None, lambda v: as_weights(v, "weights"))


# add_* methods and layer classes, filled by the layer families (see `network_method`).
NETWORK_METHODS: dict[str, Callable[..., Any]] = {}
LAYER_CLASSES: dict[str, type[ILayer]] = {}


def network_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register `fn` as an `INetworkDefinition.add_*` method (its name and parameters as TRT's)."""
    NETWORK_METHODS[fn.__name__] = fn
    return fn


class ILayer:
    """`trt.ILayer`. Subclasses set `layer_type`, declare `Prop`s and implement infer/execute."""

    layer_type: ClassVar[LayerType]
    num_fixed_outputs: ClassVar[int] = 1
    # Which inputs are shape tensors (their values are read on the host), by input index.
    shape_inputs: ClassVar[frozenset[int]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "layer_type" in cls.__dict__:
            LAYER_CLASSES[cls.__name__] = cls

    def __init__(self, network: INetworkDefinition, inputs: Sequence[ITensor | None],
                 ctor: str, ctor_args: dict[str, Any], num_outputs: int | None = None):
        self._network = network
        self._inputs: list[ITensor | None] = list(inputs)
        self._props: dict[str, Any] = {}
        self._set_inputs: dict[int, ITensor] = {}
        self._ctor = ctor
        self._ctor_args = ctor_args
        self._index = len(network._layers)
        self._name = f"(Unnamed Layer* {self._index}) [{self.layer_type.name.title()}]"
        self.metadata = ""
        n = self.num_fixed_outputs if num_outputs is None else num_outputs
        self._outputs = [ITensor(network, f"{self._name}_output_{i}", self, i) for i in range(n)]

    # --- TensorRT's ILayer API -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    @property
    def type(self) -> LayerType:
        return self.layer_type

    @property
    def num_inputs(self) -> int:
        return len(self._inputs)

    @property
    def num_outputs(self) -> int:
        return len(self._outputs)

    @property
    def num_ranks(self) -> int:
        return 1

    def get_input(self, index: int) -> ITensor | None:
        return self._inputs[index] if 0 <= index < len(self._inputs) else None

    def get_output(self, index: int) -> ITensor | None:
        return self._outputs[index] if 0 <= index < len(self._outputs) else None

    def get_output_type(self, index: int) -> DataType:
        out = self.get_output(index)
        if out is None:
            raise IndexError(f"{self._name} has no output {index}")
        return out.dtype

    def set_input(self, index: int, tensor: ITensor) -> None:
        if not isinstance(tensor, ITensor):
            raise TypeError(f"{self._name}.set_input: expected an ITensor, got {tensor!r}")
        if tensor._network is not self._network:
            raise ValueError(f"{self._name}.set_input: tensor belongs to another network")
        if index < 0 or index > self.max_inputs():
            raise IndexError(f"{self._name}.set_input: input index {index} out of range")
        while len(self._inputs) <= index:
            self._inputs.append(None)
        self._inputs[index] = tensor
        self._set_inputs[index] = tensor
        self._network._invalidate(self._index)

    def max_inputs(self) -> int:
        """Highest input index `set_input` accepts."""
        return len(self._inputs) - 1

    # --- for subclasses ----------------------------------------------------------------------
    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        raise NotImplementedError

    def execute(self, ins: list[torch.Tensor | None]) -> list[torch.Tensor]:
        raise NotImplementedError

    def fail(self, message: str) -> LayerError:
        return LayerError(f"{self._name} [{self.layer_type.name}]: {message}")

    def require_inputs(self, ins: list[TensorInfo | None], count: int) -> list[TensorInfo]:
        if len(ins) < count or any(i is None for i in ins[:count]):
            raise self.fail(f"needs {count} input(s)")
        return ins  # type: ignore[return-value]

    # --- reference-only -----------------------------------------------------------------------
    @classmethod
    def props(cls) -> dict[str, Prop]:
        """Declared properties, base classes first."""
        found: dict[str, Prop] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Prop):
                    found[key] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name!r}>"


def add_layer(network: INetworkDefinition, cls: type[ILayer], ctor: str, args: dict[str, Any],
              inputs: Sequence[Any], num_outputs: int | None = None) -> Any:
    """Create and append a layer for an `add_*` call, checking that inputs are this network's.

    `args` are the call's arguments by parameter name, in order: they are what a recording
    replays. `inputs` are the layer's input tensors (`None` for an optional absent one).
    """
    for position, tensor in enumerate(inputs):
        if tensor is None:
            continue
        if not isinstance(tensor, ITensor):
            raise TypeError(f"{ctor}: input {position} must be an ITensor, "
                            f"got {type(tensor).__name__}")
        if tensor._network is not network:
            raise ValueError(f"{ctor}: input {tensor.name!r} belongs to another network")
    layer = cls(network, list(inputs), ctor, args, num_outputs)
    return network._add_layer(layer)


@dataclass(frozen=True)
class DimRef:
    """Dimension `axis` of `tensor`, a dynamic one: an entry of `TensorInfo.symbols`."""

    tensor: ITensor
    axis: int


def moved_value(infos: Sequence[TensorInfo], move: Callable[..., torch.Tensor], limit: int,
                fill: int | None = None) -> tuple[Value | None, tuple | None]:
    """The host value and symbols after a pure data-movement op (slice, gather, concat, ...).

    `move` gets one tensor of element positions per input (numbered across all inputs) and
    moves them as the op moves data; a negative position in its result stands for `fill`.
    Unknown entries stay unknown. (None, None) if an input has no value or the result is over
    `limit`.
    """
    if any(i.value is None or volume(i.shape) < 0 for i in infos):
        return None, None
    flat: list[int | None] = []
    refs: list[DimRef | None] = []
    positions = []
    for info in infos:
        n = volume(info.shape)
        positions.append(torch.arange(len(flat), len(flat) + n).reshape(info.shape))
        flat.extend(info.value)  # type: ignore[arg-type]
        refs.extend(info.symbols or (None,) * n)
    moved = move(*positions).reshape(-1).tolist()
    if len(moved) > limit:
        return None, None
    value = tuple(flat[p] if p >= 0 else fill for p in moved)
    symbols = tuple(refs[p] if p >= 0 else None for p in moved)
    return value, (symbols if any(symbols) else None)


def known_rank(tensor: ITensor) -> int | None:
    """The rank inference gives `tensor` now (None if it is invalid; nothing is logged).

    For defaults that TensorRT derives from the input when a layer is created."""
    info = tensor._network._lookup(tensor)
    return None if isinstance(info, LayerError) else info.rank


def host_info(t: torch.Tensor, with_value: bool = True) -> TensorInfo:
    """The `TensorInfo` of a run-time tensor, with its values (for shape-tensor inputs read by
    `execute` through the same checks as `infer`)."""
    value = tuple(int(v) for v in t.reshape(-1).tolist()) if with_value else None
    return TensorInfo(tuple(t.shape), trt_dtype(t.dtype), value)
