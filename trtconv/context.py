"""`ConversionContext`: what a converter sees as `ctx`.

A converter is called like the torch function it converts, with the context first, and
returns the ITensor(s) of the result:

    @trtconv.tensorrt_converter("torch.nn.functional.relu")
    def convert_relu(ctx, input, inplace=False):
        x = ctx.trt(input)                       # the input's ITensor (or a constant)
        return ctx.network.add_activation(x, trt.ActivationType.RELU).get_output(0)
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .aliasing import Unfollowable, carry
from .calls import CallRecord, user_source
from .emit.constants import constant as constant_layer
from .errors import ConversionReport
from .guards import FLOAT_TOLERANCE, GUARD_OUTPUT_PREFIX, Guard, shape_guard_message
from .reference import trt
from .registry import ConverterSpec
from .tensormap import TaintedInputError, TensorMap


class UnsupportedCaseError(Exception):
    """Raised by a converter (via `ctx.unsupported`) for an argument case it cannot handle."""


@dataclass(frozen=True)
class GuardOptions:
    """How a conversion treats values read from traced tensors (see `trtconv.guards`)."""

    enabled: bool = True   # guards=False: no checks in the engine (the warnings stay)
    strict: bool = False   # strict=True: every guarded read is an error at conversion
    precision: str = "fp32"
    check_indices: bool = False  # check_indices=True: index ranges of gathers are guarded


class ConversionContext:
    """The converter API.

    - `ctx.network`: the reference `INetworkDefinition` to add layers to;
    - `ctx.trt(x)`: the ITensor of a traced tensor, or a constant for parameters, buffers,
      other constant tensors and Python numbers;
    - `ctx.output`: the torch result of the call being converted;
    - `ctx.module_path`: the dotted path of the module whose forward is running;
    - `ctx.unsupported(reason)`: give up on this call, reported with the others at the end;
    - `ctx.warn(message)`: a conversion warning, kept in the report and the TRTModule.
    """

    def __init__(self, network: trt.INetworkDefinition,
                 guard_options: GuardOptions | None = None):
        self.network = network
        self.guard_options = guard_options or GuardOptions()
        self.guards: list[Guard] = []
        self.guard_outputs: list[trt.ITensor] = []  # hidden outputs of the value guards
        self._warned_sites: set[tuple[str, str]] = set()
        # whether the code running now is the model's (a guard site), not a converter's
        self.in_user_code: Callable[[], bool] = lambda: True
        self.output: Any = None
        self.current: ConverterSpec | None = None
        self.report = ConversionReport()
        self.tensors = TensorMap()
        self.module_stack: list[str] = []
        # layers converters may share within one trace (shape layers of a tensor, ...), keyed
        # by what they compute
        self.memo: dict[Any, Any] = {}
        # untraced tensors an in-place call is updating, as they were before it
        self.before_update: dict[int, torch.Tensor] = {}
        self._unsupported: Counter[tuple[str, str, str]] = Counter()
        # every call of the trace on traced tensors, converted or not, in order
        self.calls: list[CallRecord] = []

    @property
    def module_path(self) -> str:
        return self.module_stack[-1] if self.module_stack else ""

    def trt(self, value: Any, dtype: torch.dtype | None = None) -> trt.ITensor:
        """The ITensor for `value`: a traced tensor's, or a new constant.

        Python numbers become 0-d constants of `dtype` (default: float32 for floats, int64 for
        ints, bool for bools); float64 tensors become float32 with a warning.
        """
        if isinstance(value, trt.ITensor):
            return value
        if isinstance(value, torch.Tensor):
            itensor = self.tensors.lookup(value)
            if itensor is not None:
                return itensor
            if self.tensors.is_tainted(value):
                stale = self.tensors.stale_reason(value)
                if stale is not None:
                    self.record_unsupported(*stale)
                raise TaintedInputError
            return self._constant_of(self.before_update.get(id(value), value))
        if isinstance(value, (bool, int, float)):
            if dtype is None:
                dtype = (torch.bool if isinstance(value, bool) else
                         torch.int64 if isinstance(value, int) else torch.float32)
            return self.constant(torch.tensor(value, dtype=dtype))
        raise TypeError(f"cannot make a TensorRT tensor of {type(value).__name__} {value!r}")

    def constant(self, value: torch.Tensor) -> trt.ITensor:
        """A constant layer holding `value` (bool and float64 are stored as TensorRT allows)."""
        return constant_layer(self.network, value, self.warn)

    def is_traced(self, value: Any) -> bool:
        """Whether `value` is a tensor computed by the network (not a constant)."""
        return self.tensors.is_traced(value)

    def lookup(self, value: torch.Tensor) -> trt.ITensor | None:
        """The ITensor a traced tensor is bound to, or None."""
        return self.tensors.lookup(value)

    def bind(self, value: torch.Tensor, itensor: trt.ITensor) -> None:
        """Record that torch tensor `value` is `itensor` in the network (converters of
        in-place calls that return None, such as `__setitem__`, bind their target).

        Rebinding a traced tensor means an in-place update: every other traced tensor that
        shares its memory (the tensor it views, other views of it) is rebuilt to see the
        update (`trtconv.aliasing`); where that cannot be expressed, reading one later is
        reported instead of silently using old values.
        """
        tensors = self.tensors
        if not tensors.bind(value, itensor):
            return
        op = self.current.target if self.current is not None else "an in-place update"
        storage = value.untyped_storage().data_ptr()
        for other, old in tensors.traced_items():
            if other is value or other.untyped_storage().data_ptr() != storage:
                continue
            try:
                carried = carry(self.network, value, itensor, other, old)
            except Unfollowable as e:
                reason = (f"read of a tensor that shares memory with one updated in place by "
                          f"{op}", f"{e}; clone before updating")
                tensors.mark_stale(other, reason, value)
                continue
            # rebound, or unchanged (no shared element) at the version the update gave it
            tensors.bind(other, carried if carried is not None else old)

    def unsupported(self, reason: str) -> UnsupportedCaseError:
        """Return an exception a converter raises for an argument case it cannot convert."""
        return UnsupportedCaseError(reason)

    def warn(self, message: str, stacklevel: int = 4) -> None:
        """Warn, naming the module path; the warning is kept in the report (and the
        TRTModule's metadata) as well."""
        text = f"{message} in module '{self.module_path or '<root>'}'"
        self.report.warnings.append(text)
        warnings.warn(text, stacklevel=stacklevel)

    # --- values read from tensors ------------------------------------------------------------
    def guard_value(self, itensor: trt.ITensor, expected: Any, what: str) -> None:
        """The model read `expected` out of a traced tensor (`what`: "bool(tensor)",
        "tensor.item()", ...); `itensor` computes the same value in the network. The engine
        outputs it as a hidden output and the TRTModule checks it after each call."""
        if not self._admit_guard(what, expected, "read {} from a traced tensor"):
            return
        tolerance = FLOAT_TOLERANCE.get(self.guard_options.precision, 1e-5) \
            if _has_float(expected) else 0.0
        index = len(self.guards)
        self.guards.append(Guard(index, "value", what, str(user_source()), self.module_path,
                                 expected, f"{GUARD_OUTPUT_PREFIX}{index}", tolerance))
        self.guard_outputs.append(itensor)

    def guard_check(self, condition: trt.ITensor, what: str) -> None:
        """A check PyTorch makes and TensorRT does not (`what`: "embedding indices within
        ..."): `condition` (a bool tensor) must hold on every call, else the TRTModule raises
        GuardError. Added only on request (`check_indices=True`); no conversion warning."""
        if not self.guard_options.enabled:
            return
        index = len(self.guards)
        self.guards.append(Guard(index, "check", what, str(user_source()), self.module_path,
                                 True, f"{GUARD_OUTPUT_PREFIX}{index}"))
        self.guard_outputs.append(condition)

    def guard_shape(self, condition: trt.ITensor, expected: Any, what: str) -> None:
        """The model decided something from dynamic sizes (`what`, which came out as
        `expected` on the example); `condition`, a bool shape tensor computed from sizes,
        holds exactly when it comes out the same. It becomes an `IAssertionLayer`."""
        if not self._admit_guard(what, expected, "came out {} on the example"):
            return
        index = len(self.guards)
        guard = Guard(index, "shape", what, str(user_source()), self.module_path, expected)
        self.guards.append(guard)
        layer = self.network.add_assertion(condition, shape_guard_message(index,
                                                                          guard.describe()))
        layer.name = f"{self.module_path or '<root>'}/guard_{index}"
        layer.metadata = f"guard {what} @ {guard.source}"

    def _admit_guard(self, what: str, expected: Any, outcome: str) -> bool:
        """Warn once per read site; in strict mode refuse the read. Whether to add a check."""
        source = user_source()
        site = (str(source), what)
        if self.guard_options.strict:
            self.record_unsupported(what, f"a value read from tensor contents at {source} "
                                          f"(strict=True refuses every guarded read)")
            return False
        if site not in self._warned_sites:
            self._warned_sites.add(site)
            checked = ("the engine checks it on every call (trtconv.GuardError when it differs)"
                       if self.guard_options.enabled else
                       "guards=False: the engine does NOT check it")
            self.warn(f"{what} at {source} {outcome.format(_short(expected))}; {checked}",
                      stacklevel=5)
        return self.guard_options.enabled

    def record_unsupported(self, op: str, reason: str) -> None:
        """Count a call that stays unconverted (reported together at the end)."""
        self._unsupported[(op, self.module_path, reason)] += 1
        self.calls.append(CallRecord(op, self.module_path, user_source(), False, reason=reason))

    def unsupported_calls(self) -> Counter[tuple[str, str, str]]:
        return Counter(self._unsupported)

    def _constant_of(self, value: torch.Tensor) -> trt.ITensor:
        cached = self.tensors.cached_constant(value)
        if cached is not None:
            return cached  # the same tensor, not updated in place since
        tensor = self.constant(value.detach())
        self.tensors.remember_constant(value, tensor)
        return tensor


def _has_float(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
