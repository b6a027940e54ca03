"""Libraries' export paths: `torch.compiler.is_exporting()` is true for the traced model.

Libraries read tensor contents to pick a fast path in eager mode, and skip the read when they
are being exported. Hugging Face's masks are the example that matters: in eager mode
`transformers.masking_utils` asks `padding_mask.all()` (in a Python `if`) to drop the mask
when nothing is padded, and under `torch.compiler.is_exporting()` it always builds the mask,
which gives the same attention for every input. A trace runs one path, so during a conversion
the model should take the export path, which has no value to bake in.

The signal is the narrowest that works, `torch.compiler.is_exporting()` alone:

- not `torch.compiler.is_compiling()`: torch's own `nn.Module.__call__` and many libraries
  take compile-only shortcuts on it (hooks, kernels, lazy init), which is far more than
  choosing a mask;
- not `torch.jit.is_tracing()`: torch's functional code and Hugging Face's `torch_int` /
  `torch_float` change what they return on it (tensors where ints are expected);
- every Hugging Face check that reads padding-mask contents (`_ignore_causal_mask_sdpa`,
  `_ignore_bidirectional_mask_sdpa`) asks `is_exporting()` first.

It is scoped three ways: to the conversion (the `exporting()` block that `tracing()` enters),
to the converting thread (other threads calling the same function during the conversion get
torch's own answer; concurrent conversions each see it on their own thread), and to code
outside torch (torch's own `is_exporting()` checks switch on `torch.export`'s machinery:
`nested_compile_region` would compile through dynamo, `cond` and symbolic shapes change their
bookkeeping; outside an export that machinery is not there, so torch keeps its eager
behaviour). The export paths the signal selects compute the same
values (tests/models/test_transformers.py runs every model both ways).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

__all__ = ["exporting"]

_TORCH_PREFIX = "torch."


def _called_from_torch(frame_depth: int = 2) -> bool:
    """Whether the caller of `is_exporting()` is torch's own code (module `torch` or
    `torch.*`)."""
    name = sys._getframe(frame_depth).f_globals.get("__name__", "")
    return name == "torch" or name.startswith(_TORCH_PREFIX)


def _torch_answer(original: Callable[[], bool]) -> Callable[[], bool]:
    """`original` as a function dynamo can trace from inside ours: it reads torch's flag
    (dynamo treats a call of `original` under another name as an unknown torch op)."""
    module = torch.compiler
    if not hasattr(module, "_is_exporting_flag"):
        return original
    return lambda: module._is_exporting_flag


# Threads inside an `exporting()` block (a count each: blocks nest), and torch's function
# while ours is installed. Concurrent conversions share one installed function.
_LOCK = threading.Lock()
_THREADS: Counter[int] = Counter()
_ORIGINAL: list[Callable[[], bool]] = []


def _scoped(original: Callable[[], bool]) -> Callable[[], bool]:
    is_compiling = torch.compiler.is_compiling
    answer = _torch_answer(original)

    def is_exporting() -> bool:
        # Dynamo (torch.compile in another thread) inlines this function: it folds
        # is_compiling() to True and so never reaches the thread check it cannot trace.
        if is_compiling() or threading.get_ident() not in _THREADS or _called_from_torch():
            return answer()
        return True

    is_exporting.__doc__ = original.__doc__
    is_exporting.__wrapped__ = original  # type: ignore[attr-defined]
    return is_exporting


@contextmanager
def exporting() -> Iterator[None]:
    """Make `torch.compiler.is_exporting()` true for code outside torch on this thread, for
    the duration of the block; torch's function is back once no thread is in a block.

    >>> import threading, torch
    >>> from trtconv.exporting import exporting
    >>> with exporting():
    ...     here = torch.compiler.is_exporting()
    ...     elsewhere = []
    ...     t = threading.Thread(target=lambda: elsewhere.append(torch.compiler.is_exporting()))
    ...     t.start(); t.join()
    >>> here, elsewhere, torch.compiler.is_exporting()
    (True, [False], False)
    """
    thread = threading.get_ident()
    with _LOCK:
        if not _THREADS:
            _ORIGINAL.append(torch.compiler.is_exporting)
            torch.compiler.is_exporting = _scoped(_ORIGINAL[0])
        _THREADS[thread] += 1
    try:
        yield
    finally:
        with _LOCK:
            _THREADS[thread] -= 1
            if not _THREADS[thread]:
                del _THREADS[thread]
            if not _THREADS:
                torch.compiler.is_exporting = _ORIGINAL.pop()
