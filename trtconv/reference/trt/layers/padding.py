"""IPaddingLayer: zero padding (negative: cropping) of the two innermost axes."""

from __future__ import annotations

from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, ITensor, TensorInfo, add_layer, as_dims
from ..core import network_method as _method
from ..enums import DataType, LayerType
from ._common import check_dtype, init_prop, set_initial
from ._spatial import pad_spatial

_PADDING_TYPES = FLOAT_TYPES | {DataType.INT8}
PADDED_AXES = 2  # TensorRT pads exactly the two innermost axes


def _two_dims(value: Any) -> Any:
    dims = as_dims(value, "padding")
    if len(dims) != PADDED_AXES:
        raise ValueError(f"padding must have exactly {PADDED_AXES} dimensions, got "
                         f"{tuple(dims)}")
    return dims


class IPaddingLayer(ILayer):
    """Padding of the innermost two axes of a rank >= 4 input."""

    layer_type = LayerType.PADDING
    pre_padding_nd = init_prop(coerce=_two_dims)
    post_padding_nd = init_prop(coerce=_two_dims)

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        x = self.require_inputs(ins, 1)[0]
        check_dtype(self, x, _PADDING_TYPES)
        if x.rank < PADDED_AXES + 2:
            raise self.fail(f"at least {PADDED_AXES + 2} dimensions are required for input, "
                            f"got shape {x.shape}")
        inner = []
        for size, pre, post in zip(x.shape[-PADDED_AXES:], self.pre_padding_nd,
                                   self.post_padding_nd):
            length = -1 if size < 0 else size + pre + post
            if size >= 0 and length < 0:
                raise self.fail(f"padding ({pre}, {post}) crops an axis of length {size} to "
                                f"negative length {length}")
            inner.append(length)
        return [TensorInfo(x.shape[:-PADDED_AXES] + tuple(inner), x.dtype)]

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        return [pad_spatial(ins[0], list(zip(self.pre_padding_nd, self.post_padding_nd)))]


@_method
def add_padding_nd(self: Any, input: ITensor, pre_padding: Any, post_padding: Any
                   ) -> IPaddingLayer:
    try:
        pre, post = _two_dims(pre_padding), _two_dims(post_padding)
    except ValueError as e:  # TensorRT returns None here
        raise ValueError(f"add_padding_nd: {e}") from None
    layer = add_layer(self, IPaddingLayer, "add_padding_nd",
                      {"input": input, "pre_padding": pre, "post_padding": post}, [input])
    set_initial(layer, pre_padding_nd=pre, post_padding_nd=post)
    return layer
