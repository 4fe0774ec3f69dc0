"""The book's build, from the command line: the one entry point the Makefile calls; each concern is a module beside it.

Usage (the Makefile calls these; run from the repository root):
    python book/_tools/build.py tests            write tests/test_<chapter>.py from the chapters' test cells
    python book/_tools/build.py check            fail if micrograd/ or tests/ differ from what the chapters export
    python book/_tools/build.py book             execute the chapters in a staging copy and render the site to _book/
    python book/_tools/build.py run NOTEBOOK     execute one chapter as the build does; name the failing cell
    python book/_tools/build.py preview          serve the site on localhost and rebuild it when a chapter changes
    python book/_tools/build.py site-check       run `smalldocs check` on the staged site and read Quarto's warnings of the
                                                 last render; fail on any warning that is not known and harmless
    python book/_tools/build.py matrix           run the chapters' tests and nbdev_test under every other CPython of the
                                                 claimed range, without PyTorch or Playwright (`make test-matrix`)

Where each concern lives (book/_tools/):
    common.py        paths, reading notebooks and cell directives, the pages of _quarto.yml, settings.ini
    export_tests.py  `tests` and `check`: test cells -> tests/test_<chapter>.py; the export is current
    numbering.py     page titles and chapter numbers as Quarto's book gives them
    stage.py         the staging copy in .build/site: directives -> Quarto options, titles, download links
    execute.py       executing the staged notebooks (nbclient) and tidying their outputs; `run`
    render.py        Quarto or smalldocs -> _book/, with the notebooks and workbook to download
    polish.py        what the rendered pages need that neither renderer writes (skip link, footer, graphs that fit)
    katex.py         the pinned KaTeX, shipped with the site
    sitecheck.py     `site-check`
    preview.py       `preview`
    matrix.py        `matrix`
    workbook.py, grade.py, buildalong.py, bench.py: `make workbook`, `make grade`, the build-along check, `make bench`

Cell directives (the `#|` lines at the top of a code cell):
    nbdev's own: `default_exp`, `export`, `exporti`, `exports`, `hide`, `eval: false`.
    This book's: `test [name]` marks a cell whose code becomes the pytest test `test_<name>` in
    tests/test_<chapter>.py; nbdev_test runs it in place like any other cell.
Quarto reads every `#|` line as YAML, so the staging copy translates the bare ones (see `stage.quarto_options`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the modules beside this file, also when loaded by path
from common import ROOT, BuildError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["tests", "check", "book", "preview", "run", "site-check", "matrix"])
    ap.add_argument("notebook", nargs="?", help="with `run`: the chapter to execute, e.g. book/05_backprop.ipynb")
    ap.add_argument("--port", type=int, default=4200)
    a = ap.parse_args(argv)
    try:
        if a.command == "tests":
            from export_tests import write_tests
            for p in write_tests():
                print(f"  wrote {p.relative_to(ROOT)}")
            return 0
        if a.command == "check":
            from export_tests import check
            return check()
        if a.command == "run":
            from execute import run_one
            return run_one(a.notebook)
        if a.command == "site-check":
            from sitecheck import site_check
            return site_check()
        if a.command == "matrix":
            from matrix import matrix
            return matrix()
        if a.command == "book":
            from execute import execute_all
            from render import render
            from stage import stage
            execute_all(stage())
            print(f"The book is at {render()}")
            return 0
        from preview import preview
        preview(a.port)
        return 0
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
