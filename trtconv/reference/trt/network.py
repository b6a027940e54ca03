"""`INetworkDefinition`: layers, inputs, outputs, and incremental shape/type inference."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .core import (
    NETWORK_METHODS,
    Dims,
    ILayer,
    ITensor,
    LayerError,
    TensorInfo,
    as_dims,
)
from .enums import DataType, NetworkDefinitionCreationFlag, Severity, coerce_enum

if TYPE_CHECKING:
    from .builder import Builder


def infer_layer(layer: ILayer, ins: list[TensorInfo | None]) -> list[TensorInfo]:
    """Run a layer's inference and check it produced one info per output."""
    outs = layer.infer(ins)
    if len(outs) != layer.num_outputs:
        raise layer.fail(f"inference produced {len(outs)} outputs, expected {layer.num_outputs}")
    return outs


class INetworkDefinition:
    """`trt.INetworkDefinition`, strongly typed (the only kind TensorRT 11 has)."""

    def __init__(self, builder: Builder | None = None, flags: int = 0):
        self._builder = builder
        self._flags = int(flags)
        self._layers: list[ILayer] = []
        self._inputs: list[ITensor] = []
        self._outputs: list[ITensor] = []
        self._tensor_names: dict[str, ITensor] = {}
        # Inference cache: one entry per layer, valid for layers below `_valid_upto`.
        self._cache: list[list[TensorInfo] | LayerError] = []
        self._valid_upto = 0
        self.name = "Unnamed Network 0"
        self.error_recorder = None

    # --- properties ---------------------------------------------------------------------------
    @property
    def builder(self) -> Builder | None:
        return self._builder

    @property
    def flags(self) -> int:
        return self._flags

    def get_flag(self, flag: NetworkDefinitionCreationFlag) -> bool:
        return bool(self._flags >> int(coerce_enum(NetworkDefinitionCreationFlag, flag)) & 1)

    @property
    def has_implicit_batch_dimension(self) -> bool:
        return False

    @property
    def num_layers(self) -> int:
        return len(self._layers)

    @property
    def num_inputs(self) -> int:
        return len(self._inputs)

    @property
    def num_outputs(self) -> int:
        return len(self._outputs)

    def get_layer(self, index: int) -> ILayer | None:
        return self._layers[index] if 0 <= index < len(self._layers) else None

    def get_input(self, index: int) -> ITensor | None:
        return self._inputs[index] if 0 <= index < len(self._inputs) else None

    def get_output(self, index: int) -> ITensor | None:
        return self._outputs[index] if 0 <= index < len(self._outputs) else None

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, index: int) -> ILayer:
        return self._layers[index]

    def __iter__(self) -> Iterator[ILayer]:
        return iter(list(self._layers))

    # --- inputs and outputs -------------------------------------------------------------------
    def add_input(self, name: str, dtype: DataType, shape: Sequence[int]) -> ITensor:
        name = str(name)
        if name in self._tensor_names:
            raise ValueError(f"add_input: a tensor named {name!r} already exists")
        dims = as_dims(shape, "add_input shape")
        if any(d < -1 for d in dims):
            raise ValueError(f"add_input {name!r}: dimensions must be >= -1, got {tuple(dims)}")
        info = TensorInfo(tuple(dims), coerce_enum(DataType, dtype, "add_input dtype"))
        tensor = ITensor(self, name, None, len(self._inputs), info)
        self._inputs.append(tensor)
        self._tensor_names[name] = tensor
        return tensor

    def mark_output(self, tensor: ITensor) -> None:
        self._check_own(tensor, "mark_output")
        if tensor not in self._outputs:
            self._outputs.append(tensor)

    def mark_output_for_shapes(self, tensor: ITensor) -> bool:
        self.mark_output(tensor)
        return True

    def unmark_output(self, tensor: ITensor) -> None:
        self._check_own(tensor, "unmark_output")
        if tensor in self._outputs:
            self._outputs.remove(tensor)

    def remove_tensor(self, tensor: ITensor) -> None:
        self._check_own(tensor, "remove_tensor")
        if tensor in self._inputs:
            self._inputs.remove(tensor)
        self._tensor_names.pop(tensor.name, None)
        self._invalidate(0)

    # --- inference ----------------------------------------------------------------------------
    def _check_own(self, tensor: Any, what: str) -> None:
        if not isinstance(tensor, ITensor):
            raise TypeError(f"{what}: expected an ITensor, got {type(tensor).__name__}")
        if tensor._network is not self:
            raise ValueError(f"{what}: tensor {tensor.name!r} belongs to another network")

    def _invalidate(self, layer_index: int) -> None:
        self._valid_upto = min(self._valid_upto, layer_index)

    def _compute(self, upto: int) -> None:
        """Infer layers `_valid_upto..upto` in order; each layer's inputs come earlier."""
        del self._cache[self._valid_upto:]
        for layer in self._layers[self._valid_upto:upto + 1]:
            self._cache.append(self._infer_cached(layer))
            self._valid_upto = layer._index + 1

    def _infer_cached(self, layer: ILayer) -> list[TensorInfo] | LayerError:
        ins: list[TensorInfo | None] = []
        for tensor in layer._inputs:
            if tensor is None:
                ins.append(None)
                continue
            producer = tensor._producer
            if producer is not None and producer._index >= layer._index:
                return layer.fail(f"input {tensor.name!r} is produced by a later layer")
            result = self._lookup(tensor)
            if isinstance(result, LayerError):
                return layer.fail(f"input {tensor.name!r} is invalid")
            ins.append(result)
        try:
            return infer_layer(layer, ins)
        except LayerError as e:
            return e

    def _lookup(self, tensor: ITensor) -> TensorInfo | LayerError:
        if tensor._producer is None:
            assert tensor._input_info is not None
            return tensor._input_info
        index = tensor._producer._index
        if index >= self._valid_upto:
            self._compute(index)
        entry = self._cache[index]
        return entry if isinstance(entry, LayerError) else entry[tensor._index]

    def _info(self, tensor: ITensor) -> TensorInfo:
        result = self._lookup(tensor)
        if isinstance(result, LayerError):
            self._log(Severity.ERROR, str(result))
            raise RuntimeError(f"Could not get tensor shape: {result}")
        return result

    def _first_error(self) -> LayerError | None:
        """The first layer TensorRT would reject, if any (used by the builder)."""
        if self._layers:
            self._compute(len(self._layers) - 1)
        for entry in self._cache:
            if isinstance(entry, LayerError):
                return entry
        return None

    def _is_shape_tensor(self, tensor: ITensor) -> bool:
        for layer in self._layers:
            for i in layer.shape_inputs:
                if i < len(layer._inputs) and layer._inputs[i] is tensor:
                    return True
        return False

    def _log(self, severity: Severity, message: str) -> None:
        if self._builder is not None:
            self._builder.logger.log(severity, message)

    # --- bookkeeping for layers -----------------------------------------------------------------
    def _add_layer(self, layer: ILayer) -> ILayer:
        self._layers.append(layer)
        for out in layer._outputs:
            self._tensor_names[out.name] = out
        return layer

    def _rename_tensor(self, tensor: ITensor, name: str) -> None:
        self._tensor_names.pop(tensor._name, None)
        tensor._name = name
        self._tensor_names[name] = tensor

    def _tensor(self, name: str) -> ITensor:
        return self._tensor_names[name]


def _install_network_methods() -> None:
    """Attach every registered `add_*` method (layers/ files register them on import)."""
    for name, fn in NETWORK_METHODS.items():
        setattr(INetworkDefinition, name, fn)


__all__ = ["INetworkDefinition", "infer_layer", "Dims"]
