"""pytest's hooks for this repository (hand-written, not generated): where the time goes, and chapters not run twice.

- Time per test file: a generated module runs its chapter when it is imported, so its import (collection) counts, as
  well as its tests. The figures go to $PYTEST_TIMES (a JSON file; book/_tools/pytests.py sets it for each of its
  shards and balances the next run's shards by them) and the slowest files are listed at the end.
- A generated module (tests/test_<chapter>.py) whose every test passed with the same inputs before is not imported
  again: book/_tools/cache.py keys it by the module, tests/_chapters.py, this file, the package, the book's data, the
  interpreter and every installed version. The summary says how many were kept; FRESH=1 runs them all.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "book" / "_tools"))
import cache  # noqa: E402

_kept: dict[str, int] = {}        # modules not imported, kept from an earlier pass -> how many tests they hold
_started: dict[str, float] = {}   # module -> when its collection (import) began
_seconds: dict[str, float] = {}   # test file -> seconds, import and tests
_tests: dict[str, list[str]] = {} # module -> the outcome of each of its tests' phases ("passed", "failed", ...)
_collect_failed: set[str] = set()
_deselected: set[str] = set()     # modules of which -k or -m left some tests out: never kept


def _rel(path) -> str:
    return Path(path).resolve().relative_to(HERE.parent).as_posix()


def _file_of(nodeid: str) -> str:
    # a node id names the file relative to the root, whatever the working directory is now (chapters chdir to book/)
    return (HERE.parent / nodeid.split("::")[0]).relative_to(HERE.parent).as_posix()


def pytest_configure(config):
    # the shared inputs as they are when the run starts: a check may change the environment (MPLBACKEND, for one)
    # before the passes are kept at the end
    cache.shared_digest()


def pytest_ignore_collect(collection_path, config):
    # (pytest asks this of the files it finds in a folder, not of files named on its command line: for those,
    # book/_tools/pytests.py leaves the kept ones out itself)
    rel = _rel(collection_path)
    asked = [Path(a.split("::")[0]).resolve() for a in config.args]
    if not any(a.is_dir() and Path(collection_path).resolve().is_relative_to(a) for a in asked):
        return None  # a file beside one named on the command line: not collected anyway
    holds = cache.generated_tests(rel)
    if holds is None or cache.kept("tests", rel, cache.tests_key(rel)) is None:
        return None
    _kept[rel] = holds
    return True


def pytest_collectstart(collector):
    if collector.nodeid.endswith(".py"):
        _started[_file_of(collector.nodeid)] = time.perf_counter()


def pytest_collectreport(report):
    if not report.nodeid.endswith(".py"):
        return
    rel = _file_of(report.nodeid)
    if rel in _started:
        _seconds[rel] = _seconds.get(rel, 0.0) + time.perf_counter() - _started.pop(rel)
    if report.failed:
        _collect_failed.add(rel)


def pytest_deselected(items):
    _deselected.update(_file_of(item.nodeid) for item in items)


def pytest_runtest_logreport(report):
    rel = _file_of(report.nodeid)
    _seconds[rel] = _seconds.get(rel, 0.0) + report.duration
    if report.when == "call" or report.outcome != "passed":
        _tests.setdefault(rel, []).append(report.outcome)


def pytest_sessionfinish(session, exitstatus):
    for rel, outcomes in _tests.items():
        holds = cache.generated_tests(rel)
        whole = rel not in _deselected and outcomes.count("passed") == len(outcomes) == holds
        if holds and rel not in _collect_failed and whole:
            cache.keep("tests", rel, cache.tests_key(rel), f"{holds} tests passed")
    out = os.environ.get("PYTEST_TIMES")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(_seconds, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if _kept:
        tr.write_line(f"{len(_kept)} chapter test module(s), {sum(_kept.values())} tests, unchanged since they last "
                      "passed: not run again (FRESH=1 runs them)")
    slow = sorted(_seconds.items(), key=lambda kv: -kv[1])[:8]
    if slow:
        tr.write_line("slowest test files (import and tests): " + ", ".join(f"{Path(r).name} {s:.0f} s" for r, s in slow))
