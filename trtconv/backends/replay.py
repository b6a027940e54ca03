"""Replay a reference network onto a real `trt` module, check it, and build a plan there.

The reference network is the intermediate form: converters always emit into it. A real backend
performs the same `add_*` calls on the real module's network (through `plan.replay`), then
checks that every tensor's shape and dtype from the real builder equals the reference's. A
difference is a bug in the reference or a converter, and fails loudly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from trtconv.reference import walk
from trtconv.reference.trt.plan import Recording, record_network, replay


class ReplayMismatchError(RuntimeError):
    """The real builder inferred a different shape or dtype than the reference."""


class BuildFailedError(RuntimeError):
    """`build_serialized_network` returned None; carries the builder's log."""


def capturing_logger(trt: ModuleType, print_severity: Any = None) -> Any:
    """A `trt.ILogger` of module `trt` that keeps every message (severity, text) and prints
    those at or above `print_severity` (a Severity of any module; None prints nothing)."""
    limit = -1 if print_severity is None else int(print_severity)

    class CapturingLogger(trt.ILogger):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.messages: list[tuple[Any, str]] = []

        def log(self, severity: Any, msg: str) -> None:
            self.messages.append((severity, msg))
            if int(severity) <= limit:
                print(f"[{trt.__name__}] {getattr(severity, 'name', severity)}: {msg}",
                      file=sys.stderr)

        def errors(self) -> list[str]:
            return [m for s, m in self.messages if int(s) <= int(trt.ILogger.ERROR)]

    return CapturingLogger()


@dataclass
class Replayed:
    """A network rebuilt on a real module, with what keeps its weights alive."""

    trt: ModuleType
    logger: Any
    builder: Any
    network: Any
    tensors: dict[str, Any] = field(default_factory=dict)


def replay_network(recording: Recording, trt: ModuleType, log_level: Any = None) -> Replayed:
    """Rebuild a recorded network on module `trt` (strongly typed)."""
    logger = capturing_logger(trt, log_level)
    builder = trt.Builder(logger)
    flag = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flag)
    tensors = replay(recording, trt, network, is_reference=getattr(trt, "IS_REFERENCE", False))
    return Replayed(trt, logger, builder, network, tensors)


def rebuild(recording: Recording) -> Any:
    """A reference network from a recording (what the precision passes return), its builder
    logging through a capturing logger."""
    from trtconv.reference import trt

    return replay_network(recording, trt).network


def check_against_reference(reference_network: Any, replayed: Replayed) -> int:
    """Compare every tensor's shape and dtype; return how many were checked."""
    mismatches: list[str] = []
    tensors = walk.inputs(reference_network)
    for layer in walk.layers(reference_network):
        tensors.extend(walk.layer_outputs(layer))
    for ref in tensors:
        real = replayed.tensors.get(ref.name)
        if real is None:
            mismatches.append(f"{ref.name}: missing after replay")
            continue
        try:
            real_shape, real_dtype = tuple(real.shape), real.dtype.name
        except RuntimeError as e:
            errors = "; ".join(replayed.logger.errors()[-3:])
            mismatches.append(f"{ref.name}: the real builder rejects it ({e}; {errors})")
            continue
        if real_shape != tuple(ref.shape) or real_dtype != ref.dtype.name:
            mismatches.append(f"{ref.name}: reference {tuple(ref.shape)} {ref.dtype.name}, "
                              f"{replayed.trt.__name__} {real_shape} {real_dtype}")
    if mismatches:
        raise ReplayMismatchError(
            f"{len(mismatches)} tensor(s) differ between the reference and "
            f"{replayed.trt.__name__}:\n  " + "\n  ".join(mismatches[:20]))
    return len(tensors)


def make_config(trt: ModuleType, builder: Any, profiles: list[dict[str, list[list[int]]]],
                workspace_size: int | None = None, optimization_level: int | None = None) -> Any:
    """A builder config with the memory limit, optimization level and one optimization
    profile per entry of `profiles` ({input name: [min, opt, max]})."""
    config = builder.create_builder_config()
    if workspace_size is not None:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_size))
    if optimization_level is not None:
        config.builder_optimization_level = int(optimization_level)
    for shapes in profiles:
        profile = builder.create_optimization_profile()
        for name, (lo, opt, hi) in shapes.items():
            profile.set_shape(name, tuple(lo), tuple(opt), tuple(hi))
        config.add_optimization_profile(profile)
    return config


def build_replayed(replayed: Replayed, recording: Recording, *,
                   workspace_size: int | None = None, optimization_level: int | None = None,
                   timing_cache: bytes | None = None) -> tuple[bytes, bytes | None]:
    """Build a plan from a replayed network with the recording's profiles.

    Returns the plan bytes and the serialized timing cache (when the module has one).
    """
    trt = replayed.trt
    config = make_config(trt, replayed.builder, recording.graph.get("profiles", []),
                         workspace_size, optimization_level)
    cache = None
    if timing_cache is not None:  # bytes of an earlier cache (b"" starts a new one)
        cache = config.create_timing_cache(timing_cache)
        if cache is not None and not isinstance(cache, bytes):
            config.set_timing_cache(cache, False)
    plan = replayed.builder.build_serialized_network(replayed.network, config)
    if plan is None:
        log = "\n  ".join(replayed.logger.errors()[-10:]) or "(the builder logged nothing)"
        raise BuildFailedError(f"{trt.__name__} could not build the network:\n  {log}")
    serialized_cache = None
    if cache is not None and hasattr(cache, "serialize"):
        serialized_cache = bytes(cache.serialize())
    return bytes(plan), serialized_cache


def replay_check_build(reference_network: Any, trt: ModuleType,
                       profiles: list[dict[str, list[list[int]]]] | None = None,
                       log_level: Any = None, **build_options: Any) -> tuple[bytes, bytes | None]:
    """Replay a reference network onto `trt`, check every tensor, build; return the plan and
    the serialized timing cache (None unless one was given)."""
    recording = record_network(reference_network, profiles or [])
    replayed = replay_network(recording, trt, log_level)
    check_against_reference(reference_network, replayed)
    return build_replayed(replayed, recording, **build_options)
