"""Hugging Face transformers convert and match PyTorch (models and inputs:
tests/models/transformers_zoo.py).

Per model:

- test_outputs_match_pytorch: converted on the reference backend (BERT and Llama with batch
  1-8 and sequence length 8-64), the TRTModule returns the model's output fields with torch's
  dtypes and shapes and max |trt - torch| / max |torch| <= 1e-3 at the example and, for the
  dynamic models, at three more shapes; attention masks pad some positions;
- test_builds_on_tensorrt_rtx: the same conversion replayed, checked and built on
  TensorRT-RTX;
- test_padding_seen_only_at_run_time: converted with an example that pads nothing, the engine
  is right for padded inputs: the model took its export path (trtconv.exporting), which builds
  the mask, instead of testing `padding_mask.all()` on the example and dropping it;
- test_export_path_changes_no_result: PyTorch itself gives the same result on the export path
  as on its eager path, padded or not.

A conversion fails on any warning except "a dynamic size compared": Hugging Face compares
sequence lengths (`q_length > 1`, a mask's length against the keys'); trtconv guards each such
comparison with an assertion (a call on the other side of the branch raises GuardError), and
each holds over the whole range these models are checked at.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from support.rtx import require_rtx

import trtconv
from trtconv.exporting import exporting

from .transformers_zoo import (
    BY_NAME,
    MAX_REL_ERROR,
    MODELS,
    TransformerModel,
    import_transformers,
)
from .zoo import relative_error

pytestmark = pytest.mark.models
NAMES = [m.name for m in MODELS]
TOKEN_MODELS = [m.name for m in MODELS if "attention_mask" in m.inputs]


@pytest.fixture(scope="module")
def transformers() -> Any:
    """transformers (the 'test' extra installs it: missing in CI fails, elsewhere skips)."""
    try:
        return import_transformers()
    except ImportError as e:
        if os.environ.get("CI"):
            pytest.fail(f"transformers is not importable, but CI installs it (extra 'test'): {e}")
        pytest.skip(f"transformers is not installed: {e}")


@contextlib.contextmanager
def strict_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "a dynamic size compared", UserWarning)
        yield


def convert(spec: TransformerModel, model: torch.nn.Module, inputs: list[torch.Tensor],
            backend: str = "reference", **options: Any) -> trtconv.TRTModule:
    with strict_warnings():
        return trtconv.convert(model, [x.clone() for x in inputs], backend=backend,
                               **spec.profile(), **options)


def check_matches(converted: trtconv.TRTModule, model: torch.nn.Module,
                  inputs: list[torch.Tensor], name: str) -> None:
    with torch.no_grad():
        want = model(*[x.clone() for x in inputs])
    got = converted(*[x.clone() for x in inputs])
    assert type(got) is type(want) and list(got) == list(want), (
        f"{name}: output {type(got).__name__} {list(got)}, torch gives {type(want).__name__} "
        f"{list(want)}")
    for key in want:
        g, w = got[key], want[key]
        assert g.dtype == w.dtype and g.shape == w.shape, (
            f"{name} {key}: {g.dtype} {tuple(g.shape)}, torch {w.dtype} {tuple(w.shape)}")
    error = relative_error(dict(got), dict(want))
    shape = tuple(inputs[0].shape)
    assert error <= MAX_REL_ERROR, (f"{name} at input {shape}: max abs error / max abs output "
                                    f"= {error:.3g} > {MAX_REL_ERROR}")


def test_the_issue_list() -> None:
    assert NAMES[:6] == ["bert_sdpa", "bert_eager", "gpt2", "vit", "t5_encoder", "llama"]
    assert [m.name for m in MODELS if m.dynamic] == ["bert_sdpa", "bert_eager", "llama"]
    assert {"distilbert", "roberta", "qwen2", "bart"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_match_pytorch(name: str, transformers: Any) -> None:
    spec = BY_NAME[name]
    model = spec.build(transformers)
    example = spec.example_inputs()
    if "attention_mask" in spec.inputs:
        assert (example[spec.inputs.index("attention_mask")] == 0).any(), "nothing padded"
    converted = convert(spec, model, example)
    check_matches(converted, model, example, name)
    for batch, seq in spec.run_shapes():
        check_matches(converted, model, spec.inputs_of(batch, seq), name)


@pytest.mark.parametrize("name", NAMES)
def test_builds_on_tensorrt_rtx(name: str, transformers: Any) -> None:
    require_rtx()
    spec = BY_NAME[name]
    on_rtx = convert(spec, spec.build(transformers), spec.example_inputs(),
                     backend="tensorrt_rtx")
    assert on_rtx.backend == "tensorrt_rtx"
    assert on_rtx.engine_bytes, "TensorRT-RTX built an empty plan"


def _unpadded(spec: TransformerModel, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    at = spec.inputs.index("attention_mask")
    return [torch.ones_like(x) if i == at else x for i, x in enumerate(inputs)]


@pytest.mark.parametrize("name", TOKEN_MODELS)
def test_padding_seen_only_at_run_time(name: str, transformers: Any) -> None:
    spec = BY_NAME[name]
    model = spec.build(transformers)
    padded = spec.example_inputs()
    with strict_warnings():
        converted = trtconv.convert(model, _unpadded(spec, padded), backend="reference")
    check_matches(converted, model, padded, name)
    check_matches(converted, model, _unpadded(spec, padded), name)


@pytest.mark.parametrize("name", NAMES)
def test_export_path_changes_no_result(name: str, transformers: Any) -> None:
    spec = BY_NAME[name]
    model = spec.build(transformers)
    cases = [spec.example_inputs()]
    if "attention_mask" in spec.inputs:
        cases.append(_unpadded(spec, cases[0]))
    for inputs in cases:
        with torch.no_grad():
            eager = model(*inputs)
            with exporting():
                exported = model(*inputs)
        assert list(exported) == list(eager)
        for key in eager:
            torch.testing.assert_close(exported[key], eager[key], rtol=1e-6, atol=1e-6)


def test_export_path_is_taken(transformers: Any) -> None:
    """The signal reaches Hugging Face's mask shortcuts: with nothing padded, eager mode
    drops the mask (it read the mask's contents), the export path keeps it."""
    masking = transformers.masking_utils
    nothing_padded = torch.ones(2, 5, dtype=torch.bool)
    assert masking._ignore_bidirectional_mask_sdpa(nothing_padded, 5)
    assert masking._ignore_causal_mask_sdpa(nothing_padded, 5, 5, 0, 0)
    with exporting():
        assert not masking._ignore_bidirectional_mask_sdpa(nothing_padded, 5)
        assert not masking._ignore_causal_mask_sdpa(nothing_padded, 5, 5, 0, 0)
    assert masking._ignore_bidirectional_mask_sdpa(nothing_padded, 5)
