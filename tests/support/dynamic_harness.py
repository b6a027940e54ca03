"""Converter tests with dynamic dims: convert once with a shape range, then run the engine on
inputs of several shapes and compare each with PyTorch.

    check_dynamic(lambda x: x.flatten(1), torch.randn(2, 3, 4), torch.randn(5, 3, 4))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

import trtconv

from .op_harness import EXERCISED, Lambda, _compare, _rtx_or_skip


def check_dynamic(fn: Callable[..., Any] | torch.nn.Module, example: torch.Tensor,
                  *others: torch.Tensor, atol: float = 1e-5, rtx: bool = True) -> Any:
    """Convert `fn` on `example` with every dim that differs among `example` and `others`
    dynamic (one input), then check the engine on each of them against torch."""
    module = fn if isinstance(fn, torch.nn.Module) else Lambda(fn)
    module.eval()
    shapes = [tuple(t.shape) for t in (example, *others)]
    lo = [min(s[i] for s in shapes) for i in range(example.dim())]
    hi = [max(s[i] for s in shapes) for i in range(example.dim())]
    options = {"min_shapes": [lo], "opt_shapes": [list(example.shape)], "max_shapes": [hi]}
    converted = trtconv.convert(module, [example.clone()], backend="reference", **options)
    EXERCISED.update(converted.report.converted)
    for x in (example, *others):
        with torch.no_grad():
            want = module(x.clone())
        _compare(converted(x.clone()), want, atol, atol)
    if rtx and _rtx_or_skip():
        assert trtconv.convert(module, [example.clone()], backend="tensorrt_rtx",
                               **options).engine_bytes
    return converted
