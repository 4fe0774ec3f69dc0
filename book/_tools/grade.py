"""`make grade`: run the book's own checks, chapter by chapter, against a learner's workbook package.

Usage (from the repository root):
    python book/_tools/grade.py [WORKBOOK] [--upto 05]      (WORKBOOK defaults to _workbook, from `make workbook`)

For each chapter of the workbook, in the book's order, up to `--upto`:
  1. A scratch copy of the learner's package as it stands after that chapter: the code that later chapters export
     is blanked out (line for line, so that line numbers stay the learner's), so that a later chapter's
     unwritten stubs cannot get in the way of an earlier chapter's checks.
  2. The chapter's checks, generated from the workbook's notebook exactly as `make export` generates
     tests/test_<chapter>.py (book/_tools/build.py `test_module`: the same check cells, none written twice),
     run in a fresh interpreter against that copy.
  3. A report: how many checks pass, and the first that does not, with its name, the cell it is in, and what was
     expected against what came out; an unwritten stub is "not written yet"; a package that does not import is
     reported with the file and the line.
The grader reads the workbook and writes only to a temporary folder: it never changes the learner's files.
Exit status 0 when every graded chapter passes, 1 otherwise, 2 for bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, read_nb  # noqa: E402
from export_tests import test_module  # noqa: E402
from workbook import chapter_label  # noqa: E402

MARK = re.compile(r"^# %% (?:\.\./)*book/([^/\s]+)\.ipynb\b")


class GradeError(Exception):
    """Bad input: not a workbook, no such chapter."""


def workbook_chapters(wb: Path) -> list[Path]:
    """The chapters of a workbook, in the book's order; a GradeError if `wb` is not a workbook."""
    missing = [p for p in ("settings.ini", "book", "micrograd") if not (wb / p).exists()]
    if not wb.is_dir() or missing:
        raise GradeError(f"{wb} is not a workbook (it has no {', '.join(missing) or 'folder'}); "
                         "make one with `make workbook`, which writes _workbook/")
    nbs = sorted(p for p in (wb / "book").glob("*.ipynb") if not p.name.startswith(("_", ".")))
    if not nbs:
        raise GradeError(f"{wb} is not a workbook: {wb / 'book'} holds no chapter notebooks")
    return nbs


def select(nbs: list[Path], upto: str | None) -> list[Path]:
    """The chapters up to and including `upto` ('05', '05a' or a full stem such as '05_backprop')."""
    if upto is None:
        return nbs
    labels = [chapter_label(p.stem) for p in nbs]
    for i, p in enumerate(nbs):
        if upto in (labels[i], p.stem):
            return nbs[: i + 1]
    raise GradeError(f"there is no chapter {upto!r}; the chapters are {', '.join(labels)}")


def package_after(wb: Path, stem: str, order: list[str], dest: Path) -> Path:
    """Copy the learner's micrograd/ into dest, blanking the cells that chapters after `stem` export."""
    later = set(order[order.index(stem) + 1:])
    pkg = dest / "micrograd"
    shutil.copytree(wb / "micrograd", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for f in pkg.glob("*.py"):
        lines, owner = f.read_text(encoding="utf-8").split("\n"), None
        for i, ln in enumerate(lines):
            if ln.startswith("# %% "):
                m = MARK.match(ln)
                owner = m.group(1) if m else None
            if owner in later:
                lines[i] = ""
        f.write_text("\n".join(lines), encoding="utf-8")
    return dest


# Runs in a fresh interpreter: import the generated checks module, then report each check's outcome.
RUNNER = r'''
import ast, json, sys, traceback
path, pkg_root, learner_pkg = sys.argv[1], sys.argv[2], sys.argv[3]

def where(tb_or_exc):
    "The deepest place in the learner's package, as (file, line)."
    if isinstance(tb_or_exc, SyntaxError) and tb_or_exc.filename and tb_or_exc.filename.startswith(pkg_root):
        return tb_or_exc.filename.replace(pkg_root, learner_pkg, 1), tb_or_exc.lineno
    found = None
    for fr in traceback.extract_tb(tb_or_exc.__traceback__):
        if fr.filename.startswith(pkg_root):
            found = (fr.filename.replace(pkg_root, learner_pkg, 1), fr.lineno)
    return found

def explain(exc, tree):
    "For a failed assert: what its parts evaluated to, read from the check's own frame."
    tb = exc.__traceback__
    frame = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name.startswith("_cell_"):
            frame, line = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return None, None
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.Assert) and n.lineno <= line <= n.end_lineno), None)
    if node is None:
        return None, None
    env = dict(frame.f_globals)
    env.update(frame.f_locals)
    ev = lambda e: eval(compile(ast.Expression(e), "<check>", "eval"), env)
    parts = node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And) else [node.test]
    try:
        for part in parts:
            if ev(part):
                continue
            if isinstance(part, ast.Compare) and len(part.ops) == 1:
                left, right = part.left, part.comparators[0]
                op = ast.unparse(ast.Compare(left=ast.Name("a"), ops=part.ops, comparators=[ast.Name("b")]))[2:-2]
                if (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "abs"
                        and len(left.args) == 1 and isinstance(left.args[0], ast.BinOp)
                        and isinstance(left.args[0].op, ast.Sub) and op in ("<", "<=")):
                    got, want = left.args[0].left, left.args[0].right
                    return ast.unparse(node.test), (f"`{ast.unparse(got)}` is {ev(got)!r}, expected "
                                                   f"`{ast.unparse(want)}` = {ev(want)!r} (within {ev(right)!r})")
                got, want = ev(left), ev(right)
                return ast.unparse(node.test), differences(ast.unparse(left), got, op, ast.unparse(right), want)
            return ast.unparse(node.test), f"`{ast.unparse(part)}` is {ev(part)!r}"
    except Exception:
        pass
    return ast.unparse(node.test), None

def differences(lsrc, got, op, rsrc, want):
    "What a failed comparison compared; for two dicts or two sequences of one length, only the entries that differ."
    if op == "==" and type(got) is type(want) and isinstance(got, (dict, list, tuple)) and len(got) == len(want):
        keys = list(got) if isinstance(got, dict) else range(len(got))
        if isinstance(got, dict) and set(got) != set(want):
            keys = None
        if keys is not None:
            bad = [k for k in keys if got[k] != want[k]]
            if bad:
                shown = "; ".join(f"`{lsrc}[{k!r}]` is {got[k]!r}, expected {want[k]!r}" for k in bad[:4])
                more = f" (and {len(bad) - 4} more)" if len(bad) > 4 else ""
                return f"{shown}{more}, where `{rsrc}` holds what was expected"
    return f"`{lsrc}` is {got!r}, expected {op} `{rsrc}` = {want!r}"

def describe(exc, tree):
    if isinstance(exc, NotImplementedError):
        return {"kind": "not written yet", "message": str(exc)}
    if type(exc).__name__ == "Skipped":
        return {"kind": "skipped", "message": str(exc)}
    d = {"kind": "failed" if isinstance(exc, AssertionError) else "error",
         "message": f"{type(exc).__name__}: {exc}".rstrip(": ")}
    loc = where(exc)
    if loc and not isinstance(exc, AssertionError):
        d["where"] = f"{loc[0]}, line {loc[1]}"
    if isinstance(exc, AssertionError):
        d["assert"], d["detail"] = explain(exc, tree)
    return d

sys.path[:0] = [pkg_root, __import__("os").path.dirname(path)]
text = open(path, encoding="utf-8").read()
tree = ast.parse(text)
names = [n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
         and n.func.attr == "run" and isinstance(n.func.value, ast.Name) and n.func.value.id == "_checks"]
import importlib.util
spec = importlib.util.spec_from_file_location("chapter_checks", path)
mod = importlib.util.module_from_spec(spec)
stopped = None
try:
    spec.loader.exec_module(mod)
except BaseException as e:
    stopped = describe(e, tree)
    if isinstance(e, SyntaxError) or isinstance(e, ImportError):
        loc = where(e)
        if loc:
            stopped["where"] = f"{loc[0]}, line {loc[1]}"
    tb = traceback.extract_tb(e.__traceback__)
    at = next((f for f in reversed(tb) if f.filename == path), None)
    if at is not None:
        src_lines = text.split("\n")
        cell = next((ln.strip()[2:] for ln in reversed(src_lines[:at.lineno]) if ln.strip().startswith("# book/")), None)
        stopped["at"] = f"{cell} (`{at.line.strip()}`)" if cell else f"`{at.line.strip()}`"
checks = getattr(mod, "_checks", None)
outcome = checks.outcome if checks is not None else {}
result = []
for n in names:
    if n not in outcome:
        result.append({"name": n, "kind": "not reached"})
    elif outcome[n] is None:
        result.append({"name": n, "kind": "passed"})
    else:
        result.append({"name": n, **describe(outcome[n], tree)})
print("\n" + json.dumps({"checks": result, "stopped": stopped}))
'''


def cell_of(nb_path: Path, name: str) -> int | None:
    """The index of the cell `#| test name` in a chapter."""
    for i, c in enumerate(read_nb(nb_path)["cells"]):
        s = "".join(c.get("source", "")) if c.get("cell_type") == "code" else ""
        if re.match(rf"#\|\s*test\s+{re.escape(name)}\s*$", s.split("\n", 1)[0] if s else "", re.M) or \
                re.search(rf"^#\|\s*test\s+{re.escape(name)}\s*$", s, re.M):
            return i
    return None


def grade_chapter(wb: Path, nb: Path, order: list[str], python: str = sys.executable) -> dict:
    """Grade one chapter; return {'label', 'stem', 'checks': [...], 'stopped': ..., 'ok': bool}."""
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        t = Path(tmp)
        package_after(wb, nb.stem, order, t / "pkg")
        shutil.copytree(wb / "book", t / "book", ignore=shutil.ignore_patterns("*.ipynb", "__pycache__", ".*"))
        original = ROOT / ".build" / "micrograd-0.1.0"   # the chapters that compare with it look in .build/ above them
        if original.exists():
            (t / ".build").mkdir()
            (t / ".build" / "micrograd-0.1.0").symlink_to(original, target_is_directory=True)
        (t / "tests").mkdir()
        shutil.copy(ROOT / "tests" / "_chapters.py", t / "tests")
        text = test_module(nb, wb)
        res = {"label": chapter_label(nb.stem), "stem": nb.stem, "checks": [], "stopped": None}
        if text is None:
            res["ok"] = True
            return res
        mod = t / "tests" / f"test_{nb.stem}.py"
        mod.write_text(text, encoding="utf-8")
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTEST_CURRENT_TEST", None)
        env.pop("PYTEST_VERSION", None)
        r = subprocess.run([python, "-c", RUNNER, str(mod), str(t / "pkg"), str((wb / "micrograd").parent)],
                           capture_output=True, text=True, cwd=t / "book", env=env)
        try:
            out = json.loads(r.stdout.strip().split("\n")[-1])
        except (json.JSONDecodeError, IndexError):
            out = {"checks": [], "stopped": {"kind": "error", "message": f"the checks could not run (exit "
                                             f"{r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}"}}
        res.update(out)
        res["ok"] = res["stopped"] is None and all(c["kind"] in ("passed", "skipped") for c in res["checks"])
        for c in res["checks"]:
            c["cell"] = cell_of(nb, c["name"])
        return res


def title(nb: Path) -> str:
    for c in read_nb(nb)["cells"]:
        if c.get("cell_type") == "markdown":
            m = re.search(r"^#\s+(.*?)\s*(\{.*\})?\s*$", "".join(c["source"]), re.M)
            if m:
                return m.group(1)
    return nb.stem


def report(res: dict, nb: Path) -> list[str]:
    """The lines printed for one chapter."""
    checks = res["checks"]
    passed = sum(c["kind"] == "passed" for c in checks)
    skipped = sum(c["kind"] == "skipped" for c in checks)
    head = f"chapter {res['label']} ({title(nb)}): "
    if not checks and res["stopped"] is None:
        return [head + "no checks"]
    if res["ok"]:
        return [head + f"all {passed} checks pass" + (f" ({skipped} skipped)" if skipped else "")]
    lines = [head + f"{passed} of {len(checks)} checks pass"]
    first = next((c for c in checks if c["kind"] not in ("passed", "skipped")), None)
    stop = res["stopped"]
    if first is not None and first["kind"] != "not reached":
        lines.append(f"  first failing check: `{first['name']}` ({nb.parent.name}/{nb.name}, cell {first['cell']}): "
                     f"{first['kind']}")
        lines += _details(first)
    elif stop is not None:
        reached = f", before the check `{first['name']}`" if first is not None else ""
        lines.append(f"  the chapter stopped{reached}: {stop['kind']}" + (f", in {stop['at']}" if stop.get("at") else ""))
        lines += _details(stop)
    return lines


def _details(d: dict) -> list[str]:
    out = []
    if d.get("message"):
        out.append(f"    {d['message']}")
    if d.get("where"):
        out.append(f"    at {d['where']}")
    if d.get("assert"):
        out.append(f"    the check: assert {d['assert']}")
    if d.get("detail"):
        out.append(f"    {d['detail']}")
    return out


def grade(wb: Path, upto: str | None = None) -> tuple[bool, list[str], list[dict]]:
    nbs = workbook_chapters(wb)
    todo = select(nbs, upto)
    order = [p.stem for p in nbs]
    lines, results, ok = [], [], True
    for nb in todo:
        res = grade_chapter(wb, nb, order)
        results.append(res)
        lines += report(res, nb)
        ok = ok and res["ok"]
    passed = sum(r["ok"] for r in results)
    lines.append(f"grade: {passed} of {len(results)} chapters pass")
    return ok, lines, results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workbook", nargs="?", type=Path, default=ROOT / "_workbook")
    ap.add_argument("--upto", help="the last chapter to grade, e.g. 05 or 05a (default: all)")
    a = ap.parse_args(argv)
    try:
        ok, lines, _ = grade(a.workbook.resolve(), a.upto)
    except GradeError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
