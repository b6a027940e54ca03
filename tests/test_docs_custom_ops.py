"""docs/custom_ops.md: every python block runs, in order, as one script in a fresh process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "custom_ops.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.M | re.S)


def test_every_example_runs(tmp_path):
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) == 7, "the page's examples changed: check this test still covers them"
    script = tmp_path / "custom_ops_doc.py"
    script.write_text("\n\n".join(blocks))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("refused: torch.asinh already has a converter")
    assert "'__main__.FooOp.apply'" in lines[1]
    assert lines[2] == "['devtech::foo_op']"
