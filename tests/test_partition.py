"""Partial conversion (convert(..., fallback=True)): what TensorRT cannot run stays in PyTorch,
the rest becomes engines, and the result matches PyTorch, saves and loads."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F
from harness import Lambda

import trtconv
from trtconv.partitioned import PartitionedModule, StepLoadError


class Block(torch.nn.Module):
    """Two linear layers around an op without a converter (`torch.special.i1e`)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(),
                                         torch.nn.LayerNorm(16))
        self.second = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                          torch.nn.Linear(16, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.first(x)
        h = torch.special.i1e(h) + h  # no converter: PyTorch
        return torch.softmax(self.second(h * 2), dim=-1)


def _block() -> Block:
    torch.manual_seed(0)
    return Block().eval()


def _convert(model: torch.nn.Module, x: torch.Tensor, **options) -> PartitionedModule:
    return trtconv.convert(model, [x], backend="reference", fallback=True, **options)


def test_one_unconvertible_op_in_the_middle_of_a_block():
    model, x = _block(), torch.randn(3, 8)
    converted = _convert(model, x, min_block_size=1)
    assert isinstance(converted, PartitionedModule) and len(converted.engines) == 2
    torch.testing.assert_close(converted(x), model(x))
    assert converted.metadata["fallbacks"] == [
        "torch.special.i1e in '<root>' (no converter)"]


def test_without_fallback_the_error_says_fallback_exists():
    with pytest.raises(trtconv.UnsupportedOperatorError, match=r"fallback=True"):
        trtconv.convert(_block(), [torch.randn(3, 8)], backend="reference")


def test_modules_and_ops_the_user_names_run_in_pytorch():
    model, x = _block(), torch.randn(3, 8)
    converted = _convert(model, x, min_block_size=1, torch_executed_modules=["second"],
                         torch_executed_ops=[F.gelu])
    torch.testing.assert_close(converted(x), model(x))
    in_torch = converted.metadata["fallbacks"]
    assert "torch.nn.functional.gelu in 'first.1' (asked to run in PyTorch)" in in_torch
    assert sum("in 'second." in f and "asked" in f for f in in_torch) == 3  # linear, relu, linear
    by_class = _convert(model, x, min_block_size=1, torch_executed_modules=[torch.nn.LayerNorm])
    assert any("in 'first.2'" in f for f in by_class.metadata["fallbacks"])
    torch.testing.assert_close(by_class(x), model(x))


def test_a_small_block_runs_in_pytorch():
    model, x = _block(), torch.randn(3, 8)
    report = _convert(model, x, min_block_size=1, dry_run=True)
    assert report.partition[0].startswith("2 engine(s)")
    merged = _convert(model, x, dry_run=True)  # default 5: the first block has 3 calls
    assert merged.partition[0].startswith("1 engine(s)")
    assert sum("(block too small)" in line for line in merged.partition) == 3
    converted = _convert(model, x)
    assert len(converted.engines) == 1
    torch.testing.assert_close(converted(x), model(x))


def test_dynamic_batch_across_a_boundary():
    model = _block()
    converted = _convert(model, torch.randn(4, 8), min_block_size=1, min_shapes=[(1, 8)],
                         max_shapes=[(16, 8)])
    for batch in (1, 7, 16):
        x = torch.randn(batch, 8)
        torch.testing.assert_close(converted(x), model(x))


def test_dry_run_reports_each_engine_and_pytorch_call():
    report = _convert(_block(), torch.randn(3, 8), min_block_size=1, dry_run=True)
    text = report.summary()
    assert "engine 0:" in text and "engine 1:" in text
    assert "PyTorch: torch.special.i1e in module '<root>' at" in text and "test_partition.py" \
        in text


def test_a_weights_only_round_trip_in_a_fresh_process(tmp_path):
    model, x = _block(), torch.randn(5, 8)
    converted = _convert(model, torch.randn(3, 8), min_block_size=1, min_shapes=[(1, 8)],
                         max_shapes=[(8, 8)])
    path = tmp_path / "partitioned.pth"
    torch.save(converted.state_dict(), path)
    torch.save({"x": x, "want": model(x).detach()}, tmp_path / "io.pth")
    script = textwrap.dedent(f"""
        import torch
        from trtconv.partitioned import PartitionedModule
        m = PartitionedModule()
        m.load_state_dict(torch.load({str(path)!r}, weights_only=True))
        io = torch.load({str(tmp_path / 'io.pth')!r}, weights_only=True)
        torch.testing.assert_close(m(io["x"]), io["want"])
        print("ok", len(m.engines))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok 2"


def test_a_state_naming_something_outside_torch_is_refused():
    converted = _convert(_block(), torch.randn(3, 8), min_block_size=1)
    state = converted.state_dict()
    steps = state["_extra_state"]["steps"]
    torch_step = next(s for s in steps if s["kind"] == "torch")
    for name, message in (("os.system", "outside torch, torchvision and registered torch.ops"),
                          ("builtins.eval", "outside torch"),
                          ("torch.ops.not_a_library.op", "does not exist in this process")):
        torch_step["op"] = name
        buffer = io.BytesIO()
        torch.save(state, buffer)
        buffer.seek(0)
        with pytest.raises(StepLoadError, match=message):
            PartitionedModule().load_state_dict(torch.load(buffer, weights_only=True))


def _guarded(x):
    h = torch.relu(x) * 2 + x
    if h.sum() > 0:  # a value read of an engine's result: guarded in that engine
        return torch.special.i1e(h) * 3
    return h


def test_guards_work_inside_a_partitioned_module():
    converted = _convert(Lambda(_guarded), torch.rand(2, 3), min_block_size=1)
    x = torch.rand(2, 3)
    torch.testing.assert_close(converted(x), _guarded(x))
    line = _guarded.__code__.co_firstlineno + 2
    with pytest.raises(trtconv.GuardError, match=rf"test_partition.py:{line}"):
        converted(-torch.rand(2, 3) - 1)
