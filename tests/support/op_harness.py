"""One-line converter tests: convert a function or module, compare with PyTorch, and build the
same network on TensorRT-RTX.

    check_op(lambda x: torch.nn.functional.relu(x), torch.randn(2, 3))
    check_op(torch.nn.Conv2d(3, 4, 3), torch.randn(1, 3, 8, 8), atol=1e-4)

Every converted target is recorded so a coverage test can check that each registered target
appears in at least one test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch
from torch.utils import _pytree as pytree

import trtconv

from .compare import assert_matches
from .rtx import require_rtx

EXERCISED: set[str] = set()


class Lambda(torch.nn.Module):
    """Wraps a function as a module so convert() can trace it."""

    def __init__(self, fn: Callable[..., Any]):
        super().__init__()
        self.fn = fn

    def forward(self, *args: Any) -> Any:
        return self.fn(*args)



def check_op(fn: Callable[..., Any] | torch.nn.Module, *inputs: Any, atol: float = 1e-5,
             rtol: float = 1e-5, rtx: bool = True, **convert_options: Any) -> trtconv.TRTModule:
    """Convert `fn` on `inputs` (reference backend), compare outputs with torch (dtype, shape,
    values), then convert again on TensorRT-RTX: replayed, checked and built on CPU."""
    module = fn if isinstance(fn, torch.nn.Module) else Lambda(fn)
    module.eval()
    with torch.no_grad():
        want = module(*[_clone(x) for x in inputs])
    converted = trtconv.convert(module, [_clone(x) for x in inputs], backend="reference",
                                **convert_options)
    EXERCISED.update(converted.report.converted)
    got = converted(*[_clone(x) for x in inputs])
    assert_matches(got, want, atol, rtol)
    if rtx:
        require_rtx()
        # replayed on TensorRT-RTX, every tensor's shape and dtype checked against the
        # reference, then built: a mismatch or a failed build raises
        trtconv.convert(module, [_clone(x) for x in inputs], backend="tensorrt_rtx",
                        **convert_options)
    return converted


def _clone(x: Any) -> Any:
    return pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, x)


def check_unsupported(fn: Callable[..., Any], *inputs: Any, op: str, **options: Any) -> str:
    """Converting `fn` (with convert's `options`, e.g. min_shapes/max_shapes) fails with an
    UnsupportedOperatorError naming `op`."""
    module = fn if isinstance(fn, torch.nn.Module) else Lambda(fn)
    with pytest.raises(trtconv.UnsupportedOperatorError) as info:
        trtconv.convert(module.eval(), list(inputs), backend="reference", **options)
    assert op in str(info.value), str(info.value)
    return str(info.value)


def params(*cases: Sequence[Any]) -> list[Any]:
    """pytest.param list with readable ids from the first element of each case."""
    return [pytest.param(*c, id=str(c[0])) for c in cases]
