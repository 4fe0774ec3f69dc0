"""The site check: smalldocs's `check` on the staged site, and Quarto's warnings of the last render, against the known harmless ones."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

from common import STAGE, renderer
from render import QUARTO_WARNINGS


# What `smalldocs check .build/site` says that is known and harmless (see `site_check`); anything else fails `make test`.
KNOWN_CHECK_WARNINGS = {
    "project.type: book is built as a website; chapters become the sidebar":
        "smalldocs builds the book as a website whose sidebar lists the chapters, which is what Quarto's HTML book is",
    "format.html.html-math-method is ignored":
        "smalldocs always typesets maths with KaTeX, which is what `html-math-method: katex` asks Quarto for",
}


# What Quarto says while rendering (its `WARN` log records, and Pandoc's `[WARNING]` lines) that is known and harmless,
# as regular expressions; anything else fails `make test` (see `site_check`). None is known yet.
KNOWN_QUARTO_WARNINGS: dict[str, str] = {}


def site_check() -> int:
    """Run `smalldocs check` on the staged site (`make book` first): it lists broken links, Markdown it cannot
    read and options it ignores. Print and fail on every line except the KNOWN_CHECK_WARNINGS. When Quarto rendered
    the site, fail as well on each of its warnings (kept by `render`) that KNOWN_QUARTO_WARNINGS does not list."""
    if not (STAGE / "_quarto.yml").exists():
        print("site-check: nothing staged in .build/site; run `make book` first")
        return 1
    r = subprocess.run([shutil.which("smalldocs") or "smalldocs", "check", str(STAGE)], capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    known = [ln for ln in lines if ln in KNOWN_CHECK_WARNINGS]
    other = [ln for ln in lines if ln not in KNOWN_CHECK_WARNINGS]
    for ln in known:
        print(f"  known, harmless: {ln} ({KNOWN_CHECK_WARNINGS[ln]})")
    if r.returncode not in (0, 1) or (r.returncode and not lines):
        print(f"smalldocs check failed to run:\n{r.stdout}{r.stderr}")
        return 1
    if other:
        print("smalldocs check found problems in the site:\n" + "\n".join("  - " + ln for ln in other))
        return 1
    print(f"site-check: smalldocs check reports nothing new ({r.stderr.strip()})")
    if renderer():
        if not QUARTO_WARNINGS.exists():
            print("site-check: Quarto is installed but did not render the site; run `make book`")
            return 1
        warnings = json.loads(QUARTO_WARNINGS.read_text(encoding="utf-8"))
        unknown = []
        for w in warnings:
            why = next((why for pat, why in KNOWN_QUARTO_WARNINGS.items() if re.search(pat, w)), None)
            if why:
                print(f"  known, harmless: {w} ({why})")
            else:
                unknown.append(w)
        if unknown:
            print("Quarto warned about the site (book/_tools/build.py's KNOWN_QUARTO_WARNINGS lists the harmless "
                  "ones):\n" + "\n".join("  - " + w for w in unknown))
            return 1
        print(f"site-check: Quarto's render warned about nothing new ({len(warnings)} known warning(s))")
    return 0
