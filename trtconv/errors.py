"""Errors a conversion raises, each naming the op and the module path it happened in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UnsupportedCall:
    """A torch call on a traced tensor that no converter handled."""

    op: str
    module_path: str
    count: int
    reason: str = "no converter"

    def describe(self) -> str:
        where = self.module_path or "<root>"
        calls = "call" if self.count == 1 else "calls"
        return f"{self.op} in module '{where}' ({self.count} {calls}; {self.reason})"


@dataclass
class ConversionReport:
    """What a trace found: converted op counts, unsupported calls, warnings, layer count."""

    converted: dict[str, int] = field(default_factory=dict)
    unsupported: list[UnsupportedCall] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    num_layers: int = 0
    trace_seconds: float = 0.0
    # the trace's calls in order (`trtconv.calls.CallRecord`), converted or not
    calls: list[Any] = field(default_factory=list)
    # values read from traced tensors that the engine checks (`trtconv.guards.Guard`)
    guards: list[Any] = field(default_factory=list)
    # with fallback=True: the engines and the calls left to PyTorch (`trtconv.partition`)
    partition: list[str] = field(default_factory=list)
    # metadata-like numbers for summary(): layers_by_type/_module, fp32_islands, guards, ...
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def summary(self) -> str:
        lines = [f"{self.num_layers} layers from {sum(self.converted.values())} converted calls"]
        if self.unsupported:
            lines.append(f"{len(self.unsupported)} unsupported:")
            lines += [f"  {u.describe()}" for u in self.unsupported]
        lines += self.partition
        lines += [f"guard ({g.kind}): {g.describe()}, {g.expected!r} on the example"
                  for g in self.guards]
        lines += [f"warning: {w}" for w in self.warnings]
        from .summary import sections

        lines += sections({"trace_seconds": self.trace_seconds, **self.stats})
        return "\n".join(lines)


class TrtconvError(RuntimeError):
    """Base of trtconv's errors."""


class UnsupportedOperatorError(TrtconvError):
    """One error for every unsupported call a trace met, with module paths and counts."""

    def __init__(self, report: ConversionReport):
        self.report = report
        ops = sorted({u.op for u in report.unsupported})
        lines = [f"{len(ops)} unsupported operator(s) ({', '.join(ops)}):"]
        lines += [f"  {u.describe()}" for u in report.unsupported]
        lines.append("Register converters for them with @trtconv.tensorrt_converter, run "
                     "them in PyTorch with convert(..., fallback=True), or run convert(..., "
                     "dry_run=True) for the full report.")
        super().__init__("\n".join(lines))


class ConversionError(TrtconvError):
    """A converter failed or returned something unlike the torch result."""


class InputError(TrtconvError, ValueError):
    """Inputs given to convert() or a TRTModule that do not fit."""
