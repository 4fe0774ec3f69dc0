"""Every page shows the same outputs on every build (hand-written, not generated).

Each page the build executed (.build/site/, made by `make book`) is executed once more, as the build executes it
(book/_tools/execute.py), but with another PYTHONHASHSEED and, before the page's first cell, a hidden cell that
allocates a random number of objects, so that the objects the page makes land at other addresses: a set of Values
(hashed by identity) then iterates in another order, and str/bytes hashes differ too. Every output of every cell
must be the same as in the build: text, reprs, drawings, pictures. A live timing, an address, a set's order or an
unseeded random number shows up here as the cell and the lines that differ.

A page whose executed notebook is the one that passed before (book/_tools/cache.py) is not executed again.
"""
import difflib
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_tools"))
import cache  # noqa: E402
from common import STAGE, book_pages  # noqa: E402
from execute import execute  # noqa: E402

PAGES = [p.as_posix() for p in book_pages() if p.suffix == ".ipynb"]
SHIFT = ("import os as _os\n"
         "_shift = [object() for _ in range(1000 + int.from_bytes(_os.urandom(2), 'big'))]  # other addresses\n"
         "_shift_bytes = [bytes(n % 97) for n in range(int.from_bytes(_os.urandom(1), 'big'))]\n"
         "del _os")


def shown(nb: dict) -> list[tuple[int, str]]:
    """What the page shows: (code cell's index, its outputs as canonical JSON), without execution counts."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        outputs = [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.get("outputs") or []]
        out.append((i, json.dumps(outputs, indent=0, sort_keys=True, ensure_ascii=False)))
    return out


def differences(page: str, built: dict, again: dict) -> str:
    """The cells whose outputs differ, each with a short diff of its outputs."""
    report = []
    for (i, a), (_, b) in zip(shown(built), shown(again)):
        if a != b:
            diff = difflib.unified_diff(a.split("\n"), b.split("\n"), "the build", "executed again", n=1, lineterm="")
            report.append(f"{page}, cell {i}:\n" + "\n".join(list(diff)[2:14]))
    return "\n".join(report[:4])


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_the_same_outputs_when_executed_again(page, monkeypatch):
    staged = STAGE / page
    if not staged.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{staged} is missing: `make book` executes the pages before these tests")
        pytest.skip(f"{staged} is not staged: run `make book` first")
    key = cache.digest(staged, Path(__file__))
    if cache.kept("same-outputs", page, key):
        return  # these very outputs were made again, identically, before
    built = json.loads(staged.read_text(encoding="utf-8"))
    copy = json.loads(json.dumps(built))
    copy["cells"].insert(0, {"cell_type": "code", "execution_count": None, "id": "shift-addresses", "metadata": {},
                             "outputs": [], "source": "#| include: false\n" + SHIFT})
    # beside the page, so that it runs from the same folder (its data, micrograd 0.1.0 found from there); a dot file,
    # removed after, that no renderer publishes
    dest = staged.parent / f".same-outputs-{staged.name}"
    dest.write_text(json.dumps(copy), encoding="utf-8")
    monkeypatch.setenv("MPLBACKEND", os.environ.get("MPLBACKEND", "Agg"))  # `execute` sets the kernel's; put it back
    seed = os.environ.get("PYTHONHASHSEED", "0")
    monkeypatch.setenv("PYTHONHASHSEED", str(int(seed) + 1) if seed.isdigit() else "1")
    try:
        _, err, _ = execute((str(dest), page))
        assert err is None, err
        again = json.loads(dest.read_text(encoding="utf-8"))
    finally:
        dest.unlink(missing_ok=True)
    assert again["cells"][0]["id"] == "shift-addresses"
    again["cells"] = again["cells"][1:]
    assert len(again["cells"]) == len(built["cells"])
    diff = differences(page, built, again)
    assert not diff, f"{page} shows other outputs when executed again:\n{diff}"
    cache.keep("same-outputs", page, key, "the same outputs")
