"""IAttention: fused attention `normalize(Q @ K^T [+ mask | causal]) @ V` (add_attention[_v2]).

In TensorRT `IAttention` is not an `ILayer`: it is a helper that adds two layers
(`IAttentionInputLayer`, `IAttentionOutputLayer`) to the network and exposes the attention's
settings. The reference implements it as one layer, so that recording, replay and the runtime
need nothing special; its public surface is `IAttention`'s (the replay performs the same
`add_attention*` call and property sets on the real one). Differences: the reference network
counts one layer per attention where TensorRT counts two, and `get_input(3)` returns the mask
where the real one returns None.

Semantics (PADDED_BHND layouts, the only ones the reference models):
- query [B, Hq, Sq, D]; key and value [B, Hkv, Skv, D] with Hq a multiple of Hkv (grouped
  query attention: query head h reads key/value head h // (Hq / Hkv)); output [B, Hq, Sq, D]
  with the query's type (FLOAT, HALF or BF16, the same for all three).
- There is no 1/sqrt(D) factor: BMM1 is exactly Q @ K^T (scale the query beforehand).
- mask: 4-D, broadcastable to [B, Hq, Sq, Skv]; BOOL (True = may attend) or the query's type
  (added to the scores). It cannot be combined with a causal mask.
- causal_kind UPPER_LEFT: query i sees keys j <= i; LOWER_RIGHT: j <= i + Skv - Sq.
- norm_op SOFTMAX over the keys; NONE leaves the scores as they are.
The reference computes in FLOAT and rounds once at the end (fused kernels keep FLOAT
accumulators but may round the probabilities to the input type before BMM2).

Not modelled (inference only; executing raises): PACKED_NHD forms and sequence lengths, the
normalization quantization (`normalization_quantize_scale`), and masks with norm_op NONE.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core import (
    FLOAT_TYPES,
    ILayer,
    ITensor,
    Prop,
    TensorInfo,
    add_layer,
    bool_prop,
    enum_prop,
    int_prop,
)
from ..core import network_method as _method
from ..enums import (
    AttentionIOForm,
    AttentionNormalizationOp,
    CausalMaskKind,
    DataType,
    LayerType,
    coerce_enum,
)

# Input slots: 0-2 are query, key, value (set_input); the optional tensors are properties.
_MASK, _QUANT_SCALE, _QUERY_LENGTHS, _KV_LENGTHS = 3, 4, 5, 6


class _TensorSlot(Prop):
    """An optional input tensor set as a property; it is also the layer's input `slot`."""

    def __init__(self, slot: int):
        super().__init__(None)
        self.slot = slot

    def __set__(self, layer: Any, value: Any) -> None:
        if not isinstance(value, ITensor):
            raise TypeError(f"IAttention.{self.name} must be an ITensor, got {value!r}")
        if value._network is not layer._network:
            raise ValueError(f"IAttention.{self.name}: tensor {value.name!r} belongs to another "
                             "network")
        if self.slot == _MASK and layer.causal_kind != CausalMaskKind.NONE:
            raise RuntimeError("Failed to set Attention's mask: a causal attention cannot have "
                               "a mask (TensorRT ignores it)")
        while len(layer._inputs) <= self.slot:
            layer._inputs.append(None)
        layer._inputs[self.slot] = value
        layer._props[self.name] = value
        layer._network._invalidate(layer._index)


class _CausalKind(Prop):
    def __init__(self) -> None:
        super().__init__(CausalMaskKind.NONE,
                         lambda v: coerce_enum(CausalMaskKind, v, "CausalMaskKind"))

    def __set__(self, layer: Any, value: Any) -> None:
        kind = coerce_enum(CausalMaskKind, value, "CausalMaskKind")
        if kind != CausalMaskKind.NONE and layer.mask is not None:
            raise RuntimeError("Failed to set Attention's CausalMaskKind")
        super().__set__(layer, kind)


class IAttention(ILayer):
    layer_type = LayerType.ATTENTION_OUTPUT
    norm_op = enum_prop(AttentionNormalizationOp, AttentionNormalizationOp.SOFTMAX)
    causal_kind = _CausalKind()
    decomposable = bool_prop(False)
    mask = _TensorSlot(_MASK)
    normalization_quantize_scale = _TensorSlot(_QUANT_SCALE)
    normalization_quantize_to_type = enum_prop(DataType, DataType.FLOAT)
    query_form = enum_prop(AttentionIOForm, AttentionIOForm.PADDED_BHND)
    key_value_form = enum_prop(AttentionIOForm, AttentionIOForm.PADDED_BHND)
    query_lengths = _TensorSlot(_QUERY_LENGTHS)
    key_value_lengths = _TensorSlot(_KV_LENGTHS)
    num_ranks = int_prop(1)

    def __init__(self, network: Any, inputs: Any, ctor: str, ctor_args: dict[str, Any],
                 num_outputs: int | None = None):
        super().__init__(network, inputs, ctor, ctor_args, num_outputs)
        self._name = f"(Unnamed Layer* {self._index}) [Attention]"
        for i, out in enumerate(self._outputs):
            out._name = f"{self._name}_output_{i}"

    @property
    def causal(self) -> bool:
        """Deprecated in TensorRT: True is causal_kind UPPER_LEFT, False is NONE."""
        return self.causal_kind != CausalMaskKind.NONE

    @causal.setter
    def causal(self, value: bool) -> None:
        self.causal_kind = CausalMaskKind.UPPER_LEFT if value else CausalMaskKind.NONE

    def set_input(self, index: int, tensor: ITensor) -> bool:  # type: ignore[override]
        """Replace query (0), key (1) or value (2); False for any other index."""
        if not 0 <= index <= 2:
            return False
        super().set_input(index, tensor)
        return True

    def max_inputs(self) -> int:
        return 2

    # --- inference ------------------------------------------------------------------------------
    def _slot(self, ins: list[TensorInfo | None], slot: int) -> TensorInfo | None:
        return ins[slot] if slot < len(ins) else None

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        q, k, v = self.require_inputs(ins, 3)[:3]
        if AttentionIOForm.PACKED_NHD in (self.query_form, self.key_value_form):
            raise self.fail("PACKED_NHD query/key/value forms are not supported by the reference")
        if q.dtype not in FLOAT_TYPES:
            raise self.fail(f"query has type {q.dtype.name} but must have type FLOAT, HALF or "
                            "BF16")
        for name, t in (("key", k), ("value", v)):
            if t.dtype != q.dtype:
                raise self.fail(f"{name} has type {t.dtype.name}; query, key and value must "
                                f"have the same type ({q.dtype.name})")
        for name, t in (("Query", q), ("Key", k), ("Value", v)):
            if t.rank != 4:
                raise self.fail(f"{name} tensor must be 4D for padded (BHND) form, got shape "
                                f"{t.shape}")
        if not all(a < 0 or b < 0 or a == b for a, b in zip(k.shape, v.shape)):
            raise self.fail(f"Key and Value must have the same shape, got {k.shape} and "
                            f"{v.shape}")
        if min(q.shape[3], k.shape[3]) >= 0 and q.shape[3] != k.shape[3]:
            raise self.fail(f"Query, Key, Value tensors must have the same head dimension, got "
                            f"{q.shape[3]} and {k.shape[3]}")
        if min(q.shape[1], k.shape[1]) > 0 and q.shape[1] % k.shape[1]:
            raise self.fail(f"query number of heads ({q.shape[1]}) must be divisible by key/value "
                            f"number of heads ({k.shape[1]})")
        if min(q.shape[0], k.shape[0]) >= 0 and q.shape[0] != k.shape[0]:
            raise self.fail(f"query and key/value must have the same batch size, got "
                            f"{q.shape[0]} and {k.shape[0]}")
        mask = self._slot(ins, _MASK)
        if mask is not None:
            self._check_mask(mask, q, k)
        scale = self._slot(ins, _QUANT_SCALE)
        if scale is not None and scale.dtype != q.dtype:
            raise self.fail(f"normalization_quantize_scale has type {scale.dtype.name}, it must "
                            f"have the query's type {q.dtype.name}")
        return [TensorInfo(q.shape, q.dtype)]

    def _check_mask(self, mask: TensorInfo, q: TensorInfo, k: TensorInfo) -> None:
        if self.causal_kind != CausalMaskKind.NONE:
            raise self.fail("a mask cannot be combined with a causal attention")
        if mask.rank != 4:
            raise self.fail(f"mask must be a 4D tensor, got shape {mask.shape}")
        if mask.dtype not in (DataType.BOOL, q.dtype):
            raise self.fail(f"mask has type {mask.dtype.name}; it must be BOOL or the query's "
                            f"type {q.dtype.name}")
        target = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
        if not all(m in (1, -1) or t == -1 or m == t for m, t in zip(mask.shape, target)):
            raise self.fail(f"mask must be broadcastable to [batchSize, numHeadsQuery, "
                            f"sequenceLengthQuery, sequenceLengthKeyValue] = {list(target)}, got "
                            f"{list(mask.shape)}")

    # --- execution ------------------------------------------------------------------------------
    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        unsupported = [name for name, slot in (
            ("normalization_quantize_scale", _QUANT_SCALE), ("query_lengths", _QUERY_LENGTHS),
            ("key_value_lengths", _KV_LENGTHS)) if slot < len(ins) and ins[slot] is not None]
        if unsupported:
            raise NotImplementedError(f"the reference does not execute attention with "
                                      f"{', '.join(unsupported)}")
        q, k, v = (t.float() for t in ins[:3])
        mask = ins[_MASK] if len(ins) > _MASK else None
        groups = q.shape[1] // k.shape[1]
        if groups > 1:
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        scores = q @ k.transpose(-1, -2)
        causal = self.causal_kind
        if self.norm_op == AttentionNormalizationOp.NONE:
            if mask is not None or causal != CausalMaskKind.NONE:
                raise NotImplementedError("the reference does not execute a mask or causal "
                                          "attention with norm_op NONE")
            return [(scores @ v).to(ins[0].dtype)]
        if mask is not None:
            scores = (scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool
                      else scores + mask.float())
        if causal != CausalMaskKind.NONE:
            sq, skv = scores.shape[-2], scores.shape[-1]
            shift = 0 if causal == CausalMaskKind.UPPER_LEFT else skv - sq
            allowed = torch.ones(sq, skv, dtype=torch.bool).tril(shift)
            scores = scores.masked_fill(~allowed, float("-inf"))
        return [(torch.softmax(scores, dim=-1) @ v).to(ins[0].dtype)]


@_method
def add_attention(self: Any, query: ITensor, key: ITensor, value: ITensor,
                  norm_op: AttentionNormalizationOp, causal: bool) -> IAttention:
    layer = add_layer(self, IAttention, "add_attention",
                      {"query": query, "key": key, "value": value, "norm_op": norm_op,
                       "causal": bool(causal)}, [query, key, value])
    layer.norm_op = norm_op
    layer.causal = bool(causal)
    return layer


@_method
def add_attention_v2(self: Any, query: ITensor, key: ITensor, value: ITensor,
                     norm_op: AttentionNormalizationOp,
                     causal_kind: CausalMaskKind) -> IAttention:
    layer = add_layer(self, IAttention, "add_attention_v2",
                      {"query": query, "key": key, "value": value, "norm_op": norm_op,
                       "causal_kind": causal_kind}, [query, key, value])
    layer.norm_op = norm_op
    layer.causal_kind = causal_kind
    return layer
