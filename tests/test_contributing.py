"""CONTRIBUTING.md's examples run: each section's python blocks, in order, in a fresh process
(they register converters and layers, which must not leak into other tests)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEXT = (REPO / "CONTRIBUTING.md").read_text()


def _sections() -> dict[str, str]:
    """Section title -> its python blocks joined."""
    found: dict[str, str] = {}
    for part in re.split(r"^## ", TEXT, flags=re.M)[1:]:
        title = part.splitlines()[0].strip()
        blocks = re.findall(r"^```python\n(.*?)^```", part, flags=re.M | re.S)
        if blocks:
            found[title] = "\n".join(blocks)
    return found


SECTIONS = _sections()


def test_every_how_to_has_an_example():
    assert set(SECTIONS) == {"Adding a converter", "Adding a layer to the reference TensorRT",
                             "Adding a test"}


@pytest.mark.parametrize("title", sorted(SECTIONS))
def test_example_runs(title):
    tests = REPO / "tests"
    run = subprocess.run([sys.executable, "-c", SECTIONS[title]], cwd=tests,
                         env={"PYTHONPATH": str(tests), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{title}:\n{run.stderr[-3000:]}"
