"""Rebuilding a served module: only trtconv classes on an allow-list, state read without pickle.

A Triton Python-backend model (and anything else that serves a saved trtconv module) records
the module's class by qualified name. `load_module` imports it only when the name is in
`SERVABLE_CLASSES`, builds it with no arguments (or `cls.from_state_dict(state)` when the class
has one) and loads `torch.load(path, weights_only=True)` into it. A new trtconv module class
(e.g. a partitioned module) becomes servable by adding its qualified name here; it needs
`metadata["io"]` (see `trtconv.export.facts`) to be described for Triton.

>>> import tempfile, torch, trtconv
>>> from trtconv.export.loader import load_module
>>> m = trtconv.convert(torch.nn.ReLU(), [torch.randn(2, 3)], backend="reference")
>>> path = tempfile.mkdtemp() + "/m.pth"
>>> torch.save(m.state_dict(), path)
>>> type(load_module(path, "trtconv.module.TRTModule")).__name__
'TRTModule'
>>> load_module(path, "os.system")
Traceback (most recent call last):
...
trtconv.errors.TrtconvError: refusing to load class 'os.system': a served module must be one of trtconv.module.TRTModule, trtconv.partitioned.PartitionedModule
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils import _pytree as pytree

from ..errors import TrtconvError

SERVABLE_CLASSES: tuple[str, ...] = (
    "trtconv.module.TRTModule",
    "trtconv.partitioned.PartitionedModule",
)


def servable_class(class_name: str) -> type:
    """The allow-listed class named `class_name` (imported only once it is allowed)."""
    if class_name not in SERVABLE_CLASSES:
        raise TrtconvError(f"refusing to load class {class_name!r}: a served module must be one "
                           f"of {', '.join(SERVABLE_CLASSES)}")
    module_name, _, attr = class_name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def load_module(state_path: str | Path, class_name: str) -> torch.nn.Module:
    """The module of class `class_name` with the state_dict saved at `state_path`."""
    servable_class(class_name)  # refuse before reading the file
    return module_from_state(torch.load(state_path, weights_only=True, map_location="cpu"),
                             class_name)


def module_from_state(state: dict[str, Any], class_name: str) -> torch.nn.Module:
    """The module of class `class_name` holding a state_dict already read."""
    cls = servable_class(class_name)
    if hasattr(cls, "from_state_dict"):
        module = cls.from_state_dict(state)
    else:
        module = cls()
        module.load_state_dict(state)
    return module.eval()


def flat_runner(module: torch.nn.Module, input_spec: str | None
                ) -> Callable[[list[torch.Tensor]], list[torch.Tensor]]:
    """Call `module` with named flat tensors (Triton's view) in the structure it was converted
    with, and return its outputs flattened in order."""
    spec = pytree.treespec_loads(input_spec) if input_spec else None

    def run(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        args: Any = pytree.tree_unflatten(tensors, spec) if spec is not None else tensors
        with torch.no_grad():
            return pytree.tree_leaves(module(*args))

    return run
