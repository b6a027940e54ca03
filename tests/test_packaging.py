"""Packaging: converters/ installs as trtconv.converters; pins stay consistent."""

from __future__ import annotations

import configparser
import importlib
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
RTX_PIN = "tensorrt-rtx-cu13==1.7.1.116"


def _pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _setup_cfg_packages() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return {line.strip() for line in cfg["options"]["packages"].splitlines() if line.strip()}


def test_converters_import_as_trtconv_converters():
    module = importlib.import_module("trtconv.converters")
    assert Path(module.__file__).resolve().parent == REPO / "converters"


def test_pyproject_pins_tensorrt_rtx():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    assert extras["rtx"] == [RTX_PIN]
    assert RTX_PIN in extras["test"]
    assert project["scripts"]["trtconv"] == "trtconv.cli:main"


def test_constraints_match_pyproject():
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert RTX_PIN in pins
    assert "torch==2.13.0" in pins


def _package_dirs(root: Path, prefix: str) -> set[str]:
    """Dotted names of root and every directory below it that holds a .py file."""
    names = set()
    for py in root.rglob("*.py"):
        if "__pycache__" in py.parts:
            continue
        parts = py.parent.relative_to(root).parts
        for i in range(len(parts) + 1):
            names.add(".".join((prefix, *parts[:i])))
    return names


def test_setup_cfg_lists_every_package():
    """setup.cfg lists packages by hand; a new package directory must be added there."""
    on_disk = _package_dirs(REPO / "trtconv", "trtconv")
    on_disk |= _package_dirs(REPO / "converters", "trtconv.converters")
    missing = sorted(on_disk - _setup_cfg_packages())
    assert not missing, f"add to setup.cfg [options] packages: {missing}"
