"""Which torch tensors of a trace are which ITensors, and which hold values the network lacks.

The map is owned by the conversion, never stored on user tensors. A tensor is

- *traced*: bound to an ITensor (an input, or the result of a converted call);
- *tainted*: produced by a call no converter handled, or a view whose memory was updated in a
  way the network does not follow. Reading a tainted tensor reports the call instead of
  freezing its example values into a constant;
- anything else: a constant (parameters, buffers, tensors made from Python values), emitted
  as a constant layer the first time it is read, and again after torch updates it in place.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import _pytree as pytree

from .reference import trt


class TaintedInputError(Exception):
    """A converter asked for a tensor produced by an unconverted op (handled by dispatch)."""


def tensors_in(tree: Any) -> list[torch.Tensor]:
    """The torch tensors among the leaves of a pytree."""
    return [x for x in pytree.tree_leaves(tree) if isinstance(x, torch.Tensor)]


def leaves(tree: Any) -> list[Any]:
    """pytree's leaves, with slices opened: `table[:x.size(0)]` depends on the input through
    a DimInt inside a slice, which pytree treats as one opaque leaf."""
    found = []
    for leaf in pytree.tree_leaves(tree):
        found.extend((leaf.start, leaf.stop, leaf.step) if isinstance(leaf, slice) else (leaf,))
    return found


class TensorMap:
    """torch tensor -> ITensor for one trace, with the tainted and stale tensors beside it."""

    def __init__(self) -> None:
        # id -> (tensor, ITensor, the tensor's version counter when bound)
        self._bound: dict[int, tuple[torch.Tensor, trt.ITensor, int]] = {}
        self._tainted: dict[int, torch.Tensor] = {}
        # tainted by an in-place update of a tensor sharing memory: (op, reason) to report, the
        # id of the updated tensor, and the ITensor the stale tensor had
        self._stale: dict[int, tuple[tuple[str, str], int, trt.ITensor]] = {}
        self._constants: dict[int, tuple[torch.Tensor, int, trt.ITensor]] = {}

    # --- reading ------------------------------------------------------------------------------
    def lookup(self, value: torch.Tensor) -> trt.ITensor | None:
        entry = self._bound.get(id(value))
        if entry is None:
            return None
        if _version(value) != entry[2]:
            self._changed_unseen(value)
            return None
        return entry[1]

    def is_traced(self, value: Any) -> bool:
        return isinstance(value, torch.Tensor) and self.lookup(value) is not None

    def _changed_unseen(self, value: torch.Tensor) -> None:
        """A traced tensor torch changed in place through a call the trace did not see (its
        version counter moved): its values in the network are old, so reading it is
        reported."""
        reason = ("a traced tensor changed in place by a call the trace did not see",
                  "an in-place call without a converter (set_, an out= argument, ...): use "
                  "the call's result instead of updating in place")
        self.mark_stale(value, reason, value)

    def is_tainted(self, value: Any) -> bool:
        return isinstance(value, torch.Tensor) and id(value) in self._tainted \
            and id(value) not in self._bound

    def stale_reason(self, value: torch.Tensor) -> tuple[str, str] | None:
        """(op, reason) to report for reading `value`, when a shared-memory update made it
        stale."""
        entry = self._stale.get(id(value))
        return None if entry is None else entry[0]

    def traced_items(self) -> list[tuple[torch.Tensor, trt.ITensor]]:
        return [(t, itensor) for t, itensor, _ in self._bound.values()]

    def cached_constant(self, value: torch.Tensor) -> trt.ITensor | None:
        """The constant layer made for `value`, unless torch updated it in place since."""
        cached = self._constants.get(id(value))
        if cached is not None and cached[0] is value and cached[1] == value._version:
            return cached[2]
        return None

    def remember_constant(self, value: torch.Tensor, itensor: trt.ITensor) -> None:
        self._constants[id(value)] = (value, value._version, itensor)

    def touches(self, tree: Any) -> bool:
        """Whether any tensor in `tree` is traced or tainted."""
        return any(id(x) in self._bound or id(x) in self._tainted for x in leaves(tree)
                   if isinstance(x, torch.Tensor))

    # --- writing ------------------------------------------------------------------------------
    def bind(self, value: torch.Tensor, itensor: trt.ITensor) -> bool:
        """Bind `value` to `itensor`; True when this rebinds a traced tensor to a new ITensor
        (an in-place update)."""
        previous = self._bound.get(id(value))
        self._bound[id(value)] = (value, itensor, _version(value))
        self._tainted.pop(id(value), None)
        self._stale.pop(id(value), None)
        return previous is not None and previous[1] is not itensor

    def refresh_versions(self, tree: Any) -> None:
        """The tensors of a call torch has just run may have changed in place: that call's
        converter reads them as they were and binds what it updates, so their new versions
        are expected."""
        for t in tensors_in(tree):
            entry = self._bound.get(id(t))
            if entry is not None:
                self._bound[id(t)] = (t, entry[1], _version(t))

    def taint(self, tree: Any) -> None:
        for t in tensors_in(tree):
            self._bound.pop(id(t), None)
            self._tainted[id(t)] = t

    def mark_stale(self, value: torch.Tensor, reason: tuple[str, str],
                   updated: torch.Tensor) -> None:
        """`value` shares memory with `updated`, which changed in a way the network cannot
        follow into `value`: reading `value` is reported as `reason` (op, why)."""
        entry = self._bound.pop(id(value), None)
        self._tainted[id(value)] = value
        if entry is not None:
            self._stale[id(value)] = (reason, id(updated), entry[1])

    def restore_assigned(self, tree: Any) -> None:
        """`y[k] += v` updates a view of y in place, then assigns the view back into y with
        `__setitem__` (a call returning None). That assignment brings y up to date, so y is
        read as it was before the view's update, exactly once."""
        present = {id(t) for t in tensors_in(tree)}
        for t in tensors_in(tree):
            entry = self._stale.get(id(t))
            if entry is not None and entry[1] in present:
                del self._stale[id(t)]
                del self._tainted[id(t)]
                self._bound[id(t)] = (t, entry[2], _version(t))


def _version(value: torch.Tensor) -> int:
    """torch's in-place version counter (-1 for inference tensors, which have none)."""
    try:
        return value._version
    except RuntimeError:
        return -1
