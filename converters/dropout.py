"""Dropout in all its forms: the identity when not training (or p == 0); a random mask in
training mode cannot be part of an engine and is reported unsupported."""

from __future__ import annotations

import torch

from trtconv.api import Converter, Ctx, ITensor
from trtconv.registry import register_spellings, register_table


def _identity(ctx: Ctx, input: torch.Tensor, p: float, training: bool) -> ITensor:
    if training and p != 0:
        raise ctx.unsupported("dropout in training mode (random)")
    return ctx.trt(input)


def _functional_converter(default_training: bool) -> Converter:
    def convert(ctx: Ctx, input: torch.Tensor, p: float = 0.5, training: bool = default_training,
                inplace: bool = False) -> ITensor:
        return _identity(ctx, input, p, training)

    return convert


def convert_torch_dropout(ctx: Ctx, input: torch.Tensor, p: float, train: bool) -> ITensor:
    return _identity(ctx, input, p, train)


def convert_dropout_module(ctx: Ctx, self: torch.nn.Dropout, input: torch.Tensor) -> ITensor:
    return _identity(ctx, input, self.p, self.training)


# F.dropout* default to training=True; the alpha forms to training=False.
_FUNCTIONAL = {"dropout": True, "dropout1d": True, "dropout2d": True, "dropout3d": True,
               "alpha_dropout": False, "feature_alpha_dropout": False}
register_table({f"torch.nn.functional.{name}": _functional_converter(training)
                for name, training in _FUNCTIONAL.items()})
register_spellings({name: convert_torch_dropout for name in (
    "dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout")},
    namespaces=("torch",))
register_table({f"torch.nn.{name}.forward": convert_dropout_module for name in (
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")})
