"""The converted network as an ONNX file (`model_trt.to_onnx(path)`,
`trtconv export-onnx model.pth -o net.onnx`), for Netron and as a second, independent check.

One ONNX node per TensorRT layer, named after the layer (`<module.path>/<op>_<n>[.k]`, so
Netron shows where each came from; the layer's `<op> @ <file>:<line>` is its doc string):

- a standard ONNX operator where one computes exactly what the layer computes (conv, matmul,
  elementwise, activations, reshape or transpose, slices with static bounds, ...: see
  `trtconv.onnx_ops`); a constant layer is an `Identity` of its initializer;
- otherwise a node in the `trt` domain whose op type is the layer type (`Shuffle`, `Resize`,
  `Normalization`...) and whose attributes are the layer's properties (enums by name); its
  weights are extra inputs, named in the `weight_inputs` attribute.

Weights are initializers, every tensor has its shape (dynamic dims unnamed, network inputs'
named `<input>_d<axis>`) and dtype as value_info, and `onnx.checker.check_model` accepts the
result. Where every node is standard, onnxruntime runs the file.

>>> import torch, trtconv, tempfile, os
>>> model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
>>> m = trtconv.convert(model, [torch.randn(1, 3, 8, 8)], backend="reference")
>>> proto = m.to_onnx(os.path.join(tempfile.mkdtemp(), "net.onnx"))
>>> [(n.op_type, n.name) for n in proto.graph.node]
[('Conv', '0/conv2d_0'), ('Relu', '1/relu_0')]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .errors import TrtconvError
from .onnx_ops import MAPPERS
from .reference import trt, walk

OPSET = 20  # Gelu, ReduceMean with an axes input, GridSample over N-D
TRT_DOMAIN = "trt"
IR_VERSION = 10


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise TrtconvError("the ONNX export needs the onnx package: pip install onnx") from None
    return onnx


class Exporter:
    """Collects nodes, initializers and value infos for one reference network."""

    def __init__(self, network: Any, islands: dict[str, str] | None = None):
        self.onnx = _onnx()
        self.network = network
        self.islands = islands or {}
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.used: set[str] = {t.name for t in walk.inputs(network)}
        self.custom = 0

    # --- helpers the mappers use ----------------------------------------------------------------
    @staticmethod
    def name(tensor: Any) -> str:
        return "" if tensor is None else tensor.name

    def onnx_dtype(self, dtype: Any) -> int:
        tp = self.onnx.TensorProto
        table = {"FLOAT": tp.FLOAT, "HALF": tp.FLOAT16, "BF16": tp.BFLOAT16, "INT8": tp.INT8,
                 "INT32": tp.INT32, "INT64": tp.INT64, "BOOL": tp.BOOL, "UINT8": tp.UINT8,
                 "FP8": tp.FLOAT8E4M3FN, "INT4": tp.INT4, "FP4": tp.FLOAT4E2M1}
        return table[dtype.name]

    def initializer(self, layer: Any, key: str, value: torch.Tensor) -> str:
        """An initializer `<layer name>/<key>` holding `value` (any dtype, raw bytes)."""
        name = f"{layer.name}/{key}"
        while name in self.used:
            name += "_"
        self.used.add(name)
        value = value.detach().contiguous()
        raw = value.reshape(-1).view(torch.uint8).numpy().tobytes() if value.numel() else b""
        self.initializers.append(self.onnx.helper.make_tensor(
            name, self.onnx_dtype(trt.trt_dtype(value.dtype)), list(value.shape), raw,
            raw=True))
        return name

    def ints(self, layer: Any, key: str, values: list[int]) -> str:
        return self.initializer(layer, key, torch.tensor(values, dtype=torch.int64))

    def node(self, layer: Any, op_type: str, inputs: list[str], domain: str = "",
             **attrs: Any) -> bool:
        doc = layer.metadata
        if layer.name in self.islands:
            doc = f"{doc}; fp32 island: {self.islands[layer.name]}".lstrip("; ")
        node = self.onnx.helper.make_node(op_type, inputs, [t.name for t in walk.layer_outputs(layer)],
                                          name=layer.name, domain=domain, doc_string=doc,
                                          **attrs)
        self.nodes.append(node)
        return True

    # --- layers ---------------------------------------------------------------------------------
    def layer(self, layer: Any) -> None:
        mapper = MAPPERS.get(type(layer).__name__)
        if mapper is None or not mapper(self, layer):
            self.custom_node(layer)

    def custom_node(self, layer: Any) -> None:
        """A `trt`-domain node: properties as attributes, weights as extra inputs."""
        inputs = [self.name(t) for t in walk.layer_inputs(layer)]
        attrs: dict[str, Any] = {}
        weights = []
        for key in type(layer).props():
            value = getattr(layer, key)
            if isinstance(value, trt.Weights):
                if value.size:
                    inputs.append(self.initializer(layer, key, self._weight(layer, key, value)))
                    weights.append(key)
            elif (encoded := _attribute(value)) is not None:
                attrs[key] = encoded
        if weights:
            attrs["weight_inputs"] = weights
        self.custom += 1
        self.node(layer, type(layer).__name__[1:].removesuffix("Layer"), inputs,
                  domain=TRT_DOMAIN, **attrs)

    @staticmethod
    def _weight(layer: Any, key: str, value: Any) -> torch.Tensor:
        if key == "weights" and hasattr(layer, "shape"):
            return value.tensor.reshape(tuple(layer.shape))
        return value.tensor

    # --- the model ------------------------------------------------------------------------------
    def value_info(self, tensor: Any, input_dims: bool = False) -> Any:
        dims = [d if d >= 0 else (f"{tensor.name}_d{i}" if input_dims else None)
                for i, d in enumerate(tensor.shape)]
        return self.onnx.helper.make_tensor_value_info(tensor.name,
                                                       self.onnx_dtype(tensor.dtype), dims)

    def model(self, name: str, metadata: dict[str, str]) -> Any:
        helper = self.onnx.helper
        for layer in walk.layers(self.network):
            self.layer(layer)
        outputs = {t.name for t in walk.outputs(self.network)}
        inner = [t for layer in walk.layers(self.network) for t in walk.layer_outputs(layer)
                 if t.name not in outputs]
        graph = helper.make_graph(
            self.nodes, name, [self.value_info(t, True) for t in walk.inputs(self.network)],
            [self.value_info(t) for t in walk.outputs(self.network)], self.initializers,
            value_info=[self.value_info(t) for t in inner])
        opsets = [helper.make_opsetid("", OPSET)]
        if self.custom:
            opsets.append(helper.make_opsetid(TRT_DOMAIN, 1))
        model = helper.make_model(graph, opset_imports=opsets, producer_name="trtconv",
                                  ir_version=IR_VERSION)
        helper.set_model_props(model, metadata)
        return model


def _attribute(value: Any) -> Any:
    """A property as an ONNX attribute value (None: not representable, left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)) and not hasattr(value, "name"):
        return value
    if hasattr(value, "name") and hasattr(value, "value"):  # an enum: its member name
        return str(value.name)
    if isinstance(value, (list, tuple)):
        items = [_attribute(v) for v in value]
        if items and all(isinstance(v, int) for v in items):
            return items
        if items and all(isinstance(v, (int, float)) for v in items):
            return [float(v) for v in items]
        return None
    return None


def network_to_onnx(network: Any, name: str = "trtconv", metadata: dict[str, Any] | None = None
                    ) -> Any:
    """The `onnx.ModelProto` of a reference network (see the module docstring)."""
    metadata = dict(metadata or {})
    props = {f"trtconv.{k}": str(metadata[k]) for k in ("precision", "backend", "tensorrt")
             if k in metadata}
    exporter = Exporter(network, metadata.get("fp32_islands"))
    return exporter.model(name, props)


def is_standard(model: Any) -> bool:
    """Whether every node is a standard ONNX operator (then onnxruntime can run it)."""
    return all(node.domain in ("", "ai.onnx") for node in model.graph.node)


def export(module: Any, path: str | Path | None = None) -> Any:
    """`TRTModule.to_onnx`: the checked `onnx.ModelProto`, saved to `path` when given."""
    from .backends.replay import rebuild
    from .graph import recording_of

    onnx = _onnx()
    recording = recording_of(module)
    metadata = {**module.metadata, "backend": module.backend}
    model = network_to_onnx(rebuild(recording), "trtconv", metadata)
    onnx.checker.check_model(model, full_check=is_standard(model))
    if path is not None:
        onnx.save(model, str(path))
    return model
