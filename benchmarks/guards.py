"""The per-call cost of guards (issue "No value is baked in silently").

One model (a small MLP block repeated, 64 wide, batch 8) is converted on the reference backend
three times: with no value read, with 1 guarded read (`if not h.sum() > 0: raise ...` on an
activation) and with 20 (one per block); the path is the same in all three. The three
TRTModules run interleaved in one process; the table gives each one's median per-call time and
its ratio to the guard-free engine. A guard costs computing the value read (here a sum and a
comparison), one hidden engine output, and one host read of it after each call.
"""

from __future__ import annotations

import argparse
import warnings

import torch

import trtconv

from . import common
from .common import fmt_s, log, md_table

BLOCKS, WIDTH, BATCH = 20, 64, 8


class Blocks(torch.nn.Module):
    """`BLOCKS` linear+relu blocks; the first `guarded` of them branch on a value read."""

    def __init__(self, guarded: int):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(WIDTH, WIDTH) for _ in range(BLOCKS))
        self.guarded = guarded

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, layer in enumerate(self.layers):
            h = torch.relu(layer(h)) * 0.5 + h
            if i < self.guarded and not h.sum() > 0:  # a value read: guarded (same path)
                raise ValueError("the activations are expected to be positive")
        return h


def _convert(guarded: int, x: torch.Tensor) -> trtconv.TRTModule:
    torch.manual_seed(0)
    model = Blocks(guarded).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = trtconv.convert(model, [x], backend="reference")
    assert len(converted.guards) == guarded, converted.guards
    torch.testing.assert_close(converted(x), model(x))
    return converted


def run(args: argparse.Namespace) -> None:
    x = torch.rand(BATCH, WIDTH)
    modules = {f"{n} guards": _convert(n, x) for n in (0, 1, 20)}
    reps = 50 if args.quick else 300
    with torch.no_grad():
        samples = common.interleaved({name: (lambda m=m: m(x)) for name, m in modules.items()},
                                     reps=reps, warmup=5, collect=False)
    medians = {name: samples.median(name) for name in modules}
    base = medians["0 guards"]
    rows = [[name, fmt_s(medians[name]), f"{medians[name] / base:.3f}",
             fmt_s((medians[name] - base) / max(1, len(modules[name].guards)))
             if modules[name].guards else "-"]
            for name in modules]
    for row in rows:
        log(" | ".join(row))
    text = "\n".join([
        "# Guards: per-call cost", "",
        __doc__.strip(), "",
        f"{BLOCKS} blocks of Linear({WIDTH}, {WIDTH}) + ReLU + residual, batch {BATCH}, "
        f"reference backend, {reps} interleaved calls each (median).", "",
        md_table(["engine", "median per call", "ratio to no guards", "cost per guard"], rows),
        "", common.environment_md(), ""])
    common.write_result("guards.md", text, args.results)
