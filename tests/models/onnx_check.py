"""The ONNX export of a converted zoo model (test_zoo.py calls it on each conversion)."""

from __future__ import annotations

import onnx

import trtconv
from trtconv.onnx_export import is_standard


def check_onnx_export(converted: trtconv.TRTModule) -> None:
    """One node per layer, named after it; onnx.checker accepts the model (with full shape
    inference when every node is standard)."""
    proto = converted.to_onnx()
    layers = converted.metadata["num_layers"]
    assert len(proto.graph.node) == layers, (len(proto.graph.node), layers)
    assert len({n.name for n in proto.graph.node}) == layers
    onnx.checker.check_model(proto, full_check=is_standard(proto))
