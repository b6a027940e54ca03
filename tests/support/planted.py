"""Networks with one planted low-precision defect inside otherwise fp16-safe layers (tests of
trtconv.debug.compare and keep_fp32="auto"; the CLI tests load them by file path)."""

from __future__ import annotations

import torch


class Scores(torch.nn.Module):
    """A hand-written softmax without the max subtraction over large activations: exp of
    values up to ~30 is far beyond fp16's 65504, and the division reads an overflowed copy."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(16, 16)
        with torch.no_grad():
            self.proj.weight.mul_(40)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.exp(self.proj(x))
        return e / e.sum(-1, keepdim=True)


class Shift(torch.nn.Module):
    """Adds and removes a large offset: in fp16 (spacing 0.5 at 1000) the signal is lost,
    whatever the neighbouring layers do; only both calls in fp32 keep it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1000.0) - 1000.0


class Overflow(torch.nn.Module):
    """stem (fp16-safe) -> scores (the overflow) -> head (fp16-safe)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU())
        self.scores = Scores()
        self.head = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                        torch.nn.Linear(16, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        return self.head(h * self.scores(h))


class LostSignal(torch.nn.Module):
    """stem -> shift (the precision loss) -> head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh())
        self.shift = Shift()
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.shift(self.stem(x)))


def overflow() -> torch.nn.Module:
    torch.manual_seed(0)
    return Overflow().eval()


def lost_signal() -> torch.nn.Module:
    torch.manual_seed(0)
    return LostSignal().eval()
