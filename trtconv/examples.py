"""What convert() is given: the forward's arguments, their names and the shape profiles, each
checked with an error that names the argument.

>>> import torch
>>> ex = examples(torch.nn.ReLU(), [torch.zeros(2, 3)], min_shapes=[(1, 3)],
...               max_shapes=[(8, 3)])
>>> ex.names, ex.profiles
(['input_0'], [{'input_0': [[1, 3], [2, 3], [8, 3]]}])
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils import _pytree as pytree

from .errors import InputError
from .inputs import Input

Profile = dict[str, list[list[int]]]  # input name -> [min, opt, max]
PROFILE_KEYS = ("min_shapes", "opt_shapes", "max_shapes")


@dataclass
class Examples:
    """The forward's arguments as given (tensors, `trtconv.Input` made into examples, other
    values), their pytree structure, the input tensors with their names, and the profiles."""

    args: tuple[Any, ...]
    leaves: list[Any]
    in_spec: Any
    tensors: list[torch.Tensor]
    names: list[str]
    profiles: list[Profile]


def examples(module: Any, inputs: Any, input_names: Sequence[str] | None = None,
             min_shapes: Any = None, opt_shapes: Any = None, max_shapes: Any = None,
             profiles: Sequence[Any] | None = None) -> Examples:
    """Check convert()'s model, inputs, names and shape ranges; the examples to trace."""
    args = _arguments(module, inputs)
    leaves, in_spec = pytree.tree_flatten(args, is_leaf=lambda x: isinstance(x, Input))
    min_shapes, opt_shapes, max_shapes = _input_specs(leaves, min_shapes, opt_shapes, max_shapes)
    leaves = [x.example() if isinstance(x, Input) else x for x in leaves]
    tensors = [x for x in leaves if isinstance(x, torch.Tensor)]
    names = unique_names(input_names, len(tensors), "input")
    for name, x in zip(names, tensors):
        if x.device.type == "meta":
            raise InputError(f"input {name!r} is on the meta device: the trace runs the model, "
                             f"so it needs real values (any values of the right shape)")
    found = [_profile(tensors, names, min_shapes, opt_shapes, max_shapes, "")]
    for i, extra in enumerate(profiles or []):
        found.append(_extra_profile(tensors, names, extra, f"profiles[{i}]"))
    return Examples(args, leaves, in_spec, tensors, names, found)


def _arguments(module: Any, inputs: Any) -> tuple[Any, ...]:
    if not callable(module):
        raise InputError(f"convert() needs an nn.Module or a function of tensors, got "
                         f"{type(module).__name__}")
    if isinstance(inputs, torch.Tensor):
        raise InputError("convert() takes a list of inputs: write convert(model, [x])")
    if not isinstance(inputs, (list, tuple)):
        raise InputError(f"convert() inputs must be a list or tuple of the forward's positional "
                         f"arguments, got {type(inputs).__name__}")
    args = tuple(inputs)
    leaves = pytree.tree_leaves(args, is_leaf=lambda x: isinstance(x, Input))
    if not any(isinstance(x, (torch.Tensor, Input)) for x in leaves):
        raise InputError("convert() inputs contain no tensor")
    return args


def unique_names(given: Sequence[str] | None, count: int, kind: str) -> list[str]:
    """`given` checked (one per tensor, unique), or `<kind>_0`, `<kind>_1`, ..."""
    if given is None:
        return [f"{kind}_{i}" for i in range(count)]
    if isinstance(given, str):
        raise InputError(f"{kind}_names must be a list of names, got the string {given!r}")
    names = [str(n) for n in given]
    if len(names) != count:
        raise InputError(f"{len(names)} {kind}_names for {count} {kind} tensors")
    if len(set(names)) != len(names):
        raise InputError(f"{kind}_names must be unique, got {names}")
    return names


def _input_specs(leaves: list[Any], min_shapes: Any, opt_shapes: Any,
                 max_shapes: Any) -> tuple[Any, Any, Any]:
    """Shape ranges from `trtconv.Input` leaves (the others keep their example shape)."""
    specs = [x for x in leaves if isinstance(x, (Input, torch.Tensor))]
    if not any(isinstance(x, Input) for x in specs):
        return min_shapes, opt_shapes, max_shapes
    if min_shapes is not None or max_shapes is not None:
        raise InputError("give shape ranges either as trtconv.Input or as min/max_shapes")
    pick = [[tuple(x.shape) if isinstance(x, torch.Tensor) else getattr(x, attr)
             for x in specs] for attr in ("min_shape", "opt_shape", "max_shape")]
    return pick[0], pick[1], pick[2]


def _extra_profile(tensors: list[torch.Tensor], names: list[str], given: Any,
                   where: str) -> Profile:
    """A further profile: a dict of min/opt/max shapes; opt defaults to max."""
    if not isinstance(given, dict):
        raise InputError(f"{where} must be a dict with keys {', '.join(PROFILE_KEYS)}, got "
                         f"{type(given).__name__}")
    for key in given:
        if key not in PROFILE_KEYS:
            close = difflib.get_close_matches(str(key), PROFILE_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{where} has an unknown key {key!r}{hint}; its keys are "
                             f"{', '.join(PROFILE_KEYS)}")
    if given.get("min_shapes") is None or given.get("max_shapes") is None:
        raise InputError(f"{where} needs min_shapes and max_shapes")
    opt = given.get("opt_shapes", given["max_shapes"])
    return _profile(tensors, names, given["min_shapes"], opt, given["max_shapes"], where,
                    check_example=False)


def _profile(tensors: list[torch.Tensor], names: list[str], min_shapes: Any, opt_shapes: Any,
             max_shapes: Any, where: str, check_example: bool = True) -> Profile:
    """One optimization profile: the example shapes, widened where min/max shapes say."""
    given = {"min_shapes": min_shapes, "opt_shapes": opt_shapes, "max_shapes": max_shapes}
    if any(g is not None for g in given.values()) and (min_shapes is None or max_shapes is None):
        raise InputError(f"{where or 'dynamic shapes'} need both min_shapes and max_shapes")
    lists = {k: _shape_list(v, f"{where}{'.' if where else ''}{k}", names)
             for k, v in given.items() if v is not None}
    profile = {}
    for i, (name, x) in enumerate(zip(names, tensors)):
        shapes = [list(x.shape) if k not in lists else lists[k][i] for k in PROFILE_KEYS]
        for key, shape in zip(PROFILE_KEYS, shapes):
            if len(shape) != x.dim():
                raise InputError(f"{where}{'.' if where else ''}{key}[{i}] {tuple(shape)} has "
                                 f"rank {len(shape)}, input {name!r} has shape "
                                 f"{tuple(x.shape)}")
        lo, opt, hi = shapes
        if any(not 0 <= a <= o <= b for a, o, b in zip(lo, opt, hi)):
            raise InputError(f"input {name!r}{' in ' + where if where else ''}: need 0 <= min "
                             f"<= opt <= max in every dim, got min {tuple(lo)}, opt "
                             f"{tuple(opt)}, max {tuple(hi)}")
        if check_example and any(not a <= s <= b for a, s, b in zip(lo, x.shape, hi)):
            raise InputError(f"input {name!r} shape {tuple(x.shape)} is outside its range "
                             f"{tuple(lo)} .. {tuple(hi)}")
        profile[name] = shapes
    return profile


def _shape_list(given: Any, what: str, names: list[str]) -> list[list[int]]:
    """One shape per input tensor, each a sequence of ints."""
    if not isinstance(given, (list, tuple)) or (given and not isinstance(given[0],
                                                                         (list, tuple,
                                                                          torch.Size))):
        raise InputError(f"{what} must be a list with one shape (a tuple of ints) per input "
                         f"tensor, got {given!r}")
    if len(given) != len(names):
        raise InputError(f"{what} has {len(given)} shape(s) for {len(names)} input tensor(s) "
                         f"({', '.join(names)})")
    return [[_dim(d, f"{what}[{i}]") for d in shape] for i, shape in enumerate(given)]


def _dim(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise InputError(f"{what} has a dim {value!r} ({type(value).__name__}); dims are ints")
    return operator.index(value)


def network_dims(ranges: list[list[list[int]]]) -> tuple[int, ...]:
    """-1 where any profile lets a dim vary or profiles disagree, else the fixed size."""
    values = [set(dims) for dims in zip(*[d for r in ranges for d in r])]
    return tuple(next(iter(v)) if len(v) == 1 else -1 for v in values)
