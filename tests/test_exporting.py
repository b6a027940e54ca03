"""trtconv.exporting: `torch.compiler.is_exporting()` is true for the traced model only (its
thread, the conversion, code outside torch), and always restored. The transformer tests
(tests/models/test_transformers.py) show Hugging Face taking its export path and giving the
same results."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch
from harness import Lambda

import trtconv
from trtconv.exporting import exporting

ORIGINAL = torch.compiler.is_exporting


def _asked_from_torch() -> bool:
    """`is_exporting()` as torch's own modules call it (module name `torch.*`)."""
    namespace: dict[str, Any] = {"__name__": "torch.nn.fake", "torch": torch}
    exec("def ask():\n    return torch.compiler.is_exporting()", namespace)
    return namespace["ask"]()


class Recorder(torch.nn.Module):
    """Records what `is_exporting()` says in its forward, here and on another thread."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, Any] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen["converting thread"] = torch.compiler.is_exporting()
        self.seen["torch's own code"] = _asked_from_torch()
        other = threading.Thread(target=lambda: self.seen.update(
            {"other thread": torch.compiler.is_exporting()}))
        other.start()
        other.join()
        return x * 2


def test_true_for_the_traced_model_only() -> None:
    model = Recorder()
    x = torch.randn(2, 3)
    converted = trtconv.convert(model, [x], backend="reference")
    assert model.seen == {"converting thread": True, "torch's own code": False,
                          "other thread": False}
    assert torch.compiler.is_exporting is ORIGINAL and not torch.compiler.is_exporting()
    model.seen.clear()
    torch.testing.assert_close(converted(x), model(x))  # eager again outside the conversion
    assert model.seen["converting thread"] is False


def test_restored_when_the_conversion_fails() -> None:
    def fails(x: torch.Tensor) -> torch.Tensor:
        assert torch.compiler.is_exporting()
        raise ValueError("the model's own error")

    with pytest.raises(ValueError, match="the model's own error"):
        trtconv.convert(Lambda(fails), [torch.randn(2)], backend="reference")
    assert torch.compiler.is_exporting is ORIGINAL


def test_context_manager_nests_and_restores() -> None:
    with exporting():
        with exporting():
            assert torch.compiler.is_exporting()
        assert torch.compiler.is_exporting()
        assert not _asked_from_torch()
    assert torch.compiler.is_exporting is ORIGINAL


def test_real_export_flag_still_answers_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread (or torch) running a real torch.export sees True."""
    monkeypatch.setattr(torch.compiler, "_is_exporting_flag", True)
    seen: list[bool] = []
    with exporting():
        other = threading.Thread(target=lambda: seen.append(torch.compiler.is_exporting()))
        other.start()
        other.join()
        seen.append(_asked_from_torch())
    assert seen == [True, True]


def test_torch_keeps_its_eager_behaviour() -> None:
    """`nested_compile_region` compiles through dynamo when torch sees is_exporting(); it
    stays a plain call during a conversion."""
    @torch.compiler.nested_compile_region
    def block(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) * 2

    model = Lambda(lambda x: block(x) + 1)
    x = torch.randn(2, 3)
    converted = trtconv.convert(model, [x], backend="reference")
    torch.testing.assert_close(converted(x), model(x))


def test_torch_compile_on_another_thread_during_a_conversion() -> None:
    """Dynamo traces the replaced function in another thread: it sees the real value."""
    def branch(x: torch.Tensor) -> torch.Tensor:
        return x + 1 if torch.compiler.is_exporting() else x - 1

    compiled = torch.compile(branch, backend="eager", fullgraph=True)
    results: list[Any] = []

    def forward(x: torch.Tensor) -> torch.Tensor:
        other = threading.Thread(target=lambda: results.append(compiled(torch.zeros(2))))
        other.start()
        other.join()
        return x * 2

    trtconv.convert(Lambda(forward), [torch.randn(2)], backend="reference")
    assert len(results) == 1 and torch.equal(results[0], torch.full((2,), -1.0))


def test_overlapping_blocks_on_two_threads() -> None:
    """Concurrent conversions: each thread sees the signal for as long as its own block
    lasts, whichever ends first; torch's function is back after the last."""
    entered, first_done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def second() -> None:
        with exporting():
            entered.set()
            first_done.wait(10)
            seen["second, after the first ended"] = torch.compiler.is_exporting()

    other = threading.Thread(target=second)
    with exporting():
        other.start()
        entered.wait(10)
        seen["first, while both"] = torch.compiler.is_exporting()
    seen["first, after its block"] = torch.compiler.is_exporting()
    first_done.set()
    other.join()
    assert seen == {"first, while both": True, "first, after its block": False,
                    "second, after the first ended": True}
    assert torch.compiler.is_exporting is ORIGINAL
