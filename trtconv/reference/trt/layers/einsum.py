"""IEinsumLayer: Einstein summation over one or more inputs of the same float type.

Equation syntax as TensorRT (checked against TensorRT-RTX): one term of lower-case letters per
input, separated by commas, optionally `->` and the output term; spaces are ignored. `...`
stands for leading/inner dimensions; every input that has one must cover the same number of
dimensions with it. Without `->` the output is the ellipsis dimensions followed by the labels
that occur exactly once, alphabetically. A label repeated within one input takes the diagonal
(its dimensions must be equal); across inputs a dimension of 1 broadcasts. Accumulation is in
FLOAT (HALF/BF16 results are rounded once at the end).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from ..core import FLOAT_TYPES, ILayer, Prop, TensorInfo, add_layer, broadcast_dims
from ..core import network_method as _method
from ..enums import LayerType

ELLIPSIS = "."  # one character standing for "..." inside parsed terms


@dataclass(frozen=True)
class Equation:
    inputs: tuple[str, ...]  # each term with "..." replaced by ELLIPSIS
    output: str | None  # None in implicit mode

    @property
    def text(self) -> str:
        terms = ",".join(t.replace(ELLIPSIS, "...") for t in self.inputs)
        return terms if self.output is None else terms + "->" + self.output.replace(
            ELLIPSIS, "...")


def parse_equation(equation: str) -> Equation:
    """Split and validate an einsum equation (ValueError with TensorRT's reason)."""
    text = "".join(equation.split())
    if text.count("->") > 1 or ("-" in text.replace("->", "")) or (">" in text.replace("->", "")):
        raise ValueError(f"equation {equation!r} must have at most one '->'")
    lhs, arrow, rhs = text.partition("->")
    terms = tuple(_term(t, equation, "input") for t in lhs.split(","))
    output = _term(rhs, equation, "output") if arrow else None
    if output is not None:
        repeated = [c for c, n in Counter(output).items() if n > 1]
        if repeated:
            raise ValueError(f"subscript {repeated[0]!r} is duplicated in the output term of "
                             f"{equation!r}")
        seen = set("".join(terms))
        missing = [c for c in output if c not in seen]
        if missing:
            what = "an ellipsis" if missing[0] == ELLIPSIS else f"subscript {missing[0]!r}"
            raise ValueError(f"{what} in the output term of {equation!r} does not appear in any "
                             "input term")
    return Equation(terms, output)


def _term(term: str, equation: str, where: str) -> str:
    if term.count("...") > 1:
        raise ValueError(f"{where} term {term!r} of {equation!r} has more than one ellipsis")
    parsed = term.replace("...", ELLIPSIS)
    for c in parsed:
        if c != ELLIPSIS and not ("a" <= c <= "z"):
            raise ValueError(f"{where} term {term!r} of {equation!r} has character {c!r}; "
                             "subscripts must be lower-case letters a-z (or '...')")
    return parsed


class IEinsumLayer(ILayer):
    layer_type = LayerType.EINSUM
    equation = Prop("", lambda v: str(v))

    def infer(self, ins: list[TensorInfo | None]) -> list[TensorInfo]:
        infos = self.require_inputs(ins, len(ins))
        try:
            eq = parse_equation(self.equation)
        except ValueError as e:
            raise self.fail(str(e)) from None
        if len(eq.inputs) != len(infos):
            raise self.fail(f"equation {self.equation!r} has {len(eq.inputs)} terms but the "
                            f"layer has {len(infos)} inputs")
        dtype = infos[0].dtype
        if dtype not in FLOAT_TYPES:
            raise self.fail(f"inputs have type {dtype.name}; the reference einsum takes FLOAT, "
                            "HALF or BF16")
        for i, info in enumerate(infos):
            if info.dtype != dtype:
                raise self.fail(f"all inputs must have the same type: input {i} is "
                                f"{info.dtype.name}, input 0 is {dtype.name}")
        sizes, ellipsis = self._sizes(eq, infos)
        output = eq.output if eq.output is not None else self._implicit(eq, bool(ellipsis))
        if ELLIPSIS in output and ellipsis is None:
            raise self.fail(f"the output of {self.equation!r} has an ellipsis but no input does")
        shape: list[int] = []
        for c in output:
            shape.extend((ellipsis or []) if c == ELLIPSIS else [sizes[c]])
        return [TensorInfo(tuple(shape), dtype)]

    def _sizes(self, eq: Equation, infos: list[TensorInfo]) -> tuple[dict[str, int],
                                                                     list[int] | None]:
        sizes: dict[str, int] = {}
        ellipsis: list[int] | None = None
        for i, (term, info) in enumerate(zip(eq.inputs, infos)):
            labels = term.replace(ELLIPSIS, "")
            if ELLIPSIS in term:
                covered = info.rank - len(labels)
                if covered < 0:
                    raise self.fail(f"term {i} ({term.replace(ELLIPSIS, '...')}) has more "
                                    f"subscripts than input {i} has dimensions ({info.rank})")
                at = term.index(ELLIPSIS)
                dims = list(info.shape[at:at + covered])
                if ellipsis is not None and len(ellipsis) != covered:
                    raise self.fail(f"the ellipsis covers {len(ellipsis)} dimensions in an "
                                    f"earlier input but {covered} in input {i}; TensorRT needs "
                                    "the same number")
                ellipsis = dims if ellipsis is None else [
                    broadcast_dims(a, b, self.name) for a, b in zip(ellipsis, dims)]
                expanded = term[:at] + "#" * covered + term[at + 1:]
            else:
                expanded = term
            if len(expanded) != info.rank:
                raise self.fail(f"term {i} of {self.equation!r} has {len(expanded)} subscripts "
                                f"but input {i} has rank {info.rank}")
            local: dict[str, int] = {}
            for c, d in zip(expanded, info.shape):
                if c == "#":
                    continue
                if c in local and -1 not in (local[c], d) and local[c] != d:
                    raise self.fail(f"subscript {c!r} repeats in input {i} with different "
                                    f"dimensions {local[c]} and {d}")
                local[c] = d if local.get(c, -1) == -1 else local[c]
            for c, d in local.items():
                sizes[c] = d if c not in sizes else broadcast_dims(sizes[c], d, self.name)
        return sizes, ellipsis

    @staticmethod
    def _implicit(eq: Equation, has_ellipsis: bool) -> str:
        counts = Counter(c for term in eq.inputs for c in term if c != ELLIPSIS)
        once = "".join(sorted(c for c, n in counts.items() if n == 1))
        return (ELLIPSIS if has_ellipsis else "") + once

    def execute(self, ins: list[Any]) -> list[torch.Tensor]:
        eq = parse_equation(self.equation)
        out = torch.einsum(eq.text, *[x.float() for x in ins])
        return [out.to(ins[0].dtype)]


@_method
def add_einsum(self: Any, inputs: Any, equation: str) -> IEinsumLayer:
    inputs = list(inputs)
    layer = add_layer(self, IEinsumLayer, "add_einsum",
                      {"inputs": inputs, "equation": str(equation)}, inputs)
    layer.equation = equation
    return layer
