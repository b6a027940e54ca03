"""The reference TensorRT's building blocks, in one import for the layer families.

Every layer family (one file in `layers/`) subclasses `ILayer`, declares its properties with
`Prop`, and implements two pure functions:

- `infer(ins)`: from the inputs' `TensorInfo` (shape with -1 for unknown dims, dtype, and for
  small integer shape tensors the host-known value) to the outputs' `TensorInfo`, raising
  `LayerError` for anything TensorRT rejects;
- `execute(ins)`: from input torch tensors to output torch tensors.

The same `infer` runs at network-definition time (dims may be -1) and at run time with the
concrete input shapes, so the runtime's output shapes come from the same code as the builder's.

They live in one module per topic: `dtypes` (DataType <-> torch dtype), `dims` (Dims,
Permutation, Weights), `inference` (TensorInfo, LayerError, shape helpers), `tensor` (ITensor),
`layer` (ILayer, Prop, the add_* and layer-class registries).
"""

from __future__ import annotations

from .dims import Dims, Dims2, Dims3, Dims4, DimsHW, Permutation, Weights, as_dims, as_weights
from .dtypes import (
    FLOAT_TYPES,
    INT_TYPES,
    QUANT_TYPES,
    SHAPE_TYPES,
    itemsize,
    torch_dtype,
    trt_dtype,
)
from .inference import (
    DimRef,
    LayerError,
    TensorInfo,
    Value,
    axes_from_mask,
    broadcast_dims,
    broadcast_shapes,
    host_info,
    moved_value,
    normalize_axis,
    volume,
)
from .layer import (
    LAYER_CLASSES,
    NETWORK_METHODS,
    ILayer,
    Prop,
    add_layer,
    bool_prop,
    dims_prop,
    enum_prop,
    float_prop,
    int_prop,
    network_method,
    weights_prop,
)
from .tensor import ITensor, known_rank

__all__ = [
    "Dims", "Dims2", "Dims3", "Dims4", "DimsHW", "Permutation", "Weights", "as_dims",
    "as_weights", "FLOAT_TYPES", "INT_TYPES", "QUANT_TYPES", "SHAPE_TYPES", "itemsize",
    "torch_dtype", "trt_dtype", "DimRef", "LayerError", "TensorInfo", "Value",
    "axes_from_mask", "broadcast_dims", "broadcast_shapes", "host_info", "moved_value",
    "normalize_axis", "volume", "LAYER_CLASSES", "NETWORK_METHODS", "ILayer", "Prop",
    "add_layer", "bool_prop", "dims_prop", "enum_prop", "float_prop", "int_prop",
    "network_method", "weights_prop", "ITensor", "known_rank",
]
