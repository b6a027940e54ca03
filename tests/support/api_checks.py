"""API-level checks of reference layers against TensorRT-RTX, beside support/layer_harness.py.

- `check_defaults`: a fresh layer's properties read the same in both modules;
- `check_add_refused`: an `add_*` call TensorRT refuses (returns None) raises ValueError in
  the reference;
- `check_setter_refused`: a value a TensorRT setter refuses (logs an error, keeps the old value)
  raises TypeError in the reference.

`make(trt, network, *inputs)` builds the layer in module `trt`; inputs are (shape, dtype name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from support.layer_harness import rtx
from trtconv.backends.replay import capturing_logger
from trtconv.reference import trt as ref

Make = Callable[..., Any]
Inputs = Sequence[tuple[Sequence[int], str]]


def _network(trt: Any, inputs: Inputs) -> tuple[Any, Any, list[Any]]:
    """(logger, network, inputs); the network keeps its builder and logger alive."""
    logger = capturing_logger(trt)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    tensors = [network.add_input(f"in{i}", getattr(trt.DataType, dtype), tuple(shape))
               for i, (shape, dtype) in enumerate(inputs)]
    return logger, _Holder(network, builder, logger), tensors


class _Holder:
    """A network that also holds its builder and logger (TensorRT needs them alive)."""

    def __init__(self, network: Any, *keep: Any):
        self._network, self._keep = network, keep

    def __getattr__(self, name: str) -> Any:
        return getattr(self._network, name)


def plain(value: Any) -> Any:
    """A property value of either module as plain Python data, for comparing the two."""
    if isinstance(value, ref.Weights):
        return [float(v) for v in value.tensor.float().tolist()]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value.reshape(-1).tolist()]
    if hasattr(value, "name") and hasattr(type(value), "__members__"):
        return value.name  # an enum of either module
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return float(np.float32(value))
    return [plain(v) for v in value]


def check_defaults(make: Make, inputs: Inputs, names: Sequence[str]) -> dict[str, Any]:
    """The listed properties of a freshly made layer are equal in the reference and RTX."""
    values = {}
    for trt in (ref, rtx()):
        _, network, tensors = _network(trt, inputs)
        layer = make(trt, network, *tensors)
        values[trt] = {name: plain(getattr(layer, name)) for name in names}
    want, got = values[rtx()], values[ref]
    assert got == want, f"reference defaults {got} != TensorRT-RTX {want}"
    return got


def check_add_refused(make: Make, inputs: Inputs, match: str = "") -> None:
    """TensorRT-RTX's add_* returns None; the reference's raises ValueError matching `match`."""
    _, network, tensors = _network(rtx(), inputs)
    assert make(rtx(), network, *tensors) is None, "TensorRT-RTX accepted the add_* call"
    _, network, tensors = _network(ref, inputs)
    with pytest.raises(ValueError, match=match):
        make(ref, network, *tensors)


def check_setter_refused(make: Make, inputs: Inputs, name: str, value: Any) -> None:
    """TensorRT-RTX logs an error and keeps the old value; the reference raises TypeError."""
    logger, network, tensors = _network(rtx(), inputs)
    layer = make(rtx(), network, *tensors)
    before = plain(getattr(layer, name))
    setattr(layer, name, value)
    assert logger.errors(), f"TensorRT-RTX accepted {name} = {value!r}"
    assert plain(getattr(layer, name)) == before
    _, network, tensors = _network(ref, inputs)
    layer = make(ref, network, *tensors)
    with pytest.raises(TypeError):
        setattr(layer, name, value)
