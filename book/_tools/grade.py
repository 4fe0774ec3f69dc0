"""`make grade`: run the book's own checks, chapter by chapter, against a learner's workbook package.

Usage (from the repository root):
    python book/_tools/grade.py [WORKBOOK] [--upto 05 | --only 05] [--full] [--timeout S]
                                                             (WORKBOOK defaults to _workbook, from `make workbook`)

Before grading, the workbook's notebooks are exported into a scratch folder and compared with its micrograd/: a
chapter whose export cells differ from the package while its notebook is newer is named in a warning (the learner
edited the notebook and did not run nbdev_export; the grade is of micrograd/ as it stands).

For each chapter of the workbook, in the book's order, up to `--upto` (or only `--only`):
  1. Every code cell of the chapter must be valid Python: if one is not, the chapter's report is one line with the
     cell, the line and the message, and the grader goes on with the next chapter.
  2. A scratch copy of the learner's package as it stands after that chapter: the code that later chapters export
     is blanked out (line for line, so that line numbers stay the learner's), so that a later chapter's
     unwritten stubs cannot get in the way of an earlier chapter's checks. It has the workbook's layout
     (micrograd/, book/, .workbook.json), so that the notebook's first cell imports that copy, as in Jupyter.
  3. The chapter's checks, generated from the workbook's notebook as `make export` generates
     tests/test_<chapter>.py (book/_tools/build.py `test_module`: the same check cells, none written twice),
     run in a fresh interpreter against that copy. The learner's exported cells become imports there, so their
     code is never read for the rule that later cells must not need a check cell's names; in the other cells, a
     name local to a function does not count as a use.
  4. A report: how many checks pass, and the first that does not, with its name, the cell it is in, and what was
     expected against what came out (for an assert in a loop, the loop's variables; for `all(...)`, the first
     element that fails); an unwritten stub is "not written yet"; a package that does not import is reported with
     the file and the line. When a check fails, the grader also runs each operation of the engine on one node and
     compares its gradient with a central difference: a wrong rule is named with its operation and operand.
A chapter that cannot be graded (a chapter that does not finish within --timeout seconds, say) is reported in one
line, and the other chapters' results stand. A chapter of Part III that is not written yet is reported as
optional, not as a failure.

Speed: the checks that draw random points (hypothesis, micrograd.testing.check_settings) read MICROGRAD_FAST; the
grader sets MICROGRAD_FAST=1, a tenth of the points, unless --full, the final check, asks for all of them.
The grader reads the workbook and writes only to a temporary folder: it never changes the learner's files.
Exit status 0 when every graded chapter passes, 1 otherwise, 2 for bad input.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_tests  # noqa: E402
from common import ROOT, BuildError, read_nb, split_directives, src  # noqa: E402
from export_tests import test_module  # noqa: E402
from workbook import HELPER, IMPORTER, MAIN, MANIFEST, PART_III, chapter_label  # noqa: E402

MARK = re.compile(r"^# %% (?:\.\./)*book/([^/\s]+)\.ipynb\b")
EXPORTS = ("export", "exporti", "exports")
FAST = "MICROGRAD_FAST"     # the checks' fast setting (micrograd.testing.check_settings reads it)
TIMEOUT = {False: 300, True: 1800}   # seconds per chapter: fast mode, full mode


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


def select(nbs: list[Path], upto: str | None, only: str | None = None) -> list[Path]:
    """The chapters up to and including `upto`, or the one chapter `only` ('05', '05a' or a stem such as
    '05_backprop'); all of them when neither is given."""
    if upto is not None and only is not None:
        raise GradeError("give either --upto (the chapters up to one) or --only (one chapter), not both")
    want = upto if upto is not None else only
    if want is None:
        return nbs
    labels = [chapter_label(p.stem) for p in nbs]
    for i, p in enumerate(nbs):
        if want in (labels[i], p.stem):
            return nbs[: i + 1] if only is None else [p]
    raise GradeError(f"there is no chapter {want!r}; the chapters are {', '.join(labels)}")


def layers(wb: Path) -> dict[str, str]:
    """Chapter stem -> layer, as `make workbook` recorded it (every chapter the main line for an older workbook)."""
    try:
        return dict(json.loads((wb / MANIFEST).read_text(encoding="utf-8")).get("layers", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def package_after(wb: Path, stem: str, order: list[str], dest: Path) -> Path:
    """Copy the learner's micrograd/ into dest/micrograd, blanking the cells that chapters after `stem` export."""
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


# ---- the notebooks against the package: exported or not?

def owned_blocks(pkg: Path) -> dict[str, dict[str, str]]:
    """chapter stem -> {module file name: the code the chapter exports into it}, read off nbdev's `# %%` lines
    (the lines themselves left out: their cell numbers move when a cell is added)."""
    out: dict[str, dict[str, str]] = {}
    for f in sorted(pkg.glob("*.py")):
        owner, cur = None, []
        for ln in f.read_text(encoding="utf-8").split("\n") + ["# %% end"]:
            if ln.startswith("# %% "):
                if owner is not None:
                    mod = out.setdefault(owner, {})
                    mod[f.name] = (mod.get(f.name, "") + "\n".join(cur).strip() + "\n")
                m = MARK.match(ln)
                owner, cur = (m.group(1) if m else None), []
            else:
                cur.append(ln.rstrip())
    return out


def export_drift(wb: Path, stems: list[str]) -> list[str]:
    """Warnings for the chapters among `stems` whose notebook's export cells differ from the learner's package."""
    exe = shutil.which("nbdev_export", path=str(Path(sys.executable).parent)) or shutil.which("nbdev_export")
    if exe is None:
        return ["warning: nbdev_export is not installed: the grader cannot tell whether micrograd/ is exported "
                "from the notebooks"]
    with tempfile.TemporaryDirectory(prefix="grade-export-") as tmp:
        t = Path(tmp)
        shutil.copy(wb / "settings.ini", t)
        shutil.copytree(wb / "book", t / "book", ignore=shutil.ignore_patterns(".*", "__pycache__"))
        (t / "micrograd").mkdir()
        if (wb / "micrograd" / "__init__.py").exists():
            shutil.copy(wb / "micrograd" / "__init__.py", t / "micrograd")
        r = subprocess.run([exe], cwd=t, capture_output=True, text=True)
        if r.returncode:
            last = (r.stderr or r.stdout).strip().split("\n")[-1]
            return [f"warning: nbdev_export fails on the workbook's notebooks ({last}): the grader cannot tell "
                    "whether micrograd/ is what they export"]
        fresh = owned_blocks(t / "micrograd")
    have, out, in_files = owned_blocks(wb / "micrograd"), [], []
    for stem in stems:
        if fresh.get(stem, {}) == have.get(stem, {}):
            continue
        files = sorted(set(fresh.get(stem, {})) | set(have.get(stem, {})))
        newest = max((os.path.getmtime(wb / "micrograd" / f) for f in files if (wb / "micrograd" / f).exists()),
                     default=0.0)
        if os.path.getmtime(wb / "book" / f"{stem}.ipynb") > newest:
            out.append(f"warning: book/{stem}.ipynb is newer than {', '.join(f'micrograd/{f}' for f in files)}, and "
                       "its export cells differ from them: you edited the notebook and did not export it. This grade "
                       f"is of micrograd/ as it stands; run `nbdev_export` in {wb} to grade the notebook's code")
        else:
            in_files.append(chapter_label(stem))
    if in_files:
        out.append(f"note: micrograd/ is newer than the export cells of chapter(s) {', '.join(in_files)} and differs "
                   "from them (you work in the files?): the grade is of micrograd/, and `nbdev_export` would write "
                   "those notebooks' cells over it")
    return out


# ---- a chapter's notebook, made ready for test_module

def syntax_problem(nb_path: Path) -> str | None:
    """'cell 45, line 20: invalid syntax' for the first code cell that is not valid Python (or uses an IPython
    magic, which the checks cannot run); None when every cell is fine."""
    for i, cell in enumerate(read_nb(nb_path)["cells"]):
        if cell.get("cell_type") != "code":
            continue
        text = src(cell)
        _, _, code = split_directives(text)
        skipped = len(text.split("\n")) - len(code.split("\n"))   # the `#|` lines above the code
        for k, line in enumerate(code.split("\n")):
            if re.match(r"\s*[%!]", line):
                return (f"cell {i}, line {k + 1 + skipped}: an IPython magic or shell escape (`{line.strip()[:40]}`), "
                        "which the checks cannot run: take it out of the notebook")
        try:
            ast.parse(code)
        except SyntaxError as e:
            return f"cell {i}, line {(e.lineno or 1) + skipped}: {e.msg} (this cell is not valid Python)"
    return None


def as_imports(nb: dict) -> dict:
    """The notebook with each exported cell's code replaced by bindings of the names it defines: in the checks'
    module an exported cell is an import of those names from the package, and its code is never run there."""
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        text = src(cell)
        bare, _, code = split_directives(text)
        if any(k in dict(bare) for k in EXPORTS) and code.strip():
            names = export_tests.defined_names(code, f"cell {i}")
            cell["source"] = text[: len(text) - len(code)] + (" = ".join(names) + " = None" if names else "pass")
    return nb


def module_level_uses(code: str) -> set[str]:
    """The names a cell's code reads from the module's namespace: at top level, or as a global inside a function
    or class (a name local to a function is not one)."""
    try:
        top = symtable.symtable(code, "<cell>", "exec")
    except SyntaxError:
        return set()
    found, todo = set(), [(top, True)]
    while todo:
        table, is_top = todo.pop()
        found |= {s.get_name() for s in table.get_symbols()
                  if s.is_referenced() and (is_top or s.is_global())}
        todo += [(child, False) for child in table.get_children()]
    return found


@contextlib.contextmanager
def scope_aware_names():
    """While it is active, test_module's check that a cell does not need a check cell's names counts only the names
    a cell reads from the module (book/_tools/export_tests.py counts every name it reads, a local one too)."""
    saved = export_tests.used_names
    export_tests.used_names = module_level_uses
    try:
        yield
    finally:
        export_tests.used_names = saved


# ---- the checks of one chapter, in a fresh interpreter

# Runs in a fresh interpreter: import the generated checks module, then report each check's outcome.
RUNNER = r'''
import ast, json, math, re, sys, traceback
path, pkg_dir, learner_pkg = sys.argv[1], sys.argv[2], sys.argv[3]

def mapped(filename):
    "A file of the scratch package as the learner's own path."
    return filename.replace(pkg_dir, learner_pkg, 1)

def where(exc):
    "The deepest place in the learner's package, as (file, line)."
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(pkg_dir):
        return mapped(exc.filename), exc.lineno
    found = None
    for fr in traceback.extract_tb(exc.__traceback__):
        if fr.filename.startswith(pkg_dir):
            found = (mapped(fr.filename), fr.lineno)
    return found

def short(value, width=160):
    text = repr(value)
    return text if len(text) <= width else text[: width - 5] + " ...)"

def check_frame(exc):
    "The frame of the check cell (a function _cell_<name>) where the exception passed last, and its line."
    tb, found = exc.__traceback__, (None, None)
    while tb is not None:
        if tb.tb_frame.f_code.co_name.startswith("_cell_"):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found

def loop_values(tree, node, env):
    "`k = 'x1'` for the variables of the for-loops around an assert (what the assert was checking when it failed)."
    names = []
    for loop in ast.walk(tree):
        if isinstance(loop, ast.For) and loop.lineno < node.lineno <= loop.end_lineno:
            names += [n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)]
    shown = [f"{n} = {short(env[n], 80)}" for n in dict.fromkeys(names) if n in env]
    return ", ".join(shown)

def explain(exc, tree):
    "For a failed assert: what its parts evaluated to, read from the check's own frame."
    frame, line = check_frame(exc)
    if frame is None:
        return None, None
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.Assert) and n.lineno <= line <= n.end_lineno), None)
    if node is None:
        return None, None
    env = dict(frame.f_globals)
    env.update(frame.f_locals)
    detail = None
    try:
        detail = explain_test(node.test, env)
    except Exception:
        pass
    context = loop_values(tree, node, env)
    if context:
        detail = f"{detail} (at {context})" if detail else f"at {context}"
    return ast.unparse(node.test), detail

def ev(e, env):
    return eval(compile(ast.Expression(e), "<check>", "eval"), env)

def explain_test(test, env):
    "Why an assert's test is false: its first false part, explained."
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for part in parts:
        if ev(part, env):
            continue
        if isinstance(part, ast.Compare):
            return explain_compare(part, env)
        if (isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id == "all"
                and len(part.args) == 1 and isinstance(part.args[0], ast.GeneratorExp)):
            return explain_all(part, part.args[0], env)
        return f"`{ast.unparse(part)}` is {short(ev(part, env))}"
    return None

def explain_compare(part, env):
    "The first false link of a comparison (a == b == c is two links), with both sides' values."
    left = part.left
    for op_node, right in zip(part.ops, part.comparators):
        link = ast.fix_missing_locations(ast.copy_location(ast.Compare(left=left, ops=[op_node], comparators=[right]), part))
        if not ev(link, env):
            break
        left = right
    op = ast.unparse(ast.Compare(left=ast.Name("a"), ops=[op_node], comparators=[ast.Name("b")]))[2:-2]
    if (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "abs"
            and len(left.args) == 1 and isinstance(left.args[0], ast.BinOp)
            and isinstance(left.args[0].op, ast.Sub) and op in ("<", "<=")):
        got, want = left.args[0].left, left.args[0].right
        return (f"`{ast.unparse(got)}` is {short(ev(got, env))}, expected `{ast.unparse(want)}` = "
                f"{short(ev(want, env))} (within {short(ev(right, env))})")
    return differences(ast.unparse(left), ev(left, env), op, ast.unparse(right), ev(right, env))

def explain_all(call, gen, env):
    "For all(x for x in xs) that is False: the first element for which it fails, and what it evaluated to."
    if len(gen.generators) != 1 or gen.generators[0].ifs or gen.generators[0].is_async:
        return f"`{ast.unparse(call)}` is False"
    comp = gen.generators[0]
    names = [n.id for n in ast.walk(comp.target) if isinstance(n, ast.Name)]
    for i, item in enumerate(ev(comp.iter, env)):
        local = dict(env)
        assign = ast.fix_missing_locations(ast.Module([ast.Assign(targets=[comp.target],
                                                                  value=ast.Name("_item_", ast.Load()))], []))
        local["_item_"] = item
        exec(compile(assign, "<check>", "exec"), local)
        if ev(gen.elt, local):
            continue
        at = ", ".join(f"{n} = {short(local[n], 80)}" for n in names)
        why = explain_test(gen.elt, local) or f"`{ast.unparse(gen.elt)}` is {short(ev(gen.elt, local))}"
        if isinstance(gen.elt, ast.Call) and why.endswith(" is False"):
            args = "; ".join(f"`{ast.unparse(a)}` is {short(ev(a, local), 80)}" for a in gen.elt.args)
            why = f"{why}, where {args}" if args else why
        return f"`all(...)` is False: element {i} of `{ast.unparse(comp.iter)}` ({at}) fails: {why}"
    return f"`{ast.unparse(call)}` is False"

def differences(lsrc, got, op, rsrc, want):
    "What a failed comparison compared; for two dicts or two sequences of one length, only the entries that differ."
    if op in ("in", "not in"):
        return (f"`{rsrc}` is {short(want, 300)}, which {'does not contain' if op == 'in' else 'contains'} "
                f"`{lsrc}` = {short(got)}")
    if op == "==" and type(got) is type(want) and isinstance(got, (dict, list, tuple)) and len(got) == len(want):
        keys = list(got) if isinstance(got, dict) else range(len(got))
        if isinstance(got, dict) and set(got) != set(want):
            keys = None
        if keys is not None:
            bad = [k for k in keys if got[k] != want[k]]
            if bad:
                shown = "; ".join(f"`{lsrc}[{k!r}]` is {short(got[k], 80)}, expected {short(want[k], 80)}" for k in bad[:4])
                more = f" (and {len(bad) - 4} more)" if len(bad) > 4 else ""
                return f"{shown}{more}, where `{rsrc}` holds what was expected"
    return f"`{lsrc}` is {short(got)}, expected {op} `{rsrc}` = {short(want)}"

# One node per operation: (op name, the expression, the leaves' values). `audit` compares backward() on it with
# central differences, and names the first operation whose gradient is wrong, its rule and the operand.
AUDIT = (("+", "a + b", (2.0, -3.0)), ("*", "a * b", (2.0, -3.0)), ("tanh", "a.tanh()", (0.7,)),
         ("exp", "a.exp()", (0.7,)), ("log", "a.log()", (1.3,)), ("sigmoid", "a.sigmoid()", (0.7,)),
         ("ReLU", "a.relu()", (0.7,)), ("**3", "a ** 3", (0.7,)), ("pow", "a ** b", (1.3, 0.7)),
         ("sum", "vsum([a, b, c])", (0.5, -1.5, 2.0)), ("dot", "dot([a, b], [c, d], e)", (0.5, -1.5, 2.0, 0.25, 3.0)))

def audit():
    eng = sys.modules.get("micrograd.engine")
    rules = getattr(eng, "RULES", None)
    if not isinstance(rules, dict):
        return None
    base = {"vsum": getattr(eng, "vsum", None), "dot": getattr(eng, "dot", None)}
    for op, expr, xs in AUDIT:
        names = "abcde"[: len(xs)]
        build = lambda vals: eval(expr, dict(base, **{n: eng.Value(v) for n, v in zip(names, vals)}))
        try:
            leaves = [eng.Value(x) for x in xs]
            out = eval(expr, dict(base, **dict(zip(names, leaves))))
            if getattr(out, "_op", None) != op or op not in rules:
                continue
            out.backward()
            for i, (n, leaf) in enumerate(zip(names, leaves)):
                h = 1e-6
                up, down = list(xs), list(xs)
                up[i], down[i] = xs[i] + h, xs[i] - h
                num = (build(up).data - build(down).data) / (2 * h)
                if not (isinstance(leaf.grad, (int, float)) and abs(leaf.grad - num) <= 1e-5 * (1 + abs(num))):
                    rule = rules[op]
                    code = getattr(rule, "__code__", None)
                    at = (f", {mapped(code.co_filename)} line {code.co_firstlineno}"
                          if code is not None and code.co_filename.startswith(pkg_dir) else "")
                    point = ", ".join(f"{m} = {v!r}" for m, v in zip(names, xs))
                    return (f"the rule of {op!r} looks wrong (RULES[{op!r}] is {getattr(rule, '__name__', rule)!s}{at}): "
                            f"for out = {expr} at {point}, backward() gives the operand {n} the grad {leaf.grad!r}, "
                            f"where the central difference says {num:.10g}")
        except Exception:
            continue
    return None

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

sys.path[:0] = [__import__("os").path.dirname(pkg_dir), __import__("os").path.dirname(path)]
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
    if isinstance(e, (SyntaxError, ImportError)):
        loc = where(e)
        if loc:
            stopped["where"] = f"{loc[0]}, line {loc[1]}"
    tb = traceback.extract_tb(e.__traceback__)
    at = next((f for f in reversed(tb) if f.filename == path), None)
    if at is not None:
        src_lines = text.split("\n")
        cell = next((ln.strip()[2:] for ln in reversed(src_lines[:at.lineno])
                     if re.fullmatch(r"# book/\S+\.ipynb, cell \d+", ln.strip())), None)
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
hint = None
if any(r["kind"] in ("failed", "error") for r in result) or (stopped or {}).get("kind") in ("failed", "error"):
    try:
        hint = audit()
    except BaseException:
        hint = None
print("\n" + json.dumps({"checks": result, "stopped": stopped, "hint": hint}))
'''


def cell_of(nb_path: Path, name: str) -> int | None:
    """The index of the cell `#| test name` in a chapter."""
    for i, c in enumerate(read_nb(nb_path)["cells"]):
        s = src(c) if c.get("cell_type") == "code" else ""
        if re.search(rf"^#\|\s*test\s+{re.escape(name)}\s*$", s, re.M):
            return i
    return None


def scratch(wb: Path, nb: Path, order: list[str], t: Path) -> Path | None:
    """Lay out the scratch copy for grading chapter `nb` in `t` (see the module's docstring, step 2); return the
    checks' module, or None when the chapter has no checks. A BuildError when test_module refuses the notebook."""
    package_after(wb, nb.stem, order, t)
    shutil.copytree(wb / "book", t / "book", ignore=shutil.ignore_patterns("*.ipynb", "__pycache__", ".*"))
    manifest = wb / MANIFEST
    if manifest.is_file():
        shutil.copy(manifest, t / MANIFEST)
    else:   # a workbook from before the manifest: its notebooks have no first cell that needs one
        (t / MANIFEST).write_text(json.dumps({"layers": dict.fromkeys(order, MAIN)}), encoding="utf-8")
    (t / HELPER).write_text(IMPORTER, encoding="utf-8")
    original = ROOT / ".build" / "micrograd-0.1.0"   # the chapters that compare with it look in .build/ above them
    if original.exists():
        (t / ".build").mkdir()
        (t / ".build" / "micrograd-0.1.0").symlink_to(original, target_is_directory=True)
    (t / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "_chapters.py", t / "tests")
    ready = t / "book" / nb.name
    ready.write_text(json.dumps(as_imports(read_nb(nb)), ensure_ascii=False), encoding="utf-8")
    with scope_aware_names():
        text = test_module(ready, t)
    if text is None:
        return None
    mod = t / "tests" / f"test_{nb.stem}.py"
    mod.write_text(text, encoding="utf-8")
    return mod


def run_checks(mod: Path, t: Path, wb: Path, full: bool, timeout: float, python: str) -> dict:
    """Run a chapter's checks module in a fresh interpreter; {'checks', 'stopped', 'hint'}."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    for key in ("PYTEST_CURRENT_TEST", "PYTEST_VERSION", FAST):
        env.pop(key, None)
    if not full:
        env[FAST] = "1"
    try:
        r = subprocess.run([python, "-c", RUNNER, str(mod), str(t / "micrograd"), str(wb / "micrograd")],
                           capture_output=True, text=True, cwd=t / "book", env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"checks": [], "stopped": {"kind": "error", "message": f"the checks did not finish within {timeout:g} s "
                                          "(an endless loop? --timeout gives them longer)"}}
    try:
        return json.loads(r.stdout.strip().split("\n")[-1])
    except (json.JSONDecodeError, IndexError):
        return {"checks": [], "stopped": {"kind": "error", "message": f"the checks could not run (exit "
                                          f"{r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}"}}


def grade_chapter(wb: Path, nb: Path, order: list[str], python: str = sys.executable, full: bool = False,
                  timeout: float | None = None, layer: str = MAIN) -> dict:
    """Grade one chapter; return {'label', 'stem', 'layer', 'checks': [...], 'stopped', 'hint', 'ok', 'seconds'}.

    Never raises for a problem in the learner's chapter: a notebook that is not valid Python, or that the checks'
    module cannot be made from, gives a result with 'not graded' (one line of report)."""
    start = time.perf_counter()
    res = {"label": chapter_label(nb.stem), "stem": nb.stem, "layer": layer, "checks": [], "stopped": None,
           "hint": None, "not graded": None}
    bad = syntax_problem(nb)
    if bad is not None:
        res["not graded"] = f"{wb.name}/book/{nb.name}, {bad}"
    else:
        with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
            t = Path(tmp)
            try:
                mod = scratch(wb, nb, order, t)
            except BuildError as e:
                res["not graded"] = str(e).replace("book/", f"{wb.name}/book/", 1)
            else:
                if mod is not None:
                    res.update(run_checks(mod, t, wb, full, timeout or TIMEOUT[full], python))
    for c in res["checks"]:
        c["cell"] = cell_of(nb, c["name"])
    res["ok"] = (res["not graded"] is None and res["stopped"] is None
                 and all(c["kind"] in ("passed", "skipped") for c in res["checks"]))
    res["optional"] = layer == PART_III and not res["ok"] and first_problem(res) == "not written yet"
    res["seconds"] = time.perf_counter() - start
    return res


def first_problem(res: dict) -> str | None:
    """The kind of the first thing that went wrong in a chapter ('not written yet', 'failed', ...)."""
    first = next((c for c in res["checks"] if c["kind"] not in ("passed", "skipped")), None)
    if first is not None and first["kind"] != "not reached":
        return first["kind"]
    return (res["stopped"] or {}).get("kind") if res["stopped"] else ("not graded" if res["not graded"] else None)


def title(nb: Path) -> str:
    for c in read_nb(nb)["cells"]:
        if c.get("cell_type") == "markdown":
            m = re.search(r"^#\s+(.*?)\s*(\{.*\})?\s*$", src(c), re.M)
            if m:
                return m.group(1)
    return nb.stem


def report(res: dict, nb: Path) -> list[str]:
    """The lines printed for one chapter."""
    checks = res["checks"]
    passed = sum(c["kind"] == "passed" for c in checks)
    skipped = sum(c["kind"] == "skipped" for c in checks)
    head = f"chapter {res['label']} ({title(nb)}): "
    if res.get("not graded"):
        return [head + f"not graded: {res['not graded']}"]
    if not checks and res["stopped"] is None:
        return [head + "no checks"]
    if res["ok"]:
        return [head + f"all {passed} checks pass" + (f" ({skipped} skipped)" if skipped else "")]
    optional = f" (optional, {PART_III}: not written yet)" if res.get("optional") else ""
    lines = [head + f"{passed} of {len(checks)} checks pass{optional}"]
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
    if res.get("hint"):
        lines.append(f"  the grader's own check of each operation on one node: {res['hint']}")
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


def grade(wb: Path, upto: str | None = None, only: str | None = None, full: bool = False,
          timeout: float | None = None, say=None) -> tuple[bool, list[str], list[dict]]:
    """Grade the chapters of the workbook `wb` (all, up to `upto`, or `only` one); return (ok, lines, results).

    `say(line)`, when given, is called with every line as soon as it is known, so that a long run shows each
    chapter's result when it is done. A problem in one chapter never stops the others from being graded."""
    nbs = workbook_chapters(wb)
    todo = select(nbs, upto, only)
    order = [p.stem for p in nbs]
    layer = layers(wb)
    lines, results = [], []

    def out(new: list[str]) -> None:
        lines.extend(new)
        for ln in new:
            if say is not None:
                say(ln)

    out(export_drift(wb, [p.stem for p in todo]))
    for nb in todo:
        try:
            res = grade_chapter(wb, nb, order, full=full, timeout=timeout, layer=layer.get(nb.stem, MAIN))
        except Exception as e:   # the grader's own failure: this chapter has no grade, the others still do
            res = {"label": chapter_label(nb.stem), "stem": nb.stem, "layer": layer.get(nb.stem, MAIN), "checks": [],
                   "stopped": None, "hint": None, "ok": False, "optional": False, "seconds": 0.0,
                   "not graded": f"the grader failed on this chapter ({type(e).__name__}: {e})"}
        results.append(res)
        out(report(res, nb))
    passed = sum(r["ok"] for r in results)
    optional = sum(bool(r.get("optional")) for r in results)
    mode = "" if full else f" (fast: {FAST}=1, fewer random points; --full checks them all)"
    summary = f"grade: {passed} of {len(results)} chapters pass"
    if optional:
        summary += f"; {optional} optional chapter(s) of {PART_III} not written yet"
    out([summary + mode])
    return all(r["ok"] or r.get("optional") for r in results), lines, results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workbook", nargs="?", type=Path, default=ROOT / "_workbook")
    ap.add_argument("--upto", help="the last chapter to grade, e.g. 05 or 05a (default: all)")
    ap.add_argument("--only", help="grade this chapter alone, e.g. 05 (against the package as it stands after it)")
    ap.add_argument("--full", action="store_true", help="every random point of every check (the final check)")
    ap.add_argument("--timeout", type=float, help=f"seconds a chapter may take (default {TIMEOUT[False]}, "
                                                  f"with --full {TIMEOUT[True]})")
    a = ap.parse_args(argv)
    try:
        ok, _, _ = grade(a.workbook.resolve(), a.upto, a.only, a.full, a.timeout,
                         say=lambda ln: print(ln, flush=True))
    except GradeError as e:
        print(f"grade: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted (the chapters above were graded)", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
