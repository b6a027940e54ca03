"""Aliases: torch code the trace sees as the target it calls (`x + y` is `torch.Tensor.add`,
`F.upsample` calls `interpolate`). Each alias converts, matches PyTorch, and reaches the
converter it names."""

from __future__ import annotations

import operator

import pytest
import torch
from harness import Lambda

import trtconv
from trtconv import registry


def _operands(target: str) -> tuple[torch.Tensor, ...]:
    if "__r" in target and any(op in target for op in ("and", "or", "xor")):
        return torch.rand(2, 3) > 0.5, torch.rand(2, 3) > 0.5
    if "upsample" in target or "functional" in target:
        return (torch.randn(1, 2, 4, 4),)
    if target.endswith("__matmul__"):
        return torch.randn(2, 3), torch.randn(3, 4)
    return torch.randn(2, 3), torch.rand(2, 3) + 0.5


def _call(target: str) -> object:
    owner, attr = registry.resolve(target)
    fn = getattr(owner, attr)
    if "upsample" in target:
        return lambda x: fn(x, scale_factor=2)
    if attr.startswith("__i"):  # in-place operators update a copy
        return lambda x, y: fn(x.clone(), y)
    return lambda *xs: fn(*xs)


@pytest.mark.parametrize("target", sorted(registry.aliases()))
def test_alias_converts_through_its_target(target: str) -> None:
    via = registry.aliases()[target]
    model, inputs = Lambda(_call(target)), _operands(target)
    converted = trtconv.convert(model, list(inputs), backend="reference")
    assert via in converted.report.converted, (target, converted.report.converted)
    torch.testing.assert_close(converted(*inputs), model(*inputs))


def test_operators_reach_their_methods() -> None:
    x, y = torch.randn(2, 3), torch.rand(2, 3) + 0.5
    model = Lambda(lambda a, b: operator.truediv(a + b, b) - a * 2 % b)
    converted = trtconv.convert(model, [x, y], backend="reference")
    torch.testing.assert_close(converted(x, y), model(x, y))
