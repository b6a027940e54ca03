"""Engine files: the plan + JSON sidecar of save_engine, load_engine, the trtexec line."""

from __future__ import annotations

import json
import shlex

import pytest
import torch

import trtconv
from trtconv import TRTModule
from trtconv.errors import TrtconvError
from trtconv.export.engine import sidecar_path


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x).relu().mean((2, 3)))


class TwoWay(torch.nn.Module):
    """Dict input, tuple output, an int64 input: the structures must survive the file."""

    def forward(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        x, ids = inputs["x"], inputs["ids"]
        return x * 2, ids + 1


def _dynamic(backend: str = "reference", **kw: object) -> TRTModule:
    return trtconv.convert(Net().eval(), [torch.randn(2, 3, 8, 8)], backend=backend,
                           input_names=["image"], min_shapes=[(1, 3, 8, 8)],
                           opt_shapes=[(2, 3, 8, 8)], max_shapes=[(8, 3, 8, 8)], **kw)


def test_sidecar_of_a_static_model(tmp_path):
    model = Net().eval()
    m = trtconv.convert(model, [torch.randn(1, 3, 8, 8)], backend="reference",
                        input_names=["image"], output_names=["logits"])
    path = tmp_path / "net.plan"
    side_path = m.save_engine(path)
    assert side_path == tmp_path / "net.plan.json" == sidecar_path(path)
    assert path.read_bytes() == m.engine_bytes
    side = json.loads(side_path.read_text())
    assert side["format"] == "trtconv-engine" and side["plan"] == "net.plan"
    assert side["inputs"] == [{"name": "image", "dtype": "float32", "rank": 4,
                               "shape": [1, 3, 8, 8]}]
    assert side["outputs"] == [{"name": "logits", "dtype": "float32", "rank": 2,
                                "shape": [1, 6]}]
    assert side["profiles"] == [{"image": {"min": [1, 3, 8, 8], "opt": [1, 3, 8, 8],
                                           "max": [1, 3, 8, 8]}}]
    assert side["backend"] == "reference"
    assert side["tensorrt_version"] == m.metadata["tensorrt"] == "11.4.0.reference"
    assert side["compute_capability"] is None  # built on no GPU
    assert side["precision"] == "fp32"
    assert side["plugins"] == [] and side["guards"] == []
    assert side["needs_python"] is True
    assert side["needs_python_reasons"] == ["the reference plan runs in trtconv's PyTorch runtime"]
    assert side["trtconv_version"] == trtconv.__version__
    assert side["source_model"] == f"{Net.__module__}.Net"
    assert side["module_class"] == "trtconv.module.TRTModule"
    assert side["trtexec"] is None  # only trtconv loads a reference plan
    assert side["plan_bytes"] == len(m.engine_bytes)


def test_sidecar_of_a_dynamic_fp16_model(tmp_path):
    m = _dynamic(precision="fp16")
    side = json.loads(m.save_engine(tmp_path / "net.plan").read_text())
    assert side["inputs"][0]["shape"] == [-1, 3, 8, 8]
    assert side["outputs"][0]["shape"] == [-1, 6]
    assert side["outputs"][0]["dtype"] == "float32"  # I/O keep PyTorch's dtypes in fp16
    assert side["profiles"] == [{"image": {"min": [1, 3, 8, 8], "opt": [2, 3, 8, 8],
                                           "max": [8, 3, 8, 8]}}]
    assert side["precision"] == "fp16"
    assert side["trtconv"]["metadata"]["fp32_islands"] == m.metadata["fp32_islands"]


def test_load_engine_round_trip(tmp_path):
    m = _dynamic()
    m.save_engine(tmp_path / "net.plan")
    loaded = trtconv.load_engine(tmp_path / "net.plan")
    x = torch.randn(5, 3, 8, 8)
    assert loaded.backend == "reference" and loaded.metadata == m.metadata
    assert torch.equal(loaded(x), m(x))
    with pytest.raises(trtconv.InputError, match="outside the engine's range"):
        loaded(torch.randn(9, 3, 8, 8))


def test_load_engine_keeps_input_and_output_structures(tmp_path):
    inputs = {"x": torch.randn(2, 3), "ids": torch.arange(4)}
    m = trtconv.convert(TwoWay(), [inputs], backend="reference")
    m.save_engine(tmp_path / "two.plan")
    side = json.loads((tmp_path / "two.plan.json").read_text())
    assert [t["dtype"] for t in side["inputs"]] == ["float32", "int64"]
    out = trtconv.load_engine(tmp_path / "two.plan")(inputs)
    assert isinstance(out, tuple) and torch.equal(out[0], inputs["x"] * 2)
    assert out[1].dtype == torch.int64 and torch.equal(out[1], inputs["ids"] + 1)


def test_a_reference_plan_without_sidecar_loads_by_itself(tmp_path):
    m = _dynamic()
    (tmp_path / "bare.plan").write_bytes(m.engine_bytes)
    loaded = trtconv.load_engine(tmp_path / "bare.plan")
    x = torch.randn(3, 3, 8, 8)
    assert torch.equal(loaded(x), m(x))


def test_load_engine_errors(tmp_path):
    with pytest.raises(TrtconvError, match="no engine file at"):
        trtconv.load_engine(tmp_path / "missing.plan")
    (tmp_path / "x.plan").write_bytes(b"\x00not a reference plan")
    with pytest.raises(TrtconvError, match="no sidecar .* pass backend='tensorrt'"):
        trtconv.load_engine(tmp_path / "x.plan")
    m = _dynamic()
    m.save_engine(tmp_path / "net.plan")
    (tmp_path / "net.plan").write_bytes(m.engine_bytes[:-1] + b"\x00")
    with pytest.raises(TrtconvError, match="does not match its sidecar"):
        trtconv.load_engine(tmp_path / "net.plan")
    with pytest.raises(TrtconvError, match="needs a TRTModule holding an engine"):
        trtconv.export.save_engine(TRTModule(), tmp_path / "empty.plan")


class _GuardedPlugin(torch.nn.Module):
    def forward(self, x):
        y = torch.ops.mylib.foo(x)
        return y * 2 if y.sum() > 8 else y  # over 8 for inputs in [1, 2)


def test_guards_and_plugins_make_the_sidecar_say_python_is_needed(tmp_path):
    import warnings

    import support.mylib_ops  # noqa: F401  (registers mylib::foo)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = trtconv.convert(_GuardedPlugin(), [torch.rand(2, 3) + 1], backend="reference",
                            custom_op_plugins=True)
    side = json.loads(m.save_engine(tmp_path / "g.plan").read_text())
    assert [g["what"] for g in side["guards"]] == ["bool(tensor)"]
    assert side["plugins"] == m.metadata["plugins"] and "mylib" in side["plugins"][0]
    assert "1 guard(s) are checked in Python after each call" in side["needs_python_reasons"]
    assert any(r.startswith("plugins implemented in Python") for r in side["needs_python_reasons"])
    loaded = trtconv.load_engine(tmp_path / "g.plan")
    x = torch.rand(2, 3) + 1
    torch.testing.assert_close(loaded(x), _GuardedPlugin()(x))
    with pytest.raises(trtconv.GuardError, match="bool"):
        loaded(-torch.rand(2, 3) - 2)


def _trtexec_shapes(line: str) -> tuple[list[str], dict[str, list[int]]]:
    words = shlex.split(line)
    shapes = {}
    for word in words:
        if word.startswith("--shapes="):
            for item in word.removeprefix("--shapes=").split(","):
                name, _, dims = item.rpartition(":")
                shapes[name] = [int(d) for d in dims.split("x")]
    return words, shapes


def test_trtexec_line_of_a_dynamic_rtx_engine_has_shapes_inside_the_profile(tmp_path, rtx):
    m = trtconv.convert(Net().eval(), [torch.randn(2, 3, 8, 8)], backend="tensorrt_rtx",
                        input_names=["image"], min_shapes=[(1, 3, 8, 8)],
                        max_shapes=[(8, 3, 8, 8)],
                        profiles=[{"min_shapes": [(16, 3, 8, 8)], "opt_shapes": [(24, 3, 8, 8)],
                                   "max_shapes": [(32, 3, 8, 8)]}])
    side = json.loads(m.save_engine(tmp_path / "net.plan").read_text())
    assert side["backend"] == "tensorrt_rtx" and side["tensorrt_version"] == rtx.__version__
    assert side["needs_python"] is False and side["needs_python_reasons"] == []
    assert len(side["profiles"]) == 2
    words, shapes = _trtexec_shapes(side["trtexec"])
    assert words[:2] == ["tensorrt_rtx", "--loadEngine=net.plan"] and "--profile=0" in words
    profile = side["profiles"][0]
    assert set(shapes) == set(profile) == {"image"}
    for name, shape in shapes.items():
        lo, hi = profile[name]["min"], profile[name]["max"]
        assert all(a <= d <= b for a, d, b in zip(lo, shape, hi)), (shape, lo, hi)
    loaded = trtconv.load_engine(tmp_path / "net.plan")  # no GPU: loads, cannot run
    assert loaded.backend == "tensorrt_rtx" and loaded.engine_bytes == m.engine_bytes
    with pytest.raises(TrtconvError, match="runs only on an NVIDIA GPU"):
        loaded(torch.randn(2, 3, 8, 8))


def test_trtexec_line_of_a_static_engine_has_no_shapes(tmp_path, rtx):
    m = trtconv.convert(Net().eval(), [torch.randn(1, 3, 8, 8)], backend="tensorrt_rtx")
    side = json.loads(m.save_engine(tmp_path / "s.plan").read_text())
    assert shlex.split(side["trtexec"]) == ["tensorrt_rtx", "--loadEngine=s.plan"]
