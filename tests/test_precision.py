"""fp16/bf16 under strong typing: accuracy against fp32 PyTorch, fp32 islands, RTX builds."""

from __future__ import annotations

import pytest
import torch
from harness import Lambda
from support.rtx import require_rtx

import trtconv
from trtconv.reference.trt.plan import from_bytes

LOW = {"fp16": torch.float16, "bf16": torch.bfloat16}


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(8))
        self.b = torch.nn.Parameter(torch.randn(8))

    def forward(self, x):
        return torch.sigmoid(torch.relu(x) * self.w + self.b) - 0.5


def _dtypes(module: trtconv.TRTModule) -> set[str]:
    graph = from_bytes(module.engine_bytes).graph
    return {a["e"][1] for layer in graph["layers"] for a in layer["args"]
            if isinstance(a, dict) and "e" in a and a["e"][0] == "DataType"}


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_low_precision_matches_the_same_computation_in_torch(precision):
    """The engine's error against fp32 is what PyTorch itself gets computing in that dtype."""
    model = Small().eval()
    x = torch.randn(4, 8)
    converted = trtconv.convert(model, [x], backend="reference", precision=precision)
    got, want = converted(x), model(x)
    assert got.dtype == torch.float32
    low = LOW[precision]
    torch_low = model.to(low)(x.to(low)).float()
    model.float()
    bound = 4 * (torch_low - want).abs().max().item() + torch.finfo(low).eps
    assert (got - want).abs().max().item() <= bound
    assert (got - want).abs().max().item() > 0  # it really computed in low precision
    assert "HALF" in _dtypes(converted) or "BF16" in _dtypes(converted)


def test_fp16_mode_alias():
    converted = trtconv.convert(Small().eval(), [torch.randn(2, 8)], backend="reference",
                                fp16_mode=True)
    assert converted.metadata["precision"] == "fp16"


def test_softmax_and_overflowing_ops_stay_fp32():
    model = Lambda(lambda x: torch.relu(x) * 1e5 + 1)
    x = torch.rand(2, 4) + 1
    converted = trtconv.convert(model, [x], backend="reference", precision="fp16")
    islands = converted.metadata["fp32_islands"]
    assert any("beyond the range" in reason for reason in islands.values()), islands
    torch.testing.assert_close(converted(x), model(x), rtol=1e-3, atol=1e-3)


def test_keep_fp32_by_op_name():
    model = Lambda(lambda x: torch.sigmoid(torch.relu(x)))
    converted = trtconv.convert(model, [torch.randn(3)], backend="reference", precision="fp16",
                                keep_fp32=["sigmoid"])
    assert list(converted.metadata["fp32_islands"]) == ["sigmoid_0"]


def test_unknown_precision():
    with pytest.raises(trtconv.InputError, match="precision must be one of"):
        trtconv.convert(Small(), [torch.randn(2, 8)], backend="reference", precision="fp8")


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_low_precision_builds_on_tensorrt_rtx(precision):
    require_rtx()
    # replayed, checked against the reference and built on TensorRT-RTX (raises if not)
    trtconv.convert(Small().eval(), [torch.randn(4, 8)], backend="tensorrt_rtx",
                    precision=precision)
