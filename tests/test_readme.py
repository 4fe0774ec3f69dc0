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


def shown(x, text):
    "Is `text` what x reads as, rounded to the significant digits that `text` shows (as chapter 12 checks)?"
    digits = len(text.replace(".", "").lstrip("0"))
    return f"{x:.{digits}g}" == text


def test_readme_benchmark_figures():
    "The saved benchmark's figures, as the README quotes them, are those of book/_data/bench.json."
    import json
    bench = json.loads((README.parent / "book" / "_data" / "bench.json").read_text(encoding="utf-8"))
    text = " ".join(README.read_text(encoding="utf-8").split())
    said = re.search(r"the training step is ([\d.]+) times faster than micrograd 0\.1\.0's and takes ([\d.]+) times "
                     r"as long as the float code, memory is (\d+) bytes per node .*? (every target is met|[^.]*missed)"
                     r".*? with the collector on, the package took ([\d.]+) of the original's time per node", text)
    assert said, "README: the sentence on the saved benchmark run was not found"
    faster, floor, per_node, verdict, chain = said.groups()
    w1 = bench["W1"]["ratios"]
    assert shown(w1["orig/book"]["median"], faster) and shown(w1["book/float"]["median"], floor)
    targets = {t["name"].split(":")[0] + ":" + t["goal"]: t for t in bench["targets"]}
    assert shown(targets["W3:<= 150"]["value"], per_node) and shown(targets["W2:<= 0.3"]["value"], chain)
    assert (verdict == "every target is met") == all(t["met"] for t in bench["targets"])
