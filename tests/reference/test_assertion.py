"""IAssertionLayer: a condition on sizes the engine checks at every execution, failing the run
with the layer's message; the network replays and builds on TensorRT-RTX."""

import pytest
import torch
from harness import build_network, check_layer, check_on_rtx, constant

from trtconv.reference import execute_plan
from trtconv.reference import trt as ref


def rows_at_most(limit):
    """x [-1, 3] -> x + 1, asserting x has at most `limit` rows."""
    def build(trt, net, x):
        rows = net.add_slice(net.add_shape(x).get_output(0), (0,), (1,), (1,)).get_output(0)
        too_many = net.add_elementwise(rows, constant(trt, net, torch.tensor([limit])),
                                       trt.ElementWiseOperation.GREATER).get_output(0)
        within = net.add_unary(too_many, trt.UnaryOperation.NOT).get_output(0)
        net.add_assertion(within, f"at most {limit} rows")
        one = constant(trt, net, torch.ones(1, 1))
        return net.add_elementwise(x, one, trt.ElementWiseOperation.SUM).get_output(0)

    return build


def test_assertion_holds_and_fails_with_its_message(capfd):
    x = torch.randn(2, 3)
    check_layer(rows_at_most(3), [x], x + 1, dynamic={0: [0]})  # also builds on RTX
    builder, network, _ = build_network(ref, rows_at_most(3), [x], {0: [0]})
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    profile.set_shape("in0", (1, 3), (2, 3), (5, 3))
    config.add_optimization_profile(profile)
    plan = bytes(builder.build_serialized_network(network, config))
    assert torch.equal(execute_plan(plan, [torch.ones(3, 3)])[0], torch.full((3, 3), 2.0))
    with pytest.raises(RuntimeError, match="execution failed"):
        execute_plan(plan, [torch.ones(4, 3)])
    assert "at most 3 rows" in capfd.readouterr().err


def test_message_and_type_rule():
    _, network, _ = build_network(ref, rows_at_most(7), [torch.randn(2, 3)])
    layer = next(layer for layer in network._layers if layer.type == ref.LayerType.ASSERTION)
    assert (layer.message, layer.num_outputs) == ("at most 7 rows", 0)
    layer.message = "changed"
    assert layer.message == "changed"
    net = ref.Builder(ref.Logger()).create_network(0)
    bad = net.add_assertion(net.add_input("x", ref.float32, (2,)), "not bool")
    assert net._first_error() is not None and "BOOL" in str(net._first_error())
    assert bad.num_inputs == 1


def test_replays_on_rtx_with_the_profile():
    _, network, _ = build_network(ref, rows_at_most(4), [torch.randn(2, 3)], {0: [0]})
    assert check_on_rtx(network, [{"in0": [[1, 3], [2, 3], [4, 3]]}])
