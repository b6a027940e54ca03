"""One network per segment, cut out of the network a partial trace recorded.

The trace records one network holding every converted call; PyTorch steps' results are
placeholder inputs in it. A segment's network is the layers of its own calls, plus the shape
arithmetic they read (sizes, computed sizes: cheap, and recomputed where needed rather than
passed between engines), plus the checks placed in it. Every other tensor it reads is an input:
a model input, a PyTorch step's result, or a tensor another segment outputs. A segment outputs
what later steps read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .partition import PartialTrace, Plan, Step
from .reference import walk
from .reference.trt.plan import Recording

# Layer classes that compute sizes when every input does (with shape and constant layers).
_SHAPE_MATH = frozenset({
    "IElementWiseLayer", "ISliceLayer", "IConcatenationLayer", "IShuffleLayer",
    "IGatherLayer", "IIdentityLayer", "ICastLayer", "IUnaryLayer", "IReduceLayer",
    "ISelectLayer", "IFillLayer", "ISqueezeLayer", "IUnsqueezeLayer",
})


@dataclass
class SegmentGraph:
    """A segment's layers (indices into the traced network), its inputs and its outputs (by
    tensor name)."""

    index: int
    layers: set[int] = field(default_factory=set)
    inputs: dict[str, Any] = field(default_factory=dict)  # name -> ITensor of the trace
    outputs: dict[str, Any] = field(default_factory=dict)
    guards: list[Any] = field(default_factory=list)


class Splitter:
    """Cuts the traced network along the plan's segments."""

    def __init__(self, network: Any, partition: Plan):
        self.network = network
        self.owner: dict[int, Step] = {}
        for step in partition.steps:
            if step.layers[1] > step.layers[0]:
                for index in range(*step.layers):
                    self.owner[index] = step
        self.graphs = [SegmentGraph(k) for k in range(len(partition.segments))]
        for k, segment in enumerate(partition.segments):
            for step in segment:
                self.graphs[k].layers.update(range(*step.layers))
        self._shape_math: dict[int, bool] = {}
        # tensor name -> index of the layer that computes it (inputs and placeholders: none)
        self.producer = {name: index for name, (index, _) in walk.producers(network).items()}

    # --- which segment computes what --------------------------------------------------------
    def segment_of(self, itensor: Any) -> int | None:
        """The segment whose engine computes `itensor`; None for inputs, placeholders and
        what PyTorch steps compute."""
        producer = self.producer.get(itensor.name)
        if producer is None:
            return None
        step = self.owner.get(producer)
        return step.segment if step is not None and step.segment >= 0 else None

    def is_shape_math(self, index: int) -> bool:
        """Whether layer `index` computes sizes only (from shapes and constants)."""
        cached = self._shape_math.get(index)
        if cached is not None:
            return cached
        layer = self.network.get_layer(index)
        name = type(layer).__name__
        result = name in ("IShapeLayer", "IConstantLayer") or (
            name in _SHAPE_MATH and all(t is None or (t.name in self.producer and
                                                      self.is_shape_math(self.producer[t.name]))
                                        for t in walk.layer_inputs(layer)))
        self._shape_math[index] = result
        return result

    # --- closing each segment over what it reads ----------------------------------------------
    def close(self, graph: SegmentGraph) -> None:
        """Add to `graph` the shape arithmetic and unowned layers it reads; the rest it reads
        becomes its inputs (and the producing segment's outputs)."""
        queue = list(graph.layers)
        while queue:
            layer = self.network.get_layer(queue.pop())
            for tensor in walk.layer_inputs(layer):
                if tensor is not None:
                    self._read(graph, tensor, queue)

    def _read(self, graph: SegmentGraph, tensor: Any, queue: list[int]) -> None:
        producer = self.producer.get(tensor.name)
        if producer is None:
            graph.inputs[tensor.name] = tensor
            return
        if producer in graph.layers:
            return
        step = self.owner.get(producer)
        if step is None or self.is_shape_math(producer):  # recomputed here
            graph.layers.add(producer)
            queue.append(producer)
            return
        graph.inputs[tensor.name] = tensor
        if step.segment >= 0:
            self.graphs[step.segment].outputs[tensor.name] = tensor

    def place(self, layer_index: int) -> SegmentGraph | None:
        """The segment a layer made outside any call (a check) goes to: the first segment
        after it, else the last."""
        later = [g for g in self.graphs if g.layers and min(g.layers) > layer_index]
        if later:
            return later[0]
        return self.graphs[-1] if self.graphs else None

    def export(self, itensor: Any) -> None:
        """A tensor PyTorch or the model's outputs read: its segment outputs it."""
        segment = self.segment_of(itensor)
        if segment is not None:
            self.graphs[segment].outputs[itensor.name] = itensor


def split(network: Any, partition: Plan, exported: list[Any], guards: list[Any],
          guard_tensors: list[Any]) -> list[SegmentGraph]:
    """The segments' graphs: closed over what they read, with the tensors in `exported`
    (read by PyTorch steps or returned) and each guard placed in the segment that computes it.
    """
    splitter = Splitter(network, partition)
    value_guards = iter(guard_tensors)
    for guard in guards:
        if guard.kind == "shape":
            layer = _assertion_layer(network, guard.index)
            graph = splitter.place(layer) if layer is not None else None
            if graph is not None and layer is not None:
                graph.layers.add(layer)
                graph.guards.append(guard)
            continue
        tensor = next(value_guards)
        segment = splitter.segment_of(tensor)
        if segment is not None:  # else the PyTorch step that reads the value checks it
            splitter.graphs[segment].outputs[guard.output] = tensor
            splitter.graphs[segment].guards.append(guard)
    for graph in splitter.graphs:
        splitter.close(graph)
    for itensor in exported:
        splitter.export(itensor)
    for graph in splitter.graphs:  # closing may have added outputs to earlier segments
        splitter.close(graph)
    return splitter.graphs


def _assertion_layer(network: Any, guard_index: int) -> int | None:
    """The index of the assertion layer that checks guard `guard_index`."""
    marker = f"trtconv guard {guard_index}:"
    for index, layer in enumerate(walk.layers(network)):
        if type(layer).__name__ == "IAssertionLayer" and str(layer.message).startswith(marker):
            return index
    return None


# --- recordings and profiles -----------------------------------------------------------------

def segment_recording(graph: SegmentGraph, traced: Recording,
                      shapes: dict[str, list[tuple[int, ...]]]) -> Recording:
    """The recording of one segment: its inputs (dims dynamic where the profiles vary them),
    its layers in trace order, and its outputs (renamed to the names they are read by)."""
    layers = [traced.graph["layers"][i] for i in sorted(graph.layers)]
    layers += [_identity(name, tensor.name) for name, tensor in graph.outputs.items()
               if name != tensor.name]
    inputs = []
    for name, tensor in graph.inputs.items():
        ranges = shapes[name]
        dims = [d if all(s[a] == d for s in ranges) else -1
                for a, d in enumerate(ranges[0])]
        inputs.append({"name": name, "dtype": tensor.dtype.name, "shape": dims})
    outputs = list(graph.outputs)
    return Recording({"inputs": inputs, "layers": layers, "outputs": outputs, "profiles": [],
                      "config": {}}, traced.weights)


def _identity(name: str, source: str) -> dict[str, Any]:
    """An identity layer spec giving tensor `source` the output name `name` (a hidden guard
    output, read by the TRTModule under the guard's name)."""
    return {"class": "IIdentityLayer", "ctor": "add_identity", "args": [{"t": source}],
            "props": {}, "set_inputs": {}, "name": f"{name}_identity", "outputs": [name],
            "metadata": ""}


def segment_profiles(graph: SegmentGraph, trace: PartialTrace, corners_per_profile: int,
                     shapes: dict[str, list[tuple[int, ...]]]) -> list[dict[str, Any]]:
    """One optimization profile per model profile: each input's min and max over that
    profile's corners, and its opt at the example's corner."""
    profiles = []
    for first in range(0, len(trace.corners), corners_per_profile):
        profile = {}
        for name in graph.inputs:
            at = shapes[name][first:first + corners_per_profile]
            lo = [min(s[a] for s in at) for a in range(len(at[0]))]
            hi = [max(s[a] for s in at) for a in range(len(at[0]))]
            opt = [min(max(o, a), b) for o, a, b in zip(at[1], lo, hi)]
            profile[name] = [lo, opt, hi]
        profiles.append(profile)
    return profiles
