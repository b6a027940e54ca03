"""One-line converter tests: convert a function or module, compare with PyTorch, and build the
same network on TensorRT-RTX.

    check_op(lambda x: torch.nn.functional.relu(x), torch.randn(2, 3))
    check_op(torch.nn.Conv2d(3, 4, 3), torch.randn(1, 3, 8, 8), atol=1e-4)

Every converted target is recorded so a coverage test can check that each registered target
appears in at least one test.

TensorRT-RTX's builder has no kernel for some layers on this machine (non-zero and NMS: "has
no runners"); networks with them pass `rtx="replay"`: every tensor is still replayed onto RTX
and checked, and the build must fail for that reason only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch
from torch.utils import _pytree as pytree

import trtconv
from trtconv.backends import BuildFailedError

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
             rtol: float = 1e-5, rtx: bool | str = True,
             **convert_options: Any) -> trtconv.TRTModule:
    """Convert `fn` on `inputs` (reference backend), compare outputs with torch (dtype, shape,
    values), then convert again on TensorRT-RTX: replayed, checked and built on CPU
    (`rtx="replay"`: see the module docstring)."""
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
        check_on_rtx(module, [_clone(x) for x in inputs], convert_options, rtx, converted)
    return converted


NO_RUNNER_LAYERS = ("NON_ZERO", "NMS")  # layer types TensorRT-RTX cannot build here


def check_on_rtx(module: torch.nn.Module, inputs: list[Any], options: dict[str, Any],
                 rtx: bool | str, converted: trtconv.TRTModule) -> None:
    """Convert on TensorRT-RTX (replay, check every tensor, build). With `rtx="replay"` the
    build may fail, but only for a layer of NO_RUNNER_LAYERS (found in `converted`'s
    reference plan by the name RTX reports)."""
    require_rtx()
    try:
        on_rtx = trtconv.convert(module, inputs, backend="tensorrt_rtx", **options)
    except BuildFailedError as e:
        found = re.search(r"\. (\S+) has no runners", str(e))
        if rtx != "replay" or found is None:
            raise
        from trtconv.reference import trt as ref

        engine = ref.Runtime(ref.Logger()).deserialize_cuda_engine(converted.engine_bytes)
        types = {layer.name: layer.type.name for layer in engine._network._layers}
        assert types.get(found.group(1)) in NO_RUNNER_LAYERS, str(e)
        return
    assert on_rtx.engine_bytes


def _clone(x: Any) -> Any:
    return pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, x)


def check_unsupported(fn: Callable[..., Any], *inputs: Any, op: str, **options: Any) -> str:
    """Converting `fn` (with convert's `options`, e.g. min_shapes/max_shapes) fails with an
    UnsupportedOperatorError naming `op`."""
    module = fn if isinstance(fn, torch.nn.Module) else Lambda(fn)
    with pytest.raises(trtconv.UnsupportedOperatorError) as info:
        trtconv.convert(module.eval(), list(inputs), backend="reference", **options)
    assert op in str(info.value), str(info.value)
    EXERCISED.update(u.op for u in info.value.report.unsupported)  # a refusal is a converter too
    return str(info.value)


def params(*cases: Sequence[Any]) -> list[Any]:
    """pytest.param list with readable ids from the first element of each case."""
    return [pytest.param(*c, id=str(c[0])) for c in cases]
