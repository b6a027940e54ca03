"""`trt.ILayer`, the base of every layer family, its declared properties (`Prop`), and the
registries the families fill (`add_*` network methods, layer classes by name)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from .dims import Dims, as_dims, as_weights
from .enums import DataType, LayerType, coerce_enum
from .inference import LayerError, TensorInfo
from .tensor import ITensor

if TYPE_CHECKING:
    from .network import INetworkDefinition

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

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """`execute` for inputs and outputs of the concrete shapes `ins`/`outs` (what the
        runtime calls at those shapes); families override it to do their shape work once."""
        return self.execute

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
