"""Browser tests of the website in _book/, driven with Playwright in headless Chromium.

Hand-written, not generated: these tests look at the website that the build renders from all the chapters
together (the sidebar's order, the links between pages, search across chapters, maths typesetting, the theme,
the notebook downloads), which exists only after `make book` and only in a browser. No chapter's `#| test`
cell can see it: a chapter's tests run in its own kernel, before there is a site.

`make test` builds the site and runs these. The site is served from _book/ on 127.0.0.1 and every request off the
site is blocked, so the tests run offline, as a reader without a network: the site carries its own KaTeX, and a page
may request nothing off the site but what OFFSITE_HARMLESS lists (each tab notes what it requested, on a list of its
own; it lists nothing, so no page may ask for anything off the site). The assertions hold for both renderers (Quarto
and smalldocs). A screenshot of every page goes to
.build/screenshots/. Without Chromium (or the site) the tests say so and skip, except under CI=true where they fail.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_book"
SHOTS = Path(os.environ.get("SCREENSHOTS") or ROOT / ".build" / "screenshots")
CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# What a page may request off the site (blocked here) without harm, and why: nothing. The themes' Google Fonts
# (cosmo's Source Sans Pro, darkly's Lato, imported by their CSS) were the last; the build removes those imports
# (book/_tools/polish.py) and book/styles.css sets a system font stack.
OFFSITE_HARMLESS: dict[str, str] = {}
MIN_GRAPH_TEXT_PX = 10  # the smallest text a graph may show at the default column width
FITS_ANY_COLUMN_PX = 356  # a graph at most this wide at its own size fits a phone's column: it needs no full-size link
SEARCH_WORD, SEARCH_TARGET = "topological", "book/05_backprop.html"

sys.path.insert(0, str(ROOT / "book" / "_tools"))  # the build's modules (book/_tools/build.py lists them)
from common import STAGE, book_pages, read_nb, src  # noqa: E402
from katex import KATEX_SITE  # noqa: E402
from numbering import chapter_numbers, page_title  # noqa: E402

PAGES = [p.as_posix() for p in book_pages()]  # in the order of _quarto.yml
NUMBERS = chapter_numbers(PAGES)
# Pages whose figures do not all have a caption yet (issue 10 adds them): strictly expected to fail, so that the test
# says when they have them and this entry must go.
UNCAPTIONED: set = set()


def html_of(page: str) -> str:
    return str(Path(page).with_suffix(".html").as_posix())


def shot_name(page: str) -> str:
    return html_of(page).replace("/", "-").removesuffix(".html") + ".png"


def unavailable(why: str):
    if CI:
        pytest.fail(f"{why} (CI=true: the browser tests must run)")
    pytest.skip(why)


def site_path(url: str) -> str:
    """The page of the site a URL leads to, relative to its root: a folder's URL leads to its index.html (Quarto's
    quarto-nav.js rewrites the links to `index.html` into links to the folder, `/` for the home page)."""
    path = urlparse(url).path.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def on_site(url: str, base: str) -> bool:
    """Whether a request stays on the site served at `base` (a `data:` URL is the page's own)."""
    return url.startswith(base) or url.startswith("data:")


# ---------------------------------------------------------------- fixtures
class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base():
    if not (SITE / "index.html").exists():
        unavailable("no website in _book/: run `make book` (or `make test`, which builds it)")
    missing = [html_of(p) for p in PAGES if not (SITE / html_of(p)).exists()]
    if missing:
        pytest.fail(f"_book/ is older than _quarto.yml (no {', '.join(missing)}): run `make book`")
    with serving(SITE) as url:
        yield url


@contextlib.contextmanager
def serving(directory: Path):
    """`directory` served on 127.0.0.1 (at the URL yielded) for as long as the `with` lasts: the site, or a test's own
    scratch pages."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    exe = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    if not Path(exe).exists():
        exe = shutil.which("chromium") or ""
    if not exe:
        unavailable("Chromium is not installed (Debian: apt-get install chromium; `make test` does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A browser tab on the site that notes console errors, failed requests to the site, and what it blocked."""

    def __init__(self, context, base: str):
        self.base, self.errors, self.failed, self.blocked = base, [], [], []
        self.page = context.new_page()
        # The tab's own route (a page's routes come before its context's): what this tab requests off the site is
        # blocked and noted on this tab's list. A list shared by every tab blamed each page for what the pages before
        # it had requested: under Quarto, chapter 04's require.js and jQuery from cdnjs, on every page after it.
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: r.url.startswith(base) and self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on("response", lambda r: r.url.startswith(base) and r.status >= 400 and self.failed.append(f"{r.url}: HTTP {r.status}"))

    def _route(self, r):  # offline: the site only
        url = r.request.url
        if on_site(url, self.base):
            return r.continue_()
        self.blocked.append(url)
        return r.abort()

    def _console(self, msg):
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if url in self.blocked:  # a request off the site that the test blocked, reported on its own
            return
        self.errors.append(f"{msg.text} ({url})")

    def goto(self, page: str, idle: bool = False):
        self.page.goto(urljoin(self.base, html_of(page)), wait_until="load")
        if idle:  # also wait for what the page's scripts fetch after it has loaded
            self.page.wait_for_load_state("networkidle")
        return self.page


def offline_context(browser, base: str):
    """A browser context (the tabs of one window) that reaches the site at `base` and nothing else. Its route blocks
    what a tab that no Watched watches (a popup) requests off the site; a Watched tab blocks and notes its own first."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, color_scheme="light")
    ctx.route("**/*", lambda r: r.continue_() if on_site(r.request.url, base) else r.abort())
    return ctx


@pytest.fixture(scope="module")
def context(browser, base):
    ctx = offline_context(browser, base)
    yield ctx
    ctx.close()


def watched(context, base) -> Watched:
    return Watched(context, base)


@pytest.fixture(scope="module", params=PAGES)
def loaded(request, context, base):
    """Each page of _quarto.yml, loaded once (with its screenshot saved) for the checks that only look."""
    w = watched(context, base)
    w.goto(request.param, idle=True)
    w.name = request.param
    if w.page.locator("#quarto-document-content .math").count():  # let KaTeX typeset before the picture is taken
        try:
            w.page.wait_for_function("() => document.querySelector('#quarto-document-content .katex')", timeout=5000)
        except Exception:
            pass  # test_maths_typeset says what is wrong
    SHOTS.mkdir(parents=True, exist_ok=True)
    w.page.screenshot(path=str(SHOTS / shot_name(request.param)))
    figure = w.page.locator("#quarto-document-content .cell-output-display :is(img, svg):visible").first
    if figure.count():  # and the page's first picture (a plot, a graph), to look at
        figure.screenshot(path=str(SHOTS / shot_name(request.param).replace(".png", "-figure.png")))
    yield w
    w.page.close()


# ---------------------------------------------------------------- every page
def test_loads_cleanly(loaded):
    assert not loaded.errors, f"{loaded.name}: console errors:\n  " + "\n  ".join(loaded.errors)
    assert not loaded.failed, f"{loaded.name}: failed requests to the site:\n  " + "\n  ".join(loaded.failed)
    harmful = [u for u in dict.fromkeys(loaded.blocked) if not any(re.match(p, u) for p in OFFSITE_HARMLESS)]
    assert not harmful, (f"{loaded.name} requests from off the site (the site must carry what it needs; "
                         f"OFFSITE_HARMLESS lists what may fall back):\n  " + "\n  ".join(harmful))


def test_blocked_requests_are_the_tabs_own(browser, tmp_path):
    """What a tab requests off the site is noted on that tab's list, never on a list of a tab opened after it (which
    test_loads_cleanly would blame for it). Two scratch pages served and watched as the site's are: the first loads a
    script from cdnjs, as Quarto's chapters 04, 05 and 10a load require.js and jQuery, and fetches from off the site
    again once the second is open; the second requests nothing."""
    script = "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"
    later = "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/jquery.min.js"
    (tmp_path / "first.html").write_text(f'<!doctype html><title>first</title><script src="{script}"></script>\n'
                                         f'<script>const later = () => fetch("{later}").catch(() => "blocked");</script>\n',
                                         encoding="utf-8")
    (tmp_path / "second.html").write_text("<!doctype html><title>second</title><p>Nothing from off the site.</p>\n",
                                          encoding="utf-8")
    with serving(tmp_path) as base:
        ctx = offline_context(browser, base)
        try:
            first = watched(ctx, base)
            first.goto("first.html", idle=True)
            second = watched(ctx, base)
            second.goto("second.html", idle=True)
            assert first.page.evaluate("() => later()") == "blocked", "the fetch from off the site was not blocked"
            assert second.blocked == [], f"the second page is blamed for what the first requested: {second.blocked}"
            assert first.blocked == [script, later], f"the first page's requests off the site: {first.blocked}"
            # the console's reports of those blocked requests are not errors of either page
            assert not first.errors and not second.errors, (first.errors, second.errors)
        finally:
            ctx.close()


def test_images_load(loaded):
    bad = loaded.page.evaluate("""async () => {
        const bad = [];
        const imgs = [...document.querySelectorAll('img')];
        imgs.forEach(i => { i.loading = 'eager'; });
        await Promise.all(imgs.map(i => i.decode().catch(() => {})));
        imgs.forEach(i => { if (!i.complete || i.naturalWidth === 0 || i.naturalHeight === 0)
            bad.push('img ' + (i.getAttribute('src') || '').slice(0, 80)); });
        // inline pictures (graphviz's graphs): a box of their own, measured where they are shown
        document.querySelectorAll('#quarto-document-content svg').forEach(s => {
            if (s.parentElement.closest('svg')) return;
            const shown = s.getClientRects().length > 0;
            const r = s.getBoundingClientRect(), vb = s.viewBox && s.viewBox.baseVal;
            const ok = shown ? (r.width > 0 && r.height > 0) : !!(vb && vb.width > 0 && vb.height > 0) ||
                (parseFloat(s.getAttribute('width')) > 0 && parseFloat(s.getAttribute('height')) > 0);
            if (!ok) bad.push('svg ' + s.outerHTML.slice(0, 80));
        });
        return bad;
    }""")
    assert not bad, f"{loaded.name}: pictures that did not load or have no size:\n  " + "\n  ".join(bad)


# A cell's pictures: smalldocs inlines graphviz's drawings as <svg> and matplotlib's as <img>; Quarto shows both as
# <img> (the drawings as .svg files). KaTeX's own <svg>s are inside maths, not in a cell's output.
FIGURES_JS = """() => [...document.querySelectorAll('#quarto-document-content .cell-output-display :is(img, svg)')]
    .filter(e => !(e.tagName.toLowerCase() === 'svg' && e.parentElement.closest('svg')))"""


def test_figures_have_alt_text_and_caption(loaded):
    """Every figure of a cell (a plot, a graph) has alt text (`alt`, or an inline <svg>'s `aria-label`, from the
    cell's `fig-alt`) and a caption (`fig-cap`) in the HTML."""
    found = loaded.page.evaluate(f"""() => ({FIGURES_JS})().map(e => {{
        const svg = e.tagName.toLowerCase() === 'svg';
        const title = svg ? [...e.children].find(c => c.tagName.toLowerCase() === 'title') : null;
        const alt = (svg ? (e.getAttribute('aria-label') || (title && title.textContent)) : e.getAttribute('alt')) || '';
        const role = svg ? e.getAttribute('role') : 'img';
        const fig = e.closest('figure');
        const cap = fig && fig.querySelector('figcaption');
        return {{what: (svg ? 'svg ' : 'img ') + (e.getAttribute('src') || e.outerHTML).slice(0, 60), alt: alt.trim(),
                 role, caption: cap ? cap.textContent.trim() : ''}};
    }})""")
    no_alt = [f["what"] for f in found if not f["alt"] or f["role"] != "img"]
    no_cap = [f["what"] for f in found if not f["caption"]]
    assert not no_alt, f"{loaded.name}: {len(no_alt)} of {len(found)} figures without alt text (fig-alt):\n  " + "\n  ".join(no_alt)
    if loaded.name in UNCAPTIONED:
        if not no_cap:
            pytest.fail(f"{loaded.name}: every figure has a caption now: remove it from UNCAPTIONED in tests/test_website.py")
        pytest.xfail(f"{loaded.name} (in UNCAPTIONED): {len(no_cap)} of {len(found)} figures without a caption")
    assert not no_cap, f"{loaded.name}: {len(no_cap)} of {len(found)} figures without a caption (fig-cap):\n  " + "\n  ".join(no_cap)


def test_graphs_are_legible(loaded):
    """A drawing's text is at least MIN_GRAPH_TEXT_PX at the default column width: a graph is scaled down to the
    column only as far as that allows (book/styles.css, `--mg-legible` from book/_tools/polish.py); one still wider
    than the column is in a box of the column's width that scrolls to all of it, its caption stays in the column,
    and the page itself never scrolls sideways."""
    page = loaded.page
    small = page.evaluate(f"""async () => {{
        const bad = [], main = document.querySelector('#quarto-document-content');
        const column = main.clientWidth;
        const least = (texts, scale) => Math.min(...texts.map(t => parseFloat(t.getAttribute('font-size') ||
            getComputedStyle(t).fontSize) * scale));
        for (const e of ({FIGURES_JS})()) {{
            const r = e.getBoundingClientRect();
            if (!r.width) continue;  // not shown (a folded solution): nothing to read
            let svg = e, name = 'svg';
            if (e.tagName.toLowerCase() === 'img') {{
                const src = e.getAttribute('src') || '';
                if (!/\\.svg([?#]|$)/.test(src) && !src.startsWith('data:image/svg')) continue;  // a bitmap plot
                svg = new DOMParser().parseFromString(await (await fetch(e.src)).text(), 'image/svg+xml').documentElement;
                name = 'img ' + src.slice(0, 60);
            }}
            const texts = [...svg.querySelectorAll('text')];
            const vb = svg.viewBox && svg.viewBox.baseVal;
            if (!texts.length || !vb || !vb.width) continue;
            const px = least(texts, r.width / vb.width);
            if (px < {MIN_GRAPH_TEXT_PX}) bad.push(`${{name}}: text of ${{px.toFixed(1)}} px (shown ${{Math.round(r.width)}} px wide)`);
            if (r.width > column + 1) {{  // wider than the column: its own box must scroll to all of it
                let box = e.parentElement;
                while (box && box !== main && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
                if (!box || box === main || box.clientWidth > column + 1 || box.scrollWidth < r.width - 1)
                    bad.push(`${{name}}: ${{Math.round(r.width)}} px wide in a ${{column}} px column, in no box that scrolls to all of it`);
            }}
            const cap = e.closest('figure') && e.closest('figure').querySelector('figcaption');
            if (cap && cap.getBoundingClientRect().width > column + 1)
                bad.push(`${{name}}: its caption is ${{Math.round(cap.getBoundingClientRect().width)}} px wide, wider than the column`);
        }}
        const doc = document.scrollingElement;
        if (doc.scrollWidth > doc.clientWidth + 1) bad.push(`the page scrolls sideways (${{doc.scrollWidth}} px > ${{doc.clientWidth}} px)`);
        return bad;
    }}""")
    assert not small, f"{loaded.name}: graphs too small to read:\n  " + "\n  ".join(small)


# WCAG 2's contrast ratio of an element's text colour against what is behind it (its own background and its
# ancestors', semi-transparent ones blended over the first opaque one, the page's white at the bottom).
CONTRAST_JS = """
    const rgba = (s) => { const m = (s.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number); return m.length === 3 ? [...m, 1] : m; };
    const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
    const behind = (e) => {
        const layers = [];
        for (let n = e; n; n = n.parentElement) {
            const c = rgba(getComputedStyle(n).backgroundColor);
            if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
        }
        return layers.reverse().reduce((bg, layer) => over(layer, bg), [255, 255, 255]);
    };
    const ratio = (fg, bg) => { const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); };
    const contrast = (e, on) => { const bg = on ? behind(on) : behind(e); return ratio(over(rgba(getComputedStyle(e).color), bg), bg); };
"""
MIN_CONTRAST = 4.5  # WCAG 2 AA, text of body size
# The links whose colour a reader reads as "a link": in the text, in inline code in the text, the sidebar's current
# page, the table of contents' active entry, previous/next (Quarto and smalldocs mark them alike).
LINK_GROUPS = {"link in the text": "#quarto-document-content a[href]:not(.btn)",
               "inline code in a link": "#quarto-document-content a[href] code",
               "the sidebar's current page": "#quarto-sidebar .sidebar-link.active",
               "the table of contents' active entry": "#TOC .nav-link.active, nav[role=doc-toc] a.active",
               "previous/next": "nav.page-navigation a[href]"}


def low_contrast(page, groups: dict) -> list[str]:
    """Each group of elements (a CSS selector) whose shown text has a contrast under MIN_CONTRAST: 'name: n of m,
    the lowest r:1 (colour)'."""
    return page.evaluate(f"""(groups) => {{ {CONTRAST_JS}
        const bad = [];
        for (const [name, sel] of Object.entries(groups)) {{
            const els = [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length && e.textContent.trim());
            const low = els.map(e => [contrast(e), getComputedStyle(e).color]).filter(([r]) => r < {MIN_CONTRAST});
            if (low.length) {{
                low.sort((a, b) => a[0] - b[0]);
                bad.push(`${{name}}: ${{low.length}} of ${{els.length}}, the lowest ${{low[0][0].toFixed(2)}}:1 (${{low[0][1]}})`);
            }}
        }}
        return bad;
    }}""", groups)


def scheme_context(browser, base: str, scheme: str, width: int = 1280, height: int = 860):
    """An offline context (as `offline_context`) whose browser prefers `scheme` (light or dark), as a reader's OS
    does: both renderers then show the theme of that mode (no choice is stored)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    ctx.route("**/*", lambda r: r.continue_() if on_site(r.request.url, base) else r.abort())
    return ctx


def dark_mode_on(page) -> bool:
    return page.evaluate("() => document.documentElement.classList.contains('quarto-dark') || "
                         "document.body.classList.contains('quarto-dark')")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_link_colours_have_contrast(browser, base, scheme):
    """In both themes, on every page, every link a reader reads as one (in the text, inline code in a link, the
    sidebar's current page, the table of contents' active entry, previous/next) has a contrast of at least 4.5:1 on
    its background (finding 21: cosmo's link blue is 3.97:1 on white)."""
    ctx = scheme_context(browser, base, scheme)
    try:
        bad = []
        for name in PAGES:
            w = watched(ctx, base)
            w.goto(name)
            assert dark_mode_on(w.page) == (scheme == "dark"), f"{name}: the {scheme} theme is not on"
            bad += [f"{name}: {b}" for b in low_contrast(w.page, LINK_GROUPS)]
            w.page.close()
        assert not bad, f"links under {MIN_CONTRAST}:1 in the {scheme} theme:\n  " + "\n  ".join(bad)
    finally:
        ctx.close()


def test_dark_mode_sidebar_title_and_search_icon(browser, base):
    """In dark mode the site's title at the top of the sidebar is readable (at least 4.5:1 on its background; it was
    black on #222, 1.32:1) and the search field's icon shows (at least 3:1 on the field, WCAG's minimum for a
    graphic that means something; it was white on white), on the home page and a chapter."""
    ctx = scheme_context(browser, base, "dark")
    try:
        for name in (PAGES[0], PAGES[-1]):
            w = watched(ctx, base)
            page = w.goto(name)
            assert dark_mode_on(page), f"{name}: dark mode is not on"
            got = page.evaluate(f"""() => {{ {CONTRAST_JS}
                const title = document.querySelector('.sidebar-title a');
                // smalldocs: an icon over the input; Quarto: Algolia's form or its detached search button
                const icon = document.querySelector('#quarto-search .bi-search, #quarto-search .aa-SubmitIcon, '
                                                    + '#quarto-search .aa-DetachedSearchButtonIcon');
                const field = icon && (icon.closest('.aa-Form, .aa-DetachedSearchButton')
                                       || icon.parentElement.querySelector('input') || icon.parentElement);
                return {{title: title ? contrast(title) : null, icon: icon ? contrast(icon, field) : null,
                         shown: icon ? icon.getBoundingClientRect().width : 0}};
            }}""")
            assert got["title"] is not None, f"{name}: no site title in the sidebar"
            assert got["title"] >= MIN_CONTRAST, f"{name}: in dark mode the sidebar's title is {got['title']:.2f}:1"
            assert got["icon"] is not None and got["shown"] > 0, f"{name}: no search icon in the sidebar"
            assert got["icon"] >= 3, f"{name}: in dark mode the search icon is {got['icon']:.2f}:1 on its field"
            w.page.close()
    finally:
        ctx.close()


def book_meta() -> dict:
    import yaml

    return (yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8")) or {}).get("book") or {}


def test_favicon_description_and_footer(loaded, context):
    """Every page has the book's favicon (an SVG of its own, in book/images/, that loads), a meta description
    (_quarto.yml's `book: description`), and a footer with the licence (MIT) and the credits: Andrej Karpathy's
    micrograd and his lecture (finding 18)."""
    page, name = loaded.page, loaded.name
    icons = page.eval_on_selector_all("link[rel~=icon][href]", "ls => ls.map(l => l.href)")
    assert icons, f"{name}: no favicon"
    r = context.request.get(icons[0])
    assert r.ok and "<svg" in r.text(), f"{name}: the favicon {icons[0]} does not load as an SVG (HTTP {r.status})"
    assert site_path(icons[0]).startswith("book/images/"), f"{name}: the favicon is not the book's own: {icons[0]}"
    want = str(book_meta().get("description") or book_meta().get("subtitle") or "").strip()
    assert want, "_quarto.yml has no `book: description`"
    got = page.eval_on_selector_all("meta[name=description]", "ms => ms.map(m => m.content)")
    assert got == [want], f"{name}: meta description {got}, not _quarto.yml's book description"
    footer = page.locator("footer").last
    assert footer.count() and footer.is_visible(), f"{name}: no footer"
    text = " ".join(footer.text_content().split())
    hrefs = footer.evaluate("f => [...f.querySelectorAll('a[href]')].map(a => a.href)")
    assert "MIT License" in text, f"{name}: the footer does not give the licence: {text!r}"
    assert "Karpathy" in text and "https://github.com/karpathy/micrograd" in hrefs, f"{name}: no credit to micrograd"
    assert any(re.match(r"https://(youtu\.be/|www\.youtube\.com/watch\?v=)VMj-3S1tku0", h) for h in hrefs), \
        f"{name}: the footer does not credit the lecture: {hrefs}"


def test_skip_link_first_and_to_the_content(loaded):
    """The first Tab on a page reaches a visible "skip to the content" link, before the sidebar's links; Enter on it
    moves the focus to the page's content, and the next Tab goes on inside the content (finding 20)."""
    page, name = loaded.page, loaded.name
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    got = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect();
        return {tag: e.tagName, text: e.textContent.trim(), href: e.getAttribute('href') || '',
                shown: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight}; }""")
    assert got["tag"] == "A" and re.search(r"skip", got["text"], re.I), f"{name}: the first Tab reaches {got}"
    assert got["shown"], f"{name}: the skip link is focused but not in view: {got}"
    assert got["href"] == "#quarto-document-content", f"{name}: the skip link leads to {got['href']!r}"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'quarto-document-content'",
                           timeout=3000)
    page.keyboard.press("Tab")
    inside = page.evaluate("() => !!document.activeElement.closest('#quarto-document-content') && "
                           "document.activeElement.id !== 'quarto-document-content'")
    assert inside, f"{name}: after the skip link, Tab goes to {focused(page)!r}, outside the content"


def test_sidebar_title_links_to_index_html(loaded):
    """The site's title at the top of the sidebar links to the home page's index.html (relative to the page), not to
    its folder, which from file:// opens a directory listing (finding 24). Read from the HTML file as written, since
    Quarto's script rewrites index.html links to folders when the site is served."""
    html = (SITE / html_of(loaded.name)).read_text(encoding="utf-8")
    m = re.search(r'<div class="sidebar-title\b[^"]*">\s*<a\b[^>]*?\bhref="([^"]*)"', html)
    assert m, f"{loaded.name}: no site title in the sidebar"
    target = (SITE / html_of(loaded.name)).parent / m.group(1)
    assert m.group(1).endswith("index.html") and target.resolve() == (SITE / "index.html").resolve(), \
        f"{loaded.name}: the sidebar's title links to {m.group(1)!r}, not to the home page's index.html"


# Graphviz's internal names, which its <title> elements carry: the graph's (`%3`), a node's (`v0`, `v6_op`), an edge's
# (`v0->v6_op`); a browser shows a drawing's titles as tooltips.
GRAPHVIZ_NAME = r"^(%\d+|v\d+(_op)?|\S+->\S+)$"


def test_graphs_show_no_internal_names(loaded):
    """No drawing on a page (inline, in a stepper, or an .svg file a page shows) has a <title> with one of Graphviz's
    internal names, which a reader would get as a tooltip (finding 25)."""
    found = loaded.page.evaluate("""async (pattern) => {
        const name = new RegExp(pattern), found = [];
        const check = (svg, where) => svg.querySelectorAll('title').forEach(t => {
            if (name.test(t.textContent.trim())) found.push(`${where}: <title>${t.textContent.trim()}</title>`); });
        document.querySelectorAll('#quarto-document-content svg').forEach(s => check(s, 'svg'));
        for (const img of document.querySelectorAll('#quarto-document-content img[src$=".svg"]')) {
            const text = await (await fetch(img.src)).text();
            check(new DOMParser().parseFromString(text, 'image/svg+xml'), img.getAttribute('src'));
        }
        return found;
    }""", GRAPHVIZ_NAME)
    assert not found, f"{loaded.name}: {len(found)} Graphviz names shown as tooltips, e.g.\n  " + "\n  ".join(found[:5])


def test_maths_typeset(loaded):
    page = loaded.page
    n_math = page.locator("#quarto-document-content .math").count()
    if n_math == 0:
        return  # no maths on this page
    scripts = page.eval_on_selector_all("script[src*='katex']", "ss => ss.map(s => s.src)")
    assert scripts and all(u.startswith(loaded.base) for u in scripts), \
        f"{loaded.name}: KaTeX is not loaded from the site (the build ships it in _book/{KATEX_SITE}/): {scripts}"
    page.wait_for_function("() => document.querySelectorAll('#quarto-document-content .katex').length > 0", timeout=10000)
    untypeset = page.evaluate("""() => [...document.querySelectorAll('#quarto-document-content .math')]
        .filter(m => !m.querySelector('.katex') || m.querySelector('.katex-error')).map(m => m.textContent.slice(0, 60))""")
    assert not untypeset, f"{loaded.name}: {len(untypeset)} of {n_math} formulas not typeset by KaTeX: {untypeset[:5]}"


def test_site_ships_katex():
    """_book/ carries the pinned KaTeX, fonts and licence included, and no page loads KaTeX from anywhere else."""
    if not (SITE / "index.html").exists():
        unavailable("no website in _book/: run `make book` (or `make test`, which builds it)")
    katex = SITE / KATEX_SITE
    for name in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/KaTeX_Main-Regular.woff2", "LICENSE"):
        assert (katex / name).is_file(), f"_book/{KATEX_SITE}/{name} is missing: the site does not ship KaTeX"
    elsewhere = [html_of(p) for p in PAGES if re.search(r"(src|href)=\"(https?:)?//[^\"]*katex", (SITE / html_of(p)).read_text(encoding="utf-8"))]
    assert not elsewhere, f"pages that load KaTeX from off the site: {elsewhere}"


def test_sidebar_lists_chapters_in_order(loaded, base):
    """The sidebar lists _quarto.yml's pages in order, numbered as Quarto numbers a book's chapters: "1\u00a0 Title"
    (`numberChapterHtmlNav`, project/types/book/book-chapters.ts; the build gives smalldocs the same), appendices
    lettered, the pages marked `{.unnumbered}` (the home page) not at all; each page's title carries its number."""
    page = loaded.page
    hrefs = page.eval_on_selector_all("#quarto-sidebar a.sidebar-link[href]", "as => as.map(a => a.href)")
    got = [site_path(h) for h in hrefs]
    assert got == [html_of(p) for p in PAGES], f"{loaded.name}: the sidebar's pages are not _quarto.yml's, in order"
    texts = page.eval_on_selector_all("#quarto-sidebar a.sidebar-link[href]", "as => as.map(a => a.textContent.trim())")
    for p, text in zip(PAGES, texts):
        n = NUMBERS.get(p)
        if n is not None:
            assert re.match(rf"{n}\u00a0 \S", text), f"{loaded.name}: the sidebar shows {p} as {text!r}, not as '{n}\u00a0 ...'"
        else:
            assert not re.match(r"(\d+|[A-Z])\u00a0", text), f"{loaded.name}: the sidebar numbers the unnumbered {p}: {text!r}"
    n = NUMBERS.get(loaded.name)
    h1 = page.locator("h1").first.text_content().strip()
    if n is None:
        assert not re.match(r"(\d+|[A-Z])\u00a0|Appendix [A-Z]\b", h1), f"{loaded.name}: the unnumbered page's title is {h1!r}"
    elif isinstance(n, str):  # an appendix: Quarto titles it "Appendix A — Title" (`formatChapterTitle`)
        assert re.match(rf"({n}\u00a0 |Appendix {n} \u2014 )\S", h1), f"{loaded.name}: the title {h1!r} lacks its letter {n}"
    else:
        assert re.match(rf"{n}\u00a0 \S", h1), f"{loaded.name}: the title {h1!r} lacks the chapter number {n}"


def test_previous_next_links(loaded, base):
    i = PAGES.index(loaded.name)
    for side, j in (("previous", i - 1), ("next", i + 1)):
        links = loaded.page.locator(f"nav.page-navigation .nav-page-{side} a[href]")
        if 0 <= j < len(PAGES):
            assert links.count() == 1, f"{loaded.name}: no {side} link (to {PAGES[j]})"
            href = urljoin(loaded.page.url, links.first.get_attribute("href"))
            assert site_path(href) == html_of(PAGES[j]), f"{loaded.name}: {side} goes to {href}"
        else:
            assert links.count() == 0, f"{loaded.name}: a {side} link on the {'first' if j < 0 else 'last'} page"


def test_notebook_download(loaded, context):
    if not loaded.name.endswith(".ipynb"):
        return
    link = loaded.page.locator('.notebook-download a[download]:not([download^="workbook-"])')
    assert link.count() == 1, f"{loaded.name}: no link to download the page as a notebook"
    href = urljoin(loaded.page.url, link.get_attribute("href"))
    assert href.endswith(".ipynb"), f"{loaded.name}: the download link goes to {href}, not a notebook"
    r = context.request.get(href)
    assert r.ok, f"{loaded.name}: downloading {href}: HTTP {r.status}"
    import nbformat

    nb = nbformat.reads(r.text(), as_version=4)
    nbformat.validate(nb)
    title = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    want = page_title(ROOT / loaded.name)[0]
    assert want in title, f"{loaded.name}: the download is not this page's notebook (no title {want!r})"


def test_workbook_download(loaded, context):
    """A chapter page links its workbook notebook next to its own download: the same chapter, valid as a notebook,
    with the exported code stubbed (book/_tools/workbook.py), as `make workbook` writes it."""
    if not loaded.name.startswith("book/"):
        return
    link = loaded.page.locator('.notebook-download a[download^="workbook-"]')
    assert link.count() == 1, f"{loaded.name}: no link to the chapter's workbook notebook"
    href = urljoin(loaded.page.url, link.get_attribute("href"))
    assert href.endswith("/workbook/" + Path(loaded.name).name), f"{loaded.name}: the workbook link goes to {href}"
    r = context.request.get(href)
    assert r.ok, f"{loaded.name}: downloading {href}: HTTP {r.status}"
    import nbformat

    import workbook

    got = nbformat.reads(r.text(), as_version=4)
    nbformat.validate(got)
    want, stubs = workbook.stub_notebook(read_nb(ROOT / loaded.name), workbook.chapter_label(Path(loaded.name).stem))
    assert [c.source for c in got.cells] == [src(c) for c in want["cells"]], f"{loaded.name}: not its workbook"
    text = r.text()
    assert text.count("NotImplementedError") >= len(stubs), f"{loaded.name}: {len(stubs)} stubs expected"


def test_code_blocks_have_copy_buttons(loaded):
    counts = loaded.page.evaluate("""() => {
        const blocks = [...document.querySelectorAll('#quarto-document-content div.sourceCode')];
        const without = blocks.filter(b => !(b.parentElement.querySelector('.code-copy-button') || b.querySelector('.code-copy-button')));
        return [blocks.length, without.length];
    }""")
    assert counts[1] == 0, f"{loaded.name}: {counts[1]} of {counts[0]} code blocks have no copy button"


def here(page) -> str:
    return site_path(page.url)


def test_solutions_are_folded(loaded):
    """A chapter ends with Exercises whose solutions are in a collapsed callout that opens on a click."""
    if not loaded.name.startswith("book/"):
        return  # the home page has no exercises
    page = loaded.page
    assert page.locator("h2", has_text="Exercises").count() >= 1, f"{loaded.name}: no Exercises section"
    callout = page.locator(".callout:has(.callout-collapse)").last
    assert callout.count() == 1, f"{loaded.name}: no collapsed callout (the solutions)"
    body = callout.locator(".callout-collapse").first
    assert not body.is_visible(), f"{loaded.name}: the solutions are not folded"
    callout.locator(".callout-header").first.click()
    body.wait_for(state="visible", timeout=3000)


def test_next_and_previous_work(loaded):
    """Clicking next leads to the next page of _quarto.yml (on the last page, previous leads back); the targets
    of every previous link are checked above. Runs last for its page: it leaves it."""
    page, i = loaded.page, PAGES.index(loaded.name)
    side, j = ("next", i + 1) if i + 1 < len(PAGES) else ("previous", i - 1)
    if j < 0:
        return  # a book of one page
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator(f"nav.page-navigation .nav-page-{side} a").first.click()
    assert here(page) == html_of(PAGES[j]), f"{loaded.name}: {side} led to {page.url}"
    assert not loaded.failed, loaded.failed


def test_theme_toggle(context, base):
    """The light/dark toggle changes the page's colours, and back; a dark screenshot of chapter 1 is kept."""
    w = watched(context, base)
    page = w.goto(PAGES[1] if len(PAGES) > 1 else PAGES[0])
    bg = "() => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(bg)
    toggle = page.locator(".quarto-color-scheme-toggle:visible").first
    toggle.click()
    page.wait_for_function(f"() => getComputedStyle(document.body).backgroundColor !== {json.dumps(light)}", timeout=3000)
    dark = page.evaluate(bg)
    lum = lambda c: sum(int(x) for x in re.findall(r"\d+", c)[:3])
    assert lum(dark) < lum(light), f"the toggle went from {light} to {dark}, which is not darker"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot_name(PAGES[1] if len(PAGES) > 1 else PAGES[0]).replace(".png", "-dark.png")))
    toggle.click()
    page.wait_for_function(f"() => getComputedStyle(document.body).backgroundColor === {json.dumps(light)}", timeout=3000)
    assert not w.errors, w.errors
    page.evaluate("() => { try { localStorage.clear() } catch (e) {} }")
    w.page.close()


def test_sidebar_title_leads_home_from_file_urls(browser):
    """Opened from the file system (file://, as a reader who downloaded the site does), a chapter's sidebar title
    leads to the home page, not to a directory listing (finding 24)."""
    if not (SITE / "index.html").exists():
        unavailable("no website in _book/: run `make book` (or `make test`, which builds it)")
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    try:
        page = ctx.new_page()
        page.goto((SITE / html_of(PAGES[-1])).as_uri(), wait_until="load")
        with page.expect_navigation(wait_until="load"):
            page.locator(".sidebar-title a").first.click()
        assert page.url == (SITE / "index.html").as_uri(), f"the sidebar's title led to {page.url}"
    finally:
        ctx.close()


def test_site_css_imports_nothing_off_site():
    """No style sheet of the site imports anything, or loads a file, from off the site: the themes' Google Fonts
    imports are gone (finding 22), whichever renderer made the site (Quarto compiles the theme into
    site_libs/bootstrap/, smalldocs copies it to site_libs/themes/)."""
    if not (SITE / "index.html").exists():
        unavailable("no website in _book/: run `make book` (or `make test`, which builds it)")
    off = re.compile(r"""@import\s*(url\(\s*)?['"]?(https?:)?//|url\(\s*['"]?(https?:)?//""")
    bad = [f"{css.relative_to(SITE)}: {m.group(0)}..." for css in sorted(SITE.rglob("*.css"))
           for m in off.finditer(css.read_text(encoding="utf-8"))]
    assert not bad, "style sheets that load from off the site:\n  " + "\n  ".join(bad)
    assert "system-ui" in (ROOT / "book" / "styles.css").read_text(encoding="utf-8"), \
        "book/styles.css sets no system font stack"


def test_staged_drawings_have_no_graphviz_titles():
    """The executed notebooks both renderers read (.build/site/) show no graphviz <title> (an internal name, shown as
    a tooltip) in any drawing or widget, and mark each drawing of its own `mg-graph` (finding 25; Quarto writes these
    drawings to .svg files, as they are here)."""
    if not (STAGE / "index.ipynb").exists():
        unavailable("the staged notebooks are missing (.build/site/): run `make book`")
    titled, unmarked = [], []
    for name in PAGES:
        for i, cell in enumerate(read_nb(STAGE / name)["cells"]):
            for o in cell.get("outputs") or []:
                for key, value in (o.get("data") or {}).items():
                    value = "".join(value) if isinstance(value, list) else value
                    if isinstance(value, str) and 'class="graph"' in value:
                        titled += [f"{name}, cell {i} ({key}): {t}" for t in re.findall(r"<title>[^<]*</title>", value)]
                        if key == "image/svg+xml" and 'class="mg-graph"' not in value:
                            unmarked.append(f"{name}, cell {i}")
    assert not titled, f"{len(titled)} graphviz titles in the staged outputs, e.g.\n  " + "\n  ".join(titled[:5])
    assert not unmarked, "drawings not marked mg-graph:\n  " + "\n  ".join(unmarked)


def test_untitled_graphs_keeps_what_steppers_read():
    """execute.py's tidying drops graphviz's <title>s from a drawing and from a widget's HTML, and keeps the
    `data-node` and `data-edge` attributes a stepper reads; it marks a drawing, not a widget, `mg-graph`."""
    import nbformat

    from execute import untitled_graphs

    svg = ('<svg width="80pt" height="40pt" viewBox="0.00 0.00 80.00 40.00" xmlns="http://www.w3.org/2000/svg">\n'
           '<g id="graph0" class="graph">\n<title>%3</title>\n<g class="node" data-node="v0">\n<title>v0</title>\n'
           '<text font-size="11.00">a</text>\n</g>\n<g class="edge" data-edge="v0&#45;&gt;v1_op">\n'
           '<title>v0&#45;&gt;v1_op</title>\n</g>\n</g>\n</svg>')
    cell = nbformat.from_dict({"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1, "outputs": [
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg, "text/plain": "graph"}},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/html": f'<div class="mg-stepper">{svg}</div>', "text/plain": "Stepper"}}]})
    untitled_graphs(cell)
    drawing, widget = (o["data"] for o in cell.outputs)
    for got in (drawing["image/svg+xml"], widget["text/html"]):
        assert "<title>" not in got and 'data-node="v0"' in got and 'data-edge="v0&#45;&gt;v1_op"' in got, got
    assert drawing["image/svg+xml"].startswith('<svg class="mg-graph" ') and "mg-graph" not in widget["text/html"]


def test_polish_on_quarto_markup(tmp_path):
    """The build's post-processing (book/_tools/polish.py) does to a page as Quarto writes it what it does to
    smalldocs's: Quarto is not installed here, so a page in Quarto's markup (sidebar title, <main>, a drawing shown
    as an <img> of its .svg file, the compiled theme importing Google Fonts) is polished and checked."""
    from polish import polish

    (tmp_path / "site_libs" / "bootstrap").mkdir(parents=True)
    css = tmp_path / "site_libs" / "bootstrap" / "bootstrap-0123abcd.min.css"
    css.write_text('@import"https://fonts.googleapis.com/css2?family=Source+Sans+Pro:wght@300;400;700&display=swap";'
                   "@import url(https://fonts.googleapis.com/css2?family=Lato:ital,wght@0,400;1,700&display=swap);"
                   ":root{--bs-blue:#2780e3}", encoding="utf-8")
    figures = tmp_path / "book" / "04_chain_rule_files" / "figure-html"
    figures.mkdir(parents=True)
    (figures / "cell-18-output-1.svg").write_text(
        '<svg class="mg-graph" width="1058pt" height="156pt" viewBox="0.00 0.00 1058.00 156.00" '
        'xmlns="http://www.w3.org/2000/svg"><g class="graph"><text font-size="11.00">a</text></g></svg>', encoding="utf-8")
    page = tmp_path / "book" / "04_chain_rule.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>5 The chain rule</title></head>'
        '<body class="nav-sidebar floating"><div class="sidebar-title mb-0 py-0">\n      <a href="../">micrograd</a>\n'
        '</div><main class="content" id="quarto-document-content"><div class="cell-output cell-output-display">'
        '<div class="quarto-figure quarto-figure-center"><figure class="figure"><p>'
        '<img src="04_chain_rule_files/figure-html/cell-18-output-1.svg" class="img-fluid figure-img"></p>'
        "<figcaption>L before any gradient</figcaption></figure></div></div></main></body></html>", encoding="utf-8")
    polish(tmp_path)
    assert "googleapis" not in css.read_text(encoding="utf-8") and ":root{--bs-blue:#2780e3}" in css.read_text(encoding="utf-8")
    html = page.read_text(encoding="utf-8")
    assert re.search(r'<body[^>]*><a class="mg-skip-link" href="#quarto-document-content">', html)
    assert '<main class="content" id="quarto-document-content" tabindex="-1">' in html
    assert '<a href="../index.html">micrograd</a>' in html
    want = str(book_meta().get("description") or "")
    assert want and f'<meta name="description" content="{want}">' in html.replace("&#x27;", "\'")
    assert re.search(r'<img style="--mg-legible: 962px" src="[^"]+" class="mg-graph img-fluid figure-img"></p>'
                     r'<div class="mg-graph-tools" style="--mg-legible: 962px"><span class="mg-scroll-cue"', html), html
    assert 'class="mg-full-size" href="04_chain_rule_files/figure-html/cell-18-output-1.svg"' in html


# Each static graph drawing of a page (graphviz's, not a stepper's): how it is shown, its box, and what it needs.
STATIC_GRAPHS_JS = f"""async () => {{
    const main = document.querySelector('#quarto-document-content'), column = main.clientWidth, out = [];
    for (const e of ({FIGURES_JS})()) {{
        if (e.closest('.mg-stepper')) continue;
        let svg = e, name = 'svg';
        if (e.tagName.toLowerCase() === 'img') {{
            const src = e.getAttribute('src') || '';
            if (!/\\.svg([?#]|$)/.test(src)) continue;
            svg = new DOMParser().parseFromString(await (await fetch(e.src)).text(), 'image/svg+xml').documentElement;
            name = 'img ' + src.slice(0, 60);
        }}
        if (!svg.querySelector('g.graph')) continue;
        const r = e.getBoundingClientRect();
        if (!r.width) continue;  // not shown (a folded solution)
        let box = e.parentElement;
        while (box && box !== main && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
        if (box === main) box = null;
        const fig = e.closest('figure') || e.parentElement;
        const cue = fig.querySelector('.mg-scroll-cue'), link = fig.querySelector('a.mg-full-size');
        const cr = cue ? cue.getBoundingClientRect() : null;
        const vb = svg.viewBox.baseVal, fonts = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
        const natural = svg.width.baseVal.value;  // its own width in CSS px (SVGLength converts pt)
        out.push({{name, column, width: r.width, natural, needs: {MIN_GRAPH_TEXT_PX} * vb.width / Math.min(...fonts),
                   box: box ? [box.clientWidth, box.scrollWidth] : null, viewbox: svg.getAttribute('viewBox'),
                   cue: cr && cr.width >= 1 && cr.height > 0 && cr.left >= 0 && cr.right <= innerWidth
                        && getComputedStyle(cue).visibility !== 'hidden' ? cue.textContent.trim() : '',
                   link: link ? link.href : null}});
    }}
    return out;
}}"""


def test_static_graphs_fit_or_scroll_with_a_cue(browser, base):
    """At 1280x900, each static graph drawing is scaled down to fit the column when its smallest text stays at least
    MIN_GRAPH_TEXT_PX there; one that cannot fit legibly scrolls sideways in its own box with a visible cue (shown
    only then), never cut off without one (finding 3). Each one wider than a phone's column has a link to the drawing
    at full size: an .svg file of the same drawing. At least one graph of the book is scaled and one needs the cue."""
    ctx = scheme_context(browser, base, "light", 1280, 900)
    scaled = cued = 0
    try:
        bad = []
        for name in PAGES:
            w = watched(ctx, base)
            w.goto(name)
            for g in w.page.evaluate(STATIC_GRAPHS_JS):
                where, column = f"{name}, {g['name']}", g["column"]
                overflows = g["width"] > column + 1 or (g["box"] and g["box"][1] > g["box"][0] + 1)
                if overflows and not g["box"]:
                    bad.append(f"{where}: {g['width']:.0f} px wide in a {column} px column, cut off (no box scrolls)")
                elif overflows and not g["cue"]:
                    bad.append(f"{where}: {g['width']:.0f} px wide in a {column} px box, scrolls without a visible cue")
                elif not overflows and g["cue"]:
                    bad.append(f"{where}: fits, yet shows the cue {g['cue']!r}")
                if g["needs"] <= column and overflows:
                    bad.append(f"{where}: could be scaled to the column (its text needs {g['needs']:.0f} px) but is not")
                if not g["link"]:
                    if g["natural"] > FITS_ANY_COLUMN_PX:
                        bad.append(f"{where}: no link to the drawing at full size")
                else:
                    r = ctx.request.get(g["link"])
                    if not (r.ok and f'viewBox="{g["viewbox"]}"' in r.text()):
                        bad.append(f"{where}: the full-size link {g['link']} is not this drawing (HTTP {r.status})")
                scaled += g["width"] < g["natural"] - 1
                cued += bool(overflows and g["cue"])
            w.page.close()
        assert not bad, "static graphs at 1280x900:\n  " + "\n  ".join(bad)
        assert scaled and cued, f"{scaled} graphs scaled to the column, {cued} scrolled with the cue: expected some of each"
    finally:
        ctx.close()


def test_copy_button_copies(context, base):
    """The copy button of the first code block puts its code on the clipboard."""
    origin = base.rstrip("/")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    w = watched(context, base)
    page = w.goto(PAGES[1] if len(PAGES) > 1 else PAGES[0])
    block = page.locator("#quarto-document-content div.sourceCode:visible").first
    code = block.locator("code").text_content()
    block.hover()
    page.locator("#quarto-document-content .code-copy-button:visible").first.click()
    got = page.evaluate("() => navigator.clipboard.readText()")
    assert got.strip() == code.strip()
    w.page.close()


def test_search_finds_topological(context, base):
    """Typing "topological" in the search box offers the backpropagation chapter, and the result leads there."""
    if "book/05_backprop.ipynb" not in PAGES:
        pytest.fail("book/05_backprop.ipynb is not in _quarto.yml yet: nothing for the search to find")
    w = watched(context, base)
    page = w.goto(PAGES[0])
    box = page.locator("#quarto-search input:visible")
    if box.count() == 0:  # Quarto: an Algolia autocomplete button that opens the input
        page.locator("#quarto-search .aa-DetachedSearchButton, #quarto-search").first.click()
        box = page.locator(".aa-Input:visible")
    box.first.fill(SEARCH_WORD)
    hit = page.locator(f".smalldocs-search-results a[href*='05_backprop.html'], .aa-Panel a[href*='05_backprop.html'], "
                       f".aa-DetachedContainer a[href*='05_backprop.html']").first
    hit.wait_for(state="visible", timeout=5000)
    hit.click()
    page.wait_for_load_state("load")
    assert site_path(page.url) == SEARCH_TARGET
    w.page.close()


# ---------------------------------------------------------------- the widgets: backward steppers, training players
# Found in the rendered pages themselves, so that every stepper and every player of the book is tested, on whichever
# page it is and with whichever renderer made it.
def pages_with(marker: str) -> list[str]:
    if not (SITE / "index.html").exists():
        unavailable("no website in _book/: run `make book` (or `make test`, which builds it)")
    return [p for p in PAGES if (SITE / html_of(p)).exists() and marker in (SITE / html_of(p)).read_text(encoding="utf-8")]


STEPPER_JS = """(w) => ({
    step: +w.getAttribute('data-step'),
    count: w.querySelector('.mg-count').textContent.trim(),
    grads: Object.fromEntries([...w.querySelectorAll('text.mg-grad[data-node]')]
        .map(t => [t.getAttribute('data-node'), t.textContent.trim()])),
    hi: [...w.querySelectorAll('g.node.mg-hi[data-node]')].map(g => g.getAttribute('data-node')).sort(),
    labels: Object.fromEntries([...w.querySelectorAll('g.node[data-node]')].filter(g => g.querySelector('text.mg-grad'))
        .map(g => [g.getAttribute('data-node'), g.querySelector('text').textContent.trim()])),
})"""


# Where a stepper's highlighted nodes are, and the box that shows its drawing (.mg-scroll, which scrolls sideways when
# the drawing is wider than the column): client rectangles, [left, top, right, bottom].
IN_VIEW_JS = """(w) => {
    const box = w.querySelector('.mg-scroll'), r = box.getBoundingClientRect();
    const rect = (b) => [b.left, b.top, b.right, b.bottom];
    return {box: rect(r), scroll_width: box.scrollWidth, client_width: box.clientWidth,
            hi: [...w.querySelectorAll('g.node.mg-hi[data-node]')].map(g => [g.getAttribute('data-node'),
                rect(g.getBoundingClientRect())])};
}"""


def assert_highlight_in_view(where: str, w) -> None:
    """The stepper's drawing fits its box without sideways scrolling, and every highlighted node (a box, an
    operation's ellipse) lies inside that box: a reader sees the node being processed without scrolling."""
    got = w.evaluate(IN_VIEW_JS)
    assert got["scroll_width"] <= got["client_width"] + 1, (
        f"{where}: the drawing is {got['scroll_width']} px wide in a box of {got['client_width']} px: it scrolls sideways")
    left, top, right, bottom = got["box"]
    assert got["hi"], f"{where}: no node is highlighted"
    for node, (l, t, r, b) in got["hi"]:
        assert l >= left - 1 and r <= right + 1 and t >= top - 1 and b <= bottom + 1, (
            f"{where}: the highlighted {node} at {[round(x) for x in (l, t, r, b)]} is outside the drawing's box "
            f"{[round(x) for x in got['box']]}")


def stepper_data(w) -> dict:
    return json.loads(w.locator("script.mg-data").first.text_content())


def shown(w) -> dict:
    return w.evaluate(STEPPER_JS)


def assert_stepper_state(where: str, w, data: dict, k: int) -> None:
    """The stepper shows state k of its data: the step counter, every grad field (blank where the state has none),
    and the highlighted nodes."""
    state, last, got = data["states"][k], len(data["states"]) - 1, shown(w)
    assert got["step"] == k and got["count"] == f"step {k} of {last}", f"{where}: at step {k} it shows {got['count']!r}"
    want = {n: state["grads"].get(n, data["blank"]) for n in got["grads"]}
    assert got["grads"] == want, f"{where}, step {k}: grads shown {got['grads']}, state {k} has {want}"
    assert got["hi"] == sorted(state["hi"]), f"{where}, step {k}: highlighted {got['hi']}, state {k} has {sorted(state['hi'])}"


def tab_to(page, target, limit: int = 1500) -> int:
    """Press Tab from the top of the page until the focus is on `target` (a locator) or inside it; the presses."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    handle = target.element_handle()
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(t) => t === document.activeElement || t.contains(document.activeElement)", handle):
            return n
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def focused(page) -> str:
    return page.evaluate("() => { const e = document.activeElement; return e ? (e.getAttribute('data-go') || "
                         "e.getAttribute('aria-label') || e.className || e.tagName) : ''; }")


def test_steppers_step_through_their_states(context, base):
    """Every backward stepper of the site: it starts blank; after k clicks on next it shows state k of its data (the
    grads filled in so far, the rest blank, the node being processed highlighted); end shows every grad, start none;
    previous steps back."""
    pages = pages_with('class="mg-stepper"')
    assert "book/04_chain_rule.ipynb" in pages, "chapter 04 has no backward stepper in the rendered site"
    for name in pages:
        w = watched(context, base)
        page = w.goto(name)
        steppers = page.locator(".mg-stepper")
        page.wait_for_function("() => [...document.querySelectorAll('.mg-stepper')].every(s => s.hasAttribute('data-ready'))")
        for i in range(steppers.count()):
            s, where = steppers.nth(i), f"{name}, stepper {i + 1}"
            s.scroll_into_view_if_needed()
            data = stepper_data(s)
            last = len(data["states"]) - 1
            assert last >= 1, f"{where}: no steps"
            assert_stepper_state(where, s, data, 0)
            assert set(shown(s)["grads"].values()) == {data["blank"]}, f"{where}: grads shown before the first step"
            for k in range(1, last + 1):
                s.locator("button[data-go=next]").click()
                assert_stepper_state(where, s, data, k)
            s.locator("button[data-go=next]").click(force=True)   # past the end (aria-disabled): stays at the end
            assert shown(s)["step"] == last
            s.locator("button[data-go=previous]").click()
            assert_stepper_state(where, s, data, last - 1)
            s.locator("button[data-go=end]").click()
            assert_stepper_state(where, s, data, last)
            assert data["blank"] not in shown(s)["grads"].values(), f"{where}: the end leaves some grads blank"
            s.locator("button[data-go=start]").click()
            assert_stepper_state(where, s, data, 0)
            assert not shown(s)["hi"] and set(shown(s)["grads"].values()) == {data["blank"]}, f"{where}: start is not blank"
        assert not w.errors, f"{name}: console errors: {w.errors}"
        w.page.close()


def test_steppers_work_with_the_keyboard_alone(context, base):
    """Every stepper is reached with Tab from the top of its page; the arrow keys, Home and End move it; Tab reaches
    its buttons, and Enter and Space press them."""
    for name in pages_with('class="mg-stepper"'):
        w = watched(context, base)
        page = w.goto(name)
        page.wait_for_function("() => [...document.querySelectorAll('.mg-stepper')].every(s => s.hasAttribute('data-ready'))")
        steppers = page.locator(".mg-stepper")
        for i in range(steppers.count()):
            s, where = steppers.nth(i), f"{name}, stepper {i + 1} (keyboard)"
            data = stepper_data(s)
            last = len(data["states"]) - 1
            tab_to(page, s)
            assert page.evaluate("(t) => t === document.activeElement", s.element_handle()), f"{where}: Tab lands inside, not on it"
            for k in range(1, last + 1):
                page.keyboard.press("ArrowRight")
                assert_stepper_state(where, s, data, k)
            page.keyboard.press("Home")
            assert_stepper_state(where, s, data, 0)
            page.keyboard.press("ArrowLeft")                     # before the start: stays there
            assert_stepper_state(where, s, data, 0)
            page.keyboard.press("End")
            assert_stepper_state(where, s, data, last)
            page.keyboard.press("ArrowLeft")
            assert_stepper_state(where, s, data, last - 1)
            for go in ("start", "previous", "next"):             # the buttons, in the order Tab visits them
                page.keyboard.press("Tab")
                assert focused(page) == go, f"{where}: Tab went to {focused(page)!r}, not to the {go} button"
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Shift+Tab")
            assert focused(page) == "start"
            page.keyboard.press("Enter")
            assert_stepper_state(where, s, data, 0)
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
            assert_stepper_state(where, s, data, 1)
            if last >= 2:
                page.keyboard.press("Space")
                assert_stepper_state(where, s, data, 2)
        assert not w.errors, f"{name}: console errors: {w.errors}"
        w.page.close()


def test_chapter_04_stepper_is_the_hand_computation(context, base):
    """Chapter 04's stepper of L = (a*b + c) * f, a = 2, b = -3, c = 10, f = -2: after k clicks on next, the node
    highlighted and the grads shown are those of the chain rule applied by hand, computed here: L 1, then d -2 and
    f 4, then e -2 and c -2, then a 6 and b -4. The drawing fits the column, so the highlighted node is always in
    view (the screenshot of step 2 shows it)."""
    a, b, c, f = 2.0, -3.0, 10.0, -2.0
    e = a * b
    d = e + c
    grad = {"L": 1.0}
    grad.update(d=f * grad["L"], f=d * grad["L"])       # L = d * f
    grad.update(e=grad["d"], c=grad["d"])               # d = e + c
    grad.update(a=b * grad["e"], b=a * grad["e"])       # e = a * b
    assert grad == {"L": 1, "d": -2, "f": 4, "e": -2, "c": -2, "a": 6, "b": -4}
    order = [("L", ["L"]), ("L", ["d", "f"]), ("d", ["e", "c"]), ("e", ["a", "b"])]   # (node processed, grads it fills)
    w = watched(context, base)
    page = w.goto("book/04_chain_rule.ipynb")
    page.wait_for_function("() => [...document.querySelectorAll('.mg-stepper')].every(s => s.hasAttribute('data-ready'))")
    steppers = page.locator(".mg-stepper")
    mine = [steppers.nth(i) for i in range(steppers.count())
            if sorted(shown(steppers.nth(i))["labels"].values()) == sorted(grad)]
    assert mine, "chapter 04 has no stepper over the nodes a, b, c, d, e, f, L"
    s = mine[0]
    s.scroll_into_view_if_needed()
    blank = stepper_data(s)["blank"]

    def by_label():
        got = shown(s)
        names = got["labels"]
        grads = {names[n]: float(t.split()[-1]) for n, t in got["grads"].items() if t != blank}
        boxes = [names[n] for n in got["hi"] if n in names]
        return grads, boxes

    assert by_label() == ({}, [])
    want = {}
    for k, (node, fills) in enumerate(order, 1):
        s.locator("button[data-go=next]").click()
        want.update({v: grad[v] for v in fills})
        assert by_label() == (want, [node]), f"chapter 04, after {k} clicks on next: {by_label()}, want {(want, [node])}"
        assert_highlight_in_view(f"chapter 04, after {k} clicks on next", s)
        if k == 2:  # mid-way: L highlighted, d, f and L filled in, a, b, c and e still blank
            assert len(want) == 3 < len(grad)
            SHOTS.mkdir(parents=True, exist_ok=True)
            s.screenshot(path=str(SHOTS / "book-04_chain_rule-stepper-step2.png"))
    s.locator("button[data-go=start]").click()
    assert by_label() == ({}, [])
    s.locator("button[data-go=end]").click()
    assert by_label() == (grad, ["e"])
    assert not w.errors, w.errors
    w.page.close()


# The chapter's asserted state after the last step, which the last frame of its player must show.
PLAYER_FINAL = {"book/10a_training.ipynb": "step 100 of 100: loss 0.0177, training accuracy 100%, test accuracy 100%"}
PLAYER_JS = """(p) => {
    const img = p.querySelector('img[id^=_anim_img]'), slider = p.querySelector('input.anim-slider');
    const anim = window['anim' + img.id.slice('_anim_img'.length)];
    return {frame: +p.getAttribute('data-frame'), text: p.querySelector('.mg-frame').textContent.trim(),
            src: img.getAttribute('src') || '', value: +slider.value, max: +slider.max,
            frames: JSON.parse(p.querySelector('script.mg-frames').textContent),
            last_src: anim ? anim.frames[anim.frames.length - 1].src : null, n: anim ? anim.frames.length : 0};
}"""


def test_training_player(context, base):
    """The training player: moving the slider with the mouse changes the frame (the picture and its text); the last
    frame is the chapter's final state; with the keyboard alone, Tab reaches the slider, the arrow keys, Home and End
    move it, and Tab and Enter play and pause."""
    pages = pages_with('class="mg-player"')
    assert set(PLAYER_FINAL) <= set(pages), f"no training player on {sorted(set(PLAYER_FINAL) - set(pages))}"
    for name in pages:
        w = watched(context, base)
        page = w.goto(name)
        players = page.locator("figure.mg-player")
        for i in range(players.count()):
            p, where = players.nth(i), f"{name}, player {i + 1}"
            page.wait_for_function("(p) => p.querySelector('img[id^=_anim_img]').getAttribute('src')", arg=p.element_handle())
            p.scroll_into_view_if_needed()
            st = p.evaluate(PLAYER_JS)
            n = len(st["frames"])
            assert st["n"] == n >= 10 and st["max"] == n - 1, f"{where}: {st['n']} pictures, {n} texts, slider to {st['max']}"
            assert st["frame"] == 0 and st["text"] == st["frames"][0] and st["src"].startswith("data:image/png")
            first = st["src"]
            box = p.locator("input.anim-slider").bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)   # the slider's middle
            mid = p.evaluate(PLAYER_JS)
            assert 0 < mid["frame"] < n - 1 and mid["value"] == mid["frame"], f"{where}: the slider's middle shows frame {mid['frame']}"
            assert mid["src"] != first and mid["text"] == st["frames"][mid["frame"]], f"{where}: the frame did not change"
            p.locator("button[aria-label='Last frame']").click()
            end = p.evaluate(PLAYER_JS)
            assert end["frame"] == n - 1 and end["src"] == end["last_src"] and end["text"] == st["frames"][-1]
            if name in PLAYER_FINAL:
                assert end["text"] == PLAYER_FINAL[name], f"{where}: the last frame says {end['text']!r}"
            # the keyboard alone
            slider = p.locator("input.anim-slider")
            tab_to(page, slider)
            page.keyboard.press("Home")
            assert p.evaluate(PLAYER_JS)["frame"] == 0
            page.keyboard.press("ArrowRight")
            one = p.evaluate(PLAYER_JS)
            assert one["frame"] == 1 and one["src"] != first and one["text"] == st["frames"][1], f"{where}: ArrowRight"
            page.keyboard.press("End")
            assert p.evaluate(PLAYER_JS)["frame"] == n - 1
            page.keyboard.press("Home")
            for label in ("Decrease speed", "First frame", "Previous frame", "Play backwards", "Pause", "Play"):
                page.keyboard.press("Tab")
                assert focused(page) == label, f"{where}: Tab went to {focused(page)!r}, not to {label!r}"
            page.keyboard.press("Enter")                                                     # play
            page.wait_for_function("(p) => +p.getAttribute('data-frame') >= 2", arg=p.element_handle(), timeout=5000)
            page.keyboard.press("Shift+Tab")
            assert focused(page) == "Pause"
            page.keyboard.press("Enter")
            stopped = p.evaluate(PLAYER_JS)["frame"]
            page.wait_for_timeout(800)
            assert p.evaluate(PLAYER_JS)["frame"] == stopped, f"{where}: pause did not stop it"
            assert 2 <= stopped < n - 1 or stopped == n - 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        players.first.screenshot(path=str(SHOTS / shot_name(name).replace(".png", "-player.png")))
        assert not w.errors, f"{name}: console errors: {w.errors}"
        w.page.close()
