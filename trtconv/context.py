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
from typing import Any

import torch

from .calls import CallRecord, user_source
from .emit.constants import constant as constant_layer
from .errors import ConversionReport
from .reference import trt
from .registry import ConverterSpec
from .tensormap import TaintedInputError, TensorMap


class UnsupportedCaseError(Exception):
    """Raised by a converter (via `ctx.unsupported`) for an argument case it cannot handle."""


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

    def __init__(self, network: trt.INetworkDefinition):
        self.network = network
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
        shares its memory (views of it, or what it is a view of) now holds values the network
        does not have, so reading one later is reported instead of silently using old values.
        """
        tensors = self.tensors
        if tensors.bind(value, itensor):
            op = self.current.target if self.current is not None else "an in-place update"
            storage = value.untyped_storage().data_ptr()
            reason = (f"read of a tensor that shares memory with one updated in place by {op}",
                      "views of in-place updated tensors are not supported; clone before "
                      "updating")
            for other, _ in tensors.traced_items():
                if other is not value and other.untyped_storage().data_ptr() == storage:
                    tensors.mark_stale(other, reason, value)

    def unsupported(self, reason: str) -> UnsupportedCaseError:
        """Return an exception a converter raises for an argument case it cannot convert."""
        return UnsupportedCaseError(reason)

    def warn(self, message: str, stacklevel: int = 4) -> None:
        """Warn, naming the module path; the warning is kept in the report (and the
        TRTModule's metadata) as well."""
        text = f"{message} in module '{self.module_path or '<root>'}'"
        self.report.warnings.append(text)
        warnings.warn(text, stacklevel=stacklevel)

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
