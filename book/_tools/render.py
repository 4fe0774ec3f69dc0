"""Rendering: the staged book through Quarto (when installed) or smalldocs, into _book/ with its notebooks, workbook and KaTeX, polished."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from common import ANSI, OUT, ROOT, STAGE, BuildError, book_pages, quarto_config, read_nb
from katex import katex_pin, ship_katex
from numbering import chapter_numbers, numbered_sections
from polish import polish
from stage import NOTEBOOKS, WORKBOOK


QUARTO_WARNINGS = ROOT / ".build" / "quarto-warnings.json"  # what the last render with Quarto warned about


def quarto_warnings(log: Path, stderr: str) -> list[str]:
    """Quarto's warnings (and worse) of a render: the log records of level WARN and above from its JSON log
    (`--log-format json-stream`, core/log.ts), and Pandoc's `[WARNING]` lines, which Quarto passes through."""
    out = []
    if log.exists():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and (rec.get("level") or 0) >= 30:  # Deno's LogLevels: WARN = 30, ERROR = 40
                msg = ANSI.sub("", str(rec.get("msg", ""))).strip()
                out.append(f"{rec.get('levelName', 'WARN')}: {msg}")
    else:  # no log file: Quarto's console prefixes them with the level's name (StdErrOutputHandler)
        plain = ANSI.sub("", stderr)
        out += [ln.strip() for ln in plain.splitlines() if re.match(r"^\s*(WARN|ERROR)\b", ln)]
    out += [ln.strip() for ln in ANSI.sub("", stderr).splitlines() if ln.strip().startswith("[WARNING]")]
    return list(dict.fromkeys(out))


def number_rendered_sections(site: Path, pages: list[str], numbers: dict[str, int | None]) -> None:
    """smalldocs numbers each page's sections 1, 2, ...; Quarto's book numbers them 1.1, 1.2 in chapter 1 and
    not at all in an unnumbered chapter. Rewrite smalldocs's numbers in the rendered pages to Quarto's."""
    for p in pages:
        html_path = site / Path(p).with_suffix(".html")
        if not html_path.exists():
            continue
        n = numbers.get(p)
        text = html_path.read_text(encoding="utf-8")
        span = re.compile(r'<span class="header-section-number">([\d.]+)</span> ?')
        new = span.sub(lambda m: f'<span class="header-section-number">{n}.{m.group(1)}</span> ' if n else "", text)
        if new != text:
            html_path.write_text(new, encoding="utf-8")


def render() -> Path:
    """Render the staged book with Quarto if it is installed, else with smalldocs; copy it to _book/."""
    quarto = shutil.which("quarto")
    katex_pin()
    log = ROOT / ".build" / "quarto-log.jsonl"
    if quarto:
        log.unlink(missing_ok=True)
        QUARTO_WARNINGS.unlink(missing_ok=True)
        cmd = [quarto, "render", str(STAGE), "--log", str(log), "--log-format", "json-stream"]
    else:
        cmd = [shutil.which("smalldocs") or "smalldocs", "render", str(STAGE)]
    print(f"  rendering with {'Quarto' if quarto else 'smalldocs (Quarto is not installed)'}", flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if quarto:
        warnings = quarto_warnings(log, r.stderr)
        QUARTO_WARNINGS.write_text(json.dumps(warnings, indent=1) + "\n", encoding="utf-8")
        for w in warnings:
            print("  Quarto: " + w.replace("\n", "\n          "), flush=True)
        print(f"  Quarto warned {len(warnings)} time(s) (`make test` fails on a warning it does not know)", flush=True)
    if r.returncode:
        raise BuildError(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    site = STAGE / "_book"
    pages = [p.as_posix() for p in book_pages()]
    if not quarto and numbered_sections(quarto_config()):
        number_rendered_sections(site, pages, chapter_numbers(pages))
    ship_katex(site)
    polish(site)  # what readers need that neither renderer writes (book/_tools/polish.py)
    # each page's notebook, unexecuted, as a reader downloads it (the link is in the page, see `titled_source`)
    (site / NOTEBOOKS).mkdir(exist_ok=True)
    for p in pages:
        if p.endswith(".ipynb"):
            shutil.copy(ROOT / p, site / NOTEBOOKS / Path(p).name)
    # and each chapter's workbook notebook: the exported code stubbed (book/_tools/workbook.py, as `make workbook`)
    from workbook import chapter_label, stub_notebook
    (site / WORKBOOK).mkdir(exist_ok=True)
    for p in pages:
        if p.startswith("book/") and p.endswith(".ipynb"):
            nb, _ = stub_notebook(read_nb(ROOT / p), chapter_label(Path(p).stem))
            (site / WORKBOOK / Path(p).name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.copytree(STAGE / "_book", OUT)
    return OUT / "index.html"
