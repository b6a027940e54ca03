"""`trtconv.reference.trt`: the TensorRT 11.4 Python API, implemented in PyTorch on the CPU.

Use it like `import tensorrt as trt`:

>>> from trtconv.reference import trt
>>> builder = trt.Builder(trt.Logger())
>>> network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
>>> x = network.add_input("x", trt.float32, (-1, 4))
>>> y = network.add_activation(x, trt.ActivationType.RELU).get_output(0)
>>> y.shape
(-1, 4)
"""

from . import enums as _enums
from .builder import (
    Builder,
    IBuilderConfig,
    IHostMemory,
    ILogger,
    IOptimizationProfile,
    Logger,
)
from .core import (
    Dims,
    Dims2,
    Dims3,
    Dims4,
    DimsHW,
    ILayer,
    ITensor,
    LayerError,
    Permutation,
    TensorInfo,
    Weights,
    torch_dtype,
    trt_dtype,
    volume,
)
from .enums import *  # noqa: F403  (every TensorRT enum, by its TensorRT name)
from .enums import DataType
from .layers import load_all as _load_layers
from .network import INetworkDefinition, _install_network_methods
from .plan import PlanError
from .runtime import ICudaEngine, IExecutionContext, IOutputAllocator, Runtime

_load_layers()
_install_network_methods()
globals().update({name: getattr(_enums, name) for name in _enums.enum_names()})
globals().update({cls.__name__: cls for cls in __import__(
    "trtconv.reference.trt.core", fromlist=["LAYER_CLASSES"]).LAYER_CLASSES.values()})

__version__ = "11.4.0.reference"
IS_REFERENCE = True

float32 = DataType.FLOAT
float16 = DataType.HALF
bfloat16 = DataType.BF16
int8 = DataType.INT8
int32 = DataType.INT32
int64 = DataType.INT64
bool = DataType.BOOL  # noqa: A001  (TensorRT's own name)
uint8 = DataType.UINT8
fp8 = DataType.FP8
int4 = DataType.INT4
fp4 = DataType.FP4

__all__ = [
    "Builder", "IBuilderConfig", "IHostMemory", "ILogger", "IOptimizationProfile", "Logger",
    "Dims", "Dims2", "Dims3", "Dims4", "DimsHW", "ILayer", "ITensor", "LayerError",
    "Permutation", "TensorInfo", "Weights", "torch_dtype", "trt_dtype", "volume",
    "INetworkDefinition", "PlanError", "ICudaEngine", "IExecutionContext", "IOutputAllocator",
    "Runtime",
]
