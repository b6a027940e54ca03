"""The reference TensorRT (`trtconv.reference.trt`) and a one-call way to run its plans."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from . import trt


def execute_plan(plan: bytes, inputs: Sequence[torch.Tensor],
                 engine: trt.ICudaEngine | None = None) -> list[torch.Tensor]:
    """Deserialize `plan` (or use `engine`), run it on `inputs` in I/O order, return outputs.

    A convenience for tests and benchmarks; `TRTModule` is the full runtime path. Outputs
    of a data-dependent shape are placed by an output allocator after execution.
    """
    from ..output_allocator import output_allocator_class

    logger = trt.Logger(trt.Logger.ERROR)
    engine = engine or trt.Runtime(logger).deserialize_cuda_engine(plan)
    if engine is None:
        raise ValueError("the plan could not be deserialized")
    context = engine.create_execution_context()
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    in_names = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
    keep = [x.contiguous() for x in inputs]
    for name, x in zip(in_names, keep, strict=True):
        context.set_input_shape(name, tuple(x.shape))
        context.set_tensor_address(name, x.data_ptr())
    outputs: list = []
    for name in names:
        if name in in_names:
            continue
        shape = tuple(context.get_tensor_shape(name))
        if any(d < 0 for d in shape):
            outputs.append(output_allocator_class(trt)(torch.device("cpu")))
            context.set_output_allocator(name, outputs[-1])
            continue
        out = torch.empty(shape, dtype=trt.torch_dtype(engine.get_tensor_dtype(name)))
        context.set_tensor_address(name, out.data_ptr())
        outputs.append(out)
    if not context.execute_async_v3(0):
        raise RuntimeError("execution failed (see the log)")
    dtypes = [trt.torch_dtype(engine.get_tensor_dtype(n)) for n in names if n not in in_names]
    return [out if isinstance(out, torch.Tensor) else out.take(dtype)
            for out, dtype in zip(outputs, dtypes)]
