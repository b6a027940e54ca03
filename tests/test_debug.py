"""trtconv.debug.compare (per-call error against PyTorch) and keep_fp32="auto"."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from harness import Lambda
from support.planted import Shift, lost_signal, overflow
from support.rtx import require_rtx

import trtconv
from trtconv import cli, debug
from trtconv.backends.replay import replay_network
from trtconv.comparison import tensor_error
from trtconv.debug_tensors import DEBUG_TENSORS, EXTRA_OUTPUTS, build_debug_engine, mark_readable

X = torch.randn(4, 8, generator=torch.Generator().manual_seed(3))


def relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).abs().max().detach() / want.abs().max().detach())


def test_fp32_rows_follow_the_trace_and_match_pytorch():
    model = overflow()
    result = debug.compare(model, [X], backend="reference")
    assert [(r.module_path, r.op) for r in result.rows] == [
        ("stem.0", "linear"), ("stem.1", "gelu"), ("scores.proj", "linear"), ("scores", "exp"),
        ("scores", "sum"), ("scores", "div"), ("", "mul"), ("head.0", "linear"),
        ("head.1", "ReLU"), ("head.2", "linear")]
    assert result.rows[3].source.startswith("planted.py:")
    assert result.rows[4].shape == (4, 1)
    assert result.first_divergent is None
    assert all(r.max_rel < 1e-5 for r in result.rows)
    assert result.output_error < 1e-6
    assert "no call's error jumps" in str(result)


def test_planted_overflow_is_named_first():
    model = overflow()
    want = model(X)
    converted = trtconv.convert(model, [X], backend="reference", precision="fp16")
    assert not torch.isfinite(converted(X)).all()  # the defect is real
    result = debug.compare(model, [X], backend="reference", precision="fp16")
    first = result.first_divergent
    assert first is not None and first.module_path == "scores", result.table()
    assert first.source.startswith("planted.py:")
    # the calls before the submodule are fp16-safe, the division produces inf
    stem = [r for r in result.rows if r.module_path.startswith("stem")]
    assert stem and all(r.max_rel < 2e-3 and not r.jumps for r in stem)
    division = next(r for r in result.rows if r.op == "div")
    assert math.isinf(division.max_rel) and division.jumps
    assert math.isinf(result.output_error)
    assert "<< first jump" in result.table() and "scores" in result.summary()
    assert want.isfinite().all()


def test_keep_fp32_auto_keeps_the_planted_call_and_meets_the_tolerance():
    model = overflow()
    converted = trtconv.convert(model, [X], backend="reference", precision="fp16",
                                keep_fp32="auto", tolerance=1e-2)
    error = relative_error(converted(X), model(X))
    assert 0 < error <= 1e-2
    auto = converted.metadata["keep_fp32_auto"]
    assert auto["tolerance"] == 1e-2 and math.isinf(auto["error_before"])
    assert auto["error"] == pytest.approx(error, rel=1e-3)
    kept = [(k["module_path"], k["op"]) for k in auto["kept"]]
    assert kept == [("scores", "torch.Tensor.div")], kept
    islands = converted.metadata["fp32_islands"]
    auto_layers = [name for name, why in islands.items() if "keep_fp32='auto'" in why]
    assert auto_layers and all(name.startswith("scores/div_0") for name in auto_layers)
    assert "keep_fp32='auto': output error inf" in converted.report.summary()


def test_keep_fp32_auto_bisects_when_no_single_call_is_enough():
    model = lost_signal()
    plain = trtconv.convert(model, [X], backend="reference", precision="fp16")
    assert relative_error(plain(X), model(X)) > 1e-2
    converted = trtconv.convert(model, [X], backend="reference", precision="fp16",
                                keep_fp32="auto", tolerance=1e-3)
    assert relative_error(converted(X), model(X)) <= 1e-3
    kept = converted.metadata["keep_fp32_auto"]["kept"]
    assert sorted(k["op"] for k in kept) == ["torch.Tensor.add", "torch.Tensor.sub"]
    assert {k["module_path"] for k in kept} == {"shift"}
    assert any("bisection" in k["reason"] for k in kept)


def test_keep_fp32_auto_keeps_nothing_when_fp16_is_fine():
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU()).eval()
    converted = trtconv.convert(model, [X], backend="reference", precision="fp16",
                                keep_fp32="auto")
    auto = converted.metadata["keep_fp32_auto"]
    assert auto["kept"] == [] and auto["evaluations"] == 1 and auto["tolerance"] == 1e-2


def test_keep_fp32_auto_refuses_a_tolerance_fp32_itself_misses():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).eval()
    model[1].running_var.uniform_(0.5, 2.0)
    with pytest.raises(trtconv.InputError, match="even with every call in fp32 the output"):
        trtconv.convert(model, [torch.randn(1, 3, 8, 8)], backend="reference",
                        precision="fp16", keep_fp32="auto", tolerance=1e-12)


def test_keep_fp32_auto_refuses_when_most_calls_would_stay_fp32():
    model = torch.nn.Sequential(*[Shift() for _ in range(9)])
    with pytest.raises(trtconv.InputError, match="fp16 cannot meet it here"):
        trtconv.convert(model, [X], backend="reference", precision="fp16", keep_fp32="auto",
                        tolerance=1e-3)


@pytest.mark.parametrize("kwargs,match", [
    ({"precision": "fp32", "keep_fp32": "auto"}, "applies to precision='fp16' or 'bf16'"),
    ({"precision": "fp16", "tolerance": 1e-2}, "tolerance= applies to keep_fp32='auto'"),
    ({"precision": "fp16", "keep_fp32": "auto", "tolerance": 0}, "must be positive"),
])
def test_keep_fp32_auto_argument_errors(kwargs, match):
    with pytest.raises(trtconv.InputError, match=match):
        trtconv.convert(Lambda(torch.relu), [X], backend="reference", **kwargs)


def test_int8_conversions_compare_per_call():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                                torch.nn.Conv2d(8, 4, 3), torch.nn.Flatten()).eval()
    x = torch.randn(2, 3, 8, 8)
    calibration = [torch.randn(2, 3, 8, 8) for _ in range(3)]
    result = debug.compare(model, [x], precision="int8", calibration_data=calibration,
                           calibration_method="max")
    assert result.precision == "int8" and [r.op for r in result.rows] == [
        "Conv2d", "ReLU", "Conv2d", "flatten"]
    assert all(0 < r.max_rel < 1 for r in result.rows)
    assert result.output_error == pytest.approx(result.rows[-1].max_rel)


def test_reading_marked_outputs_gives_the_same_table():
    """read='outputs' rebuilds the engine with the tensors as outputs (what a TensorRT without
    debug tensors needs); on the reference it must agree with inspecting the engine."""
    model = overflow()
    inspected = debug.compare(model, [X], backend="reference", precision="fp16")
    marked = debug.compare(model, [X], backend="reference", precision="fp16", read="outputs")
    assert "marked as outputs" in marked.method and "nothing marked" in inspected.method
    assert [r.index for r in marked.rows] == [r.index for r in inspected.rows]
    for a, b in zip(marked.rows, inspected.rows):
        assert a.max_abs == b.max_abs or (math.isinf(a.max_abs) and math.isinf(b.max_abs))
    assert marked.first_divergent.index == inspected.first_divergent.index


def test_compare_argument_errors():
    with pytest.raises(trtconv.InputError, match="read must be one of"):
        debug.compare(Lambda(torch.relu), [X], read="magic")
    with pytest.raises(trtconv.InputError, match="dry_run"):
        debug.compare(Lambda(torch.relu), [X], dry_run=True)
    with pytest.raises(trtconv.InputError, match="reference backend only"):
        debug.engine_values_of(trtconv.TRTModule(b"x", backend="tensorrt_rtx"), [X], set(),
                               "inspect")


def test_tensor_error_counts_matching_infinities_and_nans_as_equal():
    want = torch.tensor([1.0, float("inf"), float("nan"), -2.0])
    same = tensor_error(want, want.clone())
    assert same.max_abs == 0 and same.max_rel == 0
    bad = tensor_error(want, torch.tensor([1.0, float("inf"), float("nan"), float("nan")]))
    assert math.isinf(bad.max_rel) and "inf/nan" in bad.note
    assert tensor_error(want, None) is None


def test_trtconv_compare_command(tmp_path):
    planted = Path(__file__).parent / "support" / "planted.py"
    rows = tmp_path / "rows.json"
    done = subprocess.run([sys.executable, "-m", "trtconv.cli", "compare", f"{planted}:overflow",
                           "--input", "4x8", "--precision", "fp16", "--json", str(rows)],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert "<< first jump" in done.stdout
    first = next(line for line in done.stdout.splitlines()
                 if line.startswith("first divergent call:"))
    assert "in module 'scores' at planted.py:" in first
    doc = json.loads(rows.read_text())
    row = next(r for r in doc["rows"] if r["index"] == doc["first_divergent"])
    assert row["module_path"] == "scores" and doc["precision"] == "fp16"
    assert math.isinf(doc["output_error"])


def test_trtconv_compare_with_keep_fp32_auto(capsys):
    planted = Path(__file__).parent / "support" / "planted.py"
    assert cli.main(["compare", f"{planted}:overflow", "--input", "4x8", "--precision",
                     "fp16", "--keep-fp32", "auto", "--tolerance", "0.01"]) == 0
    out = capsys.readouterr().out
    error = float(out.split("output error ")[1].split()[0])
    assert 0 < error <= 0.01, out
    assert cli.main(["compare", f"{planted}:nothing", "--input", "4x8"]) == 1
    assert "has no 'nothing'" in capsys.readouterr().err


def test_debug_tensors_are_marked_on_tensorrt_rtx():
    rtx = require_rtx()
    model = overflow()
    converted = trtconv.convert(model, [X], backend="tensorrt_rtx", precision="fp16")
    recording = converted.reference_recording
    names = sorted({t.name for c in converted.report.calls for t in c.outputs})
    replayed = replay_network(recording, rtx)
    readable, method = mark_readable(replayed.network, replayed.tensors, names)
    assert method == DEBUG_TENSORS and len(readable) == len(names) - 1  # the output aside
    assert all(replayed.network.is_debug_tensor(replayed.tensors[n]) for n in readable)
    built = build_debug_engine(recording, rtx, names)
    assert built.plan and built.method == DEBUG_TENSORS
    with pytest.raises(trtconv.TrtconvError, match="runs only on an NVIDIA GPU"):
        debug.compare(model, [X], backend="tensorrt_rtx", precision="fp16")


def test_a_tensorrt_without_debug_tensors_gets_extra_outputs():
    converted = trtconv.convert(overflow(), [X], backend="reference", precision="fp16")
    replayed = replay_network(converted.reference_recording, trtconv.trt)
    assert not hasattr(replayed.network, "mark_debug")
    names = sorted({t.name for c in converted.report.calls for t in c.outputs})
    readable, method = mark_readable(replayed.network, replayed.tensors, names)
    assert method == EXTRA_OUTPUTS and replayed.network.num_outputs == 1 + len(readable)
