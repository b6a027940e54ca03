"""Matrix products: linear, matmul (and @), mm, bmm, mv, dot, addmm, baddbmm, outer, einsum
and bilinear.

All follow torch.matmul's rank rules through `emit.matmul` (1-D operands are vectors, batch
axes broadcast). TensorRT multiplies floating-point matrices only: integer products are
reported unsupported rather than computed in float.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import torch

from trtconv import emit, tensorrt_converter
from trtconv.api import Ctx, E, ITensor, Number, R, TensorLike
from trtconv.registry import register_alias, register_spellings, register_table


def _operands(ctx: Ctx, *values: TensorLike) -> list[ITensor]:
    """ITensors of `values` in the result's dtype (float only)."""
    dtype = emit.compute.stored(ctx.output.dtype)
    if not dtype.is_floating_point:
        raise ctx.unsupported(f"matrix products of {dtype} (TensorRT multiplies floats only)")
    return [emit.cast(ctx.network, ctx.trt(v), dtype) for v in values]


def convert_matmul(ctx: Ctx, input: torch.Tensor, other: torch.Tensor, *,
                   out: torch.Tensor | None = None) -> ITensor:
    a, b = _operands(ctx, input, other)
    return emit.matmul(ctx.network, a, b)


def convert_rmatmul(ctx: Ctx, input: torch.Tensor, other: torch.Tensor) -> ITensor:
    return convert_matmul(ctx, other, input)


register_spellings({name: convert_matmul for name in ("matmul", "mm", "bmm", "mv", "dot")},
                   in_place=False)
register_table({"torch.Tensor.__rmatmul__": convert_rmatmul})
register_alias("torch.Tensor.__matmul__", via="torch.Tensor.matmul")  # `a @ b`


@tensorrt_converter("torch.nn.functional.linear")
def convert_linear(ctx: Ctx, input: torch.Tensor, weight: torch.Tensor,
                   bias: torch.Tensor | None = None) -> ITensor:
    x, w = _operands(ctx, input, weight)
    y = emit.matmul(ctx.network, x, w, transpose_b=len(w.shape) == 2)
    if bias is None:
        return y
    (b,) = _operands(ctx, bias)
    return emit.arith.elementwise(ctx.network, y, b, E.SUM)


def _add_product(ctx: Ctx, input: torch.Tensor, a: torch.Tensor, b: torch.Tensor, beta: Number,
                 alpha: Number) -> ITensor:
    """beta * input + alpha * (a @ b); input is ignored (even NaN) when beta is 0, as torch."""
    network = ctx.network
    x, y = _operands(ctx, a, b)
    product = emit.arith.scaled(network, emit.matmul(network, x, y), alpha)
    if beta == 0:
        return product
    (c,) = _operands(ctx, input)
    return emit.arith.elementwise(network, emit.arith.scaled(network, c, beta), product, E.SUM)


def convert_addmm(ctx: Ctx, input: torch.Tensor, mat1: torch.Tensor, mat2: torch.Tensor, *,
                  beta: Number = 1, alpha: Number = 1, out: torch.Tensor | None = None) -> ITensor:
    return _add_product(ctx, input, mat1, mat2, beta, alpha)


def convert_baddbmm(ctx: Ctx, input: torch.Tensor, batch1: torch.Tensor, batch2: torch.Tensor, *,
                    beta: Number = 1, alpha: Number = 1, out: torch.Tensor | None = None
                    ) -> ITensor:
    return _add_product(ctx, input, batch1, batch2, beta, alpha)


def convert_addmv(ctx: Ctx, input: torch.Tensor, mat: torch.Tensor, vec: torch.Tensor, *,
                  beta: Number = 1, alpha: Number = 1, out: torch.Tensor | None = None) -> ITensor:
    return _add_product(ctx, input, mat, vec, beta, alpha)


register_spellings({"addmm": convert_addmm, "baddbmm": convert_baddbmm, "addmv": convert_addmv},
                   in_place=False)


@tensorrt_converter("torch.outer")
@tensorrt_converter("torch.Tensor.outer")
@tensorrt_converter("torch.ger")
@tensorrt_converter("torch.Tensor.ger")
def convert_outer(ctx: Ctx, input: torch.Tensor, vec2: torch.Tensor, *,
                  out: torch.Tensor | None = None) -> ITensor:
    network = ctx.network
    dtype = emit.compute.stored(ctx.output.dtype)
    a, b = (emit.cast(network, ctx.trt(v), dtype) for v in (input, vec2))
    column = emit.reshape(network, a, emit.dims_of(network, a) + [1])
    return emit.arith.elementwise(network, column, b, E.PROD)


def _parse_einsum(equation: str, ranks: list[int]) -> str | None:
    """`equation` in the form TensorRT's einsum takes: explicit output, lowercase labels, '...'
    spelled out as labels of their own; None when it cannot be (too many labels)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    used = [c for c in equation if c.isalpha()]
    free = [c for c in string.ascii_lowercase if c not in {u.lower() for u in used}]
    ellipsis_rank = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks)
                         if "..." in t), default=0)
    ellipsis_labels = free[:ellipsis_rank]
    if len(ellipsis_labels) < ellipsis_rank:
        return None
    spelled = []
    for term, rank in zip(terms, ranks):
        own = rank - len(term.replace("...", ""))
        spelled.append(term.replace("...", "".join(ellipsis_labels[ellipsis_rank - own:])))
    if arrow:
        output = rhs.replace("...", "".join(ellipsis_labels))
    else:  # torch's implicit output: '...' first, then the labels seen once, sorted
        counts = {c: used.count(c) for c in used}
        output = "".join(ellipsis_labels) + "".join(sorted(c for c, n in counts.items() if n == 1))
    full = ",".join(spelled) + "->" + output
    # TensorRT takes lowercase labels only: rename the others to unused lowercase letters.
    remaining = [c for c in free[ellipsis_rank:]]
    renames = {}
    for c in full:
        if c.isupper() and c not in renames:
            if not remaining:
                return None
            renames[c] = remaining.pop(0)
    return "".join(renames.get(c, c) for c in full)


@tensorrt_converter("torch.einsum")
def convert_einsum(ctx: Ctx, equation: str, *operands: torch.Tensor | Sequence[torch.Tensor],
                   path: object = None) -> ITensor:
    if not isinstance(equation, str):
        raise ctx.unsupported("einsum in sublist format")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = _operands(ctx, *operands)
    spelled = _parse_einsum(equation, [len(t.shape) for t in tensors])
    if spelled is None:
        raise ctx.unsupported(f"einsum {equation!r} uses too many labels")
    terms = spelled.split("->")[0].split(",")
    for term in terms:
        if len(set(term)) != len(term):
            raise ctx.unsupported(f"einsum {equation!r} repeats a label within an operand")
    # TensorRT's einsum does not broadcast: a label's dims must agree across operands.
    sizes: dict[str, int] = {}
    for term, tensor in zip(terms, tensors):
        for label, size in zip(term, tensor.shape):
            if sizes.setdefault(label, size) != size:
                raise ctx.unsupported(f"einsum {equation!r} broadcasts label {label!r}")
    return ctx.network.add_einsum(tensors, spelled).get_output(0)


@tensorrt_converter("torch.nn.functional.bilinear")
@tensorrt_converter("torch.bilinear")
def convert_bilinear(ctx: Ctx, input1: torch.Tensor, input2: torch.Tensor, weight: torch.Tensor,
                     bias: torch.Tensor | None = None) -> ITensor:
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o], as (x1 @ W') * x2 summed
    over j, with W' = W as [in1, out * in2]."""
    network = ctx.network
    if ctx.is_traced(weight):
        raise ctx.unsupported("bilinear with a weight computed in the network")
    out_features, in1, in2 = weight.shape
    x1, x2 = _operands(ctx, input1, input2)
    w = ctx.constant(weight.detach().permute(1, 0, 2).reshape(in1, out_features * in2)
                     .to(emit.compute.stored(ctx.output.dtype)))
    mixed = emit.matmul(network, x1, w)
    lead = emit.dims_of(network, mixed)[:-1]
    mixed = emit.reshape(network, mixed, lead + [out_features, in2])
    x2 = emit.reshape(network, x2, emit.dims_of(network, x2)[:-1] + [1, in2])
    product = emit.arith.elementwise(network, mixed, x2, E.PROD)
    y = emit.reductions.reduce(network, product, R.SUM, len(lead) + 1, False)
    if bias is None:
        return y
    (b,) = _operands(ctx, bias)
    return emit.arith.elementwise(network, y, b, E.SUM)
