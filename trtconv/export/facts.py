"""What a conversion knows that an engine file must carry: I/O, profiles, source model, GPU.

`convert()` stores these facts in `TRTModule.metadata` (keys `"io"`, `"source_model"` and,
for engines built on a GPU, `"compute_capability"`/`"gpu"`), because a TensorRT or
TensorRT-RTX plan cannot be opened without a GPU: the engine sidecar, the Triton config and
`trtconv inspect` read them from there.

>>> import torch, trtconv
>>> m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference",
...                     min_shapes=[(1, 3)], max_shapes=[(8, 3)])
>>> m.metadata["io"]["inputs"]
[{'name': 'input_0', 'dtype': 'float32', 'shape': [-1, 3]}]
>>> m.metadata["io"]["profiles"]
[{'input_0': [[1, 3], [2, 3], [8, 3]]}]
>>> m.metadata["source_model"]
'torch.nn.modules.activation.ReLU'
"""

from __future__ import annotations

from typing import Any

import torch


def dtype_name(dtype: torch.dtype) -> str:
    """`torch.float32` -> `"float32"`."""
    return str(dtype).removeprefix("torch.")


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _tensor_entry(tensor: Any) -> dict[str, Any]:
    from ..reference import trt

    return {"name": tensor.name, "dtype": dtype_name(trt.torch_dtype(tensor.dtype)),
            "shape": [int(d) for d in tensor.shape]}


def conversion_facts(module: Any, backend: Any, network: Any,
                     profiles: list[dict[str, list[list[int]]]]) -> dict[str, Any]:
    """Metadata entries for a built network: I/O (-1 for dynamic dims), profiles, source."""
    io = {
        "inputs": [_tensor_entry(network.get_input(i)) for i in range(network.num_inputs)],
        "outputs": [_tensor_entry(network.get_output(i)) for i in range(network.num_outputs)],
        "profiles": [{name: [list(map(int, s)) for s in shapes] for name, shapes in p.items()}
                     for p in profiles],
    }
    facts: dict[str, Any] = {"io": io, "source_model": qualified_name(type(module))}
    if backend.runs_on_cuda and torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability()
        facts["compute_capability"] = f"{major}.{minor}"
        facts["gpu"] = torch.cuda.get_device_name()
    return facts
