"""trtconv: convert PyTorch models to TensorRT by tracing one forward pass.

>>> import torch, trtconv
>>> model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.GELU()).eval()
>>> x = torch.randn(2, 8)
>>> model_trt = trtconv.convert(model, [x], backend="reference")
>>> bool(torch.allclose(model_trt(x), model(x), atol=1e-5))
True
"""

from . import registry
from .convert import convert
from .errors import (
    ConversionError,
    ConversionReport,
    InputError,
    TrtconvError,
    UnsupportedCall,
    UnsupportedOperatorError,
)
from .export import export_triton, load_engine
from .guards import GuardError
from .inputs import Input
from .module import TRTModule
from .reference import trt
from .registry import ConverterSpec, supported_ops, tensorrt_converter

__version__ = "0.1.0"

__all__ = [
    "convert", "Input", "TRTModule", "tensorrt_converter", "supported_ops", "registry", "trt",
    "ConverterSpec", "ConversionError", "ConversionReport", "InputError", "TrtconvError",
    "UnsupportedCall", "UnsupportedOperatorError", "GuardError", "__version__",
    "load_engine", "export_triton",
]
