"""The types of the converter API, for annotations, and the operation enums converters use.

A converter is annotated with these:

    from trtconv.api import Ctx, E, ITensor, TensorLike

    def convert_add(ctx: Ctx, input: TensorLike, other: TensorLike) -> ITensor:
        x, y = emit.promote(ctx, [input, other])
        return ctx.network.add_elementwise(x, y, E.SUM).get_output(0)

`Ctx` is a Protocol: what converters and the `trtconv.emit` helpers may use of the
`trtconv.context.ConversionContext` they are given (tests/test_api.py checks that the class
has every member with the same parameters). The emit helpers sit below the context (it uses
them), so they name the Protocol instead of importing the class.

>>> from trtconv import trt
>>> from trtconv.api import E
>>> E.SUM is trt.ElementWiseOperation.SUM
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import torch

from .reference import trt
from .registry import Converter

if TYPE_CHECKING:
    from .context import GuardOptions

ITensor = trt.ITensor
Network = trt.INetworkDefinition

# The operation enums, by the short names every converter file used to define for itself.
E = trt.ElementWiseOperation
U = trt.UnaryOperation
R = trt.ReduceOperation

Number = bool | int | float
"""A Python number torch accepts where a tensor may go (a `DimInt` is an int)."""

TensorLike = torch.Tensor | Number
"""A torch operand: a tensor or a Python number (what `ctx.trt` turns into an ITensor)."""

Ints = int | Sequence[int]
"""torch's int-or-tuple parameters (kernel_size, stride, padding, ...)."""

DimArg = int | Sequence[int] | None
"""torch's `dim` of reductions: one axis, several, or None for all."""

Dim = int | ITensor
"""A size in the network: an int where static, a (1,) INT64 ITensor where dynamic (a
`DimInt` is both)."""


class Ctx(Protocol):
    """What a converter is given as `ctx` (see `trtconv.context.ConversionContext`)."""

    network: Network
    output: Any  # the torch result of the call being converted: a tensor, tuple, list, ...
    memo: dict[Any, Any]
    guard_options: GuardOptions  # what convert() was asked to guard and check

    @property
    def module_path(self) -> str:
        """The dotted path of the module whose forward is running."""

    def trt(self, value: object, dtype: torch.dtype | None = None) -> ITensor:
        """The ITensor of a traced tensor, or a constant of anything else."""

    def constant(self, value: torch.Tensor) -> ITensor:
        """A constant layer holding `value`."""

    def is_traced(self, value: object) -> bool:
        """Whether `value` is a tensor computed by the network."""

    def lookup(self, value: torch.Tensor) -> ITensor | None:
        """The ITensor a traced tensor is bound to, or None."""

    def bind(self, value: torch.Tensor, itensor: ITensor) -> None:
        """Record that `value` is now `itensor` (in-place updates)."""

    def unsupported(self, reason: str) -> Exception:
        """The exception a converter raises for an argument case it cannot convert."""

    def warn(self, message: str, stacklevel: int = 4) -> None:
        """A conversion warning, kept in the report."""

    def guard_value(self, itensor: ITensor, expected: Any, what: str) -> None:
        """The model read `expected` out of a traced tensor (`what` names the read);
        `itensor` computes it in the network and the engine checks it on every call."""

    def guard_check(self, condition: ITensor, what: str) -> None:
        """A check PyTorch makes and TensorRT does not: the bool `condition` must hold on
        every call (added only when the conversion asks for checks)."""


__all__ = ["Ctx", "Converter", "ITensor", "Network", "E", "U", "R", "Number", "TensorLike", "Ints",
           "DimArg", "Dim"]
