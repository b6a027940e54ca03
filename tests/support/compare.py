"""One comparison of a result with PyTorch's: structure, then per tensor dtype, shape and values
(floats within tolerances, NaN where torch has NaN; everything else exactly)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import _pytree as pytree


def assert_tensor_matches(got: torch.Tensor, want: torch.Tensor, atol: float, rtol: float,
                          what: str = "output") -> None:
    """`got` has torch's dtype, shape and values (`what` names it in the message)."""
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, torch gives {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), (
        f"{what}: shape {tuple(got.shape)}, torch gives {tuple(want.shape)}")
    if want.is_floating_point():
        torch.testing.assert_close(got, want, atol=atol, rtol=rtol, equal_nan=True)
    else:
        assert torch.equal(got, want), f"{what}: {got} != {want}"


def assert_matches(got: Any, want: Any, atol: float, rtol: float) -> None:
    """`got` has `want`'s structure (tuples, lists, dicts of tensors) and every tensor matches."""
    got_leaves, got_spec = pytree.tree_flatten(got)
    want_leaves, want_spec = pytree.tree_flatten(want)
    assert got_spec == want_spec, f"structure {got_spec} != torch's {want_spec}"
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        assert_tensor_matches(g, w, atol, rtol, f"output {i}")
