"""Staging: copy the book into .build/site as the renderers need it (directives as Quarto options, numbered titles, download links)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from common import BARE, BOOK, H1, ROOT, STAGE, BuildError, book_pages, quarto_config, read_nb, renderer, split_directives, src
from numbering import chapter_numbers, numbered_sections, page_title, quarto_numbers


NOTEBOOKS = "notebooks"  # the folder of the site that holds each page's notebook, for readers to download


WORKBOOK = "workbook"    # the folder of the site that holds each chapter's workbook notebook (book/_tools/workbook.py)


def quarto_options(cell: dict, where: str) -> dict | None:
    """Rewrite a code cell for the renderers: nbdev's bare directives become Quarto options or go.

    Returns None when nothing of the cell is left to show (a lone `#| default_exp`).
    """
    bare, yaml_lines, code = split_directives(src(cell))
    opts = list(yaml_lines)
    for name, args in bare:
        if name not in BARE:
            raise BuildError(f"{where}: unknown directive `#| {name}`")
        if name == "hide":
            opts.append("include: false")
        elif name == "test":
            # folded under "Check", unless the cell sets these itself (Quarto rejects a key given twice)
            own = {y.split(":", 1)[0].strip() for y in yaml_lines}
            opts += [o for o in ("code-fold: true", 'code-summary: "Check: the assertions behind the text"')
                     if o.split(":", 1)[0] not in own]
    if not code.strip():
        return None
    check_options(opts, where)
    cell = dict(cell)
    cell["source"] = "".join(f"#| {o}\n" for o in opts) + code
    return cell


def check_options(opts: list[str], where: str) -> None:
    """Quarto reads a cell's `#|` lines as one YAML mapping and rejects a key given twice: check both."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k) for k, _ in node.value]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise BuildError(f"{where}: the cell option {twice[0]!r} is given twice")
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        parsed = yaml.load("\n".join(opts), Loader=Strict) if opts else {}
    except yaml.YAMLError as e:
        raise BuildError(f"{where}: the cell options are not valid YAML: {e}") from None
    if not isinstance(parsed, dict):
        raise BuildError(f"{where}: the cell options are not `key: value` lines")


def download_href(rel: str) -> str:
    """The link from a page to its notebook in the site's NOTEBOOKS folder."""
    return "../" * rel.count("/") + f"{NOTEBOOKS}/{Path(rel).name}"


def stage_notebook(path: Path, rel: str, number: int | str | None = None, download: bool = False) -> None:
    """Translate a staged notebook's directives into Quarto options; with `number`, put the chapter's number in
    its title (for smalldocs, which does not number a book's chapters); with `download`, add a link to the
    page's notebook under its title."""
    nb = read_nb(path)
    cells = []
    titled = False
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code":
            cell = quarto_options(cell, f"{rel}, cell {i}")
            if cell is None:
                continue
        elif cell.get("cell_type") == "markdown" and not titled and any(H1.match(ln) for ln in src(cell).split("\n")):
            titled = True
            cell = dict(cell)
            cell["source"] = titled_source(src(cell), rel, number, download)
        cell = dict(cell)
        cell["metadata"] = {k: v for k, v in (cell.get("metadata") or {}).items() if k != "execution"}  # timings
        cells.append(cell)
    _, numbered = page_title(path) if titled else (None, True)
    if numbered != quarto_numbers(cells):
        # Quarto would take the title cell's heading for the page's `title:` and drop its `{.unnumbered}` (see
        # `quarto_numbers`): an empty Markdown cell first stops `fixupFrontMatter` before it, so the heading keeps its
        # attributes, and Quarto's book leaves the page unnumbered, as smalldocs (given the numbers) does.
        cells.insert(0, {"cell_type": "markdown", "id": "staged-keeps-title-attributes", "metadata": {}, "source": ""})
        if numbered != quarto_numbers(cells):
            raise BuildError(f"{rel}: Quarto would {'not ' if numbered else ''}number this page, although its "
                             "title says otherwise; mark an unnumbered title `{.unnumbered}`")
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def titled_source(text: str, rel: str, number: int | str | None, download: bool) -> str:
    """The title cell's Markdown with the chapter number in the `# ` heading and the download link after the
    heading and its one-line subtitle (a `> ` quote).

    The link is raw HTML (a `{=html}` block, which Quarto and smalldocs both pass through), so that smalldocs
    does not rewrite its `.ipynb` into `.html` as it does for Markdown links; Quarto rewrites links in raw HTML
    too, except those marked `data-noresolveinput` (it drops the mark). `render` copies the notebook there."""
    lines = text.split("\n")
    at = next(i for i, ln in enumerate(lines) if H1.match(ln))
    if number is not None:
        lines[at] = re.sub(r"^#\s+", f"# {number}\u00a0 ", lines[at])
    if download:
        j = at + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and lines[j].startswith(">"):
            while j < len(lines) and lines[j].strip():
                j += 1
        else:
            j = at + 1
        name = Path(rel).name
        link = (f'<p class="notebook-download"><a href="{download_href(rel)}" download="{name}" data-noresolveinput '
                f'title="the source of this page, to run in Jupyter (after `pip install .` in a clone of the book)">'
                f'<i class="bi bi-download"></i> Download this page as a Jupyter notebook ({name})</a></p>')
        if rel.startswith("book/"):  # a chapter: its workbook notebook too (the home page is not part of the work)
            wb = "../" * rel.count("/") + f"{WORKBOOK}/{name}"
            link = link.replace("</p>", f' · <a href="{wb}" download="workbook-{name}" data-noresolveinput '
                                'title="the same chapter with the exported code stubbed, to write it yourself and '
                                'check it with `make grade`"><i class="bi bi-pencil-square"></i> '
                                "Download its workbook notebook</a></p>")
        lines[j:j] = ["", "```{=html}", link, "```", ""]
    return "\n".join(lines)


def stage(only: list[str] | None = None) -> list[tuple[str, str]]:
    """Copy the book into .build/site and translate its directives (every page _quarto.yml lists, or only these);
    return the staged notebooks to execute, as (path, page) pairs."""
    pages = [p.as_posix() for p in book_pages()]
    missing = [p for p in pages if not (ROOT / p).exists()]
    if missing:
        raise BuildError(f"_quarto.yml lists pages that do not exist: {', '.join(missing)}")
    cfg = quarto_config()
    smalldocs = renderer() is None
    # smalldocs numbers the sections of each page (1, 2, ...) but not the chapters: give it Quarto's chapter numbers
    numbers = chapter_numbers(pages) if smalldocs and numbered_sections(cfg) else {}
    if only is None:
        shutil.rmtree(STAGE, ignore_errors=True)
        STAGE.mkdir(parents=True)
        shutil.copy(ROOT / "_quarto.yml", STAGE)
        if smalldocs:
            stage_config_for_smalldocs(cfg)
        listed = {(ROOT / p).resolve() for p in pages}
        skip = shutil.ignore_patterns("_tools", ".*", "__pycache__")

        def ignore(d: str, names: list[str]) -> set[str]:
            # a chapter that _quarto.yml does not list yet is not staged: both renderers would publish it as
            # an orphan page, unexecuted and with its raw directives
            return skip(d, names) | {n for n in names if n.endswith(".ipynb") and (Path(d) / n).resolve() not in listed}

        shutil.copytree(BOOK, STAGE / "book", ignore=ignore)
        for p in pages:
            if not p.startswith("book/"):
                (STAGE / p).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / p, STAGE / p)
    else:
        for p in only:
            shutil.copy(ROOT / p, STAGE / p)
    todo = only if only is not None else pages
    for p in todo:
        if p.endswith(".ipynb"):
            stage_notebook(STAGE / p, p, numbers.get(p), download=True)
    return [(str(STAGE / p), p) for p in todo if p.endswith(".ipynb")]


def stage_config_for_smalldocs(cfg: dict) -> None:
    """Write the staged _quarto.yml with what a Quarto book does by default and smalldocs only when asked:
    previous/next links at the foot of each page (`book.page-navigation`)."""
    import yaml

    book = cfg.setdefault("book", {})
    changed = []
    if "page-navigation" not in book:
        book["page-navigation"] = True
        changed.append("page-navigation added")
    if book.get("appendices"):
        # smalldocs does not read `appendices`: list them as a last part, as Quarto's sidebar shows them
        book["chapters"] = list(book.get("chapters") or []) + [{"part": "Appendices", "chapters": book.pop("appendices")}]
        changed.append("appendices listed as a part")
    if changed:
        (STAGE / "_quarto.yml").write_text(
            f"# Staged by book/_tools/build.py from ../../_quarto.yml for smalldocs ({', '.join(changed)}).\n"
            + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
