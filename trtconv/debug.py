"""Finding where accuracy goes: `compare` runs the engine and eager PyTorch on the same inputs
and lines up every converted torch call's value.

>>> import torch, trtconv
>>> from trtconv import debug
>>> model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU()).eval()
>>> result = debug.compare(model, [torch.randn(2, 8)], backend="reference")
>>> [row.op for row in result.rows]
['linear', 'ReLU']
>>> result.first_divergent is None and result.output_error < 1e-6
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils import _pytree as pytree

from . import backends
from .comparison import JUMP, Comparison, TorchValues, compare_calls, observing, output_error
from .convert import convert
from .debug_tensors import build_debug_engine, run_debug_engine
from .errors import InputError, TrtconvError
from .inputs import Input
from .module import TRTModule

READS = ("auto", "inspect", "debug", "outputs")
INSPECTED = "inspecting the reference engine as it runs (nothing marked)"


def compare(model: torch.nn.Module, inputs: Sequence[Any], *, read: str = "auto",
            jump: float = JUMP, min_error: float | None = None,
            **convert_kwargs: Any) -> Comparison:
    """Convert `model` on `inputs` with `convert_kwargs` (backend, precision, int8 calibration,
    keep_fp32...), run the engine and eager PyTorch on the same inputs, and compare every
    converted call's result, in trace order.

    Each row (`result.rows`) has the call's module path, source line, op, output shape, max
    abs error and max relative error (max abs error over PyTorch's max abs) against PyTorch,
    its inputs' error and the ratio; `result.first_divergent` is the first call whose error
    jumps: above `min_error` (default per precision, `comparison.MIN_ERROR`) and `jump` times
    its inputs' error, or inf/nan where PyTorch is finite. `print(result)` prints the table.

    How the engine's intermediate values are read (`read`): "inspect" (the reference engine,
    as it runs: nothing marked), "debug" (TensorRT debug tensors, `mark_debug`), "outputs"
    (the tensors marked as extra outputs of a second build: changes a TensorRT engine);
    "auto" inspects the reference and uses debug tensors on TensorRT, or outputs where the
    version has none. `result.method` says which was used.
    """
    if read not in READS:
        raise InputError(f"read must be one of {', '.join(READS)}; got {read!r}")
    if convert_kwargs.get("dry_run"):
        raise InputError("compare() builds and runs the engine; dry_run is not possible")
    args = list(inputs)
    leaves = pytree.tree_leaves(args, is_leaf=lambda x: isinstance(x, Input))
    if any(isinstance(x, Input) for x in leaves):
        raise InputError("compare() needs the input tensors themselves (not trtconv.Input): "
                         "give min_shapes/max_shapes for dynamic dims")
    values = TorchValues()
    with observing(values):
        model_trt = convert(model, args, **convert_kwargs)
    assert isinstance(model_trt, TRTModule)
    calls = model_trt.report.calls
    wanted = _wanted_names(calls, model_trt.metadata.get("precision", "fp32"))
    engine_values, method, got = engine_values_of(model_trt, args, wanted, read)
    with torch.no_grad():
        want = model(*[x.clone() if isinstance(x, torch.Tensor) else x for x in args])
    precision = model_trt.metadata.get("precision", "fp32")
    rows = compare_calls(calls, values, engine_values, precision, jump=jump,
                         min_error=min_error)
    computable = sum(1 for c in calls if c.converted and c.outputs)
    got_leaves = [x for x in pytree.tree_leaves(got) if isinstance(x, torch.Tensor)]
    want_leaves = [x for x in pytree.tree_leaves(want) if isinstance(x, torch.Tensor)]
    return Comparison(rows, precision, model_trt.backend, method,
                      output_error(got_leaves, want_leaves), computable - len(rows))


def _wanted_names(calls: Sequence[Any], precision: str) -> set[str]:
    names = {t.name for c in calls if c.converted for t in c.outputs}
    return names | {f"{n}__{precision}" for n in names}


def engine_values_of(model_trt: TRTModule, args: list[Any], wanted: set[str], read: str
                     ) -> tuple[dict[str, torch.Tensor], str, Any]:
    """The engine's values of the `wanted` tensors on `args`, how they were read, and the
    engine's outputs."""
    backend = model_trt.backend
    if read == "auto":
        read = "inspect" if backend == "reference" else "debug"
    if read == "inspect":
        if backend != "reference":
            raise InputError(f"read='inspect' works on the reference backend only; this engine "
                             f"is {backend}: use read='debug'")
        return _inspect_reference(model_trt, args, wanted)
    chosen = backends.get(backend)
    if not chosen.can_run():
        raise TrtconvError(f"compare() runs the engine, and a {backend} engine runs only on an "
                           f"NVIDIA GPU (none here). Compare with backend='reference': the "
                           f"same network, run on the CPU")
    recording = getattr(model_trt, "reference_recording", None)
    if recording is None:
        raise TrtconvError("this TRTModule has no reference recording to rebuild with debug "
                           "tensors (it was not converted in this session)")
    built = build_debug_engine(recording, chosen.trt(), sorted(wanted),
                               use_debug_tensors=read == "debug")
    device = chosen.device()
    leaves = [x.to(device).contiguous() for x in pytree.tree_leaves(args)
              if isinstance(x, torch.Tensor)]
    inputs = dict(zip([s["name"] for s in recording.graph["inputs"]], leaves))
    values = run_debug_engine(chosen.trt(), built, inputs, device)
    values = {k: v.cpu() for k, v in values.items()}
    values.update({k: v.cpu() for k, v in inputs.items()})
    outputs = [values[n] for n in recording.graph["outputs"]]
    return values, built.method, outputs


def _inspect_reference(model_trt: TRTModule, args: list[Any], wanted: set[str]
                       ) -> tuple[dict[str, torch.Tensor], str, Any]:
    context = model_trt.execution_context()
    captured: dict[str, torch.Tensor] = {}

    def inspect(names: tuple[str, ...], results: list[torch.Tensor]) -> None:
        for name, value in zip(names, results):
            if name in wanted:
                captured[name] = value.detach().clone()

    context.inspector = inspect
    try:
        outputs = model_trt(*args)
    finally:
        context.inspector = None
    for io, x in zip(model_trt.input_specs, [x for x in pytree.tree_leaves(args)
                                         if isinstance(x, torch.Tensor)]):
        captured[io.name] = x
    return captured, INSPECTED, outputs


__all__ = ["compare", "Comparison", "READS"]
