"""A torch.library op library for the custom-op tests, defined the way an op library defines
them (`torch.library.Library`); importing it registers the ops, as `import mylib` would.

- `mylib::foo` (x * sigmoid(x) + 1) and its overload `mylib::foo.scaled` (+ alpha);
- `mylib::pairs`: output (2 * x.size(0), x.size(1)), a shape expression of the input's;
- `mylib::nonzero_rows`: an output size that depends on the data;
- `mylib::branchy`: a fake kernel that branches on the batch size;
- `mylib::no_fake`: a CPU kernel and no fake kernel.
"""

from __future__ import annotations

import torch

LIB = torch.library.Library("mylib", "DEF")
LIB.define("foo(Tensor x) -> Tensor")
LIB.define("foo.scaled(Tensor x, float alpha) -> Tensor")
LIB.define("pairs(Tensor x) -> Tensor")  # output (2 * x.size(0), x.size(1)): an expression
LIB.define("nonzero_rows(Tensor x) -> Tensor")  # output size depends on the data
LIB.define("branchy(Tensor x) -> Tensor")  # its fake kernel branches on the batch size
LIB.define("no_fake(Tensor x) -> Tensor")  # a kernel, and no fake kernel


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


@torch.library.impl("mylib::branchy", "CompositeExplicitAutograd", lib=LIB)
def _branchy(x: torch.Tensor) -> torch.Tensor:
    return x[:, :2] if x.shape[0] > 4 else x[:, :3]


@torch.library.register_fake("mylib::branchy", lib=LIB)
def _branchy_fake(x: torch.Tensor) -> torch.Tensor:
    return x.new_empty(x.shape[0], 2 if x.shape[0] > 4 else 3)


@torch.library.impl("mylib::no_fake", "CPU", lib=LIB)
def _no_fake(x: torch.Tensor) -> torch.Tensor:
    return x + 1
