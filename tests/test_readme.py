"""The README's example, run as a reader would paste it (hand-written: the README is not a chapter).

Each ```python block of README.md runs, statement by statement, in a namespace of its own; a `print(...)`
whose line ends in a comment must print what the comment says, and the block's other claims
(`# 337 parameters`, `# one Value`) are checked below by name.
"""
import ast
import contextlib
import io
import re
from pathlib import Path

from micrograd.engine import Value

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def run_block(block):
    "Run the block's statements in order; return its namespace and [(print line, what it printed, its comment)]."
    namespace, prints, lines = {}, [], block.splitlines()
    for stmt in ast.parse(block).body:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(ast.Module([stmt], []), str(README), "exec"), namespace)
        line = lines[stmt.lineno - 1]
        said = re.search(r"#\s*(.+)$", line)
        if line.lstrip().startswith("print(") and said:
            prints.append((line, out.getvalue().strip(), said.group(1).strip()))
    return namespace, prints


def test_readme_example_prints_what_it_says():
    blocks = python_blocks()
    assert blocks, "the README has no python example"
    checked = 0
    for block in blocks:
        _, prints = run_block(block)
        for line, printed, said in prints:
            assert printed == said, f"README: `{line.strip()}` prints {printed!r}"
            checked += 1
    assert checked >= 1


def test_readme_example_model():
    ns = next(ns for ns, _ in map(run_block, python_blocks()) if "model" in ns)
    assert len(ns["model"].parameters()) == 337          # "# 337 parameters"
    assert type(ns["score"]) is Value                    # "# one Value: the last layer has one neuron"
