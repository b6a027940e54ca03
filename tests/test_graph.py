"""model_trt.graph(): the network as one HTML page, opened in headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from support.browser import load
from support.rtx import require_rtx

import trtconv
from trtconv import cli
from trtconv.backends.replay import rebuild
from trtconv.graph import PytorchSegment, graph_data, page, recording_of

REPO = Path(__file__).resolve().parent.parent


def page_data(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    return json.loads(text.group(1).replace("<\\/", "</"))


def walk(node: dict, path: tuple[str, ...] = ()):
    """(kind, module path chain, node) for every node of the tree, in order."""
    yield node["k"], path, node
    for child in node.get("c", []):
        yield from walk(child, (*path, node["p"]) if node["k"] == "m" else path)


@pytest.fixture(scope="module")
def resnet18(torchvision):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    x = torch.randn(2, 3, 64, 64)
    return trtconv.convert(model, [x], backend="reference", precision="fp16",
                           min_shapes=[(1, 3, 64, 64)], max_shapes=[(4, 3, 64, 64)])


def test_resnet18_page_groups_every_layer_once_by_module_and_call(resnet18):
    data = page_data(resnet18.graph())
    calls = [n for kind, _, n in walk(data["tree"]) if kind == "c"]
    layers = sorted(i for c in calls for i in c["l"])
    assert layers == list(range(resnet18.metadata["num_layers"]))
    top = [n["p"] for n in data["tree"]["c"] if n["k"] == "m"]
    assert top == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                   "avgpool", "fc"]
    # the block's ReLU runs twice: after bn1 and after the residual add
    runs = [n for kind, _, n in walk(data["tree"]) if kind == "m" and n["p"] == "layer1.0.relu"]
    assert [n["r"] for n in runs] == [1, 2]
    assert data["types"]["layer1.0"] == "BasicBlock" and data["types"]["fc"] == "Linear"
    conv = next(c for c in calls if c["n"] == "conv2d_0" and c["op"].endswith("Conv2d.forward"))
    assert re.fullmatch(r"resnet\.py:\d+", conv["src"])
    out = data["tensors"][data["layers"][conv["l"][0]]["o"][0]]
    assert out["s"][0] == -1 and out["d"] == "HALF"  # dynamic batch, fp16
    islands = {layer["n"]: layer["f"] for layer in data["layers"] if "f" in layer}
    assert islands == resnet18.metadata["fp32_islands"] and islands


def test_resnet18_page_opens_in_chromium_without_script_errors(resnet18, tmp_path):
    path = tmp_path / "resnet18.html"
    resnet18.graph(path)
    collapsed = load(path)
    assert (collapsed.status, collapsed.errors) == ("ok", "")
    assert collapsed.layer_rows == 0  # collapsed to the top modules
    assert "layer4" in collapsed.dom and "BasicBlock" not in collapsed.dom.split("</script>")[-1]
    expanded = load(path, "expand=all")
    assert (expanded.status, expanded.errors) == ("ok", "")
    assert expanded.layer_rows == resnet18.metadata["num_layers"]
    revealed = load(path, "layer=layer3.1.conv2/conv2d_0")
    assert revealed.status == "ok" and 0 < revealed.layer_rows < expanded.layer_rows


def test_swin_t_page_with_thousands_of_layers_opens_collapsed_and_fully_expanded(torchvision, tmp_path):
    from models.onnx_check import check_onnx_export
    from models.zoo import BY_NAME

    spec = BY_NAME["swin_t"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # swin_t's known size comparisons (zoo.py)
        converted = trtconv.convert(spec.build(torchvision), [spec.example_input()],
                                    backend="reference", **spec.dynamic_profile())
    layers = converted.metadata["num_layers"]
    assert layers > 2500
    check_onnx_export(converted)  # dynamic dims: size arithmetic as trt-domain nodes
    path = tmp_path / "swin_t.html"
    data = page_data(converted.graph(path))
    assert [n["p"] for n in data["tree"]["c"] if n["k"] == "m"] == [
        "features", "norm", "permute", "avgpool", "flatten", "head"]
    collapsed = load(path)
    assert (collapsed.status, collapsed.errors, collapsed.layer_rows) == ("ok", "", 0)
    expanded = load(path, "expand=all")
    assert (expanded.status, expanded.errors, expanded.layer_rows) == ("ok", "", layers)


def test_pytorch_segments_and_guards_are_drawn_in_their_module(resnet18, tmp_path):
    network = rebuild(recording_of(resnet18))
    first_of_layer2 = next(i for i, layer in enumerate(network._layers)
                           if layer.name.startswith("layer2."))
    segment = PytorchSegment(first_of_layer2, [("torch.nonzero", "layer2.0", "model.py:7")])
    data = graph_data(network, resnet18.metadata, pytorch_segments=[segment])
    found = [(path, n) for kind, path, n in walk(data["tree"]) if kind == "p"]
    assert len(found) == 1
    path, node = found[0]
    assert path[-2:] == ("layer2", "layer2.0") and node["op"] == "torch.nonzero"
    guard = {"kind": "value", "source": "model.py:9", "module_path": "layer2.0",
             "expected": 3, "message": "int(x.sum()) was 3 when converted"}
    metadata = {**resnet18.metadata, "guards": [guard]}
    html_path = tmp_path / "segments.html"
    html_path.write_text(page(network, metadata, "with PyTorch", pytorch_segments=[segment]))
    collapsed = load(html_path)
    assert (collapsed.status, collapsed.errors) == ("ok", "")
    assert "1 guard" in collapsed.dom  # counted on the collapsed top module layer2
    loaded = load(html_path, "expand=all")
    assert (loaded.status, loaded.errors) == ("ok", "")
    assert "PyTorch" in loaded.dom and "nonzero" in loaded.dom
    assert "int(x.sum()) was 3 when converted" in loaded.dom


def test_a_module_loaded_from_a_file_draws_the_same_page(resnet18):
    fresh = trtconv.TRTModule()
    fresh.load_state_dict(resnet18.state_dict())
    assert not hasattr(fresh, "reference_recording")
    assert fresh.graph() == resnet18.graph()


def test_engines_without_their_network_say_what_is_possible(tmp_path):
    require_rtx()
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU()).eval()
    on_rtx = trtconv.convert(model, [torch.randn(2, 4)], backend="tensorrt_rtx")
    assert "Linear" in on_rtx.graph()  # this session kept the reference network
    saved = trtconv.TRTModule()
    saved.load_state_dict(on_rtx.state_dict())
    with pytest.raises(trtconv.TrtconvError, match="do not carry the network .* backend='reference'"):
        saved.graph()
    with pytest.raises(trtconv.TrtconvError, match="tensorrt_rtx engine"):
        saved.to_onnx(tmp_path / "x.onnx")


def test_trtconv_graph_command(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
    converted = trtconv.convert(model, [torch.randn(1, 3, 8, 8)], backend="reference")
    saved = tmp_path / "m.pth"
    torch.save(converted.state_dict(), saved)
    out = tmp_path / "net.html"
    done = subprocess.run([sys.executable, "-m", "trtconv.cli", "graph", str(saved), "-o",
                           str(out)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}: 2 layers, fp32" in done.stdout
    data = page_data(out.read_text())
    assert [n["p"] for n in data["tree"]["c"]] == ["0", "1"]

def test_trtconv_graph_of_a_file_that_is_no_state_dict(tmp_path, capsys):
    assert cli.main(["graph", str(tmp_path), "-o", str(tmp_path / "net.html")]) == 1
    assert "cannot read a saved state_dict" in capsys.readouterr().err
    weights = tmp_path / "w.pth"
    torch.save({"weight": torch.ones(1)}, weights)
    assert cli.main(["graph", str(weights), "-o", str(tmp_path / "net.html")]) == 1
    assert "no TRTModule state found" in capsys.readouterr().err
