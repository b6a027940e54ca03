"""Run-time checks converters add on request: index ranges (`convert(..., check_indices=True)`).

TensorRT's gathers do not raise on an index out of range (they read another element, or
zeros), where PyTorch raises an IndexError. With `check_indices=True` each gather's indices are
checked on every call: the engine computes whether all are in range as a hidden output, and the
TRTModule raises `trtconv.GuardError` naming the op's source line when one is not.
"""

from __future__ import annotations

import torch

from ..api import Ctx, Dim, E, ITensor, R, U
from .arith import elementwise
from .constants import cast
from .layout import dim_as_tensor
from .shapes import reshape


def indices_in_range(ctx: Ctx, indices: ITensor, size: Dim, what: str,
                     negative: bool = False) -> None:
    """Check (when the conversion asks) that every index is in [0, size), or [-size, size)
    where torch counts negative indices from the end."""
    if not ctx.guard_options.check_indices:
        return
    network = ctx.network
    idx = reshape(network, cast(network, indices, torch.int64), [-1])
    bound = dim_as_tensor(network, size)
    low = (network.add_unary(bound, U.NEG).get_output(0) if negative else
           ctx.constant(torch.zeros(1, dtype=torch.int64)))
    at_least = elementwise(network, elementwise(network, idx, low, E.GREATER),
                           elementwise(network, idx, low, E.EQUAL), E.OR)
    inside = elementwise(network, at_least, elementwise(network, idx, bound, E.LESS), E.AND)
    every = network.add_reduce(cast(network, inside, torch.int32), R.MIN, 1, False).get_output(0)
    ok = elementwise(network, every, ctx.constant(torch.tensor(1, dtype=torch.int32)), E.EQUAL)
    span = "[-size, size)" if negative else "[0, size)"
    ctx.guard_check(ok, f"{what} indices within {span} of the dim they index")
