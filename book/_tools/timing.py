"""Where `make test`'s time goes: each step run and timed, and the split printed at the end (standard library only).

Usage (the Makefile calls these):
    python3 book/_tools/timing.py start                     begin a new record in .build/test-times.tsv
    python3 book/_tools/timing.py run "STEP" -- CMD ...     run CMD, add its wall time as STEP; on failure print the
                                                            split so far and exit with CMD's status
    python3 book/_tools/timing.py report                    print the split: each step's seconds and share, the total
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

RECORD = Path(__file__).resolve().parents[2] / ".build" / "test-times.tsv"


def load() -> list[tuple[str, float]]:
    if not RECORD.exists():
        return []
    rows = []
    for line in RECORD.read_text(encoding="utf-8").splitlines():
        name, _, secs = line.rpartition("\t")
        if name:
            rows.append((name, float(secs)))
    return rows


def report() -> None:
    rows = load()
    total = sum(s for _, s in rows)
    if not rows:
        print("make test: no step was timed")
        return
    width = max(len(n) for n, _ in rows)
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"\nmake test: where the time went ({os.cpu_count()} cores; load average now {load_avg})")
    for name, secs in rows:
        print(f"  {name:<{width}}  {secs:7.1f} s  {100 * secs / total if total else 0:5.1f} %")
    print(f"  {'total':<{width}}  {total:7.1f} s  ({total / 60:.1f} min)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text("", encoding="utf-8")
        return 0
    if argv[:1] == ["report"]:
        report()
        return 0
    if len(argv) >= 4 and argv[0] == "run" and argv[2] == "--":
        name, cmd = argv[1], argv[3:]
        print(f"==> {name}", flush=True)
        t0 = time.monotonic()
        code = subprocess.call(cmd)
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        with RECORD.open("a", encoding="utf-8") as f:
            f.write(f"{name}\t{time.monotonic() - t0:.2f}\n")
        if code:
            print(f"make test: the step {name!r} failed (exit status {code})", file=sys.stderr)
            report()
        return code
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
