"""Converters: torch op -> TensorRT layers, one module per op family.

Imported as `trtconv.converters`. Each module registers its converters with
`@tensorrt_converter` (or a table registered in a loop) when imported; `load_all` imports
every family once. Converters know no patching: they receive the torch call's arguments and
return ITensors.
"""

import importlib
import pkgutil


def load_all() -> list[str]:
    """Import every converter family in this package; return their module names."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names
