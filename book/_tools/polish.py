"""Post-processing of the rendered site, under Quarto or smalldocs: what a reader needs that neither renderer writes (see `polish`)."""
from __future__ import annotations

import html
import math
import re
from pathlib import Path

from common import quarto_config


MIN_TEXT_PX = 10  # the smallest text a graph is scaled down to (tests/test_website.py's MIN_GRAPH_TEXT_PX)


# An `@import` of a style sheet from off the site: both themes' CSS (Bootswatch's cosmo and darkly, as smalldocs
# ships them and as Quarto compiles them) import Google Fonts, which a reader offline cannot load.
OFFSITE_IMPORT = re.compile(r"""@import\s*(?:url\(\s*(['"]?)(?:https?:)?//[^'")]*\1\s*\)|(['"])(?:https?:)?//[^'"]*\2)[^;]*;""")


SKIP_LINK = '<a class="mg-skip-link" href="#quarto-document-content">Skip to the content</a>'


# The site's title at the top of the sidebar, and its link (to the home page's folder under both renderers)
SIDEBAR_TITLE = re.compile(r'(<div class="sidebar-title\b[^"]*">\s*<a\b[^>]*?\bhref=")([^"]*)(")')


# A static graph drawing of a cell: an inline <svg> that execute.py marked `mg-graph` (smalldocs), or an <img> of an
# .svg file (Quarto), with the end of the box around it (a <p> or a <div>) when that follows at once
GRAPH = re.compile(r'(<svg\b[^>]*\bclass="mg-graph"[^>]*>.*?</svg>|<img\b[^>]*\bsrc="([^"]+\.svg)"[^>]*>)(\s*</(?:p|div)>)?',
                   re.S)


# A graph at most this wide (in CSS px, at its own size) fits a phone's column (390 px less the margins) and every wider
# one: it is shown at its own size everywhere, and gets no full-size link and no cue
FITS_ANY_COLUMN_PX = 356


UNITS_PX = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def polish(site: Path) -> None:
    """Give every page of the rendered site what readers need and the renderers do not write: no style sheet that
    imports from off the site (the themes' Google Fonts; book/styles.css sets a system font stack), a skip link to
    the content first on the page, a site title that links to the home page's index.html (a folder opens a listing
    from file://), a meta description (_quarto.yml's `book: description`, which both renderers put on the home page
    only), and each static graph scaled to the column as far as its text stays legible, with a cue when it still
    scrolls and a link to it at full size."""
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8")
        new = OFFSITE_IMPORT.sub("", text)
        if new != text:
            css.write_text(new, encoding="utf-8")
    description = site_description(quarto_config())
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if 'id="quarto-document-content"' not in text:
            continue  # not a page of the book
        new = with_skip_link(text)
        new = with_home_link(new, len(page.relative_to(site).parts) - 1)
        new = with_description(new, description)
        new = fitted_graphs(new, page)
        if new != text:
            page.write_text(new, encoding="utf-8")


def site_description(cfg: dict) -> str:
    book = cfg.get("book") or cfg.get("website") or {}
    return str(book.get("description") or book.get("subtitle") or "").strip()


def with_skip_link(text: str) -> str:
    """The skip link first in the <body>, and the <main> it leads to focusable (tabindex -1: by the link, not by Tab),
    so that following it moves the keyboard's focus there and the next Tab goes on inside the content."""
    if 'class="mg-skip-link"' in text:
        return text
    text = re.sub(r'(<main\b[^>]*\bid="quarto-document-content"[^>]*)>',
                  lambda m: m[0] if "tabindex=" in m[1] else m[1] + ' tabindex="-1">', text, count=1)
    return re.sub(r"(<body\b[^>]*>)", lambda m: m[1] + SKIP_LINK, text, count=1)


def with_home_link(text: str, depth: int) -> str:
    """The sidebar title's link to the site's folder (`./`, `../`, or `/`) made a link to its index.html."""
    def fix(m: re.Match) -> str:
        href = m[2]
        if href.startswith("/"):
            href = "../" * depth + href.lstrip("/")
        if href in ("", ".", "./"):
            href = "index.html"
        elif href.endswith("/"):
            href += "index.html"
        return m[1] + href + m[3]

    return SIDEBAR_TITLE.sub(fix, text)


def with_description(text: str, description: str) -> str:
    if not description or re.search(r'<meta\s+name="description"', text):
        return text
    tag = f'<meta name="description" content="{html.escape(description, quote=True)}">'
    return text.replace("</head>", tag + "</head>", 1)


def svg_size(svg: str) -> tuple[float, float] | None:
    """A drawing's natural width in CSS px and the width at which its smallest text is MIN_TEXT_PX (None: no size)."""
    root = re.search(r"<svg\b[^>]*>", svg)
    width = re.search(r'\swidth="([\d.]+)([a-z]*)"', root[0]) if root else None
    box = re.search(r'\sviewBox="[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)', root[0]) if root else None
    if not width or width[2] not in UNITS_PX:
        return None
    natural = float(width[1]) * UNITS_PX[width[2]]
    units = float(box[1]) if box else natural  # the viewBox's width, in the units of the text's font-size
    fonts = [float(f) for f in re.findall(r'font-size="([\d.]+)', svg)] + \
            [float(f) for f in re.findall(r"font-size:\s*([\d.]+)px", svg)]
    legible = math.ceil(MIN_TEXT_PX * units / min(fonts)) if fonts and min(fonts) > 0 else 0
    return natural, min(natural, legible)


def with_style(element: str, style: str) -> str:
    """An element (its start tag first) with `style` put first in its own style attribute, or in a new one."""
    tag = re.match(r"<[^>]*>", element, re.S)[0]
    if re.search(r'\sstyle="', tag):
        new = re.sub(r'\sstyle="', lambda m: f'{m[0]}{style}; ', tag, count=1)
    else:
        new = re.sub(r"^<(\w+)", lambda m: f'<{m[1]} style="{style}"', tag, count=1)
    return new + element[len(tag):]


def fitted_graphs(text: str, page: Path) -> str:
    """Each static graph of a page shown at most as wide as the column and at least as wide as its text needs
    (`--mg-legible`, read by book/styles.css), followed by a line with a cue that shows while the graph is wider than
    its box (it then scrolls sideways) and a link to the drawing at full size: Quarto's own .svg file, or for
    smalldocs's inline <svg> a copy of it written beside the page (<page>_files/graph-N.svg). A graph that fits any
    column (FITS_ANY_COLUMN_PX) needs neither."""
    count = 0

    def fit(m: re.Match) -> str:
        nonlocal count
        element, src, end = m[1], m[2], m[3] or ""
        if src:  # Quarto: an <img> of the drawing's file; a graph only if execute.py marked it
            file = page.parent / src
            svg = file.read_text(encoding="utf-8") if file.is_file() else ""
            if not re.search(r'<svg\b[^>]*\bclass="mg-graph"', svg):
                return m[0]
            href = src
        else:
            svg, count = element, count + 1
            href = f"{page.stem}_files/graph-{count}.svg"
        size = svg_size(svg)
        if size is None:
            return m[0]
        style = f"--mg-legible: {size[1]:.0f}px"
        if src:
            element = (re.sub(r'\bclass="', 'class="mg-graph ', element, count=1) if 'class="' in element
                       else element.replace("<img", '<img class="mg-graph"', 1))
        element = with_style(element, style)
        if size[0] <= FITS_ANY_COLUMN_PX:
            return element + end
        if not src:
            (page.parent / href).parent.mkdir(parents=True, exist_ok=True)
            (page.parent / href).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n", encoding="utf-8")
        tools = (f'<div class="mg-graph-tools" style="{style}"><span class="mg-scroll-cue" aria-hidden="true">'
                 "Scroll sideways for the whole drawing \u2192</span>"
                 f'<a class="mg-full-size" href="{html.escape(href, quote=True)}">Open the drawing at full size</a></div>')
        return element + end + tools

    return GRAPH.sub(fit, text)
