"""ILRNLayer: local response normalization across channels (axis 1).

y = x / (k + alpha / window * sum of x^2 over the `window` channels centred on x) ^ beta, with
zeros beyond the edges: torch.nn.functional.local_response_norm (checked against TensorRT's
output in NVIDIA's TensorRT cookbook).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer
from ..core import network_method as _method
from ..enums import LayerType
from ._common import check_dtype, from_compute, init_prop, set_initial, to_compute

MIN_RANK = 4


def _in_range(name: str, low: float, high: float, cast: Callable[[Any], Any] = float) -> Any:
    def coerce(value: Any) -> Any:
        value = cast(value)
        if not low <= value <= high:
            raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
        return value

    return coerce


def _window(value: Any) -> int:
    value = _in_range("window_size", 1, 15, int)(value)
    if value % 2 == 0:
        raise ValueError(f"window_size must be odd, got {value}")
    return value


_PARAMS: dict[str, Callable[[Any], Any]] = {
    "window_size": _window,
    "alpha": _in_range("alpha", -1e20, 1e20),
    "beta": _in_range("beta", 0.01, 1e5),
    "k": _in_range("k", 1e-5, 1e10),
}


class ILRNLayer(ILayer):
    """Cross-channel LRN of a rank >= 4 input; parameters in TensorRT's ranges."""

    layer_type = LayerType.LRN
    window_size = init_prop(coerce=_PARAMS["window_size"])
    alpha = init_prop(coerce=_PARAMS["alpha"])
    beta = init_prop(coerce=_PARAMS["beta"])
    k = init_prop(coerce=_PARAMS["k"])

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        check_dtype(self, x, FLOAT_TYPES)
        if x.rank < MIN_RANK:
            raise self.fail(f"at least {MIN_RANK} dimensions are required for input, got shape "
                            f"{x.shape}")
        return [TensorInfo(x.shape, x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        y = F.local_response_norm(to_compute(x), self.window_size, self.alpha, self.beta, self.k)
        return [from_compute(y, x.dtype)]


@_method
def add_lrn(self: Any, input: ITensor, window: int, alpha: float, beta: float, k: float
            ) -> ILRNLayer:
    values = {}
    for name, value in zip(_PARAMS, (window, alpha, beta, k)):
        try:
            values[name] = _PARAMS[name](value)
        except ValueError as e:  # TensorRT returns None here
            raise ValueError(f"add_lrn: {e}") from None
    layer = add_layer(self, ILRNLayer, "add_lrn", {"input": input, "window": values[
        "window_size"], "alpha": values["alpha"], "beta": values["beta"], "k": values["k"]},
        [input])
    set_initial(layer, **values)
    return layer
