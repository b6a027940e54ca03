"""`make test` runs the doctests of trtconv/ (every `>>>` example of the package)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_make_test_runs_the_package_doctests():
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe is not None, "no test target in the Makefile"
    assert re.search(r"-m pytest .*--doctest-modules trtconv\b", recipe.group(1)), recipe.group(1)
    examples = [p for p in (REPO / "trtconv").rglob("*.py") if ">>> " in p.read_text()]
    assert len(examples) >= 8  # registry, targets, plugins, convert, module, ...
