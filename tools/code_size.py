"""Size limits of the code: no file over 500 lines and no function over 60 lines (its
docstring not counted) in trtconv/ and converters/.

    python tools/code_size.py            # lists what is over, exits 1 if anything is
    python tools/code_size.py --help

tests/test_code_size.py runs the same check.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("trtconv", "converters")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def _docstring_lines(node: ast.AST) -> int:
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].end_lineno - body[0].lineno + 1
    return 0


def function_lengths(path: Path) -> Iterator[tuple[str, int, int]]:
    """(qualified name, first line, length without the docstring) of every function."""
    tree = ast.parse(path.read_text(), str(path))

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                length = child.end_lineno - child.lineno + 1 - _docstring_lines(child)
                yield name, child.lineno, length
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def offenders(repo: Path = REPO) -> list[str]:
    """Every file and function over its limit, as `path: what` lines (paths from the repo)."""
    found = []
    for root in ROOTS:
        for path in sorted((repo / root).rglob("*.py")):
            rel = path.relative_to(repo).as_posix()
            lines = len(path.read_text().splitlines())
            if lines > MAX_FILE_LINES:
                found.append(f"{rel}: {lines} lines (limit {MAX_FILE_LINES})")
            for name, line, length in function_lengths(path):
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{rel}:{line}: {name} has {length} lines "
                                 f"(limit {MAX_FUNCTION_LINES}, docstring not counted)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status 1 when anything is over its limit.")
    parser.parse_args(argv)
    found = offenders()
    for line in found:
        print(line)
    if not found:
        print(f"every file in {', '.join(ROOTS)} has at most {MAX_FILE_LINES} lines and every "
              f"function at most {MAX_FUNCTION_LINES}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
