"""Logger, Builder, IBuilderConfig, IOptimizationProfile and IHostMemory."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from .core import ITensor, LayerError, TensorInfo, as_dims
from .enums import (
    BuilderFlag,
    DataType,
    MemoryPoolType,
    PreviewFeature,
    ProfilingVerbosity,
    Severity,
    coerce_enum,
)
from .network import INetworkDefinition, infer_layer
from .plan import record_network, to_bytes


class ILogger:
    """`trt.ILogger`: subclass it and override `log` to capture TensorRT's messages."""

    Severity = Severity
    INTERNAL_ERROR = Severity.INTERNAL_ERROR
    ERROR = Severity.ERROR
    WARNING = Severity.WARNING
    INFO = Severity.INFO
    VERBOSE = Severity.VERBOSE

    def log(self, severity: Severity, msg: str) -> None:
        raise NotImplementedError


class Logger(ILogger):
    """`trt.Logger`: prints messages at or above `min_severity` to stderr, as TensorRT does."""

    def __init__(self, min_severity: Severity = Severity.WARNING):
        self.min_severity = coerce_enum(Severity, min_severity, "min_severity")

    def log(self, severity: Severity, msg: str) -> None:
        severity = coerce_enum(Severity, severity, "severity")
        if severity <= self.min_severity:
            tag = "FEWIV"[int(severity)]
            print(f"[TRT-ref] [{tag}] {msg}", file=sys.stderr)


class IHostMemory:
    """`trt.IHostMemory`: serialized plan bytes; supports the buffer protocol like the real one."""

    def __init__(self, data: bytes):
        self._data = bytes(data)

    @property
    def nbytes(self) -> int:
        return len(self._data)

    @property
    def dtype(self) -> DataType:
        return DataType.UINT8

    def __bytes__(self) -> bytes:
        return self._data

    def __buffer__(self, flags: int) -> memoryview:
        return memoryview(self._data)

    def __len__(self) -> int:
        return len(self._data)


class IOptimizationProfile:
    """`trt.IOptimizationProfile`: min/opt/max shapes (and shape-input values) per input."""

    def __init__(self) -> None:
        self._shapes: dict[str, list[tuple[int, ...]]] = {}
        self._shape_values: dict[str, list[tuple[int, ...]]] = {}
        self.extra_memory_target = 1.0

    def set_shape(self, input: str, min: Sequence[int], opt: Sequence[int],
                  max: Sequence[int]) -> None:
        dims = [tuple(as_dims(d, f"profile shape of {input!r}")) for d in (min, opt, max)]
        if len({len(d) for d in dims}) != 1:
            raise ValueError(f"profile for {input!r}: min, opt and max must have the same rank")
        for lo, mid, hi in zip(*dims):
            if not 0 <= lo <= mid <= hi:
                raise ValueError(f"profile for {input!r}: need 0 <= min <= opt <= max in every "
                                 f"dimension, got min {dims[0]}, opt {dims[1]}, max {dims[2]}")
        self._shapes[str(input)] = dims

    def get_shape(self, input: str) -> list[tuple[int, ...]]:
        return list(self._shapes.get(str(input), []))

    def set_shape_input(self, input: str, min: Sequence[int], opt: Sequence[int],
                        max: Sequence[int]) -> None:
        self._shape_values[str(input)] = [tuple(int(v) for v in d) for d in (min, opt, max)]

    def get_shape_input(self, input: str) -> list[tuple[int, ...]]:
        return list(self._shape_values.get(str(input), []))

    def __bool__(self) -> bool:
        return True


class IBuilderConfig:
    """`trt.IBuilderConfig`: settings are accepted and recorded in the plan."""

    def __init__(self) -> None:
        self.flags = 0
        self._pools: dict[MemoryPoolType, int] = {}
        self._profiles: list[IOptimizationProfile] = []
        self._preview: dict[PreviewFeature, bool] = {}
        self.builder_optimization_level = 3
        self.profiling_verbosity = ProfilingVerbosity.LAYER_NAMES_ONLY
        self.avg_timing_iterations = 1
        self.max_num_tactics = -1
        self._timing_cache: Any = None

    def set_flag(self, flag: BuilderFlag) -> None:
        self.flags |= 1 << int(coerce_enum(BuilderFlag, flag, "flag"))

    def clear_flag(self, flag: BuilderFlag) -> None:
        self.flags &= ~(1 << int(coerce_enum(BuilderFlag, flag, "flag")))

    def get_flag(self, flag: BuilderFlag) -> bool:
        return bool(self.flags >> int(coerce_enum(BuilderFlag, flag, "flag")) & 1)

    def set_memory_pool_limit(self, pool: MemoryPoolType, pool_size: int) -> None:
        self._pools[coerce_enum(MemoryPoolType, pool, "pool")] = int(pool_size)

    def get_memory_pool_limit(self, pool: MemoryPoolType) -> int:
        return self._pools.get(coerce_enum(MemoryPoolType, pool, "pool"), 1 << 62)

    def set_preview_feature(self, feature: PreviewFeature, enable: bool) -> None:
        self._preview[coerce_enum(PreviewFeature, feature, "feature")] = bool(enable)

    def get_preview_feature(self, feature: PreviewFeature) -> bool:
        return self._preview.get(coerce_enum(PreviewFeature, feature, "feature"), False)

    def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
        if not isinstance(profile, IOptimizationProfile):
            raise TypeError("add_optimization_profile needs an IOptimizationProfile")
        self._profiles.append(profile)
        return len(self._profiles) - 1

    @property
    def num_optimization_profiles(self) -> int:
        return len(self._profiles)

    def create_timing_cache(self, serialized_timing_cache: bytes) -> Any:
        return bytes(serialized_timing_cache)

    def set_timing_cache(self, cache: Any, ignore_mismatch: bool) -> bool:
        self._timing_cache = cache
        return True

    def get_timing_cache(self) -> Any:
        return self._timing_cache

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


class BuildError(Exception):
    """Why a network cannot be built; logged and turned into a `None` plan."""


class Builder:
    """`trt.Builder`: makes networks and configs, and builds reference plans."""

    def __init__(self, logger: ILogger):
        self._logger = logger
        self.max_threads = 1
        self.error_recorder = None

    @property
    def logger(self) -> ILogger:
        return self._logger

    def create_network(self, flags: int = 0) -> INetworkDefinition:
        return INetworkDefinition(self, flags)

    def create_builder_config(self) -> IBuilderConfig:
        return IBuilderConfig()

    def create_optimization_profile(self) -> IOptimizationProfile:
        return IOptimizationProfile()

    def is_network_supported(self, network: INetworkDefinition, config: IBuilderConfig) -> bool:
        try:
            _check_buildable(network, config)
        except BuildError:
            return False
        return True

    def build_serialized_network(self, network: INetworkDefinition,
                                 config: IBuilderConfig) -> IHostMemory | None:
        """A serialized reference plan, or None with the reason logged (as TensorRT does)."""
        try:
            profiles = _check_buildable(network, config)
        except BuildError as e:
            self._logger.log(Severity.ERROR, f"IBuilder::buildSerializedNetwork: {e}")
            return None
        settings = {"flags": config.flags, "optimization_level": config.builder_optimization_level,
                    "workspace": config._pools.get(MemoryPoolType.WORKSPACE)}
        return IHostMemory(to_bytes(record_network(network, profiles, settings)))

    def reset(self) -> None:
        pass


def _check_buildable(network: INetworkDefinition,
                     config: IBuilderConfig) -> list[dict[str, list[list[int]]]]:
    """Validate a network for building; return its profiles as plain data."""
    error = network._first_error()
    if error is not None:
        raise BuildError(str(error))
    if not network._outputs:
        raise BuildError("the network has no outputs; mark at least one with mark_output")
    dynamic = [t for t in network._inputs if any(d < 0 for d in t.shape)]
    if dynamic and not config._profiles:
        raise BuildError("the network has dynamic inputs ("
                         + ", ".join(t.name for t in dynamic)
                         + ") but no optimization profile was added to the config")
    profiles = []
    for index, profile in enumerate(config._profiles):
        profiles.append(_check_profile(network, profile, index))
    return profiles


def _is_assertion(error: LayerError) -> bool:
    return type(error).__name__ == "AssertionFailed"


def _check_profile(network: INetworkDefinition, profile: IOptimizationProfile,
                   index: int) -> dict[str, list[list[int]]]:
    shapes: dict[str, list[list[int]]] = {}
    for tensor in network._inputs:
        declared = tensor.shape
        given = profile._shapes.get(tensor.name)
        if given is None:
            if any(d < 0 for d in declared):
                raise BuildError(f"optimization profile {index} has no shapes for dynamic "
                                 f"input {tensor.name!r} {tuple(declared)}")
            given = [tuple(declared)] * 3
        for which, dims in zip(("min", "opt", "max"), given):
            if len(dims) != len(declared) or any(
                    d >= 0 and d != g for d, g in zip(declared, dims)):
                raise BuildError(f"optimization profile {index}: {which} shape {dims} of input "
                                 f"{tensor.name!r} does not fit its declared shape "
                                 f"{tuple(declared)}")
        shapes[tensor.name] = [list(d) for d in given]
    for which in (0, 2):  # the extremes must infer, as TensorRT checks them while building
        concrete = {name: tuple(dims[which]) for name, dims in shapes.items()}
        try:
            # an assertion false at an extreme only makes those shapes invalid at run time
            # (TensorRT warns "Profile kMIN values are not self-consistent" and builds)
            failed = infer_concrete(network, concrete, assertions=False)[1]
            for e in failed:
                network._log(Severity.WARNING, f"optimization profile {index}: its "
                             f"{'min' if which == 0 else 'max'} shapes are not "
                             f"self-consistent: {e}")
        except LayerError as e:
            raise BuildError(f"optimization profile {index} at its "
                             f"{'min' if which == 0 else 'max'} shapes: {e}") from None
    return shapes


def infer_concrete(network: INetworkDefinition, input_shapes: dict[str, tuple[int, ...]],
                   assertions: bool = True) -> tuple[dict[ITensor, TensorInfo], list[LayerError]]:
    """Infer every tensor of `network` for concrete input shapes (no cache; raises LayerError).

    A false assertion raises too, unless `assertions` is False: then the failures are
    returned beside the infos."""
    infos: dict[ITensor, TensorInfo] = {}
    failed: list[LayerError] = []
    for tensor in network._inputs:
        declared = tensor._input_info
        assert declared is not None
        infos[tensor] = TensorInfo(tuple(input_shapes[tensor.name]), declared.dtype)
    for layer in network._layers:
        ins = [None if t is None else infos[t] for t in layer._inputs]
        try:
            outs = infer_layer(layer, ins)
        except LayerError as e:
            if assertions or not _is_assertion(e):
                raise
            failed.append(e)
            continue
        for tensor, info in zip(layer._outputs, outs):
            infos[tensor] = info
    return infos, failed
