"""The workbook (book/_tools/workbook.py) and its grader (book/_tools/grade.py), hand-written, not generated.

The three cases a learner goes through: the untouched skeleton (every chapter that exports code fails, "not written
yet"), the work done (every check passes), and half-way (02-04 written, 05 still stubs). Then a learner's typical
mistake, and bad input.
"""
import ast
import hashlib
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_tools"))
import grade  # noqa: E402
import workbook  # noqa: E402


def functions(pkg: Path) -> dict[str, list[str]]:
    "module -> the functions and methods its file defines (top level and in top-level classes), in order."
    out = {}
    for f in sorted(pkg.glob("*.py")):
        if f.name.startswith("_"):
            continue
        names = []
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.append(node.name)
            elif isinstance(node, ast.ClassDef):
                names += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
        out[f.stem] = names
    return out


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("wb") / "_workbook"
    return out, workbook.make(ROOT, out, quiet=True)


def copy_of(wb: Path, tmp: Path) -> Path:
    dest = tmp / "copy"
    shutil.copytree(wb, dest)
    return dest


def blocks(text: str) -> list[tuple[str | None, str]]:
    "A generated module split at nbdev's `# %%` lines: [(chapter stem or None, text)]."
    out, owner, cur = [], None, []
    for ln in text.split("\n"):
        if ln.startswith("# %% "):
            out.append((owner, "\n".join(cur)))
            m = grade.MARK.match(ln)
            owner, cur = (m.group(1) if m else None), []
        cur.append(ln)
    out.append((owner, "\n".join(cur)))
    return out


def mixed_package(wb: Path, done_upto: str) -> None:
    "Put the book's own code into the workbook's package for the chapters up to `done_upto`; keep the stubs after."
    order = [p.stem for p in grade.workbook_chapters(wb)]
    done = set(order[: order.index(done_upto) + 1])
    for f in (wb / "micrograd").glob("*.py"):
        real = ROOT / "micrograd" / f.name
        theirs, ours = blocks(f.read_text(encoding="utf-8")), blocks(real.read_text(encoding="utf-8"))
        assert [o for o, _ in theirs] == [o for o, _ in ours], f.name
        f.write_text("\n".join(o_text if owner in done or owner is None else t_text
                               for (owner, t_text), (_, o_text) in zip(theirs, ours)), encoding="utf-8")


def tree_digest(d: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(d.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(d).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_every_exported_function_is_a_stub(skeleton):
    wb, stubs = skeleton
    theirs, ours = functions(wb / "micrograd"), functions(ROOT / "micrograd")
    assert theirs == ours                                   # the same functions and methods, module by module
    assert sum(map(len, stubs.values())) == sum(map(len, ours.values())) > 50
    for f in (wb / "micrograd").glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "<lambda>":
                body = [b for b in node.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
                if body:   # a docstring-only function has nothing to write
                    assert len(body) == 1 and isinstance(body[0], ast.Raise), (f.name, node.name)
                    assert "NotImplementedError" in ast.unparse(body[0]) and "Chapter " in ast.unparse(body[0])
    readme = (wb / "README.md").read_text(encoding="utf-8")
    assert f"{sum(map(len, stubs.values()))} functions and methods" in readme and "make grade" in readme


def test_untouched_skeleton_fails_not_written_yet(skeleton):
    wb, stubs = skeleton
    ok, lines, results = grade.grade(wb)
    assert not ok
    for r in results:
        if stubs.get(r["stem"]):                            # a chapter that exports code
            assert not r["ok"], r["stem"]
            first = next(c for c in r["checks"] if c["kind"] != "passed")
            kind = r["stopped"]["kind"] if first["kind"] == "not reached" else first["kind"]
            assert kind == "not written yet", (r["stem"], first, r["stopped"])
    assert any("not written yet" in ln for ln in lines)


def test_restored_package_passes_everything(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    shutil.rmtree(wb / "micrograd")
    shutil.copytree(ROOT / "micrograd", wb / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    ok, lines, results = grade.grade(wb)
    assert ok, "\n".join(lines)
    assert len(results) == len(skeleton[1]) and lines[-1] == f"grade: {len(results)} of {len(results)} chapters pass"


def test_half_way_02_to_04_done_05_stubbed(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    mixed_package(wb, "04_chain_rule")
    ok, lines, results = grade.grade(wb, "05")
    assert not ok
    by = {r["label"]: r for r in results}
    assert [r["label"] for r in results][-1] == "05"
    for label, r in by.items():
        assert r["ok"] == (label != "05"), "\n".join(lines)
    assert "not written yet" in "\n".join(lines[lines.index(next(ln for ln in lines if ln.startswith("chapter 05"))):])


def test_a_mistake_in_the_mul_rule_is_explained(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    mixed_package(wb, skeleton[0].joinpath("book").glob("12*").__next__().stem)   # all the book's code
    engine = wb / "micrograd" / "engine.py"
    text = engine.read_text(encoding="utf-8")
    m = re.search(r"^def _rule_mul\(out\):\n((?:    .*\n)+)", text, re.M)
    assert m, "no _rule_mul in the engine"
    wrong = "    a, b = out._prev\n    a.grad += out.grad\n    b.grad += out.grad\n"   # forgets the other factor
    engine.write_text(text[: m.start(1)] + wrong + text[m.end(1):], encoding="utf-8")
    ok, lines, results = grade.grade(wb, "05")
    report = "\n".join(lines)
    assert not ok
    by = {r["label"]: r for r in results}
    assert all(by[k]["ok"] for k in by if k < "05"), report
    five = next(ln for ln in lines if ln.startswith("chapter 05"))
    after = lines[lines.index(five):]
    assert after[1].startswith("  first failing check: `") and "failed" in after[1], report
    assert any(re.search(r"is -?\d[\d.e-]*, expected -?\d", ln) for ln in after), report   # actual vs expected


def test_bad_input(skeleton, tmp_path):
    with pytest.raises(grade.GradeError, match="is not a workbook"):
        grade.grade(tmp_path)
    with pytest.raises(grade.GradeError, match=r"there is no chapter '99'; the chapters are 01, 02"):
        grade.grade(skeleton[0], "99")
    wb = copy_of(skeleton[0], tmp_path)
    engine = wb / "micrograd" / "engine.py"
    lines = engine.read_text(encoding="utf-8").split("\n")
    at = next(i for i, ln in enumerate(lines) if ln.startswith("class Value"))
    lines.insert(at + 1, "    def broken(:")
    engine.write_text("\n".join(lines), encoding="utf-8")
    before = tree_digest(wb)
    ok, out, _ = grade.grade(wb, "02")
    text = "\n".join(out)
    assert not ok and "SyntaxError" in text and f"{engine}, line {at + 2}" in text, text
    assert tree_digest(wb) == before                        # the grader never changes the learner's files
