"""Guards: Python values the trace read out of tensors, checked every time the engine runs.

A trace runs one path. Where the forward read a value out of a traced tensor (`if x.sum() > 0:`,
`n = t.item()`, `range(t)`) or compared a dynamic size (`if x.size(2) > 7:`), the engine only
holds what followed from the example's value. Such a read is guarded:

- a **value guard**: the network computes the value read as a hidden extra output, and the
  `TRTModule` compares it with the example's value after each call;
- a **shape guard**: a condition on dynamic sizes becomes an `IAssertionLayer`, which TensorRT
  checks when input shapes are set.

When a guard fails, the call raises `GuardError` naming the source line of the read, the module
path, the value at conversion and the value now. `convert(..., guards=False)` leaves the checks
out (the conversion warnings stay); `convert(..., strict=True)` refuses every such read.

>>> import torch, trtconv
>>> class Branchy(torch.nn.Module):
...     def forward(self, x):
...         if x.sum() > 0:                      # a value read: guarded
...             return torch.relu(x) * 2
...         return torch.sigmoid(x)
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     m = trtconv.convert(Branchy(), [torch.ones(2, 3)], backend="reference")
>>> m(torch.ones(2, 3)).tolist()
[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
>>> try:
...     m(-torch.ones(2, 3))
... except trtconv.GuardError as e:
...     print(e.guard.what, e.guard.expected, "->", e.actual)
bool(tensor) True -> False
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch

from .errors import TrtconvError

GUARD_OUTPUT_PREFIX = "__trtconv_guard_"
SHAPE_GUARD_PREFIX = "trtconv guard "

# How a float read compares: the engine may compute it in another order (or precision).
FLOAT_TOLERANCE = {"fp32": 1e-5, "fp16": 1e-2, "bf16": 2e-2, "int8": 5e-2}


@dataclass(frozen=True)
class Guard:
    """One guarded read: what was read, where, and the value the engine was built for.

    `kind` is "value" (a hidden output named `output`), "check" (a hidden bool output that
    must be True: a check PyTorch makes, `check_indices=True`) or "shape" (an assertion whose
    message starts with `SHAPE_GUARD_PREFIX` and the guard's index).
    """

    index: int
    kind: str
    what: str
    source: str
    module_path: str
    expected: Any
    output: str = ""
    tolerance: float = 0.0

    def describe(self) -> str:
        where = self.module_path or "<root>"
        return f"{self.what} at {self.source} in module '{where}'"

    def consequence(self) -> str:
        if self.kind == "check":
            return ("PyTorch raises an error for these inputs, and TensorRT would silently read "
                    "something else")
        if self.kind == "shape":
            return (f"the traced forward took the path for {self.expected!r} there, and the "
                    f"engine computes only that path")
        return (f"the traced forward used the example's value {_short(self.expected)} there, "
                f"and the engine keeps it")

    def advice(self) -> str:
        if self.kind == "check":
            return "Check the indices the model is given"
        return ("Write the decision as tensor ops (torch.where, masks) so it converts, convert "
                "with an example that takes the path you need, or run that code in PyTorch "
                "(convert(..., fallback=True) or a smaller module)")

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Guard:
        fields = {k: state[k] for k in ("index", "kind", "what", "source", "module_path",
                                        "expected")}
        return cls(**fields, output=str(state.get("output", "")),
                   tolerance=float(state.get("tolerance", 0.0)))

    def holds(self, actual: Any) -> bool:
        """Whether a value read now agrees with the one the engine was built for."""
        return _agrees(self.expected, actual, self.tolerance)


class GuardError(TrtconvError):
    """A value the trace read from a tensor (or a size it compared) differs at run time, so the
    engine's path or constant no longer matches what PyTorch would compute."""

    def __init__(self, guard: Guard, actual: Any, shapes: Any = None):
        self.guard = guard
        self.actual = actual
        now = (f"is {_short(actual)} for these inputs" if shapes is None else
               f"differs for input shapes {shapes}")
        super().__init__(
            f"guard failed: {guard.describe()} was {_short(guard.expected)} at conversion and "
            f"{now}; {guard.consequence()}, so its result would differ from PyTorch's. "
            f"{guard.advice()}.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _agrees(expected: Any, actual: Any, tolerance: float) -> bool:
    if isinstance(expected, (list, tuple)):
        return (isinstance(actual, (list, tuple)) and len(expected) == len(actual)
                and all(_agrees(e, a, tolerance) for e, a in zip(expected, actual)))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected) == bool(actual)
    if isinstance(expected, float) or isinstance(actual, float):
        e, a = float(expected), float(actual)
        if math.isnan(e) or math.isnan(a):
            return math.isnan(e) and math.isnan(a)
        return math.isclose(e, a, rel_tol=tolerance, abs_tol=tolerance * 1e-3)
    return expected == actual


def python_value(value: torch.Tensor, like: Any) -> Any:
    """An engine output read back as the Python value kind the guard recorded (`like`)."""
    data = value.detach().cpu()
    if isinstance(like, bool):
        return bool(data.reshape(-1)[0]) if data.numel() == 1 else bool(data.any())
    if isinstance(like, (list, tuple)):
        return data.reshape(-1).tolist()
    if isinstance(like, float):
        return float(data.reshape(-1)[0])
    if isinstance(like, int):
        return int(data.reshape(-1)[0])
    return data.tolist()


def shape_guard_message(index: int, guard_text: str) -> str:
    """The assertion message of shape guard `index` (TensorRT prints it when it fails)."""
    return f"{SHAPE_GUARD_PREFIX}{index}: {guard_text}"


def failed_shape_guard(messages: list[str], guards: list[Guard]) -> Guard | None:
    """The shape guard whose assertion message appears in a runtime's error messages."""
    by_index = {g.index: g for g in guards if g.kind == "shape"}
    for message in messages:
        start = message.find(SHAPE_GUARD_PREFIX)
        if start < 0:
            continue
        digits = message[start + len(SHAPE_GUARD_PREFIX):].split(":", 1)[0]
        if digits.isdigit() and int(digits) in by_index:
            return by_index[int(digits)]
    return None
