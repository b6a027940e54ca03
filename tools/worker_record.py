"""What a model-table worker writes (tools/model_table.py, tools/transformers_table.py).

A worker measures one model in its own process and saves its record after every stage, so a
worker that dies or runs out of time still says how far it got.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Record(dict):
    """The JSON record of one model, saved to `out` (atomically) by `save(stage)`."""

    def __init__(self, name: str, out: Path):
        super().__init__(model=name, stage="start")
        self.out = out

    def save(self, stage: str) -> None:
        self["stage"] = stage
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self, indent=1))
        os.replace(tmp, self.out)


def first_line(e: BaseException) -> str:
    """`Type: first line of the message`, for a table cell."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def unsupported_ops(report: Any) -> list[str]:
    """Unsupported op names in the order the trace met them (each once)."""
    return list(dict.fromkeys(call.op for call in report.unsupported))


def convert_on_reference(record: Record, model: Any, inputs: Sequence[Any],
                         **options: Any) -> Any | None:
    """`trtconv.convert(model, inputs, backend="reference", **options)`, its outcome recorded:
    the converted module (stage "reference"), or None with the failure (stage "done")."""
    import trtconv

    try:
        converted = trtconv.convert(model, list(inputs), backend="reference", **options)
    except trtconv.UnsupportedOperatorError as e:
        record.update(converted=False, unsupported=unsupported_ops(e.report),
                      layers=e.report.num_layers, trace_seconds=e.report.trace_seconds)
        record.save("done")
        return None
    except Exception as e:
        record.update(converted=False, error=first_line(e), traceback=traceback.format_exc())
        record.save("done")
        return None
    meta = converted.metadata
    record.update(converted=True, layers=meta["num_layers"], trace_seconds=meta["trace_seconds"],
                  reference_build_seconds=meta["build_seconds"],
                  warnings=list(meta.get("warnings", [])))
    record.save("reference")
    return converted


def notes_of(record: dict[str, Any], failure_keys: Sequence[str], max_rel_error: float
             ) -> list[str]:
    """A table row's notes: the failures recorded under `failure_keys`, the conversion's
    warnings (count and first), and an error above the tests' bound."""
    notes = [record[key].replace("|", "\\|")[:240] for key in failure_keys if record.get(key)]
    if record.get("warnings"):
        first = record["warnings"][0].replace("|", "\\|")[:160]
        notes.append(f"{len(record['warnings'])} conversion warning(s), first: {first}")
    error = record.get("max_rel_error")
    if error is not None and error > max_rel_error:
        notes.append(f"error above {max_rel_error:g}")
    return notes
