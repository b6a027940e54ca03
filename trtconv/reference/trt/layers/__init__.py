"""Layer families of the reference TensorRT: one module per family, imported for registration.

Each module defines its `I*Layer` classes (properties, `infer`, `execute`) and registers its
`add_*` network methods with `@network_method`.
"""

import importlib
import pkgutil


def load_all() -> list[str]:
    """Import every family module in this package; return their names."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names
