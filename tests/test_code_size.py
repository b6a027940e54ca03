"""The size limits of the code (tools/code_size.py): no file over 500 lines and no function over
60 lines (docstring not counted) in trtconv/ and converters/."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools import code_size  # noqa: E402  (needs REPO on sys.path)


def test_no_file_or_function_over_its_limit():
    assert code_size.offenders() == []


def _body(lines: int, indent: str) -> str:
    return "".join(f"{indent}x = {i}\n" for i in range(lines))


def test_the_checker_counts_what_it_should(tmp_path):
    (tmp_path / "trtconv").mkdir()
    (tmp_path / "converters").mkdir()
    # 60 lines without its 3-line docstring: at the limit
    (tmp_path / "trtconv" / "fits.py").write_text(
        'def fits():\n    """A docstring\n    of three lines\n    is not counted."""\n'
        + _body(59, "    "))
    # a method of 61 lines in a file of 501
    (tmp_path / "converters" / "long.py").write_text(
        "class C:\n    def over(self):\n" + _body(60, "        ") + "\n" * 439)
    assert code_size.offenders(tmp_path) == [
        "converters/long.py: 501 lines (limit 500)",
        "converters/long.py:2: C.over has 61 lines (limit 60, docstring not counted)",
    ]
