"""The replay check accepts a size the real builder proves static where the reference infers
-1, when the reference gives that size at every profile's min, opt and max shapes; anything
else stays a mismatch."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch
from support.layer_harness import build_network, check_on_rtx, constant, rtx

from trtconv.backends.replay import (
    ReplayMismatchError,
    check_against_reference,
    replay_network,
)
from trtconv.reference import trt as ref
from trtconv.reference.trt.plan import record_network

PROFILES = [{"in0": [[1, 2, 32], [2, 5, 32], [4, 9, 32]]}]


def _heads_of_a_copy(trt: Any, net: Any, x: Any) -> Any:
    """x [B, S, 32] -> relu -> reshape to (B, S, -1, 8) with B and S read from x itself, not
    from the relu's output: TensorRT knows the -1 is 4, the reference does not."""
    y = net.add_activation(x, trt.ActivationType.RELU).get_output(0)
    shape = net.add_shape(x).get_output(0)
    dims = net.add_slice(shape, (0,), (2,), (1,)).get_output(0)
    tail = constant(trt, net, torch.tensor([-1, 8]))
    target = net.add_concatenation([dims, tail])
    target.axis = 0
    layer = net.add_shuffle(y)
    layer.set_input(1, target.get_output(0))
    return layer.get_output(0)


def _network() -> Any:
    _, network, (out,) = build_network(ref, _heads_of_a_copy, [torch.randn(2, 5, 32)],
                                       dynamic={0: (0, 1)})
    assert tuple(out.shape) == (-1, -1, -1, 8)  # the reference cannot cancel B and S
    return network


def test_refinement_confirmed_at_the_profile_corners() -> None:
    network = _network()
    replayed = replay_network(record_network(network, PROFILES), rtx())
    assert tuple(replayed.tensors[network.get_output(0).name].shape) == (-1, -1, 4, 8)
    assert check_against_reference(network, replayed, PROFILES) == len(
        list(network._inputs)) + sum(len(layer._outputs) for layer in network._layers)
    assert check_on_rtx(network, PROFILES)  # builds


def test_refinement_without_profiles_is_a_mismatch() -> None:
    network = _network()
    replayed = replay_network(record_network(network, PROFILES), rtx())
    with pytest.raises(ReplayMismatchError, match="no optimization profile to check it at"):
        check_against_reference(network, replayed)


def test_refinement_the_reference_contradicts_is_a_mismatch() -> None:
    network = _network()
    replayed = replay_network(record_network(network, PROFILES), rtx())
    name = network.get_output(0).name
    real = replayed.tensors[name]
    replayed.tensors[name] = SimpleNamespace(shape=(-1, -1, 2, 8), dtype=real.dtype)
    with pytest.raises(ReplayMismatchError, match=r"reference \(-1, -1, -1, 8\), tensorrt_rtx "
                                                  r"\(-1, -1, 2, 8\); the reference gives "
                                                  r"\(1, 2, 4, 8\)"):
        check_against_reference(network, replayed, PROFILES)
