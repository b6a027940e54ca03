"""Replay a reference network onto a real `trt` module, check it, and build a plan there.

The reference network is the intermediate form: converters always emit into it. A real backend
performs the same `add_*` calls on the real module's network (through `plan.replay`), then
checks that every tensor's shape and dtype from the real builder equals the reference's. A
difference is a bug in the reference or a converter, and fails loudly.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from trtconv.errors import TrtconvError
from trtconv.reference import walk
from trtconv.reference.trt.plan import Recording, record_network, replay

from .tensorrt_plugins import plugin_adder, refuse_without_plugins


class ReplayMismatchError(TrtconvError):
    """The real builder inferred a different shape or dtype than the reference."""


class BuildFailedError(TrtconvError):
    """`build_serialized_network` returned None; carries the builder's log."""


_KEPT_MESSAGES = 2000


def capturing_logger(trt: ModuleType, print_severity: Any = None) -> Any:
    """A `trt.ILogger` of module `trt` that keeps every message (severity, text) and prints
    those at or above `print_severity` (a Severity of any module; None prints nothing)."""
    limit = -1 if print_severity is None else int(print_severity)

    class CapturingLogger(trt.ILogger):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.messages: list[tuple[Any, str]] = []
            self._threads: list[int] = []  # the thread each message was logged on

        def log(self, severity: Any, msg: str) -> None:
            self.messages.append((severity, msg))
            self._threads.append(threading.get_ident())
            if len(self.messages) > _KEPT_MESSAGES:  # a long-running server logs on and on
                del self.messages[:-_KEPT_MESSAGES // 2], self._threads[:-_KEPT_MESSAGES // 2]
            if int(severity) <= limit:
                print(f"[{trt.__name__}] {getattr(severity, 'name', severity)}: {msg}",
                      file=sys.stderr)

        def errors(self) -> list[str]:
            return [m for s, m in self.messages if int(s) <= int(trt.ILogger.ERROR)]

        def thread_errors(self) -> list[str]:
            """The errors logged on the calling thread (a shared engine's other threads log
            their own)."""
            me = threading.get_ident()
            return [m for (s, m), t in zip(self.messages, self._threads)
                    if t == me and int(s) <= int(trt.ILogger.ERROR)]

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
    if getattr(trt, "IS_REFERENCE", False):
        tensors = replay(recording, trt, network, is_reference=True)
    else:
        refuse_without_plugins(recording, trt)
        tensors = replay(recording, trt, network, add_plugin=plugin_adder(trt))
    return Replayed(trt, logger, builder, network, tensors)


def rebuild(recording: Recording) -> Any:
    """A reference network from a recording (what the precision passes return), its builder
    logging through a capturing logger."""
    from trtconv.reference import trt

    return replay_network(recording, trt).network


def check_against_reference(reference_network: Any, replayed: Replayed,
                            profiles: list[dict[str, list[list[int]]]] | None = None) -> int:
    """Compare every tensor's shape and dtype; return how many were checked.

    The real builder reasons about dynamic dims symbolically and may prove a size static
    where the reference infers -1 (a reshape to `(x.size(0), y.size(1), -1, 8)` where `x`
    and `y` share their dims through the layers between them). Such a refinement is accepted
    when the reference, inferring at the min, opt and max shapes of every profile in
    `profiles`, gives that size each time; without profiles it is a mismatch.
    """
    mismatches: list[str] = []
    refined: list[tuple[Any, tuple[int, ...]]] = []
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
        ref_shape = tuple(ref.shape)
        if real_dtype == ref.dtype.name and _refines(real_shape, ref_shape):
            refined.append((ref, real_shape))
        elif real_shape != ref_shape or real_dtype != ref.dtype.name:
            mismatches.append(f"{ref.name}: reference {ref_shape} {ref.dtype.name}, "
                              f"{replayed.trt.__name__} {real_shape} {real_dtype}")
    if refined:
        mismatches.extend(_unconfirmed(reference_network, refined, profiles or [],
                                       replayed.trt.__name__))
    if mismatches:
        raise ReplayMismatchError(
            f"{len(mismatches)} tensor(s) differ between the reference and "
            f"{replayed.trt.__name__}:\n  " + "\n  ".join(mismatches[:20]))
    return len(tensors)


def _refines(real: tuple[int, ...], ref: tuple[int, ...]) -> bool:
    """Whether `real` is `ref` with some of its unknown (-1) dims known."""
    return real != ref and len(real) == len(ref) and all(
        r == f or f < 0 <= r for r, f in zip(real, ref))


def _unconfirmed(reference_network: Any, refined: list[tuple[Any, tuple[int, ...]]],
                 profiles: list[dict[str, list[list[int]]]], module: str) -> list[str]:
    """The refinements the reference does not confirm at every profile's min, opt and max
    shapes (all of them when there is no profile)."""
    from trtconv.reference.trt.builder import infer_concrete
    from trtconv.reference.trt.core import LayerError

    corners = [{name: tuple(shapes[which]) for name, shapes in profile.items()}
               for profile in profiles for which in range(3)]
    failed: dict[str, str] = {}
    if not corners:
        failed = {ref.name: "no optimization profile to check it at" for ref, _ in refined}
    for shapes in corners:
        try:
            infos = infer_concrete(reference_network, shapes)[0]
        except (LayerError, KeyError) as e:
            return [f"the reference cannot infer the network at input shapes {shapes}: {e}"]
        for ref, real_shape in refined:
            got = tuple(infos[ref].shape)
            if ref.name not in failed and any(r >= 0 and g != r
                                              for g, r in zip(got, real_shape)):
                failed[ref.name] = f"the reference gives {got} at input shapes {shapes}"
    return [f"{ref.name}: reference {tuple(ref.shape)}, {module} {real_shape}; "
            f"{failed[ref.name]}" for ref, real_shape in refined if ref.name in failed]


def make_config(trt: ModuleType, builder: Any, profiles: list[dict[str, list[list[int]]]],
                workspace_size: int | None = None, optimization_level: int | None = None,
                progress_monitor: Any = None) -> Any:
    """A builder config with the memory limit, optimization level, progress monitor and one
    optimization profile per entry of `profiles` ({input name: [min, opt, max]})."""
    config = builder.create_builder_config()
    if progress_monitor is not None:
        config.progress_monitor = progress_monitor
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
                   timing_cache: bytes | None = None,
                   progress_monitor: Any = None) -> tuple[bytes, bytes | None]:
    """Build a plan from a replayed network with the recording's profiles.

    Returns the plan bytes and the serialized timing cache (when the module has one).
    """
    trt = replayed.trt
    config = make_config(trt, replayed.builder, recording.graph.get("profiles", []),
                         workspace_size, optimization_level, progress_monitor)
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
    check_against_reference(reference_network, replayed, profiles)
    return build_replayed(replayed, recording, **build_options)
