"""The trace as a sequence of calls: which torch call made which layers, where in the source.

Every torch call the trace meets on traced tensors becomes a `CallRecord`, converted or not,
in the order the forward pass made them. Layers made by a converted call carry
`"<op> @ <file>:<line>"` in their `metadata` (a TensorRT layer property), so the plan itself
says where each layer came from.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import torch

_TRTCONV_DIR = os.path.dirname(os.path.abspath(__file__))
_CONVERTERS_DIR = os.path.join(os.path.dirname(_TRTCONV_DIR), "converters")
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))
_SKIPPED = (_TRTCONV_DIR + os.sep, _CONVERTERS_DIR + os.sep, _TORCH_DIR + os.sep,
            os.path.dirname(os.path.abspath(os.__file__)) + os.sep + "contextlib.py")


@dataclass(frozen=True)
class Source:
    """A place in the user's code (the first frame outside trtconv, torch and the stdlib's
    contextlib)."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def short(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line}"


UNKNOWN = Source("<unknown>", 0, "")


def user_source(frame: FrameType | None = None) -> Source:
    """Where the call being traced was made in the user's (or a library's) code."""
    frame = frame or sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIPPED) and not filename.startswith("<frozen"):
            return Source(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return UNKNOWN


@dataclass
class CallRecord:
    """One torch call of the trace.

    `layers` is the [first, end) range of network layers the converter added (empty for
    unsupported calls); `outputs` the ITensors bound to the call's tensor results.
    """

    op: str
    module_path: str
    source: Source
    converted: bool
    layers: tuple[int, int] = (0, 0)
    outputs: list[Any] = field(default_factory=list)
    reason: str = ""

    def describe(self) -> str:
        where = self.module_path or "<root>"
        return f"{self.op} in module '{where}' at {self.source}"
