"""Layer families of the reference TensorRT: one module per family, imported for registration.

Each module defines its `I*Layer` classes (properties, `infer`, `execute`) and registers its
`add_*` network methods with `@network_method`.
"""

from .._modules import import_submodules


def load_all() -> list[str]:
    """Import every family module in this package; return their names."""
    return import_submodules(__name__, __path__)
