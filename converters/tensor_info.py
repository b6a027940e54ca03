"""Metadata reads that torch2trt registers: Tensor.dim (and Tensor.size where it is safe).

They add no layers: the model gets torch's value back. x.size() of a tensor with dynamic dims
is answered by the tracer with symbolic sizes (DimInts), so no converter may take it over.
"""

from __future__ import annotations

from typing import Any

from trtconv import tensorrt_converter


@tensorrt_converter("torch.Tensor.dim")
def convert_dim(ctx: Any, input: Any) -> Any:
    return ctx.output

