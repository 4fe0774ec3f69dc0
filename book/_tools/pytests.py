"""`make test`'s pytest step on both cores: the test files split into two shards of about equal time, run side by side.

Usage: python book/_tools/pytests.py [--shards N] [--generated] [pytest arguments ...]   (from the repository root)
    --generated   only the chapters' generated test modules (`make test-matrix` runs these under each other CPython)

Why not pytest-xdist: every xdist worker collects every file, and a generated test module runs its whole chapter when
it is collected, so each chapter would run once per worker. Here each file is collected by one process only. The
shards are balanced by each file's time in the last run (tests/conftest.py writes it; a file not timed yet counts by
its size), and each shard's output is printed whole when it ends, then one line for the run.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cache  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMES = ROOT / ".build" / "pytest-times.json"   # seconds per test file in the last run, all shards together
SHARD_TIMES = ROOT / ".build" / "pytest-times"  # each shard's own figures, merged into TIMES at the end


def test_files(generated_only: bool = False) -> tuple[list[str], int]:
    """The test files to run, and how many tests the generated modules left out hold: a generated module whose every
    test passed with the same inputs before is kept (book/_tools/cache.py; tests/conftest.py keeps them)."""
    files, kept = [], {}
    for p in sorted((ROOT / "tests").glob("test_*.py")):
        rel = p.relative_to(ROOT).as_posix()
        holds = cache.generated_tests(rel)
        if generated_only and holds is None:
            continue
        if holds is not None and cache.kept("tests", rel, cache.tests_key(rel)):
            kept[rel] = holds
        else:
            files.append(rel)
    if kept:
        print(f"{len(kept)} chapter test module(s), {sum(kept.values())} tests, unchanged since they last passed: not "
              f"run again (FRESH=1 runs them): {', '.join(Path(r).stem for r in kept)}", flush=True)
    return files, sum(kept.values())


def shards(files: list[str], n: int) -> list[list[str]]:
    """Split `files` into `n` lists of about equal expected time: the slowest first, each to the lightest shard."""
    known = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    per_byte = (sum(known.values()) / sum((ROOT / f).stat().st_size for f in known if (ROOT / f).exists())
                if known and any((ROOT / f).exists() for f in known) else 1e-3)
    cost = {f: known.get(f, (ROOT / f).stat().st_size * per_byte) for f in files}
    out: list[list[str]] = [[] for _ in range(n)]
    load = [0.0] * n
    for f in sorted(files, key=lambda f: -cost[f]):
        i = load.index(min(load))
        out[i].append(f)
        load[i] += cost[f]
    return [sorted(s) for s in out if s]


def main(argv: list[str]) -> int:
    n = 2
    if argv[:1] == ["--shards"]:
        n, argv = int(argv[1]), argv[2:]
    generated_only = argv[:1] == ["--generated"]
    argv = argv[1:] if generated_only else argv
    SHARD_TIMES.mkdir(parents=True, exist_ok=True)
    for old in SHARD_TIMES.glob("*.json"):
        old.unlink()
    t0 = time.time()
    procs = []
    files, _ = test_files(generated_only)
    for i, files in enumerate(shards(files, n)):
        env = dict(os.environ, PYTEST_TIMES=str(SHARD_TIMES / f"{i}.json"))
        log = open(ROOT / ".build" / f"pytest-shard-{i}.log", "w+", encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv, *files]
        procs.append((i, files, log, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)))
    codes, summaries = [], []
    for i, files, log, proc in procs:
        codes.append(proc.wait())
        log.seek(0)
        text = log.read()
        log.close()
        print(f"---- pytest shard {i + 1} of {len(procs)} ({len(files)} files), exit status {codes[-1]}, "
              f"done after {time.time() - t0:.0f} s ----\n{text.rstrip()}", flush=True)
        last = [ln for ln in text.splitlines() if re.search(r"\b(passed|failed|error|skipped)\b.* in [\d.]+s", ln)]
        summaries.append(last[-1].strip("= ") if last else f"exit status {codes[-1]}")
    merged = json.loads(TIMES.read_text()) if TIMES.exists() else {}  # a kept module keeps its last figure
    for f in sorted(SHARD_TIMES.glob("*.json")):
        merged.update(json.loads(f.read_text()))
    if merged:
        TIMES.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"pytest on {len(procs)} shards: {' | '.join(summaries)}; wall {time.time() - t0:.0f} s")
    # pytest's 5 is "no tests collected": a shard of kept chapters only is no failure
    return max((0 if c == 5 else c) for c in codes) if codes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
