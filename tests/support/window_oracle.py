"""TensorRT's PaddingMode formulas (NvInfer.h), written out plainly as a test oracle for the
convolution, deconvolution and pooling layers."""

from __future__ import annotations

import math


def same_split(total: int, mode: str) -> tuple[int, int]:
    """(pre, post) of SAME padding: SAME_UPPER puts the odd element after the data."""
    small, large = total // 2, total - total // 2
    return (small, large) if mode == "SAME_UPPER" else (large, small)


def forward_pads(mode: str, size: int, extent: int, stride: int, pre: int, post: int
                 ) -> tuple[int, int, int]:
    """(output length, pre, post) of a convolution/pooling axis; extent = 1 + d * (k - 1).

    EXPLICIT_ROUND_UP's post padding grows until the last window fits."""
    if mode.startswith("SAME"):
        out = math.ceil(size / stride)
        return (out, *same_split(max(0, (out - 1) * stride + extent - size), mode))
    rounding = math.ceil if mode == "EXPLICIT_ROUND_UP" else math.floor
    out = rounding((size + pre + post - extent) / stride) + 1
    return out, pre, max(post, (out - 1) * stride + extent - size - pre)


def backward_crops(mode: str, extent: int, stride: int, pre: int, post: int) -> tuple[int, int]:
    """(pre, post) cropping of a deconvolution axis."""
    if mode.startswith("SAME"):
        return same_split(max(0, extent - stride), mode)
    return pre, post


def torch_pad(pairs: list[tuple[int, int]]) -> list[int]:
    """torch.nn.functional.pad's argument for (pre, post) pairs of the innermost axes."""
    return [p for pre, post in reversed(pairs) for p in (pre, post)]
