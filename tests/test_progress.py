"""convert(progress=...): stage lines on a terminal; report.summary() and summary.describe()."""

from __future__ import annotations

import io

import torch

import trtconv
from trtconv import summary
from trtconv.progress import Progress, bar_text

MODEL = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8),
                            torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 6 * 6, 4))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines(text: str) -> list[str]:
    return [part.replace("\x1b[K", "").strip() for part in text.replace("\r", "\n").split("\n")
            if part.strip()]


def test_progress_shows_the_trace_and_the_build(capsys):
    x = torch.randn(1, 3, 8, 8)
    trtconv.convert(MODEL.eval(), [x], backend="reference", precision="fp16", progress=True)
    done = [line for line in lines(capsys.readouterr().err) if ": done in " in line]
    assert len(done) == 3, done
    assert done[0].startswith("trtconv: tracing (5 calls, ") and "layers): done in" in done[0]
    assert done[1].startswith("trtconv: lowering to fp16: done in")
    assert done[2].startswith("trtconv: building (reference): done in")


def test_progress_is_silent_off_a_terminal_or_when_asked(capsys, monkeypatch):
    x = torch.randn(1, 3, 8, 8)
    trtconv.convert(MODEL.eval(), [x], backend="reference")  # stderr is not a terminal here
    assert "trtconv:" not in capsys.readouterr().err
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert Progress.create(None).enabled and not Progress.create(False).enabled
    trtconv.convert(MODEL.eval(), [x], backend="reference", progress=False)
    assert terminal.getvalue() == ""
    trtconv.convert(MODEL.eval(), [x], backend="reference")
    assert "trtconv: building (reference): done" in terminal.getvalue()


def test_int8_calibration_shows_a_bar(capsys):
    batches = [torch.randn(1, 3, 8, 8) for _ in range(3)]
    trtconv.convert(MODEL.eval(), [batches[0]], backend="reference", precision="int8",
                    calibration_data=batches, progress=True)
    err = lines(capsys.readouterr().err)
    done = [line for line in err if line.startswith("trtconv: lowering to int8 (")]
    assert done and f"{bar_text(6, 6)} calibration passes): done in" in done[0], err


def test_tensorrt_builds_report_their_phases(capsys):
    from support.rtx import require_rtx

    require_rtx()
    trtconv.convert(MODEL.eval(), [torch.randn(1, 3, 8, 8)], backend="tensorrt_rtx",
                    progress=True)
    err = lines(capsys.readouterr().err)
    built = [line for line in err if line.startswith("trtconv: building (tensorrt_rtx)")]
    assert any("[" in line and "/" in line for line in built), built  # a phase bar


def test_bar_text():
    assert bar_text(6, 24) == "[######..................] 6/24"
    assert bar_text(3, 0) == "3"


def test_summary_lists_modules_types_islands_and_timings():
    x = torch.randn(1, 3, 8, 8)
    converted = trtconv.convert(MODEL.eval(), [x], backend="reference", precision="fp16")
    meta = converted.metadata
    assert meta["layers_by_type"]["Convolution"] == 1
    assert sum(meta["layers_by_type"].values()) == meta["num_layers"]
    assert sum(meta["layers_by_module"].values()) == meta["num_layers"]
    assert meta["layers_by_module"]["0"] == 1 and meta["module_types"]["4"] == "Linear"
    text = converted.report.summary()
    for part in ("layers per module (depth 2):", "layers per type:", "  Convolution",
                 "timings: trace ", "precision+build "):
        assert part in text, text
    fresh = trtconv.TRTModule()
    fresh.load_state_dict(converted.state_dict())
    described = summary.describe(fresh)
    assert described.startswith(f"reference engine: {meta['num_layers']} layers, fp16")
    assert "layers per type:" in described


def test_summary_shows_guards_and_islands():
    meta = {"num_layers": 3, "precision": "fp16",
            "fp32_islands": {"a/softmax_0": "softmax accumulates in fp32",
                             "b/mul_0": "output reaches 7e+04 on the example, beyond the range"},
            "guards": [{"kind": "value", "source": "m.py:3", "module_path": "head",
                        "expected": 4, "message": "x.item() was 4 when converted"}]}
    text = "\n".join(summary.sections(meta))
    assert "fp32 islands: 2 layers" in text
    assert "output beyond the range on the example" in text
    assert "guards: 1 (checked after each run)" in text
    assert "value in 'head' at m.py:3: x.item() was 4 when converted" in text


def test_dry_run_report_counts_layers():
    report = trtconv.convert(MODEL.eval(), [torch.randn(1, 3, 8, 8)], dry_run=True)
    assert sum(report.stats["layers_by_type"].values()) == report.num_layers
    assert "layers per type:" in report.summary()
