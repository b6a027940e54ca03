"""The Hugging Face transformers that trtconv must convert: small configs, random weights.

Every model is built from a small config (hidden size 32, 2 layers, 4 heads; no download),
seeded, in ``eval()`` mode, with ``use_cache=False`` where the family has a cache (a TRTModule
returns tensors). A ``Keywords`` wrapper passes the converted positional inputs to the model
by name (``input_ids``, ``attention_mask``, ...), as a user's ``model(**batch)`` does.

Token models are fed ``(batch, seq)`` inputs: random token ids, an attention mask that pads
the last positions of every row (row i pads ``PADS[i % 3]`` tokens, on the right, so no query
attends to nothing) and, for BERT, random token type ids; BART's decoder gets ``seq - 3``
random ids. ViT gets ``randn(batch, 3, 32, 32)``. The first six are the issue's list; the
last four are the other families it found failing.
The example is batch 2, sequence 10. The ``dynamic`` models are converted once for batch
``DYNAMIC_BATCH`` and sequence length ``DYNAMIC_SEQ`` and run at ``RUN_SHAPES`` too.

Both tests/models/test_transformers.py and tools/model_table.py (docs/models.md) read this
list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

BATCH, SEQ = 2, 10  # the example
IMAGE = 32  # ViT's image size (patch 8: 16 patches and the class token)
VOCAB = 100
DYNAMIC_BATCH = (1, 8)
DYNAMIC_SEQ = (8, 64)
RUN_SHAPES = ((1, 8), (3, 27), (8, 64))  # (batch, seq) besides the example
PADS = (3, 5, 1)  # row i of the attention mask pads its last PADS[i % 3] tokens
MODEL_SEED = 0
INPUT_SEED = 1
MAX_REL_ERROR = 1e-3  # max |trt - torch| / max |torch| over all outputs

_SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
          "intermediate_size": 64}


class Keywords(torch.nn.Module):
    """Calls `model` with its positional inputs passed by `names` (Hugging Face's forward
    takes them as keywords)."""

    def __init__(self, model: torch.nn.Module, names: tuple[str, ...]):
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *inputs: torch.Tensor) -> Any:
        return self.model(**dict(zip(self.names, inputs)))


@dataclass(frozen=True)
class TransformerModel:
    """One transformers model class with its small config and inputs."""

    name: str
    model_class: str  # in the transformers namespace
    config_class: str
    config: dict[str, Any]
    inputs: tuple[str, ...] = ("input_ids", "attention_mask")
    dynamic: bool = False  # batch and sequence length dynamic (DYNAMIC_BATCH, DYNAMIC_SEQ)

    @property
    def is_image(self) -> bool:
        return self.inputs == ("pixel_values",)

    def build(self, transformers: Any) -> torch.nn.Module:
        """The wrapped model with seeded random weights, in eval mode."""
        config = getattr(transformers, self.config_class)(**self.config)
        torch.manual_seed(MODEL_SEED)
        model = getattr(transformers, self.model_class)(config).eval()
        return Keywords(model, self.inputs).eval()

    def example_inputs(self) -> list[torch.Tensor]:
        return self.inputs_of(BATCH, SEQ)

    def inputs_of(self, batch: int, seq: int) -> list[torch.Tensor]:
        """Seeded inputs of `batch` rows of `seq` tokens (or images)."""
        torch.manual_seed(INPUT_SEED)
        made = {"pixel_values": lambda: torch.randn(batch, 3, IMAGE, IMAGE),
                "input_ids": lambda: torch.randint(0, VOCAB, (batch, seq)),
                "token_type_ids": lambda: torch.randint(0, 2, (batch, seq)),
                "attention_mask": lambda: padding_mask(batch, seq),
                "decoder_input_ids": lambda: torch.randint(0, VOCAB, (batch, seq - 3))}
        return [made[name]() for name in self.inputs]

    def profile(self) -> dict[str, list[tuple[int, ...]]]:
        """convert()'s min/opt/max_shapes (empty for a static model): every token input
        (batch, seq) in DYNAMIC_BATCH x DYNAMIC_SEQ, opt the example."""
        if not self.dynamic:
            return {}
        n = len(self.inputs)
        return {"min_shapes": [(DYNAMIC_BATCH[0], DYNAMIC_SEQ[0])] * n,
                "opt_shapes": [(BATCH, SEQ)] * n,
                "max_shapes": [(DYNAMIC_BATCH[1], DYNAMIC_SEQ[1])] * n}

    def run_shapes(self) -> tuple[tuple[int, int], ...]:
        """The (batch, seq) the converted model is checked at besides the example."""
        return RUN_SHAPES if self.dynamic else ()

    def describe_inputs(self) -> str:
        """The example's inputs, e.g. "input_ids, attention_mask (2x10)"."""
        groups: list[tuple[list[str], str]] = []
        for name, x in zip(self.inputs, self.example_inputs()):
            shape = "x".join(str(d) for d in x.shape)
            if groups and groups[-1][1] == shape:
                groups[-1][0].append(name)
            else:
                groups.append(([name], shape))
        return ", ".join(f"{', '.join(names)} ({shape})" for names, shape in groups)

    def describe_dynamic(self) -> str:
        if not self.dynamic:
            return "static"
        return (f"batch {DYNAMIC_BATCH[0]}-{DYNAMIC_BATCH[1]}, "
                f"seq {DYNAMIC_SEQ[0]}-{DYNAMIC_SEQ[1]}")


def padding_mask(batch: int, seq: int) -> torch.Tensor:
    """1 for tokens, 0 for the padding at the end of each row (PADS)."""
    mask = torch.ones(batch, seq, dtype=torch.long)
    for row in range(batch):
        mask[row, seq - PADS[row % len(PADS)]:] = 0
    return mask


def _bert(attention: str) -> dict[str, Any]:
    return {**_SMALL, "vocab_size": VOCAB, "max_position_embeddings": 64,
            "attn_implementation": attention}


MODELS = [
    TransformerModel("bert_sdpa", "BertModel", "BertConfig", _bert("sdpa"),
                     ("input_ids", "attention_mask", "token_type_ids"), dynamic=True),
    TransformerModel("bert_eager", "BertModel", "BertConfig", _bert("eager"),
                     ("input_ids", "attention_mask", "token_type_ids"), dynamic=True),
    TransformerModel("gpt2", "GPT2Model", "GPT2Config",
                     {"vocab_size": VOCAB, "n_embd": 32, "n_layer": 2, "n_head": 4,
                      "n_positions": 64, "use_cache": False,
                      "bos_token_id": 0, "eos_token_id": 0}),
    TransformerModel("vit", "ViTModel", "ViTConfig",
                     {**_SMALL, "image_size": IMAGE, "patch_size": 8}, ("pixel_values",)),
    TransformerModel("t5_encoder", "T5EncoderModel", "T5Config",
                     {"vocab_size": VOCAB, "d_model": 32, "d_kv": 8, "d_ff": 64,
                      "num_layers": 2, "num_heads": 4}),
    TransformerModel("llama", "LlamaModel", "LlamaConfig",
                     {**_SMALL, "vocab_size": VOCAB, "num_key_value_heads": 2,
                      "max_position_embeddings": 64, "use_cache": False}, dynamic=True),
    # The other families the issue found failing.
    TransformerModel("distilbert", "DistilBertModel", "DistilBertConfig",
                     {"vocab_size": VOCAB, "dim": 32, "n_layers": 2, "n_heads": 4,
                      "hidden_dim": 64}),
    TransformerModel("roberta", "RobertaModel", "RobertaConfig",
                     {**_SMALL, "vocab_size": VOCAB, "max_position_embeddings": 80}),
    TransformerModel("qwen2", "Qwen2Model", "Qwen2Config",
                     {**_SMALL, "vocab_size": VOCAB, "num_key_value_heads": 2,
                      "use_cache": False}),
    TransformerModel("bart", "BartModel", "BartConfig",
                     {"vocab_size": VOCAB, "d_model": 32, "encoder_layers": 2,
                      "decoder_layers": 2, "encoder_attention_heads": 4,
                      "decoder_attention_heads": 4, "encoder_ffn_dim": 64,
                      "decoder_ffn_dim": 64, "max_position_embeddings": 64,
                      "use_cache": False},
                     ("input_ids", "attention_mask", "decoder_input_ids")),
]
BY_NAME = {m.name: m for m in MODELS}


def import_transformers() -> Any:
    """transformers, importable on CPU torch: it imports torchvision, whose compiled ops do
    not load here (support/torchvision_cpu.py)."""
    from support.torchvision_cpu import import_torchvision

    import_torchvision()
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers
