"""The build-along check (book/_tools/buildalong.py) fails, naming the chapter and the cell, when a chapter breaks
the promise (hand-written, not generated). That it passes on the whole book is `make test`'s first step.

Each breakage is made in a scratch copy of the book: a name imported only in a hidden cell, a method used one
chapter before the chapter that defines it, an import of a name that only a later chapter exports.
"""
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_tools"))
import buildalong  # noqa: E402


def scratch_book(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "_quarto.yml", tmp_path)
    shutil.copytree(ROOT / "book", tmp_path / "book", ignore=shutil.ignore_patterns("_tools", "__pycache__"))
    return tmp_path


def append_cells(nb_path: Path, *sources: str) -> int:
    "Append code cells to a chapter; return the index of the last one."
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for s in sources:
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s})
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    return len(nb["cells"]) - 1


@pytest.mark.parametrize("chapter, cells, error", [
    # an import that only a hidden cell makes: the reader never typed it
    ("01_derivative", ["#| hide\nimport fractions", "fractions.Fraction(1, 3)"],
     "NameError: name 'fractions' is not defined"),
    # a method of Value used in chapter 02, one chapter before `tanh` is defined
    ("02_value", ["Value(0.5).tanh()"], "AttributeError: 'Value' object has no attribute 'tanh'"),
    # importing from the package a name that only a later chapter exports
    ("01_derivative", ["from micrograd.engine import Value"],
     "ImportError: `Value` from micrograd.engine: book/02_value.ipynb exports it, in a later cell or chapter"),
])
def test_breaking_it_names_chapter_and_cell(tmp_path, chapter, cells, error):
    root = scratch_book(tmp_path)
    at = append_cells(root / "book" / f"{chapter}.ipynb", *cells)
    ok, msg = buildalong.run(root, "book/03_forward.ipynb")
    assert not ok
    assert msg.startswith(f"build-along FAILED: book/{chapter}.ipynb, code cell {at} "), msg
    assert error in msg, msg


def test_unknown_page_is_refused():
    with pytest.raises(SystemExit, match="is not a page of _quarto.yml"):
        buildalong.plan(ROOT, "book/99_nothing.ipynb")
