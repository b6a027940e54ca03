"""Triton repository entries: every generated config.pbtxt parsed by tritonclient's
ModelConfig (both flavours, static and dynamic batch); the files beside it; the batching
and class allow-list the Python-backend model relies on."""

from __future__ import annotations

import dataclasses
import json
import shlex

import pytest
import torch
from support.triton_env import parse_configs

import trtconv
from trtconv import TRTModule
from trtconv.errors import TrtconvError
from trtconv.export.batching import run_requests
from trtconv.export.describe import describe
from trtconv.export.engine import trtexec_command
from trtconv.export.loader import load_module
from trtconv.export.triton import choose_platform


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).relu().mean((2, 3))


class Embed(torch.nn.Module):
    """int64 ids and a float mask; dim 0 is a batch."""

    def __init__(self) -> None:
        super().__init__()
        self.table = torch.nn.Embedding(10, 4)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.table(ids) * mask.unsqueeze(-1)


def _net(backend: str, **shapes: object) -> TRTModule:
    return trtconv.convert(Net().eval(), [torch.randn(2, 3, 8, 8)], backend=backend,
                           input_names=["image"], output_names=["features"], **shapes)


BATCH = {"min_shapes": [(1, 3, 8, 8)], "opt_shapes": [(2, 3, 8, 8)],
         "max_shapes": [(16, 3, 8, 8)]}
SPATIAL = {"min_shapes": [(2, 3, 8, 8)], "max_shapes": [(2, 3, 32, 32)]}


def _dims(entries: list[dict]) -> list[list[int]]:
    return [[int(d) for d in e["dims"]] for e in entries]


def test_python_backend_configs_parse(tmp_path):
    repo = tmp_path / "repo"
    ids = torch.randint(0, 10, (2, 5))
    embed = trtconv.convert(Embed().eval(), [ids, torch.ones(2, 5)], backend="reference",
                            input_names=["ids", "mask"],
                            min_shapes=[(1, 5), (1, 5)], max_shapes=[(4, 5), (4, 5)])
    made = [trtconv.export_triton(_net("reference"), repo, "static"),
            trtconv.export_triton(_net("reference", **BATCH), repo, "batch"),
            trtconv.export_triton(_net("reference", **BATCH), repo, "nobatch", batching=False),
            trtconv.export_triton(_net("reference", **SPATIAL), repo, "spatial"),
            trtconv.export_triton(embed, repo, "embed", version=3)]
    static, batch, nobatch, spatial, emb = parse_configs([d / "config.pbtxt" for d in made])
    for config in (static, batch, nobatch, spatial, emb):
        assert config["backend"] == "python" and "platform" not in config
        assert config["instance_group"] == [{"count": 1, "kind": "KIND_CPU"}]
    assert static["name"] == "static" and static.get("max_batch_size", 0) == 0
    assert _dims(static["input"]) == [[2, 3, 8, 8]] and _dims(static["output"]) == [[2, 4]]
    assert static["input"][0]["data_type"] == "TYPE_FP32" and "dynamic_batching" not in static
    assert batch["max_batch_size"] == 16 and "dynamic_batching" in batch
    assert _dims(batch["input"]) == [[3, 8, 8]] and _dims(batch["output"]) == [[4]]
    assert nobatch.get("max_batch_size", 0) == 0 and _dims(nobatch["input"]) == [[-1, 3, 8, 8]]
    assert spatial.get("max_batch_size", 0) == 0  # dim 0 fixed at 2: not a batch
    assert _dims(spatial["input"]) == [[2, 3, -1, -1]]
    assert [e["data_type"] for e in emb["input"]] == ["TYPE_INT64", "TYPE_FP32"]
    assert emb["max_batch_size"] == 4 and _dims(emb["output"]) == [[5, 4]]
    version_dir = repo / "embed" / "3"
    assert sorted(p.name for p in version_dir.iterdir()) == ["model.pth", "model.py",
                                                            "trtconv_model.json"]
    spec = json.loads((version_dir / "trtconv_model.json").read_text())
    assert spec["module_class"] == "trtconv.module.TRTModule"
    assert spec["inputs"] == ["ids", "mask"] and spec["max_batch_size"] == 4
    reloaded = load_module(version_dir / "model.pth", spec["module_class"])
    mask = torch.ones(3, 5)
    ids = torch.randint(0, 10, (3, 5))
    assert torch.equal(reloaded(ids, mask), embed(ids, mask))


def test_tensorrt_plan_configs_parse(tmp_path, rtx):
    repo = tmp_path / "repo"
    two_profiles = dict(BATCH, profiles=[{"min_shapes": [(1, 3, 16, 16)],
                                          "opt_shapes": [(4, 3, 16, 16)],
                                          "max_shapes": [(8, 3, 16, 16)]}])
    two_profiles["max_shapes"] = [(16, 3, 16, 16)]
    static_m, batch_m = _net("tensorrt_rtx"), _net("tensorrt_rtx", **two_profiles)
    made = [trtconv.export_triton(static_m, repo, "static", platform="tensorrt_plan"),
            trtconv.export_triton(batch_m, repo, "batch", platform="tensorrt_plan",
                                  instances=2)]
    static, batch = parse_configs([d / "config.pbtxt" for d in made])
    assert static["platform"] == "tensorrt_plan" and "backend" not in static
    assert static.get("max_batch_size", 0) == 0 and _dims(static["input"]) == [[2, 3, 8, 8]]
    assert static["instance_group"] == [{"count": 1, "kind": "KIND_GPU", "profile": ["0"]}]
    assert batch["max_batch_size"] == 8  # the largest batch every profile holds
    assert _dims(batch["input"]) == [[3, -1, -1]] and _dims(batch["output"]) == [[4]]
    assert batch["instance_group"] == [
        {"count": 2, "kind": "KIND_GPU", "profile": ["0"]},
        {"count": 2, "kind": "KIND_GPU", "profile": ["1"]}]
    assert "dynamic_batching" in batch
    plan = repo / "batch" / "1" / "model.plan"
    assert plan.read_bytes() == batch_m.engine_bytes
    assert json.loads((repo / "batch" / "1" / "model.plan.json").read_text())["backend"] == \
        "tensorrt_rtx"


def test_platform_choice(tmp_path):
    info = describe(_net("reference", **BATCH))
    assert choose_platform(info) == "python"
    on_gpu = dataclasses.replace(info, backend="tensorrt")  # a TensorRT engine, no Python needed
    assert choose_platform(on_gpu) == "tensorrt_plan"
    line = trtexec_command(on_gpu, "m.plan")
    assert shlex.split(line) == ["trtexec", "--loadEngine=m.plan", "--shapes=image:2x3x8x8"]
    guarded = dataclasses.replace(on_gpu, metadata={"guards": [{"kind": "item"}]})
    assert choose_platform(guarded) == "python"
    with pytest.raises(TrtconvError, match="cannot be a tensorrt_plan model: 1 guard"):
        choose_platform(guarded, "tensorrt_plan")
    with pytest.raises(TrtconvError, match="reference plan runs in trtconv"):
        trtconv.export_triton(_net("reference"), tmp_path, "m", platform="tensorrt_plan")
    with pytest.raises(TrtconvError, match="no batch dimension: dim 0 of image, features"):
        trtconv.export_triton(_net("reference"), tmp_path, "m", batching=True)
    with pytest.raises(TrtconvError, match="Triton model name 'a/b'"):
        trtconv.export_triton(_net("reference"), tmp_path, "a/b")


def test_requests_are_concatenated_and_split_back():
    seen = []

    def model(xs: list[torch.Tensor]) -> list[torch.Tensor]:
        seen.append(tuple(xs[0].shape))
        return [xs[0].sum(-1), xs[0] * 2]

    requests = [[torch.randn(b, 3)] for b in (1, 4, 2, 3)] + [[torch.randn(2, 5)]]
    results = run_requests(model, requests, max_batch=8)
    assert seen == [(7, 3), (3, 3), (2, 5)]  # 1+4+2 fit in 8; 3 starts a new batch
    for request, (total, doubled) in zip(requests, results):
        torch.testing.assert_close(total, request[0].sum(-1))
        torch.testing.assert_close(doubled, request[0] * 2)


def test_batching_errors_answer_each_request():
    def not_a_batch(xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return [xs[0].sum(0, keepdim=True)]

    results = run_requests(not_a_batch, [[torch.ones(1, 3)], [torch.ones(2, 3)]], max_batch=4)
    assert all(isinstance(r, ValueError) and "not a batch dimension" in str(r) for r in results)

    def broken(xs: list[torch.Tensor]) -> list[torch.Tensor]:
        raise RuntimeError("engine failed")

    results = run_requests(broken, [[torch.ones(1, 3)], [torch.ones(1, 3)]], max_batch=0)
    assert [str(r) for r in results] == ["engine failed", "engine failed"]


def test_only_allow_listed_classes_are_loaded(tmp_path):
    path = tmp_path / "m.pth"
    torch.save(_net("reference").state_dict(), path)
    with pytest.raises(TrtconvError, match="refusing to load class 'builtins.eval'"):
        load_module(path, "builtins.eval")
    with pytest.raises(TrtconvError, match="refusing to load class 'torch.nn.Linear'"):
        load_module(path, "torch.nn.Linear")


class MixesTheBatch(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - x.mean(0, keepdim=True)


def test_dim0_that_mixes_samples_is_not_batched(tmp_path):
    m = trtconv.convert(MixesTheBatch(), [torch.randn(2, 3)], backend="reference",
                        min_shapes=[(1, 3)], max_shapes=[(8, 3)])
    with pytest.warns(UserWarning, match="no dynamic batching .* not a batch of independent"):
        made = trtconv.export_triton(m, tmp_path, "mix")
    (config,) = parse_configs([made / "config.pbtxt"])
    assert config.get("max_batch_size", 0) == 0 and _dims(config["input"]) == [[-1, 3]]
    with pytest.raises(TrtconvError, match="batching=True but .* independent samples"):
        trtconv.export_triton(m, tmp_path, "mix", batching=True)
