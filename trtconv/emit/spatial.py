"""Window layers (convolution, pooling): torch's int-or-tuple parameters and the axes TensorRT
needs. TensorRT's windows are 2-D or 3-D over inputs of rank >= 4; torch's are 1-D to 3-D and
take unbatched inputs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..api import ITensor, Network
from .shapes import dims_of, reshape


def ntuple(value: int | Sequence[int], n: int) -> tuple[int, ...]:
    """torch's `_ntuple`: an int repeated `n` times; a 1-element sequence likewise."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    return value * n if len(value) == 1 else value


def lift_spatial(network: Network, x: ITensor, nsp: int) -> tuple[ITensor, list[int]]:
    """`x` ([N, C, *spatial] or unbatched [C, *spatial] with `nsp` spatial axes) as TensorRT
    windows take it: a batch axis of 1 when unbatched, and for 1-D a trailing axis of 1 (so
    the window runs as k x 1). Also the axes to drop from the result (see `drop_axes`)."""
    missing = max(0, nsp + 2 - len(x.shape))
    if not missing and nsp != 1:
        return x, []  # already [N, C, H, W(, D)]: no sizes to read (no shape layers)
    dims, drop = [1] * missing + dims_of(network, x), list(range(missing))
    if nsp == 1:
        dims.append(1)
        drop.append(len(dims) - 1)
    return (reshape(network, x, dims) if drop else x), drop


def drop_axes(network: Network, x: ITensor, axes: Iterable[int]) -> ITensor:
    """`x` without its size-1 `axes` (non-negative): the inverse of `lift_spatial`, and what
    keepdim=False reductions need."""
    drop = set(axes)
    if not drop:
        return x
    return reshape(network, x, [d for i, d in enumerate(dims_of(network, x)) if i not in drop])

