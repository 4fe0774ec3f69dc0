"""Page titles and chapter numbers as Quarto's book gives them, so that smalldocs's pages carry the same numbers."""
from __future__ import annotations

import re
from pathlib import Path

from common import H1, ROOT, quarto_config, read_nb, src


PANDOC_TITLE = re.compile(r"^#{1,}\s(?:(.*)\s)?\{(.*)\}$")  # Quarto's kPandocTitleRegex (core/pandoc/pandoc-partition.ts)


FRONT_MATTER = re.compile(r"^---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|$)", re.S)


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def numbered_sections(cfg: dict) -> bool:
    html = ((cfg.get("format") or {}).get("html") or {}) if isinstance(cfg.get("format"), dict) else {}
    return bool(html.get("number-sections", cfg.get("number-sections", False)))


def page_title(path: Path) -> tuple[str, bool]:
    """A page's title (its first `# ` heading) and whether Quarto numbers it (no `.unnumbered` / `-` class)."""
    for cell in read_nb(path)["cells"] if path.suffix == ".ipynb" else [{"cell_type": "markdown", "source": path.read_text()}]:
        if cell.get("cell_type") != "markdown":
            continue
        for line in src(cell).split("\n"):
            m = H1.match(line)
            if m:
                attrs = m.group(2) or ""
                return m.group(1), not re.search(r"(^|[\s{])(\.unnumbered|-)(?=[\s}])", attrs)
    return path.stem, False


def heading_in(text: str) -> tuple[str | None, bool]:
    """The first ATX heading line of some Markdown outside code fences, and whether any line comes before it: what
    Quarto's `markdownWithExtractedHeading` (core/pandoc/pandoc-partition.ts) finds."""
    before, fence = 0, None
    for line in text.split("\n"):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line[m.end():].strip():
                fence = None
        elif m:
            fence = m.group(1)
        elif re.match(r"^#{1,}\s", line):
            return line, before > 0
        before += 1
    return None, before > 0


def title_unnumbered(title: str) -> bool:
    """Whether Quarto's `isNumberedChapter` (project/types/book/book-shared.ts) reads this title (a `# ...` line or a
    YAML `title:`) as unnumbered: only the `.unnumbered` class counts, and only in the form `# text {attributes}`."""
    m = PANDOC_TITLE.match(title.strip())
    return bool(m) and "unnumbered" in re.findall(r"(?:^|\s)\.([\w-]+)", m.group(2))


def quarto_numbers(cells: list[dict]) -> bool:
    """Whether Quarto's book numbers a notebook with these cells as a chapter.

    A port of what Quarto does to count chapters: `inputIsNumbered` (project/types/book/book-config.ts) partitions
    the notebook's Markdown (`markdownFromNotebookJSON`, core/jupyter/jupyter-filters.ts), which first runs
    `fixupFrontMatter` (core/jupyter/jupyter-fixups.ts): without a YAML `title`, the first Markdown cell that starts
    with a heading loses that heading to a new front matter `title:`, as plain text, so its `{.unnumbered}` is lost
    and the chapter is numbered; the search stops at the first Markdown cell that does not start with a heading.
    `isNumberedChapter` then reads the YAML title, else the first heading of the Markdown."""
    import yaml

    fm_at, title = -1, None
    for i, cell in enumerate(cells):
        if cell.get("cell_type") in ("raw", "markdown"):
            m = FRONT_MATTER.match(src(cell))
            if m:
                fm_at = i
                data = yaml.safe_load(m.group(1) or "") or {}
                title = data.get("title") if isinstance(data, dict) else None
                break
    if title is None:
        for i, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            line, before = heading_in(src(cell))
            if line is not None and not before:
                return True  # moved into `title:` without its attributes: numbered
            if i != fm_at:
                break
    if isinstance(title, str):
        return not title_unnumbered(title)
    markdown = "".join("\n" + src(c) + "\n" for c in cells if c.get("cell_type") in ("raw", "markdown"))
    m = FRONT_MATTER.match(markdown.lstrip("\n"))
    line, _ = heading_in(markdown.lstrip("\n")[m.end():] if m else markdown)
    return line is None or not title_unnumbered(line)


def appendix_pages(cfg: dict) -> list[str]:
    """The pages listed under `book: appendices:` in _quarto.yml."""
    items = (cfg.get("book") or {}).get("appendices") or []
    return [i if isinstance(i, str) else i.get("href", "") for i in items]


def chapter_numbers(pages: list[str]) -> dict[str, int | str | None]:
    """The number Quarto gives each page of the book when `number-sections` is on: 1, 2, ... in the order of
    _quarto.yml, skipping pages whose title is marked `{.unnumbered}` (parts take no number); appendices are
    lettered A, B, ..."""
    appendices = set(appendix_pages(quarto_config()))
    out, n, letter = {}, 0, 0
    for p in pages:
        _, numbered = page_title(ROOT / p)
        if numbered and p in appendices:
            out[p] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[letter]
            letter += 1
        elif numbered:
            n += 1
            out[p] = n
        else:
            out[p] = None
    return out
