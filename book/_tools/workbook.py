"""`make workbook`: the book as a workbook, generated from the same chapters, in _workbook/ (ignored by git).

Usage (from the repository root):
    python book/_tools/workbook.py [--out _workbook] [--aside]

What it writes:
    _workbook/book/NN_slug.ipynb   each chapter as in the book, except that the body of every exported function
                                   and method of the main line is a stub: its signature and docstring stay, and the
                                   body raises NotImplementedError("Chapter 05, _rule_mul: ...") with a one-line hint
    _workbook/micrograd/           the package skeleton, exported from those notebooks by nbdev
    _workbook/settings.ini         so that `nbdev_export` in _workbook/ writes micrograd/ from the notebooks
    _workbook/README.md            how to work through it and how to check the work (`make grade`)
    _workbook/workbook_import.py   how the notebooks import that package (HELPER, below)
    _workbook/.workbook.json       what was written (each chapter's layer and stubs, a digest of every file), which
                                   the notebooks' first cell, the grader and the next `make workbook` read

The layers come from _quarto.yml (book/_tools/budget.py `layers`): the main line's exported code is stubbed; the
stubs of Part III (the part whose title starts with "Making it real") say that they are optional; the instruments
(the appendices) keep their code, a given kit. Every notebook starts with a cell (GUARD) after which `import
micrograd` loads the workbook's package, the learner's code, as it stands after that chapter (an import hook,
HELPER, leaves out the later chapters' blocks), and which refuses with a message when `micrograd` was already
imported from anywhere else (the book's package, say, in a kernel that imported it first).

Prose, figures, examples, drafts (`Value_v1` and the like) and check cells stay as they are: a learner writes
the exported code only. book/_tools/grade.py runs the chapters' own checks against the learner's package.

A learner's work is never erased: when _workbook/ exists and a notebook's cells or any other file differ from both
what `make workbook` wrote there and what it would write now (or a file is there that it did not write),
`make workbook` stops with a message that names them and changes nothing; `--aside` first moves the old workbook
to _workbook.bak-<time>.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters, read_nb, split_directives, src  # noqa: E402

STUB = "raise NotImplementedError({msg!r})"
EXPORTS = ("export", "exporti", "exports")
MANIFEST = ".workbook.json"
MAIN, PART_III, INSTRUMENTS = "main line", "Part III", "instruments"
# Files a learner's tools leave behind: not work, and not compared.
SCRATCH = ("__pycache__", ".ipynb_checkpoints", ".DS_Store")

HELPER = "workbook_import.py"
GUARD_ID = "workbook-guard"

# The first code cell of every workbook notebook (see the module's docstring). It runs in Jupyter, under nbclient and
# in the grader, whose scratch copy has the workbook's layout: the folder with .workbook.json holds micrograd/ and
# HELPER. `{chapter}` is the notebook's own chapter.
GUARD = '''#| hide
# The workbook: run this cell first. It makes the chapter import YOUR package, this workbook's micrograd/ as it
# stands after this chapter (the later chapters' stubs left out), and not the finished package of the book.
import importlib.util as _iu
from pathlib import Path as _Path
_wb = next((p for p in (_Path.cwd(), *_Path.cwd().parents) if (p / "{manifest}").is_file()), None)
if _wb is None:
    raise RuntimeError(f"this notebook belongs to a micrograd workbook, but the kernel runs in {_Path.cwd()}, "
                       "outside it: open the notebook from the workbook's book/ folder, where Jupyter starts its kernel")
_spec = _iu.spec_from_file_location("workbook_import", _wb / "{helper}")
_helper = _iu.module_from_spec(_spec)
_spec.loader.exec_module(_helper)
_helper.use(_wb, "{chapter}")
del _iu, _Path, _wb, _spec, _helper'''.replace("{manifest}", MANIFEST).replace("{helper}", HELPER)

# HELPER's text: how a workbook notebook imports the workbook's package (the guard above loads it by its path).
IMPORTER = '''"""How this workbook's notebooks import its package (written by `make workbook`; do not edit).

The first cell of every notebook calls `use(workbook_folder, chapter)`. From then on `import micrograd` in that
kernel loads micrograd/ of this workbook, your code, as it stands after that chapter: the blocks that later
chapters export (under their `# %% ../book/<chapter>.ipynb` lines) are left out, line for line, so that their
unwritten stubs cannot get in the way, and a traceback shows your own files with their own line numbers.
Your files are read, never changed.
"""
import importlib.machinery
import importlib.util
import json
import re
import sys
from pathlib import Path

MARK = re.compile(r"^# %% (?:\\.\\./)*book/([^/\\s]+)\\.ipynb\\b")


def source_after(text, later):
    "A module's text with the lines of the blocks that the chapters in `later` export made blank."
    lines, owner = text.split("\\n"), None
    for i, line in enumerate(lines):
        if line.startswith("# %% "):
            m = MARK.match(line)
            owner = m.group(1) if m else None
        if owner in later:
            lines[i] = ""
    return "\\n".join(lines)


class _Loader(importlib.machinery.SourceFileLoader):
    "Compiles a module of the package from its text without the later chapters' blocks (no bytecode cache)."
    later = frozenset()

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        text = Path(path).read_text(encoding="utf-8")
        return compile(source_after(text, self.later), path, "exec", dont_inherit=True)


class _Finder:
    "Finds `micrograd` and its modules in this workbook's micrograd/ folder, before any other place."
    micrograd_workbook = True

    def __init__(self, pkg, later):
        self.pkg, self.later = pkg, later

    def find_spec(self, name, path=None, target=None):
        if name != "micrograd" and not name.startswith("micrograd."):
            return None
        base = self.pkg.joinpath(*name.split(".")[1:])
        is_pkg = (base / "__init__.py").is_file()
        file = base / "__init__.py" if is_pkg else base.with_suffix(".py")
        if not file.is_file():
            return None
        loader = _Loader(name, str(file))
        loader.later = self.later
        return importlib.util.spec_from_file_location(
            name, file, loader=loader, submodule_search_locations=[str(base)] if is_pkg else None)


def use(folder, chapter):
    "Make `import micrograd` load this workbook's package as it stands after `chapter`; return the package."
    folder = Path(folder).resolve()
    pkg = folder / "micrograd"
    have = sys.modules.get("micrograd")
    if have is not None and Path(have.__file__).resolve().parent != pkg:
        raise ImportError(f"`micrograd` was imported from {Path(have.__file__).parent} before this cell ran, not "
                          f"from this workbook's {pkg}: restart the kernel and run the notebook from the top")
    order = list(json.loads((folder / ".workbook.json").read_text(encoding="utf-8")).get("layers", {}))
    later = frozenset(order[order.index(chapter) + 1:]) if chapter in order else frozenset()
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "micrograd_workbook", False)]
    sys.meta_path.insert(0, _Finder(pkg, later))
    import micrograd
    if Path(micrograd.__file__).resolve().parent != pkg:
        raise ImportError(f"`micrograd` comes from {Path(micrograd.__file__).parent}, not from this workbook's {pkg}: "
                          "restart the kernel and run the notebook from the top")
    return micrograd
'''


class WorkbookError(Exception):
    """Bad input, or a workbook that holds a learner's work."""


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
    written (the lines are cut from the source, not regenerated, so comments before a function survive).
    `label` opens each stub's message: 'Chapter 05' names the chapter."""
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


def stub_label(label: str, layer: str = MAIN) -> str:
    """What a stub's message opens with after 'Chapter ': '05', or '05a (optional: Part III)'."""
    return f"{label} (optional: {PART_III})" if layer == PART_III else label


def stub_notebook(nb: dict, label: str, layer: str = MAIN) -> tuple[dict, list[str]]:
    """The chapter with every exported cell's functions stubbed; its outputs cleared (the learner runs it).

    An instrument's chapter (`layer` INSTRUMENTS) keeps its code: only its outputs are cleared, and no names are
    returned. A chapter of Part III is stubbed with messages that say the stub is optional."""
    nb = json.loads(json.dumps(nb))
    stubbed = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        text = src(cell)
        bare, _, code = split_directives(text)
        if layer == INSTRUMENTS or not any(k in dict(bare) for k in EXPORTS) or not code.strip():
            continue
        head = text[: len(text) - len(code)]
        new, names = stub_functions(code, stub_label(label, layer))
        cell["source"] = head + new
        stubbed += names
    return nb, stubbed


def with_guard(nb: dict, stem: str) -> dict:
    """The notebook of the chapter `stem` with GUARD as a code cell before its first code cell."""
    at = next((i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"), len(nb["cells"]))
    cell = {"cell_type": "code", "execution_count": None, "id": GUARD_ID, "metadata": {}, "outputs": [],
            "source": GUARD.replace("{chapter}", stem)}
    nb["cells"].insert(at, cell)
    return nb


def chapter_layers(root: Path) -> dict[str, str]:
    """Page (relative to `root`, e.g. 'book/05_backprop.ipynb') -> its layer, from root/_quarto.yml."""
    import yaml  # the book's build needs it (smalldocs's dependency)

    from budget import layers

    path = root / "_quarto.yml"
    if not path.is_file():
        raise WorkbookError(f"{path} is missing: the workbook takes the book's layers from its parts and appendices")
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise WorkbookError(f"{path} is not valid YAML: {e}") from None
    main, part3, instruments = layers(cfg)
    out = {}
    for pages, layer in ((main, MAIN), (part3, PART_III), (instruments, INSTRUMENTS)):
        out.update((str(p), layer) for p in pages)
    return out


def digest(path: Path) -> str:
    """A file's digest; for a notebook, of its cells' kinds and sources only (running it changes no digest), and
    without the first cell that `make workbook` adds (GUARD), which is no work of the learner's."""
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        try:
            cells = [c for c in json.loads(data.decode("utf-8")).get("cells", []) if c.get("id") != GUARD_ID]
            data = json.dumps([[c.get("cell_type"), src(c)] for c in cells], ensure_ascii=False).encode("utf-8")
        except (ValueError, UnicodeDecodeError, AttributeError):
            pass  # not a notebook any more: compared byte for byte
    return hashlib.sha256(data).hexdigest()


def files_of(d: Path) -> dict[str, str]:
    """Relative path -> digest of every file under `d` (but the manifest and SCRATCH)."""
    out = {}
    for p in sorted(d.rglob("*")):
        rel = p.relative_to(d)
        if p.is_file() and rel.as_posix() != MANIFEST and not any(part in SCRATCH for part in rel.parts):
            out[rel.as_posix()] = digest(p)
    return out


def learner_changes(old: Path, fresh: dict[str, str]) -> list[str]:
    """The files of the workbook `old` that are a learner's: changed (or added) since `make workbook` wrote them,
    and not what it would write now (`fresh`). Without a manifest, every file that differs from `fresh`."""
    try:
        written = json.loads((old / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        written = {}
    return [rel for rel, h in files_of(old).items() if h not in (written.get(rel), fresh.get(rel))]


README = """# The micrograd workbook

Generated by `make workbook` from the chapters of *micrograd, the book*.

Every chapter is here as in the book, with one difference: the body of every function and method that the
main line of the book exports into the package is gone. Its signature and docstring are still there, and it
raises `NotImplementedError` with the chapter, the name and a one-line hint. Writing those bodies is the work:
{n_stubs} functions and methods in {n_chapters} chapters of the main line ({main_list}).

{part3_text}

{instruments_text}

You write only the exported code. Everything else (the prose, the examples, the first drafts such as
`Value_v1`, and the check cells) is left in full, because the text builds on it and the checks are how you
know you are done.

## Which package a notebook imports

Yours. After the first cell of a notebook, `import micrograd` loads `micrograd/` here, your code, and not
the finished package of the book that the book's repository installs; and it loads it as it stands after that
chapter: the code of the later chapters is left out (`workbook_import.py` does it, reading your files without
changing them), so that their stubs do not get in the way. If `micrograd` was already imported from somewhere
else in the kernel, that cell stops with a message: restart the kernel and run the notebook from the top.
Open the notebooks from this folder's `book/`, so that Jupyter starts the kernel there.

## How to work

- In the notebooks: open `book/01_derivative.ipynb` in Jupyter, read, fill in each stub, run the chapter top
  to bottom: its own cells define what you write in it, and what it imports from earlier chapters comes from
  your package in `micrograd/`. Then `nbdev_export` (in this folder) writes the notebooks' code into
  `micrograd/`, which is what the next chapters and the grader read. Run it after every change: until you
  do, the package holds your previous version (the grader warns when a notebook is newer than the package
  and the two differ).
- Or straight in the files: edit `micrograd/*.py` (each function sits under a `# %% ../book/<chapter>` line
  that says which chapter it belongs to; keep those lines). Then do not run `nbdev_export`, which would
  write the notebooks' stubs over your files.

Work in the book's order: a chapter uses what the earlier chapters built. Outside the notebooks (a plain
`python` in this folder), importing `micrograd` runs every chapter's module code, so until the later chapters
are written a few imports stop at their stubs; the notebooks and the grader leave the later chapters out.

## Your work is kept

`make workbook` never erases your work. When this folder exists and any notebook's cells or any file in it
differ from what `make workbook` wrote (or a file is here that it did not write), it stops, names the files,
and changes nothing. To get a fresh workbook anyway, move this one away first, or run
`python book/_tools/workbook.py --aside`, which moves it to `_workbook.bak-<date>-<time>` and then writes a
new one. Running a notebook without changing its cells does not count as a change.

## How to check your work

From the book's repository:

    make grade                    # every chapter, quickly: fewer random points in the checks that draw them
    make grade UPTO=05            # chapters 01 to 05
    make grade ONLY=05            # chapter 05 alone (against your package as it stands after chapter 05)
    make grade FULL=1             # every check at its full number of random points: the final check
    python book/_tools/grade.py _workbook --only 05 --full

The grader runs the book's own checks, chapter by chapter, against your package as it stands after that
chapter (a later chapter's stubs do not get in the way). For each chapter it prints the checks that pass and
the first one that fails, with its name, the cell it is in and what it expected; a function you have not
written yet is reported as "not written yet"; when a check fails, it also tries each operation's rule on one
node and names a rule whose gradient is wrong. A notebook cell that is not valid Python is reported in one
line, with its cell and line. By default the checks that draw random points draw a tenth of them
(`MICROGRAD_FAST=1`, which the grader sets); `--full` draws them all. It never changes your files.

Chapters: {chapter_list}
"""


def _listing(stubs: dict[str, list[str]], stems: list[str]) -> str:
    return ", ".join(f"{chapter_label(s)} ({len(stubs[s])})" for s in stems) or "none"


def readme(stubs: dict[str, list[str]], layer: dict[str, str]) -> str:
    main = [s for s in stubs if layer[s] == MAIN]
    part3 = [s for s in stubs if layer[s] == PART_III]
    given = [s for s in stubs if layer[s] == INSTRUMENTS]
    part3_text = (f"Part III, *making it real* ({_listing(stubs, part3)}), is optional: its "
                  f"{sum(len(stubs[s]) for s in part3)} stubs say so in their message (\"Chapter NN (optional: "
                  "Part III), ...\"), and the grader reports an unwritten Part III chapter as optional, not as a "
                  "failure. It makes the engine fast and strict; the main line does not need it."
                  if part3 else "The book has no Part III (making it real) yet: every stub is part of the main line.")
    instruments_text = (f"The book's instruments ({', '.join(chapter_label(s) for s in given)}) are given: their "
                        "chapters keep their code, and the package holds it, ready to use on your engine."
                        if given else "The book lists no instruments (appendices).")
    listing = ", ".join(f"{chapter_label(s)} ({len(v)}{', optional' if layer[s] == PART_III else ''}"
                        f"{', given' if layer[s] == INSTRUMENTS else ''})" for s, v in stubs.items())
    return README.format(n_stubs=sum(len(stubs[s]) for s in main),
                         n_chapters=sum(1 for s in main if stubs[s]), main_list=_listing(stubs, main),
                         part3_text=part3_text, instruments_text=instruments_text, chapter_list=listing)


def write(root: Path, out: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Write a fresh workbook into the folder `out` (which must not exist); return (stubs, layers) by chapter."""
    (out / "micrograd").mkdir(parents=True)
    shutil.copy(root / "settings.ini", out)
    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns("_tools", ".*", "__pycache__", "*.ipynb"))
    init = root / "micrograd" / "__init__.py"
    if init.exists():
        shutil.copy(init, out / "micrograd")
    pages = chapter_layers(root)
    stubs: dict[str, list[str]] = {}
    layer: dict[str, str] = {}
    for nb_path in chapters(root):
        if nb_path.parent != root / "book":
            continue  # the home page previews the finished package: it is not part of the work
        rel = nb_path.relative_to(root).as_posix()
        if rel not in pages:
            raise WorkbookError(f"{rel} is not in {root / '_quarto.yml'} (neither a chapter of `book: chapters:` "
                                "nor an appendix), so its layer is unknown: list it there")
        label = chapter_label(nb_path.stem)
        nb, names = stub_notebook(read_nb(nb_path), label, pages[rel])
        (out / "book" / nb_path.name).write_text(json.dumps(with_guard(nb, nb_path.stem), indent=1, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")
        stubs[nb_path.stem], layer[nb_path.stem] = names, pages[rel]
    nbdev_export = shutil.which("nbdev_export", path=str(Path(sys.executable).parent)) or "nbdev_export"
    r = subprocess.run([nbdev_export], cwd=out, capture_output=True, text=True)
    if r.returncode:
        raise WorkbookError(f"nbdev_export failed in {out}:\n{r.stdout}{r.stderr}")
    (out / HELPER).write_text(IMPORTER, encoding="utf-8")
    (out / "README.md").write_text(readme(stubs, layer), encoding="utf-8")
    manifest = {"made": time.strftime("%Y-%m-%d %H:%M:%S"), "layers": layer, "stubs": stubs, "files": files_of(out)}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return stubs, layer


def make(root: Path = ROOT, out: Path | None = None, quiet: bool = False, aside: bool = False) -> dict[str, list[str]]:
    """Write the workbook; return {chapter: [stubbed names]}.

    The new workbook is written beside `out` first; it replaces `out` only when `out` holds none of a learner's
    work (see `learner_changes`). Otherwise a WorkbookError names the files and nothing changes, or, with
    `aside`, the old workbook is moved to `<out>.bak-<time>` first."""
    out = (out or root / "_workbook").resolve()
    if out.exists() and not out.is_dir():
        raise WorkbookError(f"{out} is a file, not a workbook folder: move it away or choose another --out")
    new = out.with_name(f".{out.name}.new-{time.strftime('%Y%m%d-%H%M%S')}-{id(out) % 10_000}")
    shutil.rmtree(new, ignore_errors=True)
    try:
        stubs, layer = write(root, new)
        kept = None
        if out.exists():
            changed = learner_changes(out, files_of(new))
            if changed and not aside:
                shown = ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
                raise WorkbookError(
                    f"{out} holds your work: {len(changed)} file(s) differ from what `make workbook` wrote there "
                    f"and would write now ({shown}). Nothing was changed. To keep that work and write a fresh "
                    f"workbook, move it away first, or run `python book/_tools/workbook.py --aside`, which moves it "
                    f"to {out.name}.bak-<date>-<time>")
            if changed:
                kept = out.with_name(f"{out.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
                out.rename(kept)
            else:
                shutil.rmtree(out)
        new.rename(out)
    finally:
        shutil.rmtree(new, ignore_errors=True)
    if not quiet:
        n = sum(len(v) for s, v in stubs.items() if layer[s] == MAIN)
        listing = ", ".join(f"{chapter_label(s)} ({len(v)}{' optional' if layer[s] == PART_III else ''}"
                            f"{' given' if layer[s] == INSTRUMENTS else ''})" for s, v in stubs.items())
        if kept is not None:
            print(f"workbook: your earlier workbook is now {kept}")
        print(f"workbook: {out}: {len(stubs)} chapters, {n} stubs in the main line ({listing})")
    return stubs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "_workbook")
    ap.add_argument("--aside", action="store_true",
                    help="when the workbook holds your work, move it to <out>.bak-<time> first (default: stop)")
    a = ap.parse_args(argv)
    try:
        make(ROOT, a.out.resolve(), aside=a.aside)
    except WorkbookError as e:
        print(f"workbook: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
