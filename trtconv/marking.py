"""The end of a trace: the network's outputs, hidden guard outputs, and the forward's arguments
that are not tensors (recorded so that a call with other values is refused)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils import _pytree as pytree

from .context import ConversionContext
from .errors import InputError
from .examples import unique_names
from .inputs import Input
from .module import describe_constant_arg
from .structure import Structure, StructureError, describe
from .tensormap import TaintedInputError


def mark_outputs(ctx: ConversionContext, network: Any, outputs: Any,
                 output_names: Sequence[str] | None, input_names: Sequence[str]
                 ) -> Structure | None:
    """Mark the traced outputs, then the hidden outputs of the value guards (identity layers
    where one tensor would be marked twice or is an input); return the output structure.

    An output the network cannot compute (made by an unconverted call, or a view left stale
    by an in-place update) is reported, never frozen into a constant."""
    try:
        leaves, structure = describe(outputs)
    except StructureError as e:
        raise InputError(str(e)) from None
    names = unique_names(output_names, len(leaves), "output")
    clash = sorted(set(names) & set(input_names))
    if clash:
        raise InputError(f"output_names {clash} are input names too; a tensor name is one "
                         f"input or one output of the engine")
    tensors = [_output_tensor(ctx, name, value) for name, value in zip(names, leaves)]
    if any(t is None for t in tensors):
        return None
    guard_names = [g.output for g in ctx.guards if g.output]
    marked: set[int] = set()
    for name, tensor in [*zip(names, tensors), *zip(guard_names, ctx.guard_outputs)]:
        if tensor.is_network_input or id(tensor) in marked or tensor.is_network_output:
            tensor = network.add_identity(tensor).get_output(0)
        tensor.name = name
        network.mark_output(tensor)
        marked.add(id(tensor))
    return structure


def _output_tensor(ctx: ConversionContext, name: str, value: torch.Tensor) -> Any:
    """The ITensor of an output; None (with the reason reported) when it has none."""
    tensor = ctx.lookup(value)
    if tensor is None and ctx.tensors.is_tainted(value):
        try:  # the unconverted producer is reported already; a stale tensor is reported here
            ctx.trt(value)
        except TaintedInputError:
            pass
        return None
    if tensor is None:
        ctx.warn(f"output {name!r} does not depend on the inputs; it is a constant")
        tensor = ctx.constant(value)
    return tensor


def constant_args(module: Any, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The forward's arguments that are not tensors, as recorded for the call-time check."""
    parameters = _parameter_names(module)
    entries = []
    flat, _ = pytree.tree_flatten_with_path(args)
    for index, (path, value) in enumerate(flat):
        if isinstance(value, (torch.Tensor, Input)):
            continue
        entries.append(describe_constant_arg(index, _argument_name(path, parameters), value))
    return entries


def _parameter_names(module: Any) -> list[str]:
    forward = getattr(module, "forward", module)
    try:
        return [p.name for p in inspect.signature(forward).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return []


def _argument_name(path: tuple[Any, ...], parameters: list[str]) -> str:
    """`'scale'` for the forward's parameter `scale`, `'cfg'['mode']` inside it."""
    position = getattr(path[0], "idx", None) if path else None
    head = (repr(parameters[position]) if position is not None and position < len(parameters)
            else f"#{position}")
    return head + pytree.keystr(path[1:]) if len(path) > 1 else head
