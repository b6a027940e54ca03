"""TRTModule: input checks, state_dict round trips, damaged or foreign engines."""

from __future__ import annotations

import io

import pytest
import torch
from harness import Lambda
from support.rtx import require_rtx

import trtconv


def _model():
    return Lambda(lambda x, y: (torch.relu(x) * y, torch.sigmoid(y)))


@pytest.fixture(scope="module")
def converted():
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    return trtconv.convert(_model(), [x, y], backend="reference",
                           min_shapes=[(1, 3), (1, 3)], max_shapes=[(4, 3), (4, 3)])


def _roundtrip(state: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("args,message", [
    ((torch.randn(2, 3),), "expects 2 input tensor"),
    ((torch.randn(2, 3), torch.randn(2, 3).double()), "dtype torch.float64, the engine takes"),
    ((torch.randn(2, 3), torch.randn(2, 3, 1)), "rank 3"),
    ((torch.randn(5, 3), torch.randn(5, 3)), r"shape \(5, 3\) is outside the engine's range "
                                             r"\(1, 3\) .. \(4, 3\)"),
    ((torch.randn(2, 3), torch.randn(2, 3, device="meta")), "is on meta"),
])
def test_input_errors(converted, args, message):
    with pytest.raises(trtconv.InputError, match=message):
        converted(*args)


def test_structure_error(converted):
    with pytest.raises(trtconv.InputError, match="structure"):
        converted([torch.randn(2, 3), torch.randn(2, 3)])


def test_dynamic_batch_and_noncontiguous_inputs(converted):
    model = _model()
    for batch in (1, 3, 4):
        x = torch.randn(3, batch).t()  # non-contiguous
        y = torch.randn(batch, 3)
        for got, want in zip(converted(x, y), model(x, y)):
            torch.testing.assert_close(got, want)


def test_state_dict_roundtrip_weights_only(converted):
    fresh = trtconv.TRTModule()
    fresh.load_state_dict(_roundtrip(converted.state_dict()))
    x, y = torch.randn(3, 3), torch.randn(3, 3)
    for got, want in zip(fresh(x, y), converted(x, y)):
        assert torch.equal(got, want)
    assert fresh.backend == "reference"


def test_state_dict_inside_parent_module(converted):
    class Parent(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.scale = torch.nn.Parameter(torch.tensor(2.0))

        def forward(self, x, y):
            return self.inner(x, y)[0] * self.scale

    parent = Parent(converted)
    state = _roundtrip(parent.state_dict())
    assert "inner._extra_state" in state and "scale" in state
    reloaded = Parent(trtconv.TRTModule())
    reloaded.load_state_dict(state)
    x, y = torch.randn(2, 3), torch.randn(2, 3)
    assert torch.equal(reloaded(x, y), parent(x, y))


@pytest.mark.parametrize("damage,message", [
    (lambda b: b[:-10], "truncated"),
    (lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:], "corrupted|format version|truncated"),
    (lambda b: b"\x00" * 64, "bad magic"),
    (lambda b: b"", "truncated"),
])
def test_damaged_engine_bytes(converted, damage, message):
    state = converted.state_dict()
    engine = bytes(state["_extra_state"]["engine"].numpy().tobytes())
    state["_extra_state"]["engine"] = torch.frombuffer(bytearray(damage(engine) or b"\0"),
                                                       dtype=torch.uint8)
    with pytest.raises(trtconv.TrtconvError, match=message):
        trtconv.TRTModule().load_state_dict(state)


def test_hostile_graph_names_are_rejected():
    """A plan whose graph names a method outside the layer tables is refused, not called."""
    from trtconv.reference.trt.plan import Recording, from_bytes, to_bytes

    x = torch.randn(2)
    converted = trtconv.convert(Lambda(torch.relu), [x], backend="reference")
    recording = from_bytes(converted.engine_bytes)
    recording.graph["layers"][0]["ctor"] = "__class__"
    state = converted.state_dict()
    bad = to_bytes(Recording(recording.graph, recording.weights))
    state["_extra_state"]["engine"] = torch.frombuffer(bytearray(bad), dtype=torch.uint8)
    with pytest.raises(trtconv.TrtconvError, match="unknown layer constructor"):
        trtconv.TRTModule().load_state_dict(state)


def test_engine_of_another_backend_gives_a_clear_error():
    require_rtx()
    x = torch.randn(2, 3)
    on_rtx = trtconv.convert(Lambda(torch.relu), [x], backend="tensorrt_rtx")
    with pytest.raises(trtconv.TrtconvError, match="runs only on an NVIDIA GPU"):
        on_rtx(x)
    state = on_rtx.state_dict()
    state["_extra_state"]["backend"] = "reference"  # an RTX plan handed to the reference
    with pytest.raises(trtconv.TrtconvError, match="bad magic"):
        trtconv.TRTModule().load_state_dict(state)


def test_state_version_mismatch(converted):
    state = converted.state_dict()
    state["_extra_state"]["version"] = 99
    with pytest.raises(trtconv.TrtconvError, match="state version 99"):
        trtconv.TRTModule().load_state_dict(state)


def test_empty_module_refuses_to_run():
    with pytest.raises(trtconv.TrtconvError, match="holds no engine"):
        trtconv.TRTModule()(torch.randn(1))
