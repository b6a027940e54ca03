"""Execution schedules: how the reference engine runs its layers, with as little per-layer work
as TensorRT's own builder would leave.

An engine is compiled twice over:

- once, when it is created: the layers its outputs need, in order, and every layer computable
  from constants alone (weights reshaped, transposed, cast, ...) evaluated ahead of time, as
  TensorRT folds constants when it builds;
- once per set of input shapes, the first time they run (then cached): every tensor whose
  value inference knows at those shapes (shape tensors and what is computed from them) is set
  in advance instead of computed, and each remaining layer runs its `specialize`d execute,
  which reads the shapes of that run instead of recomputing them (a reshape by a shape tensor
  reads no tensor back to the host).

The values are those `execute` computes: folding runs the layers' own code, and a specialized
execute computes what `execute` does for the shapes it was made for. Layers with no outputs
(assertions) run at every execution: they are checks. A layer whose shapes depend on data
(after a non-zero or NMS layer) runs its general execute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .dtypes import torch_dtype
from .enums import ElementWiseOperation, FillOperation, LayerType
from .inference import TensorInfo
from .layer import ILayer
from .tensor import ITensor

Execute = Callable[[list[Any]], list[torch.Tensor]]
# Sees each executed step's output names and values (trtconv.debug.compare reads intermediate
# values with it; nothing is marked, the engine runs as it is).
Inspector = Callable[[tuple[str, ...], list[torch.Tensor]], None]

# Layers whose results must be computed at every run: random fills, and plugins (their code
# is the user's: nothing says it computes a function of its inputs alone).
_RANDOM = {FillOperation.RANDOM_UNIFORM, FillOperation.RANDOM_NORMAL}
_OPAQUE = {LayerType.PLUGIN, LayerType.PLUGIN_V2, LayerType.PLUGIN_V3}


def needed_layers(layers: Sequence[ILayer], outputs: Sequence[ITensor]) -> list[ILayer]:
    """The layers the outputs and the checks (layers without outputs) depend on, in network
    order."""
    needed: set[int] = set()
    stack = [t._producer for t in outputs if t._producer is not None]
    stack += [layer for layer in layers if not layer._outputs]
    while stack:
        layer = stack.pop()
        if layer._index in needed:
            continue
        needed.add(layer._index)
        stack.extend(t._producer for t in layer._inputs if t is not None and t._producer)
    return [layers[i] for i in sorted(needed)]


def _foldable(layer: ILayer) -> bool:
    if layer.layer_type in _OPAQUE or not layer._outputs:
        return False
    return not (layer.layer_type == LayerType.FILL and layer.operation in _RANDOM)


def fold_constants(layers: Sequence[ILayer]) -> dict[ITensor, torch.Tensor]:
    """The value of every tensor computed from constants alone (no network input upstream),
    by running those layers once."""
    folded: dict[ITensor, torch.Tensor] = {}
    for layer in layers:
        if not _foldable(layer) or not all(t is None or t in folded for t in layer._inputs):
            continue
        try:
            results = layer.execute([None if t is None else folded[t] for t in layer._inputs])
        except Exception:  # noqa: BLE001  (left to the run, which reports it with the layer)
            continue
        folded.update(zip(layer._outputs, results))
    return folded


def _known(info: TensorInfo) -> torch.Tensor | None:
    """A tensor's value when inference knows every element (shape arithmetic)."""
    value = info.known_value()
    if value is None:
        return None
    return torch.tensor(value, dtype=torch_dtype(info.dtype)).reshape(info.shape)


@dataclass
class Schedule:
    """The steps of one run: `(execute, input slots, output slots, slots freed after)`, the
    values set before the first step, and where the outputs are."""

    steps: list[tuple[Execute, list[int], list[int], list[int]]]
    layers: list[ILayer]  # the layer of each step
    preset: list[tuple[int, torch.Tensor]]
    slots: int
    outputs: list[int]

    def run(self, inputs: Sequence[torch.Tensor], inspect: Inspector | None = None
            ) -> list[torch.Tensor]:
        values: list[Any] = [None] * self.slots
        values[:len(inputs)] = inputs
        for slot, value in self.preset:
            values[slot] = value
        position = 0
        try:
            for position, (fn, ins, outs, frees) in enumerate(self.steps):  # noqa: B007
                results = fn([values[i] for i in ins])
                for slot, result in zip(outs, results):
                    values[slot] = result
                if inspect is not None:
                    inspect(tuple(t.name for t in self.layers[position]._outputs), results)
                for slot in frees:
                    values[slot] = None
        except Exception as e:  # name the layer: the torch error alone does not say where
            raise RuntimeError(f"layer {self.layers[position].name!r} failed: {e}") from e
        return [values[s] for s in self.outputs]


def schedule(inputs: Sequence[ITensor], layers: Sequence[ILayer], outputs: Sequence[ITensor],
             folded: dict[ITensor, torch.Tensor],
             infos: dict[ITensor, TensorInfo] | None) -> Schedule:
    """The schedule of `layers` for the shapes `infos` were inferred at (None: without
    specializing, for `execute` at any shapes)."""
    slot: dict[ITensor, int] = {t: i for i, t in enumerate(inputs)}
    preset: dict[int, torch.Tensor] = {}
    run: list[ILayer] = []
    for layer in layers:
        for out in layer._outputs:
            slot[out] = len(slot)
        values = [folded.get(out) if out in folded else
                  _known(infos[out]) if infos is not None else None for out in layer._outputs]
        if layer._outputs and all(v is not None for v in values):
            preset.update((slot[out], v) for out, v in zip(layer._outputs, values))
        else:
            run.append(layer)
    absent = len(slot)  # a slot that always holds None, for absent optional inputs
    # each step: (its execute, input tensors, output tensors, the layer it reports failing)
    planned = _fuse_bias(run, set(outputs), {t for t in slot if slot[t] in preset}, infos) \
        if infos is not None else [(layer.execute, layer._inputs, layer._outputs, layer)
                                   for layer in run]
    used = {slot[t] for _, ins, _, _ in planned for t in ins if t is not None}
    used.update(slot[t] for t in outputs)
    last_use: dict[int, int] = {}
    for position, (_, ins, _, _) in enumerate(planned):
        for t in ins:
            if t is not None:
                last_use[slot[t]] = position
    keep = {slot[t] for t in outputs}
    steps = []
    for position, (fn, tensors, outs, _) in enumerate(planned):
        ins = [slot[t] if t is not None else absent for t in tensors]
        frees = sorted({s for s in ins if s != absent and last_use.get(s) == position} - keep)
        steps.append((fn, ins, [slot[t] for t in outs], frees))
    return Schedule(steps, [layer for *_, layer in planned],
                    [(s, v) for s, v in preset.items() if s in used], absent + 1,
                    [slot[t] for t in outputs])


Planned = tuple[Execute, Sequence[ITensor | None], Sequence[ITensor], ILayer]


def _fuse_bias(run: list[ILayer], outputs: set[ITensor], constant: set[ITensor],
               infos: dict[ITensor, TensorInfo]) -> list[Planned]:
    """Specialized steps, a matrix product whose only use is adding a constant bias along its
    last axis made one step with it (as TensorRT fuses a bias into a GEMM's epilogue)."""
    uses: dict[ITensor, int] = {}
    for layer in run:
        for t in layer._inputs:
            if t is not None:
                uses[t] = uses.get(t, 0) + 1
    fused: dict[int, tuple[Execute, ITensor]] = {}  # position of the addition -> step, bias
    skipped: set[int] = set()
    position_of = {id(layer): i for i, layer in enumerate(run)}
    for i, layer in enumerate(run):
        if layer.layer_type != LayerType.MATRIX_MULTIPLY:
            continue
        product = layer._outputs[0]
        add = next((other for other in run[i + 1:] if product in other._inputs), None)
        if add is None or uses.get(product) != 1 or product in outputs or not _is_bias_add(
                add, product, constant, infos):
            continue
        bias = next(t for t in add._inputs if t is not product)
        fn = layer._specialize_with_bias(  # type: ignore[attr-defined]
            [None if t is None else infos[t] for t in layer._inputs], [infos[product]])
        if fn is not None:
            fused[position_of[id(add)]] = (fn, bias)
            skipped.add(i)
    planned: list[Planned] = []
    for i, layer in enumerate(run):
        if i in skipped:
            continue
        if i in fused:
            fn, bias = fused[i]
            product_layer = next(run[j] for j in skipped if run[j]._outputs[0] in layer._inputs)
            planned.append((fn, [*product_layer._inputs[:2], bias], layer._outputs, layer))
            continue
        ins = [None if t is None else infos[t] for t in layer._inputs]
        outs = [infos[t] for t in layer._outputs]
        fn = layer.specialize(ins, outs) if _concrete(ins + outs) else layer.execute
        planned.append((fn, layer._inputs, layer._outputs, layer))
    return planned


def _concrete(infos: Sequence[TensorInfo | None]) -> bool:
    """Whether every shape is known (not data-dependent) at the inferred input shapes."""
    return all(i is None or all(d >= 0 for d in i.shape) for i in infos)


def _is_bias_add(add: ILayer, product: ITensor, constant: set[ITensor],
                 infos: dict[ITensor, TensorInfo]) -> bool:
    """`add` is product + bias, the bias a constant (1, ..., 1, N) of the product's type."""
    if add.layer_type != LayerType.ELEMENTWISE or add.op != ElementWiseOperation.SUM:
        return False
    others = [t for t in add._inputs if t is not product]
    if len(others) != 1 or others[0] not in constant:
        return False
    bias, out = infos[others[0]], infos[product]
    operands = [infos[t] for t in product._producer._inputs if t is not None]
    return (_concrete([bias, out, *operands]) and bias.dtype == out.dtype
            and bias.rank == out.rank and out.rank >= 2
            and all(d == 1 for d in bias.shape[:-1]) and bias.shape[-1] == out.shape[-1]
            and infos[add._outputs[0]].shape == out.shape)
