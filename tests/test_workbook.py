"""The workbook (book/_tools/workbook.py) and its grader (book/_tools/grade.py), hand-written, not generated.

The three cases a learner goes through: the untouched skeleton (every chapter that exports code fails, "not written
yet"), the work done (every check passes), and half-way (02-04 written, 05 still stubs). Then what the learner's
report of 2026-12-07 found (issue 20, item 5): the layers of _quarto.yml, the package a notebook imports, a learner's
work kept, the grader's warnings and one-line reports, one chapter at a time and fast, failures that name the rule,
the operation and the operand, a node reached along two paths, and the prose that states what the checks demand.
"""
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
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


def copy_of(wb: Path, tmp: Path, name: str = "copy") -> Path:
    dest = tmp / name
    shutil.copytree(wb, dest)   # copy2: the files keep their times, so no notebook looks newer than its export
    return dest


def restored(wb: Path, tmp: Path, name: str = "copy") -> Path:
    "A copy of the workbook with the book's own package written in."
    dest = copy_of(wb, tmp, name)
    shutil.rmtree(dest / "micrograd")
    shutil.copytree(ROOT / "micrograd", dest / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    now = time.time()
    for f in (dest / "micrograd").glob("*.py"):   # written after the notebooks, as by nbdev_export
        os.utime(f, (now + 1, now + 1))
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


def replace_function(path: Path, name: str, body: str) -> None:
    "Give the top-level function `name` of a package file a new body (the lines after its `def` line)."
    text = path.read_text(encoding="utf-8")
    m = re.search(rf"^def {re.escape(name)}\(.*\n((?:(?:    .*)?\n)+?)(?=\S|\Z)", text, re.M)
    assert m, f"no function {name} in {path}"
    path.write_text(text[: m.start(1)] + body + text[m.end(1):], encoding="utf-8")


def cell_with(nb: dict, text: str) -> dict:
    return next(c for c in nb["cells"] if text in workbook.src(c))


def save(nb: dict, path: Path) -> None:
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def chapter(results: list[dict], label: str) -> dict:
    return next(r for r in results if r["label"] == label)


def section(lines: list[str], label: str) -> str:
    "The report's lines for one chapter."
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"chapter {label} "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[start:end])


# ---- the three cases

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
    assert not any(ln.startswith(("warning", "note")) for ln in lines), lines[:3]   # nothing differs from the export


def test_restored_package_passes_everything(skeleton, tmp_path):
    wb = restored(skeleton[0], tmp_path)
    ok, lines, results = grade.grade(wb)
    assert ok, "\n".join(lines)
    assert len(results) == len(skeleton[1]) and lines[-1].startswith(f"grade: {len(results)} of {len(results)} chapters pass")


def test_half_way_02_to_04_done_05_stubbed(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    mixed_package(wb, "04_chain_rule")
    ok, lines, results = grade.grade(wb, "05")
    assert not ok
    by = {r["label"]: r for r in results}
    assert [r["label"] for r in results][-1] == "05"
    for label, r in by.items():
        assert r["ok"] == (label != "05"), "\n".join(lines)
    assert "not written yet" in section(lines, "05")


def test_bad_input(skeleton, tmp_path):
    with pytest.raises(grade.GradeError, match="is not a workbook"):
        grade.grade(tmp_path)
    with pytest.raises(grade.GradeError, match=r"there is no chapter '99'; the chapters are 01, 02"):
        grade.grade(skeleton[0], "99")
    with pytest.raises(grade.GradeError, match="either --upto .* or --only"):
        grade.grade(skeleton[0], "02", "03")
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


# ---- 1. the layers come from _quarto.yml

def scratch_book(root: Path, quarto: str) -> Path:
    "A book of three one-function chapters (01 main line, 02 in Part III, 03 an appendix) with the given _quarto.yml."
    (root / "book").mkdir(parents=True)
    (root / "micrograd").mkdir()
    shutil.copy(ROOT / "settings.ini", root)
    (root / "micrograd" / "__init__.py").write_text('__version__ = "0.1.0"\n', encoding="utf-8")
    (root / "_quarto.yml").write_text(quarto, encoding="utf-8")
    for stem, fn in (("01_main", "twice"), ("02_real", "thrice"), ("03_kit", "show")):
        cells = [{"cell_type": "markdown", "metadata": {}, "source": f"# Chapter {stem}", "id": "c0"},
                 {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                  "source": f"#| default_exp m{stem[:2]}", "id": "c1"},
                 {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                  "source": f'#| export\ndef {fn}(x):\n    "The {fn} of x."\n    return x * {len(fn)}', "id": "c2"},
                 {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                  "source": f"#| test works\nassert {fn}(1) == {len(fn)}", "id": "c3"}]
        save({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, root / "book" / f"{stem}.ipynb")
    return root


QUARTO = """book:
  chapters:
    - index.ipynb
    - part: "The main line"
      chapters:
        - book/01_main.ipynb
    - part: "Making it real: speed and strictness"
      chapters:
        - book/02_real.ipynb
  appendices:
    - book/03_kit.ipynb
"""


def test_layers_follow_quarto_yml(tmp_path):
    root = scratch_book(tmp_path / "book", QUARTO)
    stubs = workbook.make(root, tmp_path / "wb", quiet=True)
    wb = tmp_path / "wb"
    assert stubs == {"01_main": ["twice"], "02_real": ["thrice"], "03_kit": []}
    pkg = {f.stem: f.read_text(encoding="utf-8") for f in (wb / "micrograd").glob("m*.py")}
    assert "raise NotImplementedError('Chapter 01, twice: " in pkg["m01"]                  # the main line: a stub
    assert "raise NotImplementedError('Chapter 02 (optional: Part III), thrice: " in pkg["m02"]   # optional
    assert "return x * 4" in pkg["m03"] and "NotImplementedError" not in pkg["m03"]      # an instrument: given
    readme = (wb / "README.md").read_text(encoding="utf-8")
    assert "Part III, *making it real* (02 (1)), is optional" in readme and "instruments (03) are given" in readme
    assert "1 functions and methods in 1 chapters of the main line" in readme
    ok, lines, results = grade.grade(wb)
    assert [(r["label"], r["ok"], r["optional"]) for r in results] == [
        ("01", False, False), ("02", False, True), ("03", True, False)], lines
    assert "(optional, Part III: not written yet)" in section(lines, "02") and not ok   # 01 is not written
    # the same book restructured: no Part III, the kit in the main line
    (root / "_quarto.yml").write_text(QUARTO.replace('Making it real: speed and strictness', 'More').replace(
        "  appendices:\n    - book/03_kit.ipynb\n", "    - book/03_kit.ipynb\n"), encoding="utf-8")
    shutil.rmtree(wb)
    assert workbook.make(root, wb, quiet=True) == {"01_main": ["twice"], "02_real": ["thrice"], "03_kit": ["show"]}
    assert "(optional" not in (wb / "micrograd" / "m02.py").read_text(encoding="utf-8")
    (root / "_quarto.yml").write_text(QUARTO.replace("        - book/01_main.ipynb\n", ""), encoding="utf-8")
    with pytest.raises(workbook.WorkbookError, match="book/01_main.ipynb is not in .*_quarto.yml"):
        workbook.make(root, tmp_path / "wb2", quiet=True)


def test_the_books_layers(skeleton):
    wb, stubs = skeleton
    layers = json.loads((wb / workbook.MANIFEST).read_text(encoding="utf-8"))["layers"]
    import yaml
    from budget import layers as book_layers
    main, part3, instruments = book_layers(yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8")))
    assert {s for s, layer in layers.items() if layer == workbook.INSTRUMENTS} == {Path(p).stem for p in instruments}
    assert {s for s, layer in layers.items() if layer == workbook.PART_III} == {Path(p).stem for p in part3}
    for stem in (Path(p).stem for p in instruments):
        assert stubs[stem] == []
        assert workbook.src(next(c for c in workbook.read_nb(wb / "book" / f"{stem}.ipynb")["cells"]
                                 if c["cell_type"] == "code" and "#| test" not in workbook.src(c)))


# ---- 2. a notebook imports the workbook's package

def run_notebook(path: Path) -> str | None:
    "Run a notebook top to bottom as Jupyter does (its kernel in the notebook's folder); the error it stops on."
    import nbclient
    import nbformat
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        return re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    return None


def written(wb: Path, stem: str) -> None:
    "Put the book's own code into the exported cells of a workbook notebook, as a learner who wrote it there."
    path = wb / "book" / f"{stem}.ipynb"
    nb, book = workbook.read_nb(path), {c["id"]: c for c in workbook.read_nb(ROOT / "book" / f"{stem}.ipynb")["cells"]}
    for c in nb["cells"]:
        if c.get("id") in book and "NotImplementedError" in workbook.src(c):
            c["source"] = workbook.src(book[c["id"]])
    save(nb, path)


def test_a_notebook_imports_the_workbooks_package(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    # the skeleton: 02a stops at the workbook's own unwritten Value (with the book's package it would go on to
    # its own first stub, _nodes, and with all of the workbook's package, at chapter 05a's stub of Value.__init__)
    stopped = run_notebook(wb / "book" / "02a_drawing.ipynb")
    assert stopped is not None and "NotImplementedError: Chapter 02, Value.__init__" in stopped.strip().split("\n")[-1]
    # 01 and 02 written in the package, 02a in its notebook, the later chapters still stubs: 02a runs through
    mixed_package(wb, "02_value")
    written(wb, "02a_drawing")
    assert run_notebook(wb / "book" / "02a_drawing.ipynb") is None
    # a kernel that imported the book's package first is refused, with a message; so is a kernel outside
    guard = workbook.src(next(c for c in workbook.read_nb(wb / "book" / "02a_drawing.ipynb")["cells"]
                              if c.get("id") == "workbook-guard"))
    assert guard.startswith("#| hide\n# The workbook: run this cell first.")
    r = subprocess.run([sys.executable, "-c", f"import micrograd\nexec({guard!r})"], cwd=wb / "book",
                       capture_output=True, text=True)
    assert r.returncode and f"`micrograd` was imported from {ROOT / 'micrograd'} before this cell ran" in r.stderr
    r = subprocess.run([sys.executable, "-c", f"exec({guard!r})"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode and "this notebook belongs to a micrograd workbook, but the kernel runs in" in r.stderr


# ---- 3. make workbook keeps a learner's work

def test_make_workbook_keeps_the_learners_work(tmp_path):
    wb = tmp_path / "_workbook"
    workbook.make(ROOT, wb, quiet=True)
    workbook.make(ROOT, wb, quiet=True)                     # nothing changed: written anew
    nb_path = wb / "book" / "01_derivative.ipynb"
    nb = workbook.read_nb(nb_path)
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [{"output_type": "stream", "name": "stdout", "text": "ran\n"}], 1
    save(nb, nb_path)
    workbook.make(ROOT, wb, quiet=True)                     # a notebook that was only run is no work
    nb = workbook.read_nb(nb_path)
    cell = cell_with(nb, "def slope(")
    cell["source"] = workbook.src(cell).replace("raise NotImplementedError(", "return 0  # (")
    save(nb, nb_path)
    (wb / "micrograd" / "viz.py").write_text("# mine\n", encoding="utf-8")
    (wb / "scratch.py").write_text("print('mine')\n", encoding="utf-8")
    before = tree_digest(wb)
    with pytest.raises(workbook.WorkbookError) as e:
        workbook.make(ROOT, wb, quiet=True)
    assert "holds your work: 3 file(s)" in str(e.value) and "Nothing was changed" in str(e.value)
    assert "book/01_derivative.ipynb" in str(e.value) and "micrograd/viz.py" in str(e.value) and "scratch.py" in str(e.value)
    assert tree_digest(wb) == before
    assert workbook.main(["--out", str(wb)]) == 1 and tree_digest(wb) == before
    workbook.make(ROOT, wb, quiet=True, aside=True)        # --aside: kept beside the new one
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("_workbook.bak-")]
    assert len(kept) == 1 and tree_digest(kept[0]) == before
    assert "raise NotImplementedError('Chapter 01, slope" in workbook.src(cell_with(workbook.read_nb(nb_path), "def slope("))
    # a file that `make workbook` wrote then, and would write differently now (the book changed): not work
    manifest = json.loads((wb / workbook.MANIFEST).read_text(encoding="utf-8"))
    (wb / "README.md").write_text("an older README\n", encoding="utf-8")
    manifest["files"]["README.md"] = workbook.digest(wb / "README.md")
    (wb / workbook.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    workbook.make(ROOT, wb, quiet=True)
    assert (wb / "README.md").read_text(encoding="utf-8").startswith("# The micrograd workbook")


# ---- 4. the grader: a stale export, a syntax error, one chapter's failure, a local name

def test_the_grader_warns_when_a_notebook_is_not_exported(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    nb_path = wb / "book" / "01_derivative.ipynb"
    nb = workbook.read_nb(nb_path)
    book = workbook.read_nb(ROOT / "book" / "01_derivative.ipynb")
    for name in ("def slope(", "def central_slope("):
        cell_with(nb, name)["source"] = workbook.src(cell_with(book, name))   # the learner's (right) code
    save(nb, nb_path)
    future = time.time() + 5
    os.utime(nb_path, (future, future))
    ok, lines, results = grade.grade(wb, only="01")
    assert lines[0].startswith("warning: book/01_derivative.ipynb is newer than micrograd/numeric.py") and not ok
    assert "run `nbdev_export` in" in lines[0] and chapter(results, "01")["stopped"]["kind"] == "not written yet"
    subprocess.run([str(Path(sys.executable).parent / "nbdev_export")], cwd=wb, check=True, capture_output=True)
    ok, lines, _ = grade.grade(wb, only="01")
    assert ok and not lines[0].startswith("warning"), lines


def test_a_syntax_error_in_a_notebook_is_one_line(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    nb_path = wb / "book" / "02a_drawing.ipynb"
    nb = workbook.read_nb(nb_path)
    cell = cell_with(nb, "def _record(")
    cell["source"] = workbook.src(cell) + "\n    return f(:"
    save(nb, nb_path)
    index = nb["cells"].index(cell)
    line = len(workbook.src(cell).split("\n"))
    ok, lines, results = grade.grade(wb, upto="03")
    assert [r["label"] for r in results] == ["01", "02", "02a", "03"] and not ok   # the others are still graded
    assert section(lines, "02a") == (f"chapter 02a (Drawing the graph): not graded: {wb.name}/book/02a_drawing.ipynb, "
                                     f"cell {index}, line {line}: invalid syntax (this cell is not valid Python)")


def test_a_failure_in_one_chapter_leaves_the_others_graded(skeleton, tmp_path, monkeypatch):
    wb = restored(skeleton[0], tmp_path)
    real = grade.grade_chapter

    def flaky(wb_, nb, *args, **kw):
        if nb.stem == "02_value":
            raise RuntimeError("something the grader did not foresee")
        return real(wb_, nb, *args, **kw)

    monkeypatch.setattr(grade, "grade_chapter", flaky)
    ok, lines, results = grade.grade(wb, upto="02a")
    assert not ok and [r["ok"] for r in results] == [True, False, True], lines
    assert "not graded: the grader failed on this chapter (RuntimeError: something" in section(lines, "02")
    monkeypatch.undo()
    replace_function(wb / "micrograd" / "numeric.py", "slope", "    while True:\n        pass\n")   # never returns
    ok, lines, results = grade.grade(wb, only="01", timeout=3)
    assert not ok and "the checks did not finish within 3 s (an endless loop?" in section(lines, "01")


def test_a_local_name_that_a_check_also_uses_is_no_crash(skeleton, tmp_path):
    wb = copy_of(skeleton[0], tmp_path)
    nb_path = wb / "book" / "06_operations.ipynb"
    nb = workbook.read_nb(nb_path)
    assert "\ntotal = start\n" in workbook.src(cell_with(nb, "#| test deep_graph"))   # a check binds `total`
    cell = cell_with(nb, "def _graph_ops(")                  # the learner's exported code uses it as a local name
    cell["source"] = workbook.src(cell).replace('    raise NotImplementedError(', '    total = 0\n    raise NotImplementedError(', 1)
    at = nb["cells"].index(cell)
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                "id": "mine", "source": "def my_sum(xs):\n    total = 0\n    for x in xs: total += x\n"
                                                        "    return total"})   # and a scratch cell of theirs too
    save(nb, nb_path)
    ok, lines, results = grade.grade(wb, only="06")
    r = chapter(results, "06")
    assert r["not graded"] is None and r["stopped"]["kind"] == "not written yet", lines


# ---- 5. one chapter, fast

def test_only_grades_one_chapter_and_fast_is_the_default(skeleton, tmp_path):
    wb = restored(skeleton[0], tmp_path)
    numeric = wb / "micrograd" / "numeric.py"                # a package that sees which mode it runs in
    numeric.write_text("import os\nassert os.environ.get('MICROGRAD_FAST') == '1', 'a full run'\n"   # first: no
                       + numeric.read_text(encoding="utf-8"), encoding="utf-8")               # chapter's block
    ok, lines, results = grade.grade(wb, only="01")
    assert ok and [r["label"] for r in results] == ["01"], lines
    assert lines[-1] == "grade: 1 of 1 chapters pass (fast: MICROGRAD_FAST=1, fewer random points; --full checks them all)"
    ok, lines, results = grade.grade(wb, only="01", full=True)
    assert not ok and "AssertionError: a full run" in section(lines, "01")
    assert [r["label"] for r in grade.grade(wb, only="02a_drawing")[2]] == ["02a"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(if $(ONLY),--only $(ONLY),)" in makefile and "$(if $(FULL),--full,)" in makefile


# ---- 6. a failing check names the rule, the operation and the operand

def test_a_mistake_in_the_mul_rule_is_explained(skeleton, tmp_path):
    wb = restored(skeleton[0], tmp_path)
    engine = wb / "micrograd" / "engine.py"
    wrong = "    a, b = out._prev\n    a.grad += out.grad\n    b.grad += out.grad\n"   # forgets the other factor
    replace_function(engine, "_rule_mul", wrong)
    ok, lines, results = grade.grade(wb, "05")
    report = "\n".join(lines)
    assert not ok
    by = {r["label"]: r for r in results}
    assert all(by[k]["ok"] for k in by if k < "05"), report
    five = section(lines, "05").split("\n")
    assert five[1].startswith("  first failing check: `rules_by_hand`") and "failed" in five[1], report
    assert ("AssertionError: the rule of '*' (_rule_mul) at the node x1*w1 gave its operand x1 the grad "
            "0.4999999999999998; by hand it is -1.4999999999999993") in five[2], report
    assert five[-1].startswith("  the grader's own check of each operation on one node: the rule of '*' looks wrong "
                               f"(RULES['*'] is _rule_mul, {engine} line "), report
    assert "for out = a * b at a = 2.0, b = -3.0, backward() gives the operand a the grad 1.0" in five[-1]
    # the same mistake in the engine's lean rule of chapter 05a: chapter 06 names it
    replace_function(engine, "_lean_mul", "    a, b, g = out._x, out._y, out.grad\n    a.grad += g\n    b.grad += g\n")
    ok, lines, _ = grade.grade(wb, only="06")
    six = section(lines, "06")
    assert "first failing check: `sub_neg`" in six and "d/db is 1.0 (-1, through the rules of '*' and '+')" in six
    assert "the rule of '*' looks wrong (RULES['*'] is _lean_mul" in six, six


def test_failed_asserts_show_the_loop_and_the_failing_element(skeleton, tmp_path):
    wb = restored(skeleton[0], tmp_path)
    nb_path = wb / "book" / "01_derivative.ipynb"
    nb = workbook.read_nb(nb_path)
    for name, code in (("probe_loop", 'for k in ("a", "b"):\n    assert {"a": 1, "b": 2}[k] == 1'),
                       ("probe_all", "assert all(abs(x - y) < 0.5 for x, y in zip([1.0, 2.0], [1.1, 2.9]))"),
                       ("probe_in", 'assert "must not be 0" in "the step is 0"')):
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                            "id": name, "source": f"#| test {name}\n{code}"})
    save(nb, nb_path)
    os.utime(nb_path, (1, 1))   # older than the package: the grade is the same either way
    _, _, results = grade.grade(wb, only="01")
    details = {c["name"]: c.get("detail") for c in results[0]["checks"]}
    assert details["probe_loop"] == "`{'a': 1, 'b': 2}[k]` is 2, expected == `1` = 1 (at k = 'b')"
    assert details["probe_all"] == ("`all(...)` is False: element 1 of `zip([1.0, 2.0], [1.1, 2.9])` (x = 2.0, y = 2.9) "
                                    "fails: `x` is 2.0, expected `y` = 2.9 (within 0.5)")
    assert details["probe_in"] == "`'the step is 0'` is 'the step is 0', which does not contain `'must not be 0'` = 'must not be 0'"


# ---- 7. a node reached along two paths

STACK_WALK = '''    order, seen, stack = [], {root}, [root]
    while stack:                       # lists a node when it first reaches it, then reads the list backwards
        node = stack.pop()
        order.append(node)
        for kid in node._prev:
            if kid not in seen:
                seen.add(kid)
                stack.append(kid)
    return order[::-1]
'''


@pytest.mark.parametrize("label,module,function,check,says", [
    ("02a", "viz.py", "_nodes", "two_paths", "_nodes lists e*c before its operand e"),
    ("05", "engine.py", "_topo", "topo_two_paths", "_topo lists e*c before its operand e"),
])
def test_a_walk_that_is_wrong_on_two_paths_fails_where_it_is_written(skeleton, tmp_path, label, module, function,
                                                                     check, says):
    wb = restored(skeleton[0], tmp_path)
    replace_function(wb / "micrograd" / module, function, STACK_WALK)
    _, lines, results = grade.grade(wb, only=label)
    failing = [c for c in results[0]["checks"] if c["kind"] == "failed"]
    assert [c["name"] for c in failing][:1] == [check], section(lines, label)
    assert says in failing[0]["message"], failing[0]
    if label == "05":
        assert "backward_two_paths" in [c["name"] for c in failing]
        gave = next(c for c in failing if c["name"] == "backward_two_paths")["message"]
        assert "backward() gives a the grad -3.0, by hand -15.0" in gave, gave


# ---- 8. what the checks demand is said in the prose above the stub

@pytest.mark.parametrize("stem,stub,said", [
    ("01_derivative", "def slope(", "`slope: the step h must not be 0`"),
    ("01_derivative", "def central_slope(", "`central_slope: the step h must not be 0`"),
    ("02a_drawing", "def _dot_body(", "`draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got 'left'`"),
    ("02a_drawing", "def _dot_body(", "`draw_dot: expected a Value, got float 4.0`"),
    ("02a_drawing", "def _dot_body(", '`v4 [label="{ d | data 4.0000 | grad 0.0000 }" shape=record]`'),
    ("02a_drawing", "def _dot_body(", "`node [fontname=Helvetica fontsize=11]`"),
    ("02a_drawing", "def _dot_body(", "`v4_op [label=\"+\" shape=ellipse width=0.3 height=0.3 margin=0.02]`"),
    ("06_operations", "def gradcheck(", "`tol * (1 + |g|)`"),
    ("06_operations", "def gradcheck(", "`8 * ε * (1 + |f|) / step`"),
    ("06_operations", "def gradcheck(", "`gradcheck: d/dx1 at (2.0, -3.0): backward() gives 0.0, central difference"),
    ("06_operations", "def reals(", "`MICROGRAD_FAST` is `1`"),
])
def test_the_prose_above_a_stub_says_what_its_checks_demand(skeleton, stem, stub, said):
    cells = workbook.read_nb(skeleton[0] / "book" / f"{stem}.ipynb")["cells"]
    at = next(i for i, c in enumerate(cells) if stub in workbook.src(c))
    above = []
    for c in reversed(cells[:at]):                           # the text between the previous exported cell and this one
        if c["cell_type"] == "code" and re.match(r"#\|\s*export", workbook.src(c)):
            break
        if c["cell_type"] == "markdown":
            above.append(workbook.src(c))
    assert said in " ".join(" ".join(above).split()), f"{stem}: the text above `{stub}` does not say {said}"
    stated = {"01_derivative": ("slope: the step h must not be 0", "tests/test_01_derivative.py"),
              "02a_drawing": ("rankdir must be 'LR', 'TB', 'RL' or 'BT', got", "tests/test_05_backprop.py"),
              "06_operations": ('"d/dx1" in str(e) and "gives 0.0"', "tests/test_06_operations.py")}[stem]
    assert stated[0] in (ROOT / stated[1]).read_text(encoding="utf-8")   # and a check demands it
