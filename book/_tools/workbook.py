"""`make workbook`: the book as a workbook, generated from the same chapters, in _workbook/ (ignored by git).

Usage (from the repository root):
    python book/_tools/workbook.py [--out _workbook]

What it writes:
    _workbook/book/NN_slug.ipynb   each chapter as in the book, except that the body of every exported function
                                   and method is a stub: its signature and docstring stay, and the body raises
                                   NotImplementedError("Chapter 05, _rule_mul: ...") with a one-line hint
    _workbook/micrograd/           the package skeleton, exported from those notebooks by nbdev
    _workbook/settings.ini         so that `nbdev_export` in _workbook/ writes micrograd/ from the notebooks
    _workbook/README.md            how to work through it and how to check the work (`make grade`)
Prose, figures, examples, drafts (`Value_v1` and the like) and check cells stay as they are: a learner writes
the exported code only. book/_tools/grade.py runs the chapters' own checks against the learner's package.
"""
from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters, read_nb, split_directives, src  # noqa: E402

STUB = "raise NotImplementedError({msg!r})"
EXPORTS = ("export", "exporti", "exports")


def chapter_label(stem: str) -> str:
    """'05_backprop' -> '05': how the stubs, the grader and the README name a chapter."""
    return stem.split("_", 1)[0]


def hint(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A one-line hint for a stubbed function, read off the book's own body: the attributes it reads or sets
    (of its arguments and its local names), the functions it calls, and whether it returns a value."""
    known = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    known |= {a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None}
    body = ast.Module(body=fn.body, type_ignores=[])
    known |= {n.id for n in ast.walk(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    attrs, calls, returns = [], [], False
    for node in ast.walk(body):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in known:
            attrs.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in known:
            calls.append(node.func.id)
        elif isinstance(node, ast.Return) and node.value is not None:
            returns = True
    parts = []
    attrs, calls = list(dict.fromkeys(attrs))[:6], list(dict.fromkeys(calls))[:4]
    if attrs:
        parts.append("uses " + ", ".join(attrs))
    if calls:
        parts.append("calls " + ", ".join(f"{c}()" for c in calls))
    parts.append("returns a result" if returns else "returns nothing")
    return "; ".join(parts) + " (the text before this cell explains it)"


def stub_functions(code: str, label: str) -> tuple[str, list[str]]:
    """Replace the body of every top-level function and every method of a top-level class with a stub.

    Returns the new code and the qualified names stubbed. The signature, decorators and docstring are kept as
    written (the lines are cut from the source, not regenerated, so comments before a function survive)."""
    tree = ast.parse(code)
    lines = code.split("\n")
    targets: list[tuple[ast.AST, str]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            targets.append((node, node.name))
        elif isinstance(node, ast.ClassDef):
            targets += [(m, f"{node.name}.{m.name}") for m in node.body
                        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    # from the bottom up, so that the line numbers of the ones above stay right
    for fn, qual in sorted(targets, key=lambda t: t[0].lineno, reverse=True):
        body = fn.body
        has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                   and isinstance(body[0].value.value, str))
        msg = f"Chapter {label}, {qual}: {hint(fn)}"
        first = body[1] if has_doc and len(body) > 1 else (None if has_doc else body[0])
        if first is None:   # a docstring only: nothing to write
            continue
        start, end = first.lineno - 1, fn.end_lineno  # the body's first line (0-based) to the function's end
        if first.lineno == fn.lineno:  # `def f(): pass` on one line: keep the line up to the body
            lines[start:end] = [lines[start][: first.col_offset].rstrip().rstrip(";"),
                                " " * (fn.col_offset + 4) + STUB.format(msg=msg)]
        else:
            lines[start:end] = [" " * first.col_offset + STUB.format(msg=msg)]
    return "\n".join(lines), [q for _, q in sorted(targets, key=lambda t: t[0].lineno)]


def stub_notebook(nb: dict, label: str) -> tuple[dict, list[str]]:
    """The chapter with every exported cell's functions stubbed; its outputs cleared (the learner runs it)."""
    nb = json.loads(json.dumps(nb))
    stubbed = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        text = src(cell)
        bare, _, code = split_directives(text)
        if not any(k in dict(bare) for k in EXPORTS) or not code.strip():
            continue
        head = text[: len(text) - len(code)]
        new, names = stub_functions(code, label)
        cell["source"] = head + new
        stubbed += names
    return nb, stubbed


README = """# The micrograd workbook

Generated by `make workbook` from the chapters of *micrograd, the book*; `make workbook` writes it anew each
time, so keep your work in a copy (for example `cp -r _workbook ~/my-micrograd`) if you rebuild it.

Every chapter is here as in the book, with one difference: the body of every function and method that the
book exports into the package is gone. Its signature and docstring are still there, and it raises
`NotImplementedError` with the chapter, the name and a one-line hint. Writing those bodies is the work:
{n_stubs} functions and methods in {n_chapters} chapters.

You write only the exported code. Everything else (the prose, the examples, the first drafts such as
`Value_v1`, and the check cells) is left in full, because the text builds on it and the checks are how you
know you are done.

## How to work

- In the notebooks: open `book/01_derivative.ipynb` in Jupyter, read, fill in each stub, run the chapter top
  to bottom; then `nbdev_export` (in this folder) writes your code into `micrograd/`.
- Or straight in the files: edit `micrograd/*.py` (each function sits under a `# %% ../book/<chapter>` line
  that says which chapter it belongs to; keep those lines).

Work in the book's order: a chapter uses what the earlier chapters built.

## How to check your work

From the book's repository:

    make grade                    # every chapter
    make grade UPTO=05            # chapters 01 to 05
    python book/_tools/grade.py _workbook --upto 05

The grader runs the book's own checks, chapter by chapter, against your package as it stands after that
chapter (a later chapter's stubs do not get in the way). For each chapter it prints the checks that pass and
the first one that fails, with its name and what it expected; a function you have not written yet is reported
as "not written yet". It never changes your files.

Chapters: {chapter_list}
"""


def make(root: Path = ROOT, out: Path | None = None, quiet: bool = False) -> dict[str, list[str]]:
    """Write the workbook; return {chapter: [stubbed names]}."""
    out = out or root / "_workbook"
    shutil.rmtree(out, ignore_errors=True)
    (out / "micrograd").mkdir(parents=True)
    shutil.copy(root / "settings.ini", out)
    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns("_tools", ".*", "__pycache__", "*.ipynb"))
    init = root / "micrograd" / "__init__.py"
    if init.exists():
        shutil.copy(init, out / "micrograd")
    stubs: dict[str, list[str]] = {}
    for nb_path in chapters(root):
        if nb_path.parent != root / "book":
            continue  # the home page previews the finished package: it is not part of the work
        label = chapter_label(nb_path.stem)
        nb, names = stub_notebook(read_nb(nb_path), label)
        (out / "book" / nb_path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        stubs[nb_path.stem] = names
    nbdev_export = shutil.which("nbdev_export", path=str(Path(sys.executable).parent)) or "nbdev_export"
    r = subprocess.run([nbdev_export], cwd=out, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"workbook: nbdev_export failed in {out}:\n{r.stdout}{r.stderr}")
    n = sum(map(len, stubs.values()))
    listing = ", ".join(f"{chapter_label(s)} ({len(v)})" for s, v in stubs.items())
    (out / "README.md").write_text(README.format(n_stubs=n, n_chapters=sum(1 for v in stubs.values() if v),
                                                 chapter_list=listing), encoding="utf-8")
    if not quiet:
        print(f"workbook: {out}: {len(stubs)} chapters, {n} stubs ({listing})")
    return stubs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "_workbook")
    a = ap.parse_args(argv)
    make(ROOT, a.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
