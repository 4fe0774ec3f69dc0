"""KaTeX shipped with the site: the version pinned in settings.ini and _quarto.yml, copied into _book/ and loaded from there."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from common import ROOT, BuildError, quarto_config, setting


# KaTeX: _quarto.yml pins it (`html-math-method` with a `url`: Pandoc loads `<url>katex.min.js` and `katex.min.css`),
# smalldocs 0.5.4 loads the same version from the same CDN; `render` ships a copy with the site and points every page at it.
KATEX_CDN = re.compile(r"https://cdn\.jsdelivr\.net/npm/katex@([^/\"'\s]+)/dist/")


KATEX_SITE = "site_libs/katex"  # the site's own KaTeX, relative to the site's root


KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts")


def katex_pin() -> str:
    """The KaTeX version of settings.ini, checked against _quarto.yml's `html-math-method` url (what Quarto loads)."""
    version = setting("katex_version")
    html_fmt = ((quarto_config().get("format") or {}).get("html") or {})
    method = html_fmt.get("html-math-method")
    url = method.get("url") if isinstance(method, dict) else None
    m = KATEX_CDN.fullmatch(url or "")
    if not (isinstance(method, dict) and method.get("method") == "katex" and m and m.group(1) == version):
        raise BuildError(f"_quarto.yml: `html-math-method` must pin KaTeX {version} (settings.ini's katex_version): "
                         f"method: katex, url: https://cdn.jsdelivr.net/npm/katex@{version}/dist/ (it has {method!r})")
    return version


def katex_dist() -> Path | None:
    """The local copy of KaTeX (npm's `katex` package, fetched by the Makefile into .build/katex/), if there is one."""
    d = Path(os.environ.get("KATEX_DIST") or ROOT / ".build" / "katex" / setting("katex_version") / "dist")
    return d if (d / "katex.min.js").is_file() else None


def ship_katex(site: Path) -> None:
    """Copy the pinned KaTeX (its fonts too) into the rendered site and point every page at it, for both renderers:
    each page loads `<KATEX_CDN>katex.min.js`, `katex.min.css` (and smalldocs `contrib/auto-render.min.js`), which
    becomes the relative path to the site's copy. So the maths is typeset offline; a page that loads any other
    KaTeX fails the build."""
    version = katex_pin()
    dist = katex_dist()
    if dist is None:
        msg = (f"no local KaTeX {version} in .build/katex/ (npm's `katex`; the Makefile fetches it with npm): "
               "the pages load it from jsDelivr")
        if os.environ.get("CI", "").lower() == "true":
            raise BuildError(msg)
        print(f"  warning: {msg}", flush=True)
        return
    dest = site / KATEX_SITE
    shutil.rmtree(dest, ignore_errors=True)
    for name in KATEX_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (dist / name).is_dir() else shutil.copy)(dist / name, dest / name)
    if (dist.parent / "LICENSE").is_file():
        shutil.copy(dist.parent / "LICENSE", dest / "LICENSE")
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rel = Path(os.path.relpath(dest, page.parent)).as_posix() + "/"

        def local(m: re.Match) -> str:
            if m.group(1) != version:
                raise BuildError(f"{page.relative_to(site)} loads KaTeX {m.group(1)}; the book ships {version}")
            return rel

        new = KATEX_CDN.sub(local, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
