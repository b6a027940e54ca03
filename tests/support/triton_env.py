"""The Triton environment for the tests: `.venv-triton` (`make triton-venv`), which has
nvidia-pytriton's server, tritonclient and numpy<2.

The tests run Triton's own model-config parser and clients in that interpreter, as
subprocesses. CI builds it (`make test` depends on `triton-venv`), so a missing environment
fails a test there; elsewhere the test is skipped, saying why.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-triton"
SUPPORT = Path(__file__).resolve().parent


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the Triton environment is missing, but CI builds it: {reason}")
    pytest.skip(reason)


def require_triton_python() -> Path:
    """The interpreter of the Triton environment (TRTCONV_TRITON_PYTHON overrides)."""
    given = os.environ.get("TRTCONV_TRITON_PYTHON")
    if given:
        return Path(given)
    failed = VENV / ".install-failed"
    if failed.exists():
        _missing("nvidia-pytriton could not be installed here (`make triton-venv`): "
                 + failed.read_text().strip().splitlines()[-1:][0])
    if not (VENV / ".stamp").exists():
        _missing("the Triton environment is not set up: run `make triton-venv`")
    return VENV / "bin" / "python"


def parse_configs(paths: list[Path]) -> list[dict[str, Any]]:
    """Each config.pbtxt parsed by tritonclient's ModelConfig, as a dict (field names as in
    the proto); a parse error fails with the parser's message."""
    python = require_triton_python()
    done = subprocess.run([str(python), str(SUPPORT / "triton_parse_configs.py"),
                           *map(str, paths)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"ModelConfig parser rejected a config:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)
