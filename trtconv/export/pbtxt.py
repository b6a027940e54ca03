"""A small writer for protobuf text format (Triton's `config.pbtxt`).

Messages are dicts in field order; a list of dicts is a repeated message field, a list of
scalars a repeated scalar field; `Token` values (enum members) are written bare.

>>> print(to_pbtxt({"name": "m", "max_batch_size": 0,
...                 "input": [{"name": "x", "data_type": Token("TYPE_FP32"), "dims": [-1, 3]}]}))
name: "m"
max_batch_size: 0
input [
  {
    name: "x"
    data_type: TYPE_FP32
    dims: [ -1, 3 ]
  }
]
"""

from __future__ import annotations

from typing import Any


class Token(str):
    """An enum value, written without quotes."""


def _scalar(value: Any) -> str:
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"pbtxt strings here are printable ASCII; got {value!r}")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot write {type(value).__name__} in protobuf text format")


def _lines(message: dict[str, Any], depth: int) -> list[str]:
    pad = "  " * depth
    lines: list[str] = []
    for key, value in message.items():
        if isinstance(value, dict):
            lines += [f"{pad}{key} {{", *_lines(value, depth + 1), f"{pad}}}"]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{pad}{key} [")
            for i, item in enumerate(value):
                close = "}," if i + 1 < len(value) else "}"
                lines += [f"{pad}  {{", *_lines(item, depth + 2), f"{pad}  {close}"]
            lines.append(f"{pad}]")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [ {', '.join(_scalar(v) for v in value)} ]")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}")
    return lines


def to_pbtxt(message: dict[str, Any]) -> str:
    """The text format of `message` (no trailing newline)."""
    return "\n".join(_lines(message, 0))
