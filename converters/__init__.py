"""Converters: torch op -> TensorRT layers, one module per op family.

Imported as `trtconv.converters`. Each module registers its converters with
`@tensorrt_converter` (or a table registered in a loop) when imported; `load_all` imports
every family once. Converters know no patching: they receive the torch call's arguments and
return ITensors.
"""

from trtconv.reference.trt._modules import import_submodules


def load_all() -> list[str]:
    """Import every converter family in this package; return their module names."""
    return import_submodules(__name__, __path__)
