"""TensorRT 11.4 enums, with the member names and values of the real `tensorrt` module.

The table is data copied from the recorded API surface (tests/data/tensorrt-11.4.0.106.txt).
Members are `IntEnum`s so they hash, compare and serialize by value; `coerce_enum` also accepts
the real module's enums (matched by member name) so converters written against `tensorrt` work.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

_RECORDED = """
APILanguage: CPP=0, PYTHON=1
ActivationType: RELU=0, SIGMOID=1, TANH=2, LEAKY_RELU=3, ELU=4, SELU=5, SOFTSIGN=6, SOFTPLUS=7, CLIP=8, HARD_SIGMOID=9, SCALED_TANH=10, THRESHOLDED_RELU=11, GELU_ERF=12, GELU_TANH=13
AllocatorFlag: RESIZABLE=0
AttentionIOForm: PADDED_BHND=0, PACKED_NHD=1
AttentionNormalizationOp: NONE=0, SOFTMAX=1
BoundingBoxFormat: CORNER_PAIRS=0, CENTER_SIZES=1
BuilderFlag: DEBUG=2, GPU_FALLBACK=3, REFIT=4, DISABLE_TIMING_CACHE=5, EDITABLE_TIMING_CACHE=26, TF32=6, SPARSE_WEIGHTS=7, SAFETY_SCOPE=8, DIRECT_IO=11, VERSION_COMPATIBLE=12, EXCLUDE_LEAN_RUNTIME=13, ERROR_ON_TIMING_CACHE_MISS=15, DISABLE_COMPILATION_CACHE=17, STRIP_PLAN=18, REFIT_IDENTICAL=19, WEIGHT_STREAMING=20, REFIT_INDIVIDUAL=22, STRICT_NANS=23, MONITOR_MEMORY=24, DISTRIBUTIVE_INDEPENDENCE=27
CausalMaskKind: NONE=0, UPPER_LEFT=1, LOWER_RIGHT=2
CollectiveOperation: ALL_REDUCE=0, ALL_GATHER=1, BROADCAST=2, REDUCE=3, REDUCE_SCATTER=4, ALL_TO_ALL=5, GATHER=6, SCATTER=7
CumulativeOperation: SUM=0
DLAWorkspaceAllocationStrategy: DEFAULT=0, SHARED_STATIC=1
DataType: FLOAT=0, HALF=1, BF16=7, INT8=2, INT32=3, INT64=8, BOOL=4, UINT8=5, FP8=6, INT4=9, FP4=10, E8M0=11
DeviceType: GPU=0, DLA=1
DimensionOperation: SUM=0, PROD=1, MAX=2, MIN=3, SUB=4, EQUAL=5, LESS=6, FLOOR_DIV=7, CEIL_DIV=8
ElementWiseOperation: SUM=0, PROD=1, MAX=2, MIN=3, SUB=4, DIV=5, POW=6, FLOOR_DIV=7, AND=8, OR=9, XOR=10, EQUAL=11, GREATER=12, LESS=13
EngineCapability: STANDARD=0, SAFETY=1, DLA_STANDALONE=2
EngineStat: TOTAL_WEIGHTS_SIZE=0, STRIPPED_WEIGHTS_SIZE=1
ErrorCode: SUCCESS=0, INTERNAL_ERROR=1, MEM_ALLOC_FAILED=2, MODEL_DESERIALIZE_FAILED=3, INVALID_VALUE=4, INVALID_GRAPH=5, INVALID_NODE=6, UNSUPPORTED_GRAPH=7, UNSUPPORTED_NODE=8, UNSUPPORTED_NODE_ATTR=9, UNSUPPORTED_NODE_INPUT=10, UNSUPPORTED_NODE_DATATYPE=11, UNSUPPORTED_NODE_DYNAMIC=12, UNSUPPORTED_NODE_SHAPE=13, REFIT_FAILED=14
ErrorCodeTRT: SUCCESS=0, UNSPECIFIED_ERROR=1, INTERNAL_ERROR=2, INVALID_ARGUMENT=3, INVALID_CONFIG=4, FAILED_ALLOCATION=5, FAILED_INITIALIZATION=6, FAILED_EXECUTION=7, FAILED_COMPUTATION=8, INVALID_STATE=9, UNSUPPORTED_STATE=10
ExecutionContextAllocationStrategy: STATIC=0, ON_PROFILE_CHANGE=1, USER_MANAGED=2
FillOperation: LINSPACE=0, RANDOM_UNIFORM=1, RANDOM_NORMAL=2
GatherMode: DEFAULT=0, ELEMENT=1, ND=2
HardwareCompatibilityLevel: NONE=0, AMPERE_PLUS=1, SAME_COMPUTE_CAPABILITY=2
InterpolationMode: NEAREST=0, LINEAR=1, CUBIC=2
KVCacheMode: LINEAR=0
LayerInformationFormat: ONELINE=0, JSON=1
LayerType: CONVOLUTION=0, GRID_SAMPLE=42, NMS=43, ACTIVATION=2, POOLING=3, LRN=4, SCALE=5, SOFTMAX=6, DECONVOLUTION=7, CONCATENATION=8, ELEMENTWISE=9, PLUGIN=10, UNARY=11, PADDING=12, SHUFFLE=13, REDUCE=14, TOPK=15, GATHER=16, MATRIX_MULTIPLY=17, RAGGED_SOFTMAX=18, CONSTANT=19, IDENTITY=20, CAST=1, PLUGIN_V2=21, SLICE=22, SHAPE=23, PARAMETRIC_RELU=24, RESIZE=25, TRIP_LIMIT=26, RECURRENCE=27, ITERATOR=28, LOOP_OUTPUT=29, SELECT=30, ASSERTION=39, FILL=31, QUANTIZE=32, DEQUANTIZE=33, CONDITION=34, CONDITIONAL_INPUT=35, CONDITIONAL_OUTPUT=36, SCATTER=37, EINSUM=38, ONE_HOT=40, NON_ZERO=41, REVERSE_SEQUENCE=44, NORMALIZATION=45, PLUGIN_V3=46, SQUEEZE=47, UNSQUEEZE=48, CUMULATIVE=49, DYNAMIC_QUANTIZE=50, ATTENTION_INPUT=51, ATTENTION_OUTPUT=52, ROTARY_EMBEDDING=53, KV_CACHE_UPDATE=54, MOE=55, DIST_COLLECTIVE=56
LoopOutput: LAST_VALUE=0, CONCATENATE=1, REVERSE=2
MatrixOperation: NONE=0, TRANSPOSE=1, VECTOR=2
MemoryPoolType: WORKSPACE=0, DLA_MANAGED_SRAM=1, DLA_LOCAL_DRAM=2, DLA_GLOBAL_DRAM=3, TACTIC_DRAM=4, TACTIC_SHARED_MEMORY=5
MoEActType: NONE=0, SILU=1
NetworkDefinitionCreationFlag: STRONGLY_TYPED=0, PREFER_AOT_PYTHON_PLUGINS=2, PREFER_JIT_PYTHON_PLUGINS=1
OnnxParserFlag: NATIVE_INSTANCENORM=0, ENABLE_UINT8_AND_ASYMMETRIC_QUANTIZATION_DLA=1, REPORT_CAPABILITY_DLA=2, ENABLE_PLUGIN_OVERRIDE=3, ADJUST_FOR_DLA=4
PaddingMode: EXPLICIT_ROUND_DOWN=0, EXPLICIT_ROUND_UP=1, SAME_UPPER=2, SAME_LOWER=3
PluginArgDataType: INT8=0, INT16=1, INT32=2
PluginArgType: INT=0
PluginCapabilityType: CORE=0, BUILD=1, RUNTIME=2
PluginCreatorVersion: V1=0, V1_PYTHON=64
PluginFieldType: FLOAT16=0, FLOAT32=1, FLOAT64=2, INT8=3, INT16=4, INT32=5, CHAR=6, DIMS=7, UNKNOWN=8, BF16=9, INT64=10, FP8=11, INT4=12, FP4=13
PoolingType: MAX=0, AVERAGE=1, MAX_AVERAGE_BLEND=2
PreviewFeature: ALIASED_PLUGIN_IO_10_03=0, RUNTIME_ACTIVATION_RESIZE_10_10=1
ProfilingVerbosity: LAYER_NAMES_ONLY=0, DETAILED=2, NONE=1
QuickPluginCreationRequest: UNKNOWN=0, PREFER_JIT=1, PREFER_AOT=2, STRICT_JIT=3, STRICT_AOT=4
ReduceOperation: SUM=0, PROD=1, MAX=2, MIN=3, AVG=4, NONE=5
ResizeCoordinateTransformation: ALIGN_CORNERS=0, ASYMMETRIC=1, HALF_PIXEL=2
ResizeRoundMode: HALF_UP=0, HALF_DOWN=1, FLOOR=2, CEIL=3
ResizeSelector: FORMULA=0, UPPER=1
RuntimePlatform: SAME_AS_BUILD=0, WINDOWS_AMD64=1
SampleMode: STRICT_BOUNDS=0, WRAP=1, CLAMP=2, FILL=3, REFLECT=4
ScaleMode: UNIFORM=0, CHANNEL=1, ELEMENTWISE=2
ScatterMode: ELEMENT=0, ND=1
SeekPosition: SET=0, CUR=1, END=2
SerializationFlag: EXCLUDE_WEIGHTS=0, EXCLUDE_LEAN_RUNTIME=1, INCLUDE_REFIT=2
TacticSource: EDGE_MASK_CONVOLUTIONS=0, JIT_CONVOLUTIONS=1
TempfileControlFlag: ALLOW_IN_MEMORY_FILES=0, ALLOW_TEMPORARY_FILES=1
TensorFormat: LINEAR=0, CHW2=1, HWC8=2, CHW4=3, CHW16=4, CHW32=5, DHWC8=6, CDHW32=7, HWC=8, DLA_LINEAR=9, DLA_HWC4=10, HWC16=11, DHWC=12
TensorIOMode: NONE=0, INPUT=1, OUTPUT=2
TensorLocation: DEVICE=0, HOST=1
TensorRTPhase: BUILD=0, RUNTIME=1
TilingOptimizationLevel: NONE=0, FAST=1, MODERATE=2, FULL=3
TopKOperation: MAX=0, MIN=1
TripLimit: COUNT=0, WHILE=1
UnaryOperation: EXP=0, LOG=1, SQRT=2, RECIP=3, ABS=4, NEG=5, SIN=6, COS=7, TAN=8, SINH=9, COSH=10, ASIN=11, ACOS=12, ATAN=13, ASINH=14, ACOSH=15, ATANH=16, CEIL=17, FLOOR=18, ERF=19, NOT=20, SIGN=21, ROUND=22, ISINF=23, ISNAN=24
WeightsRole: KERNEL=0, BIAS=1, SHIFT=2, SCALE=3, CONSTANT=4, ANY=5
"""

E = TypeVar("E", bound=enum.IntEnum)


def _parse(table: str) -> dict[str, list[tuple[str, int]]]:
    enums: dict[str, list[tuple[str, int]]] = {}
    for line in table.strip().splitlines():
        name, members = line.split(":", 1)
        pairs = [m.strip().split("=") for m in members.split(",")]
        enums[name.strip()] = [(k, int(v)) for k, v in pairs]
    return enums


class _TrtEnum(enum.IntEnum):
    """Base of every reference enum: prints like TensorRT (`DataType.FLOAT`)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self.name}: {int(self)}>"

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


_ENUMS: dict[str, type[_TrtEnum]] = {
    name: _TrtEnum(name, members, module=__name__)  # type: ignore[misc]
    for name, members in _parse(_RECORDED).items()
}
globals().update(_ENUMS)
__all__ = [*_ENUMS, "Severity"]


class Severity(_TrtEnum):
    """`trt.ILogger.Severity`."""

    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


def coerce_enum(enum_type: type[E], value: Any, what: str = "value") -> E:
    """Return `value` as a member of `enum_type`.

    Accepts a member, the real `tensorrt` module's member of the same enum (matched by name,
    since its values are the same), or an int. Anything else is a TypeError naming `what`.
    """
    if isinstance(value, enum_type):
        return value
    name = getattr(value, "name", None)
    if isinstance(name, str) and type(value).__name__ == enum_type.__name__:
        return enum_type[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return enum_type(value)
    raise TypeError(f"{what} must be a {enum_type.__name__}, got {value!r}")


def enum_names() -> list[str]:
    """Names of the enums the reference defines (for the API conformance test)."""
    return sorted(_ENUMS) + ["Severity"]
