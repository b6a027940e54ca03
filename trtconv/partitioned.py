"""`PartitionedModule`: engines and PyTorch steps, run in trace order.

What `convert(..., fallback=True)` returns. Its state is plain data plus tensors: each engine is
a `TRTModule` submodule, each PyTorch step is recorded by the qualified name of the torch
callable with its non-tensor arguments as plain data, and constant tensors the steps read are
buffers. `torch.save(m.state_dict(), f)` and a bare `PartitionedModule()` with
`load_state_dict(torch.load(f, weights_only=True))` round-trip it. Loading resolves names only
inside torch, torchvision (when the process has imported it) and the ops registered in the
process (`torch.ops.*`), and refuses anything else; it never imports a name read from a file.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import torch
from torch._ops import OpOverload, OpOverloadPacket
from torch.utils import _pytree as pytree

from .errors import InputError, TrtconvError
from .guards import GuardError
from .module import TRTModule, same_argument, shown
from .registry import qualified_name
from .structure import check_structure, rebuild
from .symbolic import DimInt

STATE_VERSION = 1


class StepLoadError(TrtconvError):
    """A saved PyTorch step names something this process may not or cannot call."""


# --- naming and resolving the callables of PyTorch steps ------------------------------------

def step_name(func: Callable[..., Any]) -> str:
    """The name a PyTorch step is saved under."""
    if isinstance(func, (OpOverload, OpOverloadPacket)):
        return f"torch.ops.{func}"
    return qualified_name(func)


def resolve_step(name: str) -> Callable[..., Any]:
    """The callable a saved step names, looked up in modules already imported: torch,
    torchvision, and torch.ops; anything else is refused."""
    root = name.split(".", 1)[0]
    if root not in ("torch", "torchvision"):
        raise StepLoadError(f"a PyTorch step names {name!r}, outside torch, torchvision and "
                            f"registered torch.ops: refusing to load it")
    if root == "torchvision" and "torchvision" not in sys.modules:
        raise StepLoadError(f"a PyTorch step calls {name!r}: import torchvision before "
                            f"loading (loading never imports anything)")
    owner: Any = sys.modules[root]
    for part in name.split(".")[1:]:
        try:
            owner = getattr(owner, part)
        except (AttributeError, RuntimeError):
            raise StepLoadError(f"a PyTorch step calls {name!r}, which does not exist in this "
                                f"process (an op library not imported?)") from None
    if not callable(owner):
        raise StepLoadError(f"a PyTorch step names {name!r}, which is not callable")
    return owner


# --- arguments as plain data ----------------------------------------------------------------

def encode(value: Any, keys: dict[int, str], constants: list[torch.Tensor]) -> Any:
    """A step's argument as plain data: tensors by the name of their value (or as a saved
    constant), sizes by their expression, containers and scalars as themselves."""
    if isinstance(value, torch.Tensor):
        if id(value) in keys:
            return {"v": keys[id(value)]}
        constants.append(value.detach().clone())
        return {"c": len(constants) - 1}
    if isinstance(value, DimInt):
        return {"dim": _encode_expr(value.expr, keys)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, slice):
        return {"slice": [encode(v, keys, constants) for v in (value.start, value.stop,
                                                                  value.step)]}
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple, torch.Size):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [encode(v, keys, constants) for v in value]}
    if isinstance(value, dict) and type(value) is dict:
        return {"dict": [[k, encode(v, keys, constants)] for k, v in value.items()]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, (torch.dtype, torch.layout, torch.memory_format)):
        return {"torch": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"device": str(value)}
    raise TypeError(f"an argument of type {type(value).__name__} ({value!r:.60})")


def _encode_expr(expr: Any, keys: dict[int, str]) -> Any:
    if isinstance(expr, int):
        return expr
    if expr[0] == "size":
        if id(expr[1]) not in keys:
            raise TypeError("a size of a tensor the engines do not compute")
        return ["size", keys[id(expr[1])], expr[2]]
    return [expr[0], _encode_expr(expr[1], keys), _encode_expr(expr[2], keys)]


_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "floordiv": lambda a, b: a // b,
}


def decode(value: Any, slots: dict[str, torch.Tensor], constants: list[torch.Tensor]) -> Any:
    """A step's argument for this run (the inverse of `encode`)."""
    if not isinstance(value, dict):
        return value
    (kind, data), = value.items()
    if kind == "v":
        return slots[data]
    if kind == "c":
        return constants[data]
    if kind == "dim":
        return _evaluate(data, slots)
    if kind == "slice":
        return slice(*(decode(v, slots, constants) for v in data))
    if kind in ("list", "tuple"):
        items = [decode(v, slots, constants) for v in data]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {k: decode(v, slots, constants) for k, v in data}
    if kind == "ellipsis":
        return Ellipsis
    if kind == "torch":
        found = getattr(torch, str(data), None)
        if not isinstance(found, (torch.dtype, torch.layout, torch.memory_format)):
            raise StepLoadError(f"a step argument names torch.{data}, not a dtype or layout")
        return found
    if kind == "device":
        return torch.device(data)
    raise StepLoadError(f"a step argument of unknown kind {kind!r}")


def _evaluate(expr: Any, slots: dict[str, torch.Tensor]) -> int:
    if isinstance(expr, int):
        return expr
    if expr[0] == "size":
        return int(slots[expr[1]].shape[expr[2]])
    if expr[0] not in _OPERATIONS:
        raise StepLoadError(f"a size expression with unknown operation {expr[0]!r}")
    return _OPERATIONS[expr[0]](_evaluate(expr[1], slots), _evaluate(expr[2], slots))


def _results_agree(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=1e-5) or (
            math.isnan(expected) and math.isnan(actual))
    return expected == actual


# --- the module ------------------------------------------------------------------------------

class PartitionedModule(torch.nn.Module):
    """Runs engines (`TRTModule`s) and PyTorch steps in trace order; takes and returns what the
    original module did."""

    def __init__(self, state: dict[str, Any] | None = None,
                 engines: list[TRTModule] | None = None,
                 constants: list[torch.Tensor] | None = None):
        super().__init__()
        self.engines = torch.nn.ModuleList(engines or [])
        self._constant_count = 0
        for tensor in constants or []:
            self._add_constant(tensor)
        self._state: dict[str, Any] = {}
        self._funcs: list[Callable[..., Any] | None] = []
        if state is not None:
            self._load(state)

    def _add_constant(self, tensor: torch.Tensor) -> None:
        self.register_buffer(f"const_{self._constant_count}", tensor)
        self._constant_count += 1

    @property
    def constants(self) -> list[torch.Tensor]:
        return [getattr(self, f"const_{i}") for i in range(self._constant_count)]

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._state.get("metadata", {}))

    @property
    def backend(self) -> str:
        """The backend its engines were built for."""
        return str(self.metadata.get("backend", ""))

    # --- state ----------------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        unsaved = [s["op"] for s in self._state.get("steps", []) if s.get("unsaved")]
        if unsaved:
            raise TrtconvError(f"this module runs PyTorch steps that cannot be saved by name: "
                               f"{', '.join(sorted(set(unsaved)))} (only torch, torchvision "
                               f"and torch.ops callables can be loaded back)")
        return dict(self._state)

    def set_extra_state(self, state: Any) -> None:
        if state:
            self._load(state)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False
                        ) -> Any:
        """Load a saved PartitionedModule into this one (a bare instance makes its engines
        and constant buffers first, from the keys of the state_dict)."""
        engines = {int(key.split(".")[1]) for key in state_dict
                   if key.startswith("engines.") and key.endswith("_extra_state")}
        while len(self.engines) < len(engines):
            self.engines.append(TRTModule())
        for key in sorted(k for k in state_dict if k.startswith("const_")):
            if not hasattr(self, key):
                self._add_constant(torch.empty(0))
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def _load(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise TrtconvError("not a PartitionedModule state (or another version of it)")
        try:
            check_structure(state.get("output_structure"))
            funcs = [resolve_step(s["op"]) if s["kind"] == "torch" else None
                     for s in state["steps"]]
        except (KeyError, TypeError, ValueError) as e:
            raise TrtconvError(f"PartitionedModule state is damaged: {type(e).__name__}: "
                               f"{e}") from None
        self._state, self._funcs = dict(state), funcs
        self._input_spec = pytree.treespec_loads(state["input_spec"])

    # --- running --------------------------------------------------------------------------------
    def forward(self, *args: Any) -> Any:
        if not self._state:
            raise TrtconvError("this PartitionedModule holds nothing: load a state_dict first")
        leaves, spec = pytree.tree_flatten(args)
        if spec != self._input_spec:
            raise InputError(f"inputs have structure {spec}, the module was converted with "
                             f"{self._input_spec}")
        for entry in self._state.get("constant_args", []):
            value = leaves[entry["leaf"]] if entry["leaf"] < len(leaves) else None
            if not same_argument(entry, value):
                raise InputError(f"argument {entry['name']} was {entry['shown']} at conversion "
                                 f"and is {shown(value)} now; the module computes with the "
                                 f"conversion's value. Convert again with this value.")
        tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
        slots = dict(zip(self._state["input_keys"], tensors))
        constants = self.constants
        for step, func in zip(self._state["steps"], self._funcs):
            if step["kind"] == "engine":
                self._run_engine(step, slots)
            else:
                self._run_torch(step, func, slots, constants)
        outputs = [slots[k] if isinstance(k, str) else constants[k]
                   for k in self._state["output_keys"]]
        return rebuild(self._state["output_structure"], outputs)

    def _run_engine(self, step: dict[str, Any], slots: dict[str, torch.Tensor]) -> None:
        engine = self.engines[step["index"]]
        result = engine(*[slots[k] for k in step["inputs"]])
        results = result if isinstance(result, tuple) else (result,)
        slots.update(zip(step["outputs"], results))

    def _run_torch(self, step: dict[str, Any], func: Any, slots: dict[str, torch.Tensor],
                   constants: list[torch.Tensor]) -> None:
        args = decode(step["args"], slots, constants)
        kwargs = decode(step["kwargs"], slots, constants)
        with torch.no_grad():
            result = func(*args, **kwargs)
        leaves = pytree.tree_leaves(result)
        slots.update(zip(step["outputs"], [x for x in leaves if isinstance(x, torch.Tensor)]))
        values = [x for x in leaves if not isinstance(x, torch.Tensor)]
        for expected, actual in zip(step.get("values", []), values):
            if expected is not None and not _results_agree(expected, actual):
                raise GuardError(_step_guard(step, expected), actual)

    def extra_repr(self) -> str:
        steps = self._state.get("steps", [])
        return (f"{len(self.engines)} engine(s), "
                f"{sum(s['kind'] == 'torch' for s in steps)} PyTorch step(s)")


def _step_guard(step: dict[str, Any], expected: Any) -> Any:
    from .guards import Guard

    return Guard(0, "value", f"{step['op']}() (run in PyTorch)", step.get("source", "?"),
                 step.get("module_path", ""), expected)
