"""Keeps the benchmark code from rotting: no timings, only numerical checks at a tiny size.

The reference_runtime benchmark's ResNet-50 network (written with the TensorRT API) must compute
what its eager PyTorch twin computes, on the reference runtime, and must be a network the real
TensorRT-RTX builder accepts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import resnet_network as rn  # noqa: E402  (needs REPO on sys.path)
from benchmarks.common import Samples, interleaved, md_table  # noqa: E402

TINY = {"width": 8, "layers": rn.RESNET50, "num_classes": 10}
SHAPE = (2, 3, 32, 32)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny ops: intra-op threads only add synchronisation (badly so on a loaded machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_reference_resnet_matches_eager():
    from trtconv.reference import trt

    weights = rn.make_weights(**TINY)
    plan = rn.build_plan(trt, weights, SHAPE)
    runner = rn.ReferenceRunner(plan, SHAPE)
    x = torch.randn(SHAPE)
    with torch.no_grad():
        expected = rn.eager_forward(weights, x)
    got = runner(x)
    assert got.shape == (2, 10)
    scale = float(expected.abs().max())
    assert scale > 1e-3  # the random network does not collapse to zeros
    torch.testing.assert_close(got, expected, atol=1e-4 * scale, rtol=1e-4)
    # a second call reuses the engine, context and output buffer
    x2 = torch.randn(SHAPE)
    with torch.no_grad():
        torch.testing.assert_close(runner(x2).clone(), rn.eager_forward(weights, x2),
                                   atol=1e-4 * scale, rtol=1e-4)


def test_resnet_network_builds_on_tensorrt_rtx(rtx):
    weights = rn.make_weights(**TINY)
    builder, network, keep = rn.build_network(rtx, weights, SHAPE)
    assert tuple(network.get_output(0).shape) == (2, 10)
    plan = builder.build_serialized_network(network, builder.create_builder_config())
    assert plan is not None
    del keep


def test_eager_twin_is_torchvision_resnet(torchvision):
    weights = rn.make_weights(width=64, layers=(1, 1, 1, 1), num_classes=10)
    model = torchvision.models.resnet.ResNet(torchvision.models.resnet.Bottleneck, [1, 1, 1, 1],
                                             num_classes=10).eval()
    model.load_state_dict(weights)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(rn.eager_forward(weights, x), model(x))


def test_helpers():
    calls = []
    samples = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                          reps=3, warmup=1, collect=False)
    assert calls.count("a") == calls.count("b") == 4
    assert calls[2:] == ["a", "b", "b", "a", "a", "b"]  # the order rotates each repetition
    assert isinstance(samples, Samples) and len(samples.times["a"]) == 3
    table = md_table(["x", "y"], [["m", 1.5]])
    assert table.splitlines()[1] == "|:--|--:|"


def test_cli_lists_zoo_models(capsys):
    from benchmarks.__main__ import main

    assert main(["--models", "list"]) == 0
    names = capsys.readouterr().out.split()
    assert "resnet50" in names and "gpt_block" in names and len(names) >= 36
