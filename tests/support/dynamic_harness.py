"""Converter tests with dynamic dims: convert once with a shape range, then run the engine on
inputs of several shapes and compare each with PyTorch.

    check_dynamic(lambda x: x.flatten(1), torch.randn(2, 3, 4), torch.randn(5, 3, 4))
    check_dynamic(lambda x, m: x[m.any()], (x2, m2), (x5, m5))   # several inputs: tuples
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

import trtconv

from .compare import assert_matches
from .op_harness import EXERCISED, Lambda, check_on_rtx

Case = torch.Tensor | tuple[torch.Tensor, ...]


def _inputs(case: Case) -> list[torch.Tensor]:
    return [t.clone() for t in (case if isinstance(case, tuple) else (case,))]


def check_dynamic(fn: Callable[..., Any] | torch.nn.Module, example: Case, *others: Case,
                  atol: float = 1e-5, rtx: bool | str = True) -> Any:
    """Convert `fn` on `example` with every dim that differs among the cases dynamic, then
    check the engine on each case against torch. A case is a tensor or a tuple of tensors.
    `rtx` as for check_op."""
    module = fn if isinstance(fn, torch.nn.Module) else Lambda(fn)
    module.eval()
    cases = [_inputs(c) for c in (example, *others)]
    lo, hi = [], []
    for i, x in enumerate(cases[0]):
        shapes = [tuple(c[i].shape) for c in cases]
        lo.append([min(s[d] for s in shapes) for d in range(x.dim())])
        hi.append([max(s[d] for s in shapes) for d in range(x.dim())])
    options = {"min_shapes": lo, "opt_shapes": [list(x.shape) for x in cases[0]],
               "max_shapes": hi}
    converted = trtconv.convert(module, _inputs(example), backend="reference", **options)
    EXERCISED.update(converted.report.converted)
    for case in cases:
        with torch.no_grad():
            want = module(*[t.clone() for t in case])
        assert_matches(converted(*[t.clone() for t in case]), want, atol, atol)
    if rtx:
        check_on_rtx(module, _inputs(example), options, rtx, converted)
    return converted
