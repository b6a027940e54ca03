"""The transformers section of docs/models.md (models: tests/models/transformers_zoo.py).

tools/model_table.py runs ``run_worker`` in a subprocess per model, as for the torchvision
zoo, and renders the records with ``section``. The worker builds the model exactly as
tests/models/test_transformers.py does, then:

1. ``convert(backend="reference")`` (BERT and Llama with their dynamic batch and sequence
   range): converted or not, layers, trace and reference build seconds, warnings;
2. runs it at the example and, for the dynamic models, at the run shapes: the largest
   max |trt - torch| / max |torch| over all outputs;
3. ``convert(backend="tensorrt_rtx")`` with the same range: replay, check, build on CPU.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from models.transformers_zoo import (  # tests/ is on sys.path (model_table.py puts it there)
    BY_NAME,
    MAX_REL_ERROR,
    MODELS,
    RUN_SHAPES,
)
from worker_record import Record, convert_on_reference, first_line, notes_of

NAMES = [m.name for m in MODELS]
TITLE = "## Transformers"


def run_worker(name: str, out: Path) -> int:
    """Measure one transformers model; write its record to `out` after every stage."""
    warnings.filterwarnings("ignore")
    record = Record(name, out)

    import torch
    from models.transformers_zoo import import_transformers
    from models.zoo import relative_error

    import trtconv

    spec = BY_NAME[name]
    model = spec.build(import_transformers())
    inputs = spec.example_inputs()
    converted = convert_on_reference(record, model, [x.clone() for x in inputs],
                                     **spec.profile())
    if converted is None:
        return 0
    try:
        errors = []
        for case in [inputs] + [spec.inputs_of(*shape) for shape in spec.run_shapes()]:
            with torch.no_grad():
                want = dict(model(*[x.clone() for x in case]))
            errors.append(relative_error(dict(converted(*[x.clone() for x in case])), want))
        record["max_rel_error"] = max(errors)
    except Exception as e:
        record["run_error"] = first_line(e)
    record.save("compared")
    try:
        on_rtx = trtconv.convert(model, [x.clone() for x in inputs], backend="tensorrt_rtx",
                                 **spec.profile())
        record.update(rtx_ok=bool(on_rtx.engine_bytes),
                      rtx_build_seconds=on_rtx.metadata["build_seconds"])
    except Exception as e:
        record.update(rtx_ok=False, rtx_error=first_line(e))
    record.save("done")
    return 0


def _seconds(value: Any) -> str:
    return "" if value is None else f"{value:.1f}"


def _row(record: dict[str, Any]) -> str:
    spec = BY_NAME[record["model"]]
    notes = []
    if record.get("unsupported"):
        notes.append("unsupported: " + ", ".join(f"`{op}`" for op in record["unsupported"]))
    error = record.get("max_rel_error")
    notes += notes_of(record, ("error", "run_error", "rtx_error", "failure"), MAX_REL_ERROR)
    converted = record.get("converted")
    rtx = record.get("rtx_ok")
    cells = [
        f"`{spec.name}`", f"`{spec.model_class}`", spec.describe_inputs(),
        spec.describe_dynamic(),
        {True: "yes", False: "no"}.get(converted, "?"),
        str(record["layers"]) if converted and record.get("layers") else "",
        "" if error is None else f"{error:.1e}",
        _seconds(record.get("trace_seconds")), _seconds(record.get("reference_build_seconds")),
        "" if rtx is None else (_seconds(record.get("rtx_build_seconds")) if rtx else "failed"),
        "; ".join(notes),
    ]
    return "| " + " | ".join(cells) + " |"


def section(records: list[dict[str, Any]], measured: str) -> str:
    """The markdown section for `records` (one per model, in the zoo's order); `measured`
    says when, where and with what."""
    n = len(records)
    converted = sum(1 for r in records if r.get("converted"))
    matching = sum(1 for r in records if r.get("max_rel_error") is not None
                   and r["max_rel_error"] <= MAX_REL_ERROR)
    rtx = sum(1 for r in records if r.get("rtx_ok"))
    shapes = ", ".join(f"{b}x{s}" for b, s in RUN_SHAPES)
    lines = [
        TITLE,
        "",
        "Hugging Face models from small configs (`tests/models/transformers_zoo.py`: hidden "
        "size 32, 2 layers, random seeded weights, no download), tested by "
        "`tests/models/test_transformers.py`. Token models get random ids, token type ids for "
        "BERT, and an attention mask that pads the last 1-5 tokens of every row; during a "
        "conversion the models take their export path (`trtconv.exporting`), so the mask is "
        "part of the engine instead of being read on the example.",
        "",
        measured,
        "",
        "- *converted*: `trtconv.convert(model, inputs, backend=\"reference\")`, with the "
        "*dynamic* range for every token input where given;",
        "- *fp32 error*: max |trt - torch| / max |torch| over all output fields, the largest "
        f"of the runs at the example and, for the dynamic models, at (batch x seq) {shapes}; "
        f"the tests require <= {MAX_REL_ERROR:g};",
        "- *rtx build s*: the same conversion replayed onto TensorRT-RTX, checked and built.",
        "",
        f"**{converted}/{n} convert, {matching}/{n} match PyTorch within {MAX_REL_ERROR:g}, "
        f"{rtx}/{n} build on TensorRT-RTX.**",
        "",
        "| model | class | inputs | dynamic | converted | layers | fp32 error | trace s "
        "| reference build s | rtx build s | notes |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|---|",
        *(_row(r) for r in records),
        "",
    ]
    return "\n".join(lines)


def kept_section(path: Path) -> str | None:
    """The transformers section of an existing docs/models.md (None if it has none)."""
    if not path.exists():
        return None
    text = path.read_text()
    at = text.find(TITLE)
    return text[at:] if at >= 0 else None

