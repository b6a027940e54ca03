"""Shared pytest setup: tests/ on sys.path (for ``support``), seeding, torchvision and rtx fixtures."""

from __future__ import annotations

import os
import sys
from types import ModuleType

import pytest
import torch

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from support.rtx import require_rtx  # noqa: E402  (needs TESTS_DIR on sys.path)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def torchvision() -> ModuleType:
    """The torchvision module, importable on CPU torch (see support/torchvision_cpu.py)."""
    from support.torchvision_cpu import import_torchvision

    return import_torchvision()


@pytest.fixture(scope="session")
def rtx() -> ModuleType:
    """The ``tensorrt_rtx`` module (see support/rtx.py)."""
    return require_rtx()


# --- registry coverage: every registered converter target is exercised by some test ----------
# check_op (support/op_harness.py) records the targets each conversion used. Each xdist worker
# writes its set at the end; the controller (or a plain run) merges them and fails the session
# when a full run of tests/converters left a registered target unexercised.

_EXERCISED_DIR = os.path.join(TESTS_DIR, ".exercised")


def _full_converter_run(config: pytest.Config) -> bool:
    args = [os.path.abspath(a) for a in config.args]
    return any(os.path.abspath(TESTS_DIR).startswith(a) or a == os.path.join(
        TESTS_DIR, "converters") for a in args) and not config.getoption("keyword", "")


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None and os.path.isdir(_EXERCISED_DIR):
        for name in os.listdir(_EXERCISED_DIR):
            os.remove(os.path.join(_EXERCISED_DIR, name))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import json

    from support.op_harness import EXERCISED

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    os.makedirs(_EXERCISED_DIR, exist_ok=True)
    if worker is not None:
        with open(os.path.join(_EXERCISED_DIR, f"{worker}.json"), "w") as f:
            json.dump(sorted(EXERCISED), f)
        return
    if exitstatus != 0 or not _full_converter_run(session.config):
        return
    exercised = set(EXERCISED)
    for name in os.listdir(_EXERCISED_DIR):
        with open(os.path.join(_EXERCISED_DIR, name)) as f:
            exercised.update(json.load(f))
    from trtconv import registry

    # aliases need no converter; targets naming one callable (torch.conv2d is F.conv2d) share
    # the credit, since a call reaches them through the same converter
    groups: dict[int, set[str]] = {}
    for target in registry.active_converters():
        groups.setdefault(id(getattr(*registry.resolve(target))), set()).add(target)
    for names in groups.values():
        if names & exercised:
            exercised |= names
    missing = sorted(set(registry.active_converters()) - exercised)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = (f"registry coverage: {len(missing)} registered converter target(s) are not "
                f"exercised by any check_op test: {', '.join(missing)}")
        if reporter is not None:
            reporter.write_line(text, red=True)
        session.exitstatus = 1
