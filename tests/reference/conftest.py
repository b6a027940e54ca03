"""tests/reference on sys.path, for its helper modules (recorded_api) under --import-mode=importlib."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
