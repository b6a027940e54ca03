"""Walking a network through TensorRT's public API, and running a reference one eagerly.

The passes that rewrite a traced network (`trtconv.precision`, `trtconv.quantization`) and the
backends' checks read it through these functions, not through the reference classes' private
members, so they see what any TensorRT network shows.

>>> import torch
>>> from trtconv.reference import trt
>>> network = trt.Builder(trt.Logger()).create_network(0)
>>> x = network.add_input("x", trt.float32, (2,))
>>> y = network.add_unary(x, trt.UnaryOperation.NEG).get_output(0)
>>> [type(layer).__name__ for layer in layers(network)]
['IUnaryLayer']
>>> observe(network, [torch.tensor([1.0, -2.0])])[y.name]
tensor([-1.,  2.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .trt import ILayer, INetworkDefinition, ITensor


def inputs(network: INetworkDefinition) -> list[ITensor]:
    """The network's inputs, in order."""
    return [network.get_input(i) for i in range(network.num_inputs)]


def outputs(network: INetworkDefinition) -> list[ITensor]:
    """The network's outputs, in order."""
    return [network.get_output(i) for i in range(network.num_outputs)]


def layers(network: INetworkDefinition, first: int = 0, end: int | None = None) -> list[ILayer]:
    """The network's layers `first` to `end` (all by default), in the order they were added
    (each one's inputs come earlier)."""
    end = network.num_layers if end is None else min(end, network.num_layers)
    return [network.get_layer(i) for i in range(first, end)]


def layer_inputs(layer: ILayer) -> list[ITensor | None]:
    """A layer's inputs (None for an absent optional one)."""
    return [layer.get_input(i) for i in range(layer.num_inputs)]


def layer_outputs(layer: ILayer) -> list[ITensor]:
    """A layer's outputs."""
    return [layer.get_output(i) for i in range(layer.num_outputs)]


def producers(network: INetworkDefinition) -> dict[str, tuple[int, ILayer]]:
    """Tensor name -> (index, layer) of the layer that computes it (inputs have none)."""
    return {out.name: (index, layer) for index, layer in enumerate(layers(network))
            for out in layer_outputs(layer)}


def tensors(network: INetworkDefinition) -> dict[str, ITensor]:
    """Every tensor of the network by name: its inputs, then each layer's outputs."""
    found = {t.name: t for t in inputs(network)}
    found.update((out.name, out) for layer in layers(network) for out in layer_outputs(layer))
    return found


def observe(network: Any, values: Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Run a reference network on `values` (one per input) layer by layer and return every
    tensor's value by name (calibration and the precision pass read intermediate ranges)."""
    seen: dict[str, torch.Tensor] = {t.name: v for t, v in zip(inputs(network), values)}
    for layer in layers(network):
        ins = [None if t is None else seen[t.name] for t in layer_inputs(layer)]
        for out, value in zip(layer_outputs(layer), layer.execute(ins)):
            seen[out.name] = value
    return seen


__all__ = ["inputs", "outputs", "layers", "layer_inputs", "layer_outputs", "producers",
           "tensors", "observe"]
