"""The learner's budget: how much code a build-along reader types, chapter by chapter, against the book's limits.

Usage: python book/_tools/budget.py [--enforce]        (`make test` prints it; with --enforce a limit passed fails)

What counts: every code cell a reader sees and types, that is, shown (not `#| hide`, `include: false`, `echo: false`)
and not a check (`#| test`); a folded cell (`code-fold: true`) is left out unless it exports code, which the reader
must write. A cell counts by its code without its `#|` lines, stripped of leading and trailing blank space.

The layers come from _quarto.yml: the main line is every chapter of `book: chapters:` but the home page and the
chapters of the part named PART_III; the instruments are the appendices. Part I is the main line up to and
including the backpropagation chapter. The limits (the issue "The learner's path"): Part I at most 12,000
characters, the whole main line at most 45,000, and no main-line cell that writes HTML, CSS, JavaScript or
rewrites SVG (those are the instruments' business).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, quarto_config, read_nb, split_directives, src  # noqa: E402

PART_ONE_LIMIT = 12_000
MAIN_LINE_LIMIT = 45_000
PART_ONE_ENDS = "backprop"       # the slug of the last chapter of Part I (book/NN_backprop.ipynb)
PART_III = "Making it real"      # the title of Part III's part in _quarto.yml (it need not exist yet)
HOME = "index.ipynb"
HIDDEN = re.compile(r"^(include|echo):\s*false\s*$", re.I)
FOLDED = re.compile(r"^code-fold:\s*(true|show)\s*$", re.I)
# What writes a web page or rewrites a drawing: markup in a string, CSS rules, the DOM, regular expressions over SVG.
WEB = re.compile(r"<(?:/?(?:div|span|style|script|svg|button|figure|figcaption|input|label|table|td|tr|p|g|path|"
                 r"polygon|text|ellipse)\b)|\bdocument\.\w|addEventListener|\bquerySelector|@media\b|"
                 r"\{\s*[\w-]+\s*:\s*[^;{}]+;|re\.(?:sub|findall|finditer|search|match)\([^)]*svg", re.I)


def typed(cell: dict) -> str | None:
    """The code of a cell that a build-along reader types, or None when they do not type it."""
    if cell.get("cell_type") != "code":
        return None
    bare, yaml_lines, code = split_directives(src(cell))
    d = dict(bare)
    if "hide" in d or "test" in d or any(HIDDEN.match(y.strip()) for y in yaml_lines):
        return None
    exports = any(k in d for k in ("export", "exporti", "exports"))
    if any(FOLDED.match(y.strip()) for y in yaml_lines) and not exports:
        return None
    return code.strip() or None


def layers(cfg: dict) -> tuple[list[str], list[str], list[str]]:
    """(main line, Part III, instruments): the pages of each layer, in reading order."""
    main, part3 = [], []
    for item in (cfg.get("book") or {}).get("chapters") or []:
        if isinstance(item, str):
            main.append(item)
        elif isinstance(item, dict):
            pages = [c if isinstance(c, str) else c.get("href", "") for c in item.get("chapters") or []]
            (part3 if str(item.get("part", "")).startswith(PART_III) else main).extend(pages)
    instruments = [a if isinstance(a, str) else a.get("href", "") for a in (cfg.get("book") or {}).get("appendices") or []]
    return [p for p in main if p != HOME], part3, instruments


def figures(root: Path = ROOT) -> dict:
    """Characters typed per page, the web-writing cells of the main line, and the layers' totals."""
    main, part3, instruments = layers(quarto_config())
    per_page, web = {}, []
    for page in main + part3 + instruments:
        cells = read_nb(root / page)["cells"]
        per_page[page] = sum(len(c) for c in map(typed, cells) if c)
        if page in main:
            web += [f"{page}, cell {i}" for i, cell in enumerate(cells) if (c := typed(cell)) and WEB.search(c)]
    ends = next((i for i, p in enumerate(main) if Path(p).stem.split("_", 1)[-1] == PART_ONE_ENDS), len(main) - 1)
    return {"main": main, "part3": part3, "instruments": instruments, "per_page": per_page, "web": web,
            "part_one": sum(per_page[p] for p in main[: ends + 1]), "part_one_pages": main[: ends + 1],
            "main_line": sum(per_page[p] for p in main)}


def report(f: dict) -> list[str]:
    """The budget as lines to print, and a verdict per limit."""
    lines = ["The learner's budget (characters of code a build-along reader types):"]
    for title, pages in (("main line", f["main"]), ("Part III", f["part3"]), ("appendices (the instruments)", f["instruments"])):
        if pages:
            lines.append(f"  {title}: " + ", ".join(f"{Path(p).stem} {f['per_page'][p]:,}" for p in pages))
    ok1, ok2 = f["part_one"] <= PART_ONE_LIMIT, f["main_line"] <= MAIN_LINE_LIMIT
    lines.append(f"  Part I ({Path(f['part_one_pages'][0]).stem} to {Path(f['part_one_pages'][-1]).stem}): "
                 f"{f['part_one']:,} of at most {PART_ONE_LIMIT:,}: {'within' if ok1 else 'OVER'}")
    lines.append(f"  the main line ({len(f['main'])} chapters): {f['main_line']:,} of at most {MAIN_LINE_LIMIT:,}: "
                 f"{'within' if ok2 else 'OVER'}")
    lines.append(f"  main-line cells that write HTML, CSS or JavaScript, or rewrite SVG: {len(f['web'])}"
                 + (f" ({', '.join(f['web'][:6])}{', ...' if len(f['web']) > 6 else ''})" if f["web"] else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--enforce", action="store_true", help="fail when a limit is passed")
    a = ap.parse_args(argv)
    f = figures()
    print("\n".join(report(f)))
    over = f["part_one"] > PART_ONE_LIMIT or f["main_line"] > MAIN_LINE_LIMIT or f["web"]
    if over and a.enforce:
        print("budget: over a limit (above): move instruments and engineering out of the main line")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
