"""Files other tools load: engine plans with a JSON sidecar, Triton model repositories.

- `save_engine` / `load_engine` (`trtconv.export.engine`): raw plan + `<plan>.json`.
- `export_triton` (`trtconv.export.triton`): a Triton model repository entry.
- `trtconv.export.loader`: the allow-list of module classes a served model may be.
"""

from .engine import load_engine, save_engine, sidecar_path
from .triton import export_triton

__all__ = ["save_engine", "load_engine", "sidecar_path", "export_triton"]
