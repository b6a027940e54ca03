"""ISqueezeLayer and IUnsqueezeLayer: remove or insert size-1 axes named by a shape tensor.

The axes (input 1) are a 1-D INT32/INT64 tensor whose values must be known when the
network is built; negative axes count from the end (of the output, for unsqueeze).
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    SHAPE_TYPES,
    ILayer,
    ITensor,
    TensorInfo,
    add_layer,
    host_info,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType


class _AxesLayer(ILayer):
    """Shared input checks of squeeze and unsqueeze."""

    shape_inputs = frozenset({1})
    _verb = ""

    def max_inputs(self) -> int:
        return 1

    def _check_input(self, x: TensorInfo) -> None:
        if x.dtype == DataType.UINT8:
            raise self.fail(f"{self._verb} does not accept UINT8 inputs")

    def _axes(self, spec: TensorInfo, rank: int) -> list[int]:
        """Input 1's axes, normalized against `rank`, checked for range and duplicates."""
        if spec.dtype not in SHAPE_TYPES:
            raise self.fail(f"axes have type {spec.dtype.name} but must be INT32 or INT64")
        if spec.rank != 1:
            raise self.fail(f"axes must be a 1-D tensor, got shape {spec.shape}")
        raw = spec.known_value()
        if raw is None:
            raise self.fail(f"{self._verb} axes must be build-time constants")
        axes = []
        for a in raw:
            if not -rank <= a < rank:
                raise self.fail(f"{self._verb} axis {a} is out of range for rank {rank}")
            axes.append(a % rank)
        if len(set(axes)) != len(axes):
            raise self.fail(f"{self._verb} axes {raw} name an axis twice")
        return axes

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        # The output shape comes from the same rules as inference, on the run-time axes.
        infos = [host_info(ins[0], with_value=False)]
        infos += [None if t is None else host_info(t) for t in ins[1:]]
        return [ins[0].reshape(self.infer(infos)[0].shape)]


class ISqueezeLayer(_AxesLayer):
    """Removes the named size-1 axes; without an axes input, every axis of static size 1."""

    layer_type = LayerType.SQUEEZE
    _verb = "squeeze"

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        self._check_input(x)
        spec = ins[1] if len(ins) > 1 else None
        axes = self._implicit_axes(x) if spec is None else self._axes(spec, x.rank)
        for a in axes:
            if x.shape[a] not in (1, -1):
                raise self.fail(f"cannot squeeze axis {a} of size {x.shape[a]} (shape {x.shape})")
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return [TensorInfo(shape, x.dtype, x.value, x.symbols)]

    def _implicit_axes(self, x: TensorInfo) -> list[int]:
        """The axes of size 1 when the network was defined: the output rank is fixed then, so
        an axis that was dynamic stays, and must not turn out to be 1 at run time."""
        defined = self._network._lookup(self._inputs[0])
        static = defined.shape if isinstance(defined, TensorInfo) else x.shape
        for i, (was, now) in enumerate(zip(static, x.shape)):
            if was == -1 and now == 1:
                raise self.fail(f"without an axes input, dynamic axis {i} must not be 1 at "
                                "run time (squeeze decided the output rank at build time)")
        return [i for i, d in enumerate(static) if d == 1]


class IUnsqueezeLayer(_AxesLayer):
    """Inserts size-1 axes at the named positions of the output."""

    layer_type = LayerType.UNSQUEEZE
    _verb = "unsqueeze"

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x, spec = self.require_inputs(ins, 2)[:2]
        self._check_input(x)
        rank = x.rank + max(spec.shape[0] if spec.rank == 1 else 0, 0)
        axes = set(self._axes(spec, rank))
        dims = iter(x.shape)
        shape = tuple(1 if i in axes else next(dims) for i in range(rank))
        return [TensorInfo(shape, x.dtype, x.value, x.symbols)]


@_method
def add_squeeze(self: Any, input: ITensor, axes: ITensor | None = None) -> ISqueezeLayer:
    args: dict[str, Any] = {"input": input}
    if axes is not None:  # replayed as add_squeeze(input) when TensorRT got no axes
        args["axes"] = axes
    return add_layer(self, ISqueezeLayer, "add_squeeze", args,
                     [input] if axes is None else [input, axes])


@_method
def add_unsqueeze(self: Any, input: ITensor, axes: ITensor) -> IUnsqueezeLayer:
    return add_layer(self, IUnsqueezeLayer, "add_unsqueeze", {"input": input, "axes": axes},
                     [input, axes])
