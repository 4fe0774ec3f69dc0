"""The build's tools stay easy to change (hand-written, not generated): book/_tools/ has a file per concern, each
opening with one line on its job, no function over 60 lines, and no import cycle among them."""
import ast
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "book" / "_tools"
FILES = sorted(TOOLS.glob("*.py"))
LONGEST = 60  # lines, from `def` to the function's last line


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_opens_with_one_line_on_its_job(path):
    doc = ast.get_docstring(tree(path), clean=False)
    assert doc, f"{path.name}: no docstring saying what the file is for"
    first = doc.split("\n")[0]
    # one line that is a whole sentence: the next line is blank (or there is none)
    assert first.strip() and first.rstrip().endswith((".", ")")), f"{path.name}: first line is not a sentence: {first!r}"
    assert doc.split("\n")[1:2] in ([], [""]), f"{path.name}: the purpose runs onto a second line"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_function_over_60_lines(path):
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines, from line {n.lineno})" for n in ast.walk(tree(path))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > LONGEST]
    assert not long, f"{path.name}: split these: {', '.join(long)}"


def imports_of(path: Path, names: set[str]) -> set[str]:
    """The sibling modules a tool imports, anywhere in the file (in a function too)."""
    found = set()
    for n in ast.walk(tree(path)):
        if isinstance(n, ast.Import):
            found |= {a.name.split(".")[0] for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
            found.add(n.module.split(".")[0])
    return found & names - {path.stem}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n] if n in path else [m, n]
            if n not in state:
                found = visit(n, path + [n])
                if found:
                    return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m, [m])
            if found:
                return found
    return None


def test_no_import_cycle():
    names = {p.stem for p in FILES}
    graph = {p.stem: imports_of(p, names) for p in FILES}
    assert graph["build"] and graph["common"] == set(), graph
    found = cycle(graph)
    assert found is None, "import cycle in book/_tools: " + " -> ".join(found)


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_every_tool_imports_on_its_own():
    # no hidden order: each module imports in a fresh interpreter (no cycle at import time, no missing name)
    import subprocess

    for p in FILES:
        r = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(TOOLS)!r}); import {p.stem}"],
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{p.name} does not import on its own:\n{r.stderr[-800:]}"
