"""One-call checks for reference layers: numerics against torch, and the same network on
TensorRT-RTX (shapes and dtypes of every tensor equal, plan builds) or rejected by both.

    check_layer(lambda trt, net, x: net.add_activation(x, trt.ActivationType.RELU),
                [torch.randn(2, 3)], torch.relu)

`build(trt, network, *inputs)` receives the module (reference or tensorrt_rtx), the network
and the input ITensors, and returns an ITensor or a list of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from trtconv.backends.replay import (
    build_replayed,
    capturing_logger,
    check_against_reference,
    replay_network,
)
from trtconv.reference import execute_plan
from trtconv.reference import trt as ref
from trtconv.reference.trt.plan import record_network

from .compare import assert_tensor_matches
from .rtx import require_rtx

Build = Callable[..., Any]


rtx = require_rtx


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def build_network(trt: Any, build: Build, inputs: Sequence[torch.Tensor],
                  dynamic: dict[int, Sequence[int]] | None = None) -> tuple[Any, Any, list]:
    """Network with inputs in0.. (dims listed in `dynamic` as -1) and outputs marked."""
    builder = trt.Builder(capturing_logger(trt))
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    tensors = []
    for i, x in enumerate(inputs):
        shape = [(-1 if d in (dynamic or {}).get(i, ()) else s) for d, s in enumerate(x.shape)]
        dtype = getattr(trt.DataType, ref.trt_dtype(x.dtype).name)
        tensors.append(network.add_input(f"in{i}", dtype, tuple(shape)))
    outputs = _as_list(build(trt, network, *tensors))
    for out in outputs:
        network.mark_output(out)
    return builder, network, outputs


def profiles_for(inputs: Sequence[torch.Tensor],
                 dynamic: dict[int, Sequence[int]] | None) -> list[dict[str, list[list[int]]]]:
    if not dynamic:
        return []
    shapes = {}
    for i, x in enumerate(inputs):
        opt = list(x.shape)
        lo = [1 if d in dynamic.get(i, ()) else s for d, s in enumerate(opt)]
        hi = [2 * s if d in dynamic.get(i, ()) else s for d, s in enumerate(opt)]
        shapes[f"in{i}"] = [lo, opt, hi]
    return [shapes]


def check_layer(build: Build, inputs: Sequence[torch.Tensor], expected: Any, *,
                atol: float = 1e-5, rtol: float = 1e-5,
                dynamic: dict[int, Sequence[int]] | None = None,
                on_rtx: bool = True) -> list[torch.Tensor]:
    """Build with the reference, run, compare to `expected` (tensors or a callable of the
    inputs), then replay on TensorRT-RTX, compare every tensor's shape/dtype and build."""
    builder, network, _ = build_network(ref, build, inputs, dynamic)
    config = builder.create_builder_config()
    profiles = profiles_for(inputs, dynamic)
    for shapes in profiles:
        profile = builder.create_optimization_profile()
        for name, (lo, opt, hi) in shapes.items():
            profile.set_shape(name, lo, opt, hi)
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    assert plan is not None, "reference build failed: " + "; ".join(builder.logger.errors())
    got = execute_plan(bytes(plan), list(inputs))
    want = _as_list(expected(*inputs) if callable(expected) else expected)
    assert len(got) == len(want), f"{len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert_tensor_matches(g, w, atol, rtol, f"output {i}")
    if on_rtx:
        check_on_rtx(network, profiles)
    return got


def check_on_rtx(network: Any, profiles: list[dict[str, list[list[int]]]]) -> bytes:
    recording = record_network(network, profiles)
    replayed = replay_network(recording, rtx())
    check_against_reference(network, replayed, profiles)
    plan, _ = build_replayed(replayed, recording)
    assert plan, "TensorRT-RTX built an empty plan"
    return plan


def _rejection(trt: Any, build: Build, inputs: Sequence[torch.Tensor]) -> str | None:
    """The error text if `trt` rejects the network, else None."""
    try:
        builder, network, outputs = build_network(trt, build, inputs)
        for out in outputs:
            _ = out.shape
        config = builder.create_builder_config()
        if builder.build_serialized_network(network, config) is None:
            return "build returned None: " + "; ".join(builder.logger.errors())
    except (RuntimeError, TypeError, ValueError, IndexError) as e:
        return f"{type(e).__name__}: {e}"
    return None


def check_rejected(build: Build, inputs: Sequence[torch.Tensor], match: str = "") -> str:
    """Both the reference and TensorRT-RTX reject the network; the reference's message
    matches the regex `match`."""
    reason = _rejection(ref, build, inputs)
    assert reason is not None, "the reference accepted a network it should reject"
    assert re.search(match, reason), f"reference message {reason!r} does not match {match!r}"
    real = _rejection(rtx(), build, inputs)
    assert real is not None, "TensorRT-RTX accepted a network the reference rejects"
    return reason


def weights(x: torch.Tensor) -> np.ndarray:
    """A numpy array both modules' `Weights` accept."""
    return x.detach().contiguous().numpy()


def constant(trt: Any, network: Any, x: torch.Tensor) -> Any:
    """A constant layer's output holding `x` (shape tensors, indices, fill values)."""
    return network.add_constant(tuple(x.shape), trt.Weights(weights(x))).get_output(0)


def check_shapes(build: Build, inputs: Sequence[torch.Tensor],
                 dynamic: dict[int, Sequence[int]] | None = None) -> list[tuple]:
    """The reference and TensorRT-RTX infer the same shape and dtype for every output (no
    build or run: for shape rules a profile could not exercise). Returns the shapes."""
    found = []
    for trt in (ref, rtx()):
        _, _, outputs = build_network(trt, build, inputs, dynamic)
        found.append([(tuple(o.shape), o.dtype.name) for o in outputs])
    assert found[0] == found[1], f"reference {found[0]}, TensorRT-RTX {found[1]}"
    return [shape for shape, _ in found[0]]
