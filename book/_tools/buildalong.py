"""The build-along check: every visible cell of the chapters, typed in order into one fresh session, gives working code.

A reader who types every visible cell of the chapters, in order, into one fresh session gets working code and
passing checks.

Usage (`make test` runs it; from the repository root):
    python book/_tools/buildalong.py [--upto book/05a_engineering.ipynb] [--root DIR]

What it does. The pages that _quarto.yml lists, in reading order, up to and including `--upto`, except the home
page (it previews the finished package, so it is the one page allowed to use what the chapters build later).
Each visible code cell (not `#| hide`, `include: false`, `echo: false` or `eval: false`) runs in one IPython
session, in a fresh interpreter, from book/ as the chapters run. The `micrograd` package is NOT importable there,
as for a reader who is still writing it: `from micrograd.engine import Value` gives back the `Value` that the
reader's session already has, and only if an earlier cell (of an earlier chapter, or of this one, as a module's
exported import cell needs) exports `Value` to `micrograd.engine`. Anything
else fails with the chapter, the cell and what went wrong: a name that a later chapter defines (`n.tanh()`
before `tanh` exists raises AttributeError), a name imported only in a hidden cell (NameError), an import of a
name that no earlier chapter exports (ImportError, naming the chapter that does export it, if any).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cache  # noqa: E402
from common import ROOT, read_nb, split_directives, src  # noqa: E402
from export_tests import defined_names  # noqa: E402

# The last page of the book that the check covers (all of it, appendices included).
UPTO = "book/13_differences.ipynb"
HOME = "index.ipynb"
HIDDEN = re.compile(r"^(include|echo|eval):\s*false\s*$", re.I)


def pages(root: Path) -> list[str]:
    """The pages _quarto.yml lists, in reading order."""
    text = (root / "_quarto.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*-\s+(?:href:\s*)?(\S+\.ipynb)\s*$", text, re.M)


def plan(root: Path, upto: str) -> list[dict]:
    """The cells a reader types: [{page, cell, code, exports: {module: [names]}}], in reading order."""
    listed = pages(root)
    if upto not in listed:
        raise SystemExit(f"build-along: {upto} is not a page of _quarto.yml (pages: {', '.join(listed)})")
    cells = []
    for page in listed[: listed.index(upto) + 1]:
        if page == HOME:
            continue
        default_exp = None
        for i, cell in enumerate(read_nb(root / page)["cells"]):
            if cell.get("cell_type") != "code":
                continue
            bare, yaml_lines, code = split_directives(src(cell))
            d = dict(bare)
            if "default_exp" in d:
                default_exp = d["default_exp"][0]
            if "hide" in d or any(HIDDEN.match(y.strip()) for y in yaml_lines) or not code.strip():
                continue
            exports = {}
            for key in ("export", "exporti", "exports"):
                if key in d:
                    module = (d[key] or [default_exp])[0]
                    exports[module] = defined_names(code, f"{page}, cell {i}")
            cells.append({"page": page, "cell": i, "code": code, "exports": exports})
    return cells


# Runs in the fresh interpreter: one IPython session, `micrograd` served from the session's own names.
SESSION = r'''
import importlib.abc, importlib.machinery, io, json, sys, types, contextlib
from IPython.core.interactiveshell import InteractiveShell

cells = json.load(sys.stdin)
shell = InteractiveShell.instance()
ns = shell.user_ns
exported = {}      # module -> {name: page}, for the pages done so far
later = {}         # module -> {name: page}, everything the plan exports (for a helpful message)
for c in cells:
    for mod, names in c["exports"].items():
        for n in names:
            later.setdefault(mod, {}).setdefault(n, c["page"])
current = {"page": None, "cell": None}

class ReadersModule(types.ModuleType):
    "micrograd.<mod> as the reader has it: the names earlier chapters exported, taken from the session."
    def __getattr__(self, name):
        mod = self.__name__.partition(".")[2]
        if name.startswith("__"):
            raise AttributeError(name)
        if name in exported.get(mod, {}) and name in ns:
            return ns[name]
        where = later.get(mod, {}).get(name)
        hint = (f"{where} exports it, in a later cell or chapter" if where else "no chapter exports it")
        raise ImportError(f"`{name}` from micrograd.{mod or '(package)'}: {hint}")

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname == "micrograd" or fullname.startswith("micrograd."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=(fullname == "micrograd"))
        return None
    def create_module(self, spec):
        m = ReadersModule(spec.name)
        if spec.name == "micrograd":
            m.__path__ = []
        return m
    def exec_module(self, module):
        pass

for name in [m for m in sys.modules if m == "micrograd" or m.startswith("micrograd.")]:
    del sys.modules[name]
sys.meta_path.insert(0, Finder())

done_pages, ran = [], 0
for c in cells:
    if c["page"] != current["page"]:
        if current["page"] is not None:
            done_pages.append(current["page"])
        current["page"] = c["page"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = shell.run_cell(c["code"], store_history=False, silent=False)
    err = result.error_before_exec or result.error_in_exec
    ran += 1
    # what this cell exported is importable from now on (a chapter's exported import cell may name what the
    # same chapter exported earlier: the package module it writes needs the import)
    for mod, names in c["exports"].items():
        exported.setdefault(mod, {}).update(dict.fromkeys(names, c["page"]))
    if err is not None:
        first = next((ln for ln in c["code"].split("\n") if ln.strip()), "").strip()
        print(json.dumps({"ok": False, "page": c["page"], "cell": c["cell"], "first": first,
                          "error": f"{type(err).__name__}: {err}"}))
        sys.exit(0)
print(json.dumps({"ok": True, "ran": ran, "pages": done_pages + [current["page"]]}))
'''


def run(root: Path = ROOT, upto: str = UPTO, python: str = sys.executable) -> tuple[bool, str]:
    """Run the check; return (passed, the message to print)."""
    cells = plan(root, upto)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    r = subprocess.run([python, "-c", SESSION], input=json.dumps(cells), capture_output=True, text=True,
                       cwd=root / "book", env=env)
    last = r.stdout.strip().split("\n")[-1] if r.stdout.strip() else ""
    try:
        res = json.loads(last)
    except json.JSONDecodeError:
        return False, f"build-along: the session itself failed (exit {r.returncode}):\n{r.stdout}{r.stderr}"
    if not res["ok"]:
        return False, (f"build-along FAILED: {res['page']}, code cell {res['cell']} (starting `{res['first']}`) "
                       f"raised {res['error']}\n  A reader who types every visible cell of the chapters in order, "
                       "in one session, stops here. Show the import or definition it needs in a visible cell of "
                       "this or an earlier chapter, or do not use a name that a later chapter defines.")
    return True, (f"build-along: ok: {res['ran']} visible code cells of {len(res['pages'])} chapters "
                  f"({res['pages'][0]} to {res['pages'][-1]}) ran in one session, with micrograd served from "
                  f"the session's own definitions ({HOME}, the preview of the finished package, excluded)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upto", default=UPTO, help="the last page to include (default: %(default)s)")
    ap.add_argument("--root", type=Path, default=ROOT, help="the book's root (default: this repository)")
    a = ap.parse_args(argv)
    root = a.root.resolve()
    # a pass is kept (book/_tools/cache.py) under the cells typed and this file: the same cells pass again
    key = cache.digest(json.dumps(plan(root, a.upto)), Path(__file__), str(root))
    kept = cache.kept("build-along", a.upto, key)
    if kept:
        print(kept.read_text(encoding="utf-8") + " [unchanged since this passed: kept in .build/cache]")
        return 0
    ok, msg = run(root, a.upto)
    print(msg)
    if ok:
        cache.keep("build-along", a.upto, key, msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
