"""IPluginV3Layer: `add_plugin` in TensorRT 11's form, inference from the plugin's descriptor,
execution through its PyTorch implementation, and plans that name plugins (never code)."""

from __future__ import annotations

import json

import pytest
import torch

from trtconv import plugins
from trtconv.backends.replay import capturing_logger
from trtconv.reference import trt
from trtconv.reference.trt.plan import from_bytes


@pytest.fixture
def tile_rows():
    """(x, reps) -> x repeated `reps` times along dim 0, then a column sum as a 2nd output."""

    @plugins.register("ref_tests::tile_rows")
    def describe(x: plugins.TensorDesc, reps: int):
        tiled = plugins.from_shape_expr((x.shape_expr[0] * reps, x.shape_expr[1]), x.dtype)
        sums = plugins.from_shape_expr((x.shape_expr[1],), torch.float32)
        return tiled, sums

    @plugins.impl("ref_tests::tile_rows")
    def run(x, reps):
        return x.repeat(reps, 1), x.float().sum(0) * reps

    yield
    plugins.unregister("ref_tests::tile_rows")


def _network():
    builder = trt.Builder(capturing_logger(trt))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    return builder, network


def test_inference_from_the_descriptor(tile_rows):
    _, network = _network()
    x = network.add_input("x", trt.float16, (-1, 3))
    layer = network.add_plugin(plugins.op.ref_tests.tile_rows(x, reps=2))
    assert layer.type == trt.LayerType.PLUGIN_V3 and layer.num_outputs == 2
    assert layer.plugin.plugin_id == "ref_tests::tile_rows" and layer.plugin.attrs == {"reps": 2}
    assert tuple(layer.get_output(0).shape) == (-1, 3)
    assert layer.get_output(0).dtype == trt.float16
    assert tuple(layer.get_output(1).shape) == (3,) and layer.get_output(1).dtype == trt.float32
    x.shape = (4, 3)  # static input: the expression evaluates
    assert tuple(layer.get_output(0).shape) == (8, 3)


def test_tuple_form_and_refusals(tile_rows):
    _, network = _network()
    x = network.add_input("x", trt.float32, (2, 3))
    call = plugins.op.ref_tests.tile_rows(x, reps=3)
    assert tuple(network.add_plugin(call()).get_output(0).shape) == (6, 3)  # (inputs, [], p)
    with pytest.raises(ValueError, match="aot=True"):
        network.add_plugin(call, True)
    with pytest.raises(plugins.PluginError, match=r"takes attributes \(reps\); missing: reps"):
        plugins.op.ref_tests.tile_rows(x)


def test_plan_round_trip_runs_the_implementation(tile_rows):
    builder, network = _network()
    x = network.add_input("x", trt.float32, (-1, 3))
    layer = network.add_plugin(plugins.op.ref_tests.tile_rows(x, reps=2))
    for i in range(2):
        network.mark_output(layer.get_output(i))
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    profile.set_shape("x", (1, 3), (2, 3), (5, 3))
    config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)

    graph = from_bytes(bytes(plan)).graph
    (spec,) = graph["layers"]
    assert spec["ctor"] == "add_plugin" and spec["args"][1] == "ref_tests::tile_rows"
    assert json.loads(spec["args"][2]) == {"reps": 2}

    engine = trt.Runtime(trt.Logger()).deserialize_cuda_engine(plan)
    context = engine.create_execution_context()
    value = torch.randn(5, 3)
    context.set_input_shape("x", (5, 3))
    outs = [torch.empty(tuple(context.get_tensor_shape(engine.get_tensor_name(i))))
            for i in (1, 2)]
    for name, tensor in zip(["x"] + [engine.get_tensor_name(i) for i in (1, 2)],
                            [value, *outs]):
        context.set_tensor_address(name, tensor.data_ptr())
    assert context.execute_async_v3(0)
    torch.testing.assert_close(outs[0], value.repeat(2, 1))
    torch.testing.assert_close(outs[1], value.sum(0) * 2)


def test_a_plan_naming_an_unregistered_plugin_does_not_load(tile_rows):
    builder, network = _network()
    x = network.add_input("x", trt.float32, (2, 3))
    network.mark_output(network.add_plugin(plugins.op.ref_tests.tile_rows(x, reps=1))
                        .get_output(0))
    plan = builder.build_serialized_network(network, builder.create_builder_config())
    plugins.unregister("ref_tests::tile_rows")
    logger = capturing_logger(trt)
    assert trt.Runtime(logger).deserialize_cuda_engine(plan) is None
    assert "ref_tests::tile_rows" in logger.errors()[-1]
    assert "never imports code" in logger.errors()[-1]
