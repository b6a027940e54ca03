"""A torch.library op library for the custom-op tests: `mylib::foo` (x * sigmoid(x) + 1) with
an overload `mylib::foo.scaled` (x * sigmoid(x) + alpha), both with fake kernels, defined the
way a C++/Python op library defines them (`torch.library.Library`). Importing it registers
the ops in the process, as `import mylib` would."""

from __future__ import annotations

import torch

LIB = torch.library.Library("mylib", "DEF")
LIB.define("foo(Tensor x) -> Tensor")
LIB.define("foo.scaled(Tensor x, float alpha) -> Tensor")
LIB.define("pairs(Tensor x) -> Tensor")  # output (2 * x.size(0), x.size(1)): an expression
LIB.define("nonzero_rows(Tensor x) -> Tensor")  # output size depends on the data


def foo_reference(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return x * torch.sigmoid(x) + alpha


@torch.library.impl("mylib::foo", "CompositeExplicitAutograd", lib=LIB)
def _foo(x: torch.Tensor) -> torch.Tensor:
    return foo_reference(x)


@torch.library.impl("mylib::foo.scaled", "CompositeExplicitAutograd", lib=LIB)
def _foo_scaled(x: torch.Tensor, alpha: float) -> torch.Tensor:
    return foo_reference(x, alpha)


@torch.library.impl("mylib::pairs", "CompositeExplicitAutograd", lib=LIB)
def _pairs(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, -x], 0)


@torch.library.impl("mylib::nonzero_rows", "CompositeExplicitAutograd", lib=LIB)
def _nonzero_rows(x: torch.Tensor) -> torch.Tensor:
    return x[x.sum(1) != 0]


@torch.library.register_fake("mylib::foo", lib=LIB)
def _foo_fake(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


@torch.library.register_fake("mylib::foo.scaled", lib=LIB)
def _foo_scaled_fake(x: torch.Tensor, alpha: float) -> torch.Tensor:
    return torch.empty_like(x)


@torch.library.register_fake("mylib::pairs", lib=LIB)
def _pairs_fake(x: torch.Tensor) -> torch.Tensor:
    return x.new_empty(2 * x.shape[0], x.shape[1])


@torch.library.register_fake("mylib::nonzero_rows", lib=LIB)
def _nonzero_rows_fake(x: torch.Tensor) -> torch.Tensor:
    rows = torch.library.get_ctx().new_dynamic_size()
    return x.new_empty(rows, x.shape[1])
