"""Execution: run each staged notebook in a fresh kernel (nbclient) and tidy its outputs so that every build shows the same."""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import ROOT, BuildError, split_directives, src
from stage import stage_notebook


def execute(path_and_rel: tuple[str, str]) -> tuple[str, str | None, float]:
    """Execute one staged notebook in place; return (rel, error message or None, seconds)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path, rel = Path(path_and_rel[0]), path_and_rel[1]
    t0 = time.time()
    # the Makefile sets MPLBACKEND=Agg for pytest; a kernel must draw inline instead
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    nb = nbformat.read(path, as_version=4)
    # record_timing=False: no `metadata.execution` timestamps, which Quarto writes into every cell's HTML
    client = NotebookClient(nb, kernel_name="python3", timeout=1800, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter; cell errors are caught below
    except CellExecutionError as e:
        failed = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                       and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        code = src(nb.cells[failed]) if failed is not None else ""
        first = next((ln for ln in code.split("\n") if ln.strip() and not ln.startswith("#|")), "")
        lines = [ln for ln in re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().split("\n") if ln.strip()]
        return rel, f"{rel}: code cell {failed} (starting `{first.strip()}`) raised {lines[-1] if lines else e}", time.time() - t0
    except Exception as e:  # a kernel that died, a timeout
        return rel, f"{rel}: execution failed: {type(e).__name__}: {e}", time.time() - t0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            cell.outputs = merged_streams(cell.outputs)
            label_svg_figures(cell)
            untitled_graphs(cell)
            html_as_raw_markdown(cell)
            no_addresses(cell)
    nbformat.write(nb, path)
    return rel, None, time.time() - t0


def merged_streams(outputs: list) -> list:
    """A cell's outputs with all of each stream (stdout, stderr) joined into its first output, as Quarto's
    `fixupStreams` (core/jupyter/jupyter-fixups.ts) does: how many pieces a stream arrives in depends on the kernel's
    timing, so without this smalldocs's pages would differ from one build to the next."""
    import nbformat

    out, first = [], {}
    for o in outputs:
        if o.get("output_type") != "stream":
            out.append(o)
            continue
        text = o.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        if o.get("name") in first:
            first[o.get("name")]["text"] += text
        else:
            first[o.get("name")] = nbformat.from_dict({**o, "text": text})
            out.append(first[o.get("name")])
    return out


# The display outputs that make Quarto put require.js and jQuery from cdnjs into a page's <head>
# (`extractJupyterWidgetDependencies`, src/core/jupyter/widgets.ts): offline the page then fails ("define is not defined").
WIDGET_TRIGGERS = ("text/html", "application/javascript")


def html_as_raw_markdown(cell) -> None:
    """Give each HTML (or JavaScript) display output of a cell to the renderers as Markdown holding a raw HTML block
    instead: the same markup in the page, under Quarto and smalldocs alike, without the kind of output that makes
    Quarto load require.js and jQuery from a CDN (see WIDGET_TRIGGERS). Its `text/plain` stays, for other readers."""
    for o in cell.outputs:
        data = o.get("data") or {}
        if o.get("output_type") not in ("display_data", "execute_result") or not any(k in data for k in WIDGET_TRIGGERS):
            continue
        parts = []
        for key in WIDGET_TRIGGERS:
            value = data.pop(key, None)
            if value is not None:
                value = "".join(value) if isinstance(value, list) else value
                parts.append(value if key == "text/html" else f"<script>\n{value}\n</script>")
        body = "\n".join(parts)
        runs = [len(m) for m in re.findall(r"`{3,}", body)]
        fence = "`" * max([3, *[n + 1 for n in runs]])  # longer than any run of backticks inside
        data["text/markdown"] = f"{fence}{{=html}}\n{body}\n{fence}\n"


def label_svg_figures(cell) -> None:
    """Give each drawing a cell shows as inline SVG (graphviz's, from `draw_dot`) the cell's `fig-alt` as its
    accessible name: `role="img"` and `aria-label` on the `<svg>`, whose XML prolog goes (it means nothing inside
    HTML). smalldocs inlines the SVG and cannot put the alt text on it; Quarto writes it to a file shown by an
    `<img>` whose `alt` is `fig-alt` (`mdImageOutput`, core/jupyter/jupyter.ts), and the label does no harm there."""
    import yaml

    _, yaml_lines, _ = split_directives(src(cell))
    try:
        opts = yaml.safe_load("\n".join(yaml_lines)) if yaml_lines else {}
    except yaml.YAMLError:
        return
    alts = (opts or {}).get("fig-alt") if isinstance(opts, dict) else None
    if not alts:
        return
    n = 0
    for o in cell.outputs:
        data = o.get("data") or {}
        if not any(k.startswith("image/") for k in data):
            continue
        alt = alts[n] if isinstance(alts, list) and n < len(alts) else alts if isinstance(alts, str) else None
        n += 1
        if "image/svg+xml" not in data or not alt:
            continue
        svg = data["image/svg+xml"]
        svg = "".join(svg) if isinstance(svg, list) else svg
        m = re.search(r"<svg\b([^>]*)>", svg)
        if not m:
            continue
        attrs = re.sub(r'\s(?:role|aria-label)="[^"]*"', "", m.group(1))
        data["image/svg+xml"] = (f'<svg{attrs} role="img" aria-label="{html.escape(str(alt), quote=True)}">'
                                 + svg[m.end():])


# Graphviz's <title> of a graph, a node or an edge: its internal name (`%3`, `v0`, `v6_op`, `v0->v6_op`), which a
# browser shows as the tooltip of an inline drawing
GRAPHVIZ_TITLE = re.compile(r"<title>[^<]*</title>\n?")


def untitled_graphs(cell) -> None:
    """Tidy each graphviz drawing a cell shows: drop its <title> elements (internal names, shown as tooltips; the
    drawing's accessible name is its `aria-label`, see `label_svg_figures`), in a drawing (`image/svg+xml`) and in the
    HTML of a widget that holds one (the steppers, which read their own nodes' `data-node`, set from those names when
    they were made); and mark a drawing of its own `mg-graph`, which the build's post-processing fits to the column
    (book/_tools/polish.py)."""
    for o in cell.outputs:
        data = o.get("data") or {}
        for key in ("image/svg+xml", "text/html"):
            value = data.get(key)
            if value is None:
                continue
            value = "".join(value) if isinstance(value, list) else value
            new = re.sub(r"<svg\b.*?</svg>", lambda m: GRAPHVIZ_TITLE.sub("", m[0]) if 'class="graph"' in m[0] else m[0],
                         value, flags=re.S)
            if key == "image/svg+xml" and 'class="graph"' in new and not re.search(r"<svg\b[^>]*\sclass=", new):
                new = re.sub(r"<svg\b", '<svg class="mg-graph"', new, count=1)
            if new != value:
                data[key] = new


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def no_addresses(cell) -> None:
    """Drop the memory address from the plain-text stand-in of an output that has a richer form (a drawing's
    `<graphviz.graphs.Digraph at 0x7f...>`): no renderer shows it, but it would make every build's notebook differ."""
    for o in cell.outputs:
        data = o.get("data") or {}
        plain = data.get("text/plain")
        if plain is None or len(data) < 2:
            continue
        text = "".join(plain) if isinstance(plain, list) else plain
        data["text/plain"] = ADDRESS.sub(">", text)


def run_one(rel: str) -> int:
    """Execute one chapter in a scratch copy (as the build does) and report the first failing cell."""
    with tempfile.TemporaryDirectory() as tmp:
        # the chapter's folder without the other chapters: data files such as book/_data/ come along
        shutil.copytree((ROOT / rel).parent, Path(tmp), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("_tools", ".*", "__pycache__", "*.ipynb"))
        dest = Path(tmp) / Path(rel).name
        shutil.copy(ROOT / rel, dest)
        stage_notebook(dest, rel)
        _, err, secs = execute((str(dest), rel))
        print(err or f"{rel}: every cell ran ({secs:.1f} s)")
        return 1 if err else 0


def execute_all(jobs: list[tuple[str, str]]) -> None:
    """Execute the staged notebooks, two at a time; fail naming every chapter (and cell) that raised. A page whose
    staged notebook and inputs are those of a kept execution (book/_tools/cache.py) gets that execution's notebook."""
    import cache

    keys = {rel: cache.digest(Path(path), Path(__file__)) for path, rel in jobs}
    todo = []
    for path, rel in jobs:
        kept = cache.kept("executed", rel, keys[rel])
        if kept:
            shutil.copy(kept, path)
            print(f"  {rel}: unchanged since it was last executed (kept in .build/cache)", flush=True)
        else:
            todo.append((path, rel))
    errors = []
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for (path, _), (rel, err, secs) in zip(todo, pool.map(execute, todo)):
            print(f"  executed {rel} in {secs:.1f} s" + ("  FAILED" if err else ""), flush=True)
            if err:
                errors.append(err)
            else:
                cache.keep("executed", rel, keys[rel], Path(path))
    if errors:
        raise BuildError("a chapter failed while executing:\n  " + "\n  ".join(errors))
