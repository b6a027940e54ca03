"""The deploy commands as a user runs them: `python -m trtconv ...` in a subprocess."""

from __future__ import annotations

import collections
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from support.triton_env import parse_configs

import trtconv
from trtconv import cli
from trtconv.reference.trt.plan import from_bytes

TESTS_DIR = Path(__file__).resolve().parents[1]

NET_PY = '''
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 5)

    def forward(self, x):
        return self.head(self.conv(x).relu().mean((2, 3)))

def build():
    return Net()
'''

# torchvision's compiled ops do not load on CPU torch: the subprocess imports it through the
# test shim (support/torchvision_cpu.py), set up by a sitecustomize on PYTHONPATH.
SITECUSTOMIZE = f'''
import sys
sys.path.insert(0, {str(TESTS_DIR)!r})
from support.torchvision_cpu import import_torchvision
import_torchvision()
'''


def trtconv_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
                ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "trtconv", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, f"{args}: {done.stderr[-3000:]}"
    return done


@pytest.fixture
def net_py(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "net.py"
    path.write_text(NET_PY)
    return path


def _net(path: Path) -> torch.nn.Module:
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    torch.manual_seed(0)  # the command seeds with --seed 0 before building
    return namespace["build"]().eval()


def test_convert_a_torchvision_factory(tmp_path, torchvision):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(os.environ, PYTHONPATH=str(shim))
    done = trtconv_cli("convert", "torchvision.models:resnet18", "--input", "image:1x3x32x32",
                       "--batch", "1:2:4", "--backend", "reference", "-o", "r18.pth",
                       "--engine", "r18.plan", cwd=tmp_path, env=env)
    assert "[2/3] converting (ResNet, backend reference, fp32)" in done.stderr
    assert "r18.pth: reference engine" in done.stdout
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    loaded = trtconv.TRTModule()
    loaded.load_state_dict(torch.load(tmp_path / "r18.pth", weights_only=True))
    x = torch.randn(3, 3, 32, 32)
    torch.testing.assert_close(loaded(x), model(x), atol=1e-4, rtol=1e-4)
    side = json.loads((tmp_path / "r18.plan.json").read_text())
    assert side["source_model"] == "torchvision.models.resnet.ResNet"
    assert side["profiles"] == [{"image": {"min": [1, 3, 32, 32], "opt": [2, 3, 32, 32],
                                           "max": [4, 3, 32, 32]}}]


def test_convert_a_file_factory_then_inspect_run_and_export(tmp_path, net_py):
    trtconv_cli("convert", "models/net.py:build", "--input", "x:2x3x8x8",
                "--min", "x:1x3x8x8", "--opt", "x:2x3x8x8", "--max", "x:4x3x16x16",
                "--backend", "reference", "-o", "net.pth", "--triton", "repo", cwd=tmp_path)
    model = _net(net_py)
    loaded = trtconv.TRTModule()
    loaded.load_state_dict(torch.load(tmp_path / "net.pth", weights_only=True))
    for shape in [(1, 3, 8, 8), (4, 3, 16, 16)]:
        x = torch.randn(shape)
        torch.testing.assert_close(loaded(x), model(x), atol=1e-5, rtol=1e-5)
    assert (tmp_path / "repo" / "net" / "1" / "model.py").exists()

    text = trtconv_cli("inspect", "net.pth", "--layers", cwd=tmp_path).stdout
    assert "source model: net.Net" in text
    assert "0: x              min 1x3x8x8  opt 2x3x8x8  max 4x3x16x16" in text
    per_module = collections.Counter(
        layer["name"].split("/")[0] for layer in from_bytes(loaded.engine_bytes).graph["layers"])
    assert per_module["conv"] >= 1 and per_module["head"] >= 1
    assert "IConvolutionLayer: 1" in text
    assert f"  conv: {per_module['conv']}\n" in text and f"  head: {per_module['head']}\n" in text
    assert "torch.nn.Conv2d.forward @ " in text and "net.py:" in text  # layer metadata
    assert "needs Python at run time: yes" in text

    run = trtconv_cli("run", "net.pth", "--shapes", "x:3x3x12x12", "--iterations", "20",
                      "--warmup", "2", "--threads", "2", cwd=tmp_path).stdout
    assert "inputs x:3x3x12x12, 2 thread(s), 20 iterations after 2 warm-up" in run
    assert "median (p50)" in run and "p90" in run and "p99" in run
    assert "samples/s (batch 3)" in run

    export = trtconv_cli("export", "net.pth", "--triton", "repo2", "--name", "small",
                         "--engine", "net.plan", cwd=tmp_path).stdout
    assert "Triton model 'small' version 1" in export and 'backend: "python"' in export
    (config,) = parse_configs([tmp_path / "repo2" / "small" / "config.pbtxt"])
    assert config["name"] == "small" and config["max_batch_size"] == 4
    assert [[int(d) for d in e["dims"]] for e in config["input"]] == [[3, -1, -1]]
    plan_report = trtconv_cli("inspect", "net.plan", cwd=tmp_path).stdout
    assert "net.plan (sidecar net.plan.json)" in plan_report and "IConvolutionLayer" in plan_report


def test_inspect_and_run_json(tmp_path, net_py, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["convert", "models/net.py:build", "--input", "x:2x3x8x8", "--batch",
                     "1:4", "--backend", "reference", "-o", "net.pth"]) == 0
    capsys.readouterr()
    assert cli.main(["inspect", "net.pth", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["inputs"] == [{"name": "x", "dtype": "float32", "rank": 4,
                                 "shape": [-1, 3, 8, 8]}]
    assert report["profiles"] == [{"x": {"min": [1, 3, 8, 8], "opt": [2, 3, 8, 8],
                                         "max": [4, 3, 8, 8]}}]
    assert report["num_layers"] == sum(report["layers_by_type"].values()) == len(
        report["layers"])
    assert report["guards"] == [] and report["plugins"] == [] and report["fallbacks"] == []
    assert cli.main(["run", "net.pth", "--iterations", "10", "--warmup", "1", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    lat = numbers["latency_ms"]
    assert numbers["iterations"] == 10 and numbers["inputs"] == {"x": [2, 3, 8, 8]}
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert numbers["throughput_qps"] > 0


# Each error as the user sees it, in a subprocess (one per kind: they cost an interpreter).
@pytest.mark.parametrize("args, message", [
    (["convert", "torchvision.models.resnet18", "--input", "x:1x3x8x8", "-o", "m.pth"],
     "error: factory 'torchvision.models.resnet18': expected MODULE:FACTORY"),
    (["convert", "models/missing.py:build", "--input", "x:1x3x8x8", "-o", "m.pth"],
     "error: factory 'models/missing.py:build': no such file models/missing.py"),
    (["convert", "models/net.py:build", "--input", "x:1x3xeight", "-o", "m.pth"],
     "error: --input 'x:1x3xeight': bad shape '1x3xeight'; write dims like 1x3x224x224"),
    (["inspect", "missing.pth"], "error: no such model file: missing.pth"),
    (["run", "missing.plan"], "error: no such model file: missing.plan"),
])
def test_bad_arguments(tmp_path, net_py, args, message):
    done = trtconv_cli(*args, cwd=tmp_path, ok=False)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# The same checks in-process, for the rest of the bad arguments.
@pytest.mark.parametrize("args, message", [
    (["convert", "no_such_module_xyz:build", "--input", "x:1x3x8x8", "-o", "m.pth"],
     "cannot import module 'no_such_module_xyz': ModuleNotFoundError"),
    (["convert", "models/net.py:nothing", "--input", "x:1x3x8x8", "-o", "m.pth"],
     "models/net.py has no attribute 'nothing'"),
    (["convert", "models/net.py:torch", "--input", "x:1x3x8x8", "-o", "m.pth"],
     "torch is a module, not a callable that returns a model"),
    (["convert", "models/net.py:build", "--input", "x", "-o", "m.pth"],
     "--input 'x': expected NAME:SHAPE[:DTYPE]"),
    (["convert", "models/net.py:build", "--input", "x:1x3x8x8:complex", "-o", "m.pth"],
     "unknown dtype 'complex'"),
    (["convert", "models/net.py:build", "--input", "x:1x3x8x8", "--min", "y:1x3x8x8",
      "-o", "m.pth"], "--min 'y:1x3x8x8': no --input named 'y' (inputs: x)"),
    (["convert", "models/net.py:build", "--input", "x:1x3x8x8", "--batch", "8", "-o", "m.pth"],
     "--batch '8': expected MIN:OPT:MAX or MIN:MAX"),
    (["convert", "models/net.py:build", "--input", "x:2x3x8x8", "--batch", "4:2:8",
      "-o", "m.pth"], "input 'x': Input needs 0 <= min <= opt <= max"),
    (["convert", "models/net.py:build", "--input", "x:1x3x8x8", "--precision", "int8",
      "-o", "m.pth"], "--precision int8 needs --calib DIR"),
    (["convert", "models/net.py:build", "--input", "x:1x3x8x8", "--precision", "int8",
      "--calib", "nowhere", "-o", "m.pth"], "--calib nowhere: no such directory"),
    (["run", "models/net.py"], "models/net.py: not a torch.save file that loads with "
     "weights_only=True"),
    (["run", "weights.pth"], "weights.pth: no TRTModule state found (keys: ['weight'])"),
    (["export", "models/net.py"], "nothing to write: give --triton REPO and/or --engine FILE"),
    (["serve", "nowhere/"], "no such file or directory: nowhere/"),
])
def test_bad_arguments_in_process(tmp_path, net_py, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    torch.save({"weight": torch.ones(2)}, tmp_path / "weights.pth")
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert f"trtconv {args[0]}: error: " in err and message in err, err


def test_fallback_is_refused_until_convert_has_it(tmp_path, net_py, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["convert", "models/net.py:build", "--input", "x:1x3x8x8", "--fallback",
            "-o", "m.pth"]
    if "fallback" in inspect.signature(trtconv.convert).parameters:
        pytest.skip("convert() has partial conversion: --fallback is passed on")
    assert cli.main(args) == 2
    assert "--fallback: partial conversion is not available yet" in capsys.readouterr().err


def test_serve_without_the_serving_environment_says_how_to_get_it(tmp_path, capsys,
                                                                   monkeypatch):
    """The main environment has numpy 2 and no nvidia-pytriton: `serve` explains, no trace."""
    import importlib.util

    import numpy

    if importlib.util.find_spec("pytriton") and int(numpy.__version__.split(".")[0]) < 2:
        pytest.skip("this environment can serve (the end-to-end test covers it)")
    monkeypatch.chdir(tmp_path)
    m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference")
    torch.save(m.state_dict(), tmp_path / "relu.pth")
    assert cli.main(["serve", "relu.pth"]) == 1
    err = capsys.readouterr().err
    assert "trtconv serve: ServeError:" in err and "make triton-venv" in err, err
