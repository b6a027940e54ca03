"""Triton Python-backend model for a saved trtconv module (copied as `<version>/model.py`).

Triton imports this file inside its Python-backend stub; `triton_python_backend_utils` exists
only there, so it is imported in the methods. `initialize` reads `trtconv_model.json`, loads
the state_dict with `weights_only=True` into an allow-listed trtconv class
(`trtconv.export.loader`); `execute` runs the requests Triton hands over, concatenated along
the batch dim when the model has one (`trtconv.export.batching`).
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch


class TritonPythonModel:
    """The class Triton's Python backend looks for."""

    def initialize(self, args: dict[str, Any]) -> None:
        from trtconv.export.loader import flat_runner, load_module

        here = os.path.join(args["model_repository"], args["model_version"])
        with open(os.path.join(here, "trtconv_model.json")) as f:
            spec = json.load(f)
        module = load_module(os.path.join(here, spec["state"]), spec["module_class"])
        self.run = flat_runner(module, spec.get("input_spec"))
        self.inputs, self.outputs = spec["inputs"], spec["outputs"]
        self.max_batch = int(spec.get("max_batch_size", 0))
        self.device = torch.device(spec.get("device", "cpu"))

    def _tensors(self, request: Any) -> list[torch.Tensor]:
        import triton_python_backend_utils as pb_utils

        tensors = []
        for name in self.inputs:
            tensor = pb_utils.get_input_tensor_by_name(request, name)
            tensors.append(torch.from_dlpack(tensor.to_dlpack()).to(self.device))
        return tensors

    def execute(self, requests: list[Any]) -> list[Any]:
        import triton_python_backend_utils as pb_utils

        from trtconv.export.batching import run_requests

        results = run_requests(self.run, [self._tensors(r) for r in requests], self.max_batch)
        responses = []
        for result in results:
            if isinstance(result, Exception):
                error = pb_utils.TritonError(f"{type(result).__name__}: {result}")
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
                continue
            tensors = [pb_utils.Tensor.from_dlpack(name, torch.to_dlpack(out.cpu().contiguous()))
                       for name, out in zip(self.outputs, result)]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
        return responses
