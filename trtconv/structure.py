"""Output structures as plain data: what a TRTModule returns, saved without pickle.

A structure is JSON-able: tensors are numbered leaves; tuples, lists, dicts (str or int keys,
OrderedDict kept), None, torch's `return_types` (as tuples), user-defined namedtuples (by
qualified name and fields) and dict subclasses such as transformers' model outputs (by
qualified name) are nodes. Loading never imports anything: a recorded type is used only if its
module is already imported (and a namedtuple still has the recorded fields); otherwise the
value comes back as a plain tuple or dict, with a warning.

>>> import torch
>>> pair = torch.return_types.max((torch.ones(1), torch.zeros(1, dtype=torch.long)))
>>> leaves, shape = describe({"out": pair, "mask": None})
>>> len(leaves), shape["kind"]
(2, 'dict')
>>> rebuilt = rebuild(shape, leaves)
>>> type(rebuilt["out"]).__name__, rebuilt["out"][1].tolist(), rebuilt["mask"]
('tuple', [0], None)
"""

from __future__ import annotations

import sys
import warnings
from collections import OrderedDict
from typing import Any

import torch

Structure = dict[str, Any]


class StructureError(TypeError):
    """A value that a TRTModule cannot return (not tensors in tuples, lists, dicts)."""


def describe(tree: Any) -> tuple[list[torch.Tensor], Structure]:
    """The tensors of `tree` in order, and its structure as plain data."""
    leaves: list[torch.Tensor] = []
    return leaves, _describe(tree, leaves)


def _describe(tree: Any, leaves: list[torch.Tensor]) -> Structure:
    if isinstance(tree, torch.Tensor):
        leaves.append(tree)
        return {"kind": "tensor"}
    if tree is None:
        return {"kind": "none"}
    if isinstance(tree, tuple) and hasattr(tree, "_fields") and \
            type(tree).__module__ != "torch.return_types":
        cls = type(tree)
        return {"kind": "namedtuple", "module": cls.__module__, "name": cls.__qualname__,
                "fields": list(cls._fields), "items": [_describe(x, leaves) for x in tree]}
    if isinstance(tree, (tuple, list)):
        kind = "list" if isinstance(tree, list) else "tuple"
        return {"kind": kind, "items": [_describe(x, leaves) for x in tree]}
    if isinstance(tree, dict):
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in tree):
            raise StructureError("a returned dict has keys that are not str or int")
        node = {"kind": "ordereddict" if isinstance(tree, OrderedDict) else "dict",
                "keys": list(tree), "items": [_describe(v, leaves) for v in tree.values()]}
        if type(tree) not in (dict, OrderedDict):  # a model output class (transformers')
            cls = type(tree)
            node.update(kind="mapping", module=cls.__module__, name=cls.__qualname__)
        return node
    raise StructureError(f"the module returns a {type(tree).__name__}; a TRTModule returns "
                         f"tensors in tuples, lists, dicts and namedtuples only")


def rebuild(structure: Structure, leaves: list[Any]) -> Any:
    """The structure with its tensor leaves filled in from `leaves` (in order)."""
    it = iter(leaves)
    return _rebuild(structure, it)


def _rebuild(node: Structure, leaves: Any) -> Any:
    kind = node["kind"]
    if kind == "tensor":
        return next(leaves)
    if kind == "none":
        return None
    items = [_rebuild(x, leaves) for x in node.get("items", [])]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    if kind == "namedtuple":
        cls = _namedtuple_type(node)
        return cls(*items) if cls is not None else tuple(items)
    if kind in ("dict", "ordereddict"):
        pairs = zip(node["keys"], items)
        return OrderedDict(pairs) if kind == "ordereddict" else dict(pairs)
    if kind == "mapping":
        pairs = dict(zip(node["keys"], items))
        cls = _recorded_type(node, dict, "a mapping", "a dict")
        return cls(**pairs) if cls is not None else pairs
    raise StructureError(f"unknown structure node kind {kind!r}")


def _namedtuple_type(node: Structure) -> type | None:
    """The recorded namedtuple type, if its module is imported here and it still matches."""
    cls = _recorded_type(node, tuple, f"a namedtuple {tuple(node['fields'])}", "a plain tuple")
    if cls is not None and list(getattr(cls, "_fields", ())) != list(node["fields"]):
        _unavailable(node, f"a namedtuple {tuple(node['fields'])}", "a plain tuple")
        return None
    return cls


def _recorded_type(node: Structure, base: type, what: str, instead: str) -> type | None:
    """The class a structure node recorded, looked up in the modules already imported (never
    importing one), if it is still a subclass of `base`."""
    owner: Any = sys.modules.get(str(node["module"]))
    for part in str(node["name"]).split("."):
        owner = getattr(owner, part, None) if owner is not None else None
    if isinstance(owner, type) and issubclass(owner, base):
        return owner
    _unavailable(node, what, instead)
    return None


def _unavailable(node: Structure, what: str, instead: str) -> None:
    warnings.warn(f"the module returned {what} of type {node['module']}.{node['name']}, which "
                  f"is not available here (its module is not imported, or it changed); "
                  f"returning {instead}. Import {node['module']} before calling to get it "
                  f"back.", stacklevel=5)


_KINDS = {"tensor", "none", "list", "tuple", "namedtuple", "dict", "ordereddict", "mapping"}


def check_structure(structure: Structure | None) -> None:
    """Raise StructureError unless `structure` is one `describe` could have made."""
    if structure is None:
        return
    if not isinstance(structure, dict) or structure.get("kind") not in _KINDS:
        raise StructureError(f"not a structure node: {structure!r:.80}")
    items = structure.get("items", [])
    if not isinstance(items, list):
        raise StructureError("a node's items are not a list")
    if structure["kind"] in ("dict", "ordereddict", "mapping", "namedtuple"):
        names = structure.get("keys", structure.get("fields"))
        if not isinstance(names, list) or len(names) != len(items):
            raise StructureError(f"a {structure['kind']} node's keys do not match its items")
    for item in items:
        check_structure(item)


def count_leaves(structure: Structure) -> int:
    """How many tensors the structure holds."""
    if structure["kind"] == "tensor":
        return 1
    return sum(count_leaves(x) for x in structure.get("items", []))
