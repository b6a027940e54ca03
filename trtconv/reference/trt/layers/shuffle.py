"""IShuffleLayer: first_transpose, then reshape (0 copies, -1 infers), then second_transpose.

The reshape comes from `reshape_dims`, or from a 1-D shape tensor on input 1 (a dynamic
reshape); without either there is no reshape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core import (
    ILayer,
    ITensor,
    Permutation,
    Prop,
    TensorInfo,
    add_layer,
    bool_prop,
    dims_prop,
    volume,
)
from ..core import network_method as _method
from ..enums import DataType, LayerType

_IDENTITY = Permutation(range(8))


def _permutation_prop() -> Prop:
    return Prop(_IDENTITY, lambda v: Permutation(v))


def _permute(shape: tuple[int, ...], perm: Permutation, what: str, layer: ILayer) -> tuple:
    order = tuple(perm[:len(shape)])
    if sorted(order) != list(range(len(shape))):
        raise layer.fail(f"{what} {order} is not a permutation of {len(shape)} axes")
    return tuple(shape[i] for i in order)


class IShuffleLayer(ILayer):
    layer_type = LayerType.SHUFFLE
    shape_inputs = frozenset({1})
    first_transpose = _permutation_prop()
    second_transpose = _permutation_prop()
    reshape_dims = dims_prop()
    zero_is_placeholder = bool_prop(True)

    def max_inputs(self) -> int:
        return 1

    def _target(self, ins: list[TensorInfo | None]) -> tuple[tuple[int | None, ...], dict] | None:
        """The requested reshape (None entries unknown) and, from input 1's symbols, which
        entries are this layer's own input dims: {reshape position: source position}."""
        if len(ins) > 1 and ins[1] is not None:
            spec = ins[1]
            if spec.rank != 1 or spec.dtype not in (DataType.INT32, DataType.INT64):
                raise self.fail("reshape input 1 must be a 1-D INT32/INT64 shape tensor")
            if spec.shape[0] < 0:
                raise self.fail("the reshape shape tensor must have a build-time length")
            value = spec.value if spec.value is not None else (None,) * spec.shape[0]
            return value, self._own_dims(spec)
        if "reshape_dims" in self._props:
            return tuple(self.reshape_dims), {}
        return None

    def _own_dims(self, spec: TensorInfo) -> dict[int, int]:
        found: dict[int, int] = {}
        for i, ref in enumerate(spec.symbols or ()):
            if ref is None or ref.tensor is not self._inputs[0]:
                continue
            position = list(self.first_transpose).index(ref.axis)  # after first_transpose
            if position not in found.values():  # a dim cancels once
                found[i] = position
        return found

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        shape = _permute(x.shape, self.first_transpose, "first_transpose", self)
        target = self._target(ins)
        value = x.value if x.value is not None and shape == x.shape else None
        if target is not None:
            shape = self._reshape(shape, *target)
        shape = _permute(shape, self.second_transpose, "second_transpose", self)
        if value is not None and tuple(self.second_transpose[:len(shape)]) != tuple(
                range(len(shape))):
            value = None
        return [TensorInfo(shape, x.dtype, value)]

    def _reshape(self, source: tuple[int, ...], dims: tuple[int | None, ...],
                 own: dict[int, int] | None = None) -> tuple[int, ...]:
        # Entries that copy a source dim, {reshape position: source position}: 0 placeholders
        # and, from `own`, unknown entries that are this input's dynamic dims.
        copies = dict(own or {})
        out: list[int] = []
        infer_at = -1
        for i, d in enumerate(dims):
            if d is None:
                out.append(source[copies[i]] if i in copies else -1)
            elif d == 0 and self.zero_is_placeholder:
                if i >= len(source):
                    raise self.fail(f"reshape 0 at axis {i} has no input dimension to copy")
                out.append(source[i])
                copies[i] = i
            elif d == -1:
                if infer_at >= 0:
                    raise self.fail(f"reshape dims {dims} have more than one -1")
                infer_at = i
                out.append(-1)
            elif d < 0:
                raise self.fail(f"reshape dims {dims} have a negative dimension")
            else:
                out.append(d)
        total = volume(source)
        if infer_at >= 0:
            # Copied dimensions cancel out, so -1 can be inferred even when those copied
            # dimensions are themselves dynamic.
            numerator = [d for k, d in enumerate(source) if k not in copies.values()]
            denominator = [d for i, d in enumerate(out) if i != infer_at and i not in copies]
            if all(d >= 0 for d in numerator + denominator):
                num, den = volume(numerator), volume(denominator)
                if den == 0 or num % den:
                    raise self.fail(f"cannot reshape {source} to {dims}")
                out[infer_at] = num // den
        if total >= 0 and all(d >= 0 for d in out) and volume(out) != total:
            raise self.fail(f"cannot reshape {source} ({total} values) to {tuple(out)}")
        return tuple(out)

    def specialize(self, ins: list[TensorInfo | None], outs: list[TensorInfo]
                   ) -> Callable[[list[Any]], list[torch.Tensor]]:
        """The output shape is known: transpose, reshape to it (before the second transpose),
        transpose; no shape tensor is read back."""
        rank = ins[0].rank
        first = tuple(self.first_transpose[:rank])
        out = outs[0].shape
        second = tuple(self.second_transpose[:len(out)])
        middle = [0] * len(out)
        for j, axis in enumerate(second):
            middle[axis] = out[j]
        permuted = tuple(ins[0].shape[a] for a in first)
        first_op = first if first != tuple(range(rank)) else None
        target = tuple(middle) if tuple(middle) != permuted else None
        second_op = second if second != tuple(range(len(out))) else None

        def run(ins: list[Any]) -> list[torch.Tensor]:
            x = ins[0]
            if first_op is not None:
                x = x.permute(first_op)
            if target is not None:
                x = x.reshape(target)
            if second_op is not None:
                x = x.permute(second_op)
            return [x]

        return run

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        x = ins[0]
        first = tuple(self.first_transpose[:x.dim()])
        if first != tuple(range(x.dim())):
            x = x.permute(first)
        if len(ins) > 1 and ins[1] is not None:
            dims: tuple[int, ...] | None = tuple(int(v) for v in ins[1].tolist())
        else:
            dims = tuple(self.reshape_dims) if "reshape_dims" in self._props else None
        if dims is not None:
            x = x.reshape(self._reshape(tuple(x.shape), dims))
        second = tuple(self.second_transpose[:x.dim()])
        if second != tuple(range(x.dim())):
            x = x.permute(second)
        return [x]


@_method
def add_shuffle(self: Any, input: ITensor) -> IShuffleLayer:
    return add_layer(self, IShuffleLayer, "add_shuffle", {"input": input}, [input])
