"""Under Quarto, no page asks a CDN for require.js and jQuery (hand-written, not generated).

Quarto puts require.js 2.3.6 and jQuery 3.5.1 from cdnjs, and an inline `define('jquery', ...)`, into the <head> of
every page whose notebook has a display output (`display_data` or `execute_result`) carrying `text/html` or
`application/javascript` (`extractJupyterWidgetDependencies` and `haveOutputType` in src/core/jupyter/widgets.ts of
quarto-cli; a Jupyter widget view, `application/vnd.jupyter.widget-view+json`, adds more). Offline, the page then
fails: "define is not defined". Quarto cannot be installed here, so these tests read the trigger where Quarto reads
it: in the executed notebooks the build stages for the renderers (.build/site/, made by `make book`). The build gives
every such output to the renderers as Markdown holding a raw HTML block (book/_tools/execute.py,
`html_as_raw_markdown`); the browser tests (tests/test_website.py) check that the steppers and the player still work.
"""
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_tools"))
import nbformat  # noqa: E402

from common import STAGE, book_pages  # noqa: E402
from execute import html_as_raw_markdown  # noqa: E402

# What makes Quarto add script tags that load from off the site (widgets.ts: kApplicationJavascript, kTextHtml,
# kApplicationJupyterWidgetView).
TRIGGERS = ("text/html", "application/javascript", "application/vnd.jupyter.widget-view+json")
PAGES = [p.as_posix() for p in book_pages() if p.suffix == ".ipynb"]


def triggers(nb: dict) -> list[str]:
    """Each display output of `nb` that would make Quarto load require.js and jQuery: 'cell N: mime type'."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        for o in cell.get("outputs") or []:
            if o.get("output_type") in ("display_data", "execute_result"):
                found += [f"cell {i}: {k}" for k in (o.get("data") or {}) if k in TRIGGERS]
    return found


def staged(page: str) -> dict:
    path = STAGE / page
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing: `make book` stages and executes the pages before these tests")
        pytest.skip(f"{path} is not staged: run `make book` first")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES)
def test_no_output_makes_quarto_load_from_a_cdn(page):
    assert triggers(staged(page)) == [], f"{page}: Quarto would load require.js and jQuery from cdnjs"


def test_the_stepper_pages_still_carry_their_html():
    # the pages that had HTML outputs (the steppers, the training player) show the same markup, as raw HTML
    raw = [p for p in PAGES if any("```{=html}" in "".join(o.get("data", {}).get("text/markdown", ""))
                                   for c in staged(p)["cells"] if c.get("cell_type") == "code"
                                   for o in c.get("outputs") or [])]
    assert len(raw) >= 3, f"expected the steppers' and the player's pages, found {raw}"


def cell_with(*outputs) -> nbformat.NotebookNode:
    return nbformat.from_dict({"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
                               "outputs": list(outputs)})


def test_html_becomes_a_raw_block_and_plain_text_stays():
    cell = cell_with({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/html": "<div id='s'>```</div>", "text/plain": "Stepper(L, 9 steps)"}})
    html_as_raw_markdown(cell)
    data = cell.outputs[0]["data"]
    assert triggers({"cells": [cell]}) == []
    assert data["text/plain"] == "Stepper(L, 9 steps)"
    # the fence is longer than the backticks inside, so the block holds all of the markup
    assert data["text/markdown"] == "````{=html}\n<div id='s'>```</div>\n````\n"


def test_javascript_becomes_a_script_in_a_raw_block():
    cell = cell_with({"output_type": "display_data", "metadata": {},
                      "data": {"application/javascript": "console.log(1)", "text/plain": "<js>"}})
    html_as_raw_markdown(cell)
    assert cell.outputs[0]["data"]["text/markdown"] == "```{=html}\n<script>\nconsole.log(1)\n</script>\n```\n"
    assert triggers({"cells": [cell]}) == []


def test_streams_images_and_errors_are_left_alone():
    outs = [{"output_type": "stream", "name": "stdout", "text": "<b>not html</b>\n"},
            {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": "<svg/>", "text/plain": "g"}},
            {"output_type": "error", "ename": "E", "evalue": "x", "traceback": []}]
    cell = cell_with(*outs)
    before = json.dumps(cell.outputs, sort_keys=True)
    html_as_raw_markdown(cell)
    assert json.dumps(cell.outputs, sort_keys=True) == before
