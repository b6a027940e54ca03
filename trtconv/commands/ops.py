"""List the torch callables that have converters, one per line."""

from __future__ import annotations

import argparse

from .. import registry

HELP = "list supported torch callables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    for target in registry.supported_ops():
        print(target)
    return 0
