"""model_trt.to_onnx(): one ONNX node per TensorRT layer, checked by onnx.checker and, where
every node is a standard operator, run by onnxruntime against the engine."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F

import trtconv
from trtconv import cli, trt
from trtconv.backends.replay import rebuild
from trtconv.onnx_export import is_standard, network_to_onnx


def run_onnxruntime(path, inputs: dict[str, torch.Tensor]) -> list[np.ndarray]:
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {k: v.numpy() for k, v in inputs.items()})


def relative(got: np.ndarray, want: torch.Tensor) -> float:
    want = want.detach().numpy()
    return float(np.abs(got - want).max() / np.abs(want).max())


def test_resnet18_export_is_standard_and_onnxruntime_matches_the_engine(torchvision, tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    x = torch.randn(2, 3, 64, 64)
    converted = trtconv.convert(model, [x], backend="reference")
    path = tmp_path / "resnet18.onnx"
    proto = converted.to_onnx(path)
    assert is_standard(proto)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    network = rebuild(converted.reference_recording)
    assert [n.name for n in proto.graph.node] == [layer.name for layer in network._layers]
    conv = next(n for n in proto.graph.node if n.name == "layer1.0.conv1/conv2d_0")
    assert conv.op_type == "Conv" and "resnet.py:" in conv.doc_string
    kernel = next(i for i in proto.graph.initializer if i.name == conv.input[1])
    assert list(kernel.dims) == [64, 64, 3, 3]
    assert len(proto.graph.value_info) == sum(layer.num_outputs for layer in network._layers) - 1
    (got,) = run_onnxruntime(path, {"input_0": x})
    assert relative(got, converted(x)) < 1e-5
    assert relative(got, model(x)) < 1e-4


class ManyOps(torch.nn.Module):
    """Layers of every standard mapping whose semantics could differ from TensorRT's."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=(1, 2), dilation=(1, 2), groups=8)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.fc = torch.nn.Linear(64, 16)
        self.emb = torch.nn.Embedding(10, 16)
        self.norm = torch.nn.LayerNorm(16)

    def forward(self, x, ids):
        y = F.leaky_relu(self.conv(x), 0.1)
        y = F.hardsigmoid(self.dw(y)) * F.elu(y) - F.selu(y)
        y = F.max_pool2d(y, 3, 1, 1) + F.avg_pool2d(y, 3, 1, 1, count_include_pad=False)
        y = F.pad(self.up(y), (1, 2, 0, 1))[:, :, 1::2, ::3]
        z = self.norm(F.gelu(self.fc(y.flatten(1)[:, :64])) + self.emb(ids))
        z = torch.softmax(z, -1) + z.clamp(-0.5, 0.5).cumsum(-1) + torch.sqrt(z.abs() + 1)
        w = torch.where(z > 0.1, z, -z) @ z.transpose(0, 1)
        return torch.cat([w, w.mean(-1, keepdim=True), w.amax(-1, keepdim=True)], -1)


def test_every_standard_mapping_agrees_with_onnxruntime(tmp_path):
    model = ManyOps().eval()
    x, ids = torch.randn(2, 3, 16, 16), torch.tensor([1, 7])
    converted = trtconv.convert(model, [x, ids], backend="reference")
    path = tmp_path / "ops.onnx"
    proto = converted.to_onnx(path)
    assert is_standard(proto), sorted({n.op_type for n in proto.graph.node if n.domain})
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "ConvTranspose", "LeakyRelu", "HardSigmoid", "Elu", "Selu", "MaxPool",
            "AveragePool", "Pad", "Slice", "Gelu", "Gather", "Softmax", "CumSum",
            "Where", "Concat", "ReduceMean", "ReduceMax", "LayerNormalization"} <= ops, ops
    (got,) = run_onnxruntime(path, {"input_0": x, "input_1": ids})
    assert relative(got, converted(x, ids)) < 1e-5


def test_layers_without_a_standard_operator_are_trt_nodes_with_their_properties(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Upsample(scale_factor=2,
                                                                             mode="bilinear"))
    converted = trtconv.convert(model.eval(), [torch.randn(1, 3, 8, 8)], backend="reference",
                                precision="fp16")
    proto = converted.to_onnx(tmp_path / "up.onnx")
    resize = [n for n in proto.graph.node if n.domain == "trt"]
    assert [n.op_type for n in resize] == ["Resize"]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in resize[0].attribute}
    assert attrs["resize_mode"] == b"LINEAR" and resize[0].name.startswith("1/")
    assert {o.domain: o.version for o in proto.opset_import}["trt"] == 1
    casts = [n for n in proto.graph.node if n.op_type == "Cast"]
    assert casts
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["trtconv.precision"] == "fp16" and props["trtconv.backend"] == "reference"
    weights = {i.data_type for i in proto.graph.initializer}
    assert onnx.TensorProto.FLOAT16 in weights


def test_a_shuffle_that_transposes_and_reshapes_is_one_trt_node():
    builder = trt.Builder(trt.Logger())
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    x = network.add_input("x", trt.float32, (-1, 3, 4))
    shuffle = network.add_shuffle(x)
    shuffle.first_transpose = trt.Permutation([0, 2, 1])
    shuffle.reshape_dims = (0, -1)
    shuffle.name = "mix"
    network.mark_output(shuffle.get_output(0))
    proto = network_to_onnx(network)
    onnx.checker.check_model(proto)
    (node,) = proto.graph.node
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    assert (node.domain, node.op_type, node.name) == ("trt", "Shuffle", "mix")
    assert attrs["first_transpose"][:3] == [0, 2, 1] and attrs["reshape_dims"] == [0, -1]
    assert attrs["zero_is_placeholder"] == 1
    (given,) = proto.graph.input
    dims = given.type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["x_d0", 3, 4]


def test_trtconv_export_onnx_command(tmp_path, capsys):
    converted = trtconv.convert(torch.nn.Sequential(torch.nn.Linear(4, 2)).eval(),
                                [torch.randn(3, 4)], backend="reference")
    saved, out = tmp_path / "m.pth", tmp_path / "m.onnx"
    torch.save(converted.state_dict(), saved)
    assert cli.main(["export-onnx", str(saved), "-o", str(out)]) == 0
    assert "all standard ONNX operators" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
