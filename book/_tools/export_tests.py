"""The chapters' `#| test` cells as tests/test_<chapter>.py, and the check that micrograd/ and tests/ are what the chapters export."""
from __future__ import annotations

import ast
import filecmp
import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from common import BARE, BOOK, GENERATED, ROOT, BuildError, chapters, read_nb, split_directives, src


def defined_names(code: str, where: str) -> list[str]:
    """Names a cell binds at top level (what `from module import ...` must bring back)."""
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        raise BuildError(f"{where}: this cell is not valid Python: {e}") from None
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(names))


def used_names(code: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    except SyntaxError:
        return set()


def test_module(nb_path: Path, root: Path = ROOT) -> str | None:
    """The pytest module for one chapter, or None when the chapter has no test cells.

    The chapter's cells run at module level, in the chapter's order, except that an exported cell
    becomes an import from the package: so the tests exercise the installed package, not a copy of it.
    A `#| test` cell becomes a function that runs right there, seeing the state the chapter has at
    that point; its outcome is kept, and the test function `test_<name>` reports it to pytest.
    """
    rel = nb_path.relative_to(root).as_posix()
    default_exp, body, tests, seen = None, [], 0, set()
    test_bound: dict[str, str] = {}  # names a test cell binds -> where; later cells must not need them
    for i, cell in enumerate(read_nb(nb_path)["cells"]):
        if cell.get("cell_type") != "code":
            continue
        where = f"{rel}, cell {i}"
        bare, yaml_lines, code = split_directives(src(cell))
        d = dict(bare)
        for name, _args in bare:
            if name not in BARE:
                raise BuildError(f"{where}: unknown directive `#| {name}` (known: {', '.join(sorted(BARE))})")
        if re.search(r"^\s*[%!]", code, re.M):
            raise BuildError(f"{where}: IPython magics and shell escapes (% or !) cannot become tests; use Python")
        if "default_exp" in d:
            default_exp = d["default_exp"][0]
        for name in (used_names(code) - set(defined_names(code, where))) & test_bound.keys():
            raise BuildError(f"{where} uses `{name}`, which the test cell {test_bound[name]} defines; in "
                             "tests/ a test cell's names are local to its test, so define it in an ordinary cell")
        if not code.strip() or any(re.fullmatch(r"eval:\s*false", y.strip(), re.I) for y in yaml_lines):
            continue
        if any(k in d for k in ("export", "exporti", "exports")):
            args = d.get("export") or d.get("exporti") or d.get("exports") or []
            module = args[0] if args else default_exp
            if not module:
                raise BuildError(f"{where}: exported cell but the chapter has no `#| default_exp`")
            names = defined_names(code, where)
            if names:
                body.append(f"from micrograd.{module} import {', '.join(names)}  # {where}")
        elif "test" in d:
            name = d["test"][0] if d["test"] else f"cell_{i}"
            if not name.isidentifier() or name in seen:
                raise BuildError(f"{where}: test name {name!r} is not a unique Python identifier")
            seen.add(name)
            tests += 1
            test_bound.update(dict.fromkeys(defined_names(code, where), where))
            body.append(f"\n\ndef _cell_{name}():\n    # {where}\n" + textwrap.indent(code.strip() or "pass", "    ")
                        + f"\n\n\n_checks.run({name!r}, _cell_{name})\n\n\ndef test_{name}():\n    _checks.report({name!r})\n")
        else:
            for name in defined_names(code, where):
                if name.startswith("test"):
                    raise BuildError(f"{where}: `{name}` would be collected by pytest; rename it or make the cell `#| test`")
            body.append(f"# {where}\n{code.strip()}")
    if not tests:
        return None
    head = GENERATED.format(src=rel)
    head += f'"""Tests of {rel}: its code cells in order, with each `#| test` cell as a test."""\n'
    head += "from _chapters import Checks as _Checks  # tests/_chapters.py: runs the checks in chapter order\n\n"
    head += "_checks = _Checks()\n"
    return head + "\n".join(body) + "\n"


def write_tests(root: Path = ROOT) -> list[Path]:
    """Write tests/test_<chapter>.py for every chapter with test cells; delete stale generated files."""
    out_dir = root / "tests"
    out_dir.mkdir(exist_ok=True)
    written = []
    for nb in chapters(root):
        text = test_module(nb, root)
        if text is None:
            continue
        dest = out_dir / f"test_{nb.stem}.py"
        if not dest.exists() or dest.read_text(encoding="utf-8") != text:
            dest.write_text(text, encoding="utf-8")
        written.append(dest)
    for old in out_dir.glob("test_*.py"):
        if old not in written and old.read_text(encoding="utf-8").startswith("# GENERATED by `make export`"):
            old.unlink()
    return written


def tree_files(d: Path, generated_only: bool = False) -> dict[str, Path]:
    out = {}
    for p in sorted(d.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        if generated_only and not p.read_text(encoding="utf-8").startswith("# GENERATED by `make export`"):
            continue
        out[p.relative_to(d).as_posix()] = p
    return out


def check() -> int:
    """Export the chapters into a scratch copy and compare it with micrograd/ and tests/."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        shutil.copy(ROOT / "settings.ini", t)
        if (ROOT / "index.ipynb").exists():
            shutil.copy(ROOT / "index.ipynb", t)
        shutil.copytree(BOOK, t / "book", ignore=shutil.ignore_patterns("_*", ".*"))
        (t / "micrograd").mkdir()
        if (ROOT / "micrograd" / "__init__.py").exists():
            shutil.copy(ROOT / "micrograd" / "__init__.py", t / "micrograd")
        r = subprocess.run([shutil.which("nbdev_export") or "nbdev_export"], cwd=t, capture_output=True, text=True)
        if r.returncode:
            print(r.stdout + r.stderr)
            print("nbdev_export failed on the chapters (above).")
            return 1
        write_tests(t)
        problems = []
        for sub, gen_only in (("micrograd", False), ("tests", True)):
            want, have = tree_files(t / sub, gen_only), tree_files(ROOT / sub, gen_only)
            for name in sorted(set(want) | set(have)):
                if name not in have:
                    problems.append(f"{sub}/{name} is missing")
                elif name not in want:
                    problems.append(f"{sub}/{name} is not exported by any chapter")
                elif not filecmp.cmp(want[name], have[name], shallow=False):
                    problems.append(f"{sub}/{name} differs from what the chapters export")
        if problems:
            print("The package or the tests are out of date with the chapters:")
            print("\n".join("  - " + p for p in problems))
            print("Fix: run `make export`, then commit the chapters and the exported files together.")
            return 1
        print("check: micrograd/ and tests/ are what the chapters export.")
        return 0
