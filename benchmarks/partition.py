"""The cost of a boundary between engines (issue "Partial conversion").

One model (8 blocks of Linear(256, 256) + GELU, batch 32) is converted on the reference
backend three ways: as one engine, and with fallback=True split into 2 and into 4 engines by
running 1 and 3 near-identity marker ops (`hardtanh` with huge bounds) in PyTorch between
blocks. All three compute the same thing (the one-engine version converts the markers too).
They run interleaved in one process; the table gives each one's median per-call time and the
cost of one boundary (an engine call, its input checks and output allocation, and a PyTorch
step) over the single engine.
"""

from __future__ import annotations

import argparse

import torch

import trtconv

from . import common
from .common import fmt_s, log, md_table

WIDTH, BATCH, BLOCKS = 256, 32, 8


class Marker(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.hardtanh(x, -1e9, 1e9)


class Blocks(torch.nn.Module):
    def __init__(self, splits: tuple[int, ...]):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(WIDTH, WIDTH) for _ in range(BLOCKS))
        self.markers = torch.nn.ModuleDict({str(i): Marker() for i in splits})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = torch.nn.functional.gelu(layer(x))
            if str(i) in self.markers:
                x = self.markers[str(i)](x)
        return x


def _model(splits: tuple[int, ...]) -> torch.nn.Module:
    torch.manual_seed(0)
    return Blocks(splits).eval()


def run(args: argparse.Namespace) -> None:
    x = torch.randn(BATCH, WIDTH)
    contenders = {"1 engine": trtconv.convert(_model((1, 3, 5)), [x], backend="reference")}
    for engines, splits in ((2, (3,)), (4, (1, 3, 5))):
        contenders[f"{engines} engines"] = trtconv.convert(
            _model(splits), [x], backend="reference", fallback=True, min_block_size=1,
            torch_executed_modules=[Marker])
    for name, module in contenders.items():
        torch.testing.assert_close(module(x), _model((1, 3, 5))(x), msg=name)
    reps = 50 if args.quick else 300
    with torch.no_grad():
        samples = common.interleaved({n: (lambda m=m: m(x)) for n, m in contenders.items()},
                                     reps=reps, warmup=5, collect=False)
    base = samples.median("1 engine")
    rows = []
    for name in contenders:
        engines = int(name.split()[0])
        median = samples.median(name)
        per_boundary = (median - base) / (engines - 1) if engines > 1 else None
        rows.append([name, fmt_s(median), f"{median / base:.3f}",
                     fmt_s(per_boundary) if per_boundary is not None else "-"])
    for row in rows:
        log(" | ".join(row))
    text = "\n".join([
        "# Partial conversion: the cost of a boundary", "", __doc__.strip(), "",
        f"{reps} interleaved calls each (median), torch intra-op threads: "
        f"{torch.get_num_threads()}.", "",
        md_table(["module", "median per call", "ratio to one engine", "per boundary"], rows),
        "", common.environment_md(), ""])
    common.write_result("partition.md", text, args.results)
