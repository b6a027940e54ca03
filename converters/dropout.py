"""Dropout in all its forms: the identity when not training (or p == 0); a random mask in
training mode cannot be part of an engine and is reported unsupported."""

from __future__ import annotations

from typing import Any

import torch

from trtconv import tensorrt_converter
from trtconv.api import Ctx, ITensor


def _identity(ctx: Ctx, input: Any, p: float, training: bool) -> ITensor:
    if training and p != 0:
        raise ctx.unsupported("dropout in training mode (random)")
    return ctx.trt(input)


def _functional(default_training: bool) -> ITensor:
    def convert(ctx: Ctx, input: Any, p: float = 0.5, training: bool = default_training,
                inplace: bool = False) -> ITensor:
        return _identity(ctx, input, p, training)

    return convert


def _aten(ctx: Ctx, input: Any, p: float, train: bool) -> ITensor:
    return _identity(ctx, input, p, train)


def _module(ctx: Ctx, self: torch.nn.Module, input: Any) -> ITensor:
    return _identity(ctx, input, self.p, self.training)


# F.dropout* default to training=True; the alpha forms to training=False.
for _name, _default in (("dropout", True), ("dropout1d", True), ("dropout2d", True),
                        ("dropout3d", True), ("alpha_dropout", False),
                        ("feature_alpha_dropout", False)):
    tensorrt_converter(f"torch.nn.functional.{_name}")(_functional(_default))
for _name in ("dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
              "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_"):
    tensorrt_converter(f"torch.{_name}")(_aten)
for _name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
              "FeatureAlphaDropout"):
    tensorrt_converter(f"torch.nn.{_name}.forward")(_module)
