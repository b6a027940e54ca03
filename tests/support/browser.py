"""Headless Chromium for the graph page tests: load a page, report its script status.

CI installs Debian's ``chromium`` (`make browser`, run by `make test`), so a missing browser
fails there; elsewhere the test is skipped. The page (trtconv/graph_page.py) writes
``data-status`` ("ok", or "error" with the messages in ``#errors``) and ``data-layer-rows``
on its root element; ``--dump-dom`` returns the DOM after the page's scripts ran.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def require_chromium() -> str:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, but CI installs it (make browser)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@dataclass
class Loaded:
    status: str
    layer_rows: int
    errors: str
    dom: str


def _run(args: list[str], timeout: float = 120) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([require_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)
    return done.stdout


def load(page: Path, fragment: str = "") -> Loaded:
    """The page's state after its scripts ran (URL fragment e.g. ``expand=all``)."""
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    dom = _run(["--dump-dom", url])
    root = re.search(r"<html[^>]*>", dom)
    assert root, f"chromium returned no page for {url}: {dom[:300]!r}"
    status = re.search(r'data-status="([^"]*)"', root.group(0))
    rows = re.search(r'data-layer-rows="(\d+)"', root.group(0))
    errors = re.search(r'<div id="errors">(.*?)</div>', dom, re.S)
    return Loaded(status.group(1) if status else "", int(rows.group(1)) if rows else -1,
                  errors.group(1) if errors else "", dom)


def screenshot(page: Path, out: Path, fragment: str = "", size: str = "1400,1000") -> None:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    _run([f"--window-size={size}", f"--screenshot={out}", url])
    assert out.exists() and out.stat().st_size > 0, f"no screenshot written for {url}"
