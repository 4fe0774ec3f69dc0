"""`make test`'s nbdev_test step: nbdev_test on every chapter, two at a time, each in a process of its own.

A chapter that passed with the same inputs before (book/_tools/cache.py) is not run again.

Usage: python book/_tools/nbtest.py [NOTEBOOK ...]      (default: index.ipynb and every book/*.ipynb, nbdev's order)

One process per chapter, as a reader's kernel: chapters that extend the package's classes re-run those cells in
place, which must not leak into the next chapter tested. A failing chapter prints nbdev_test's own report.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cache  # noqa: E402
from common import ROOT, chapters  # noqa: E402


def run(rel: str) -> tuple[str, bool, str, float]:
    """nbdev_test on one chapter: (chapter, passed, what it printed, seconds); passes are kept in the cache."""
    key = cache.digest(ROOT / rel)
    if cache.kept("nbdev_test", rel, key):
        return rel, True, "unchanged since it last passed (kept in .build/cache)", 0.0
    t0 = time.time()
    exe = shutil.which("nbdev_test") or "nbdev_test"
    r = subprocess.run([exe, "--path", rel], cwd=ROOT, capture_output=True, text=True)
    secs = time.time() - t0
    if r.returncode == 0:
        cache.keep("nbdev_test", rel, key, f"passed in {secs:.1f} s")
    return rel, r.returncode == 0, r.stdout + r.stderr, secs


def main(argv: list[str]) -> int:
    pages = argv or [p.relative_to(ROOT).as_posix() for p in chapters()]
    failed = []
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for rel, ok, out, secs in pool.map(run, pages):
            if ok and secs:
                print(f"nbdev_test ok: {rel} ({secs:.1f} s)", flush=True)
            elif ok:
                print(f"nbdev_test ok: {rel}: {out}", flush=True)
            else:
                print(f"nbdev_test FAILED: {rel} ({secs:.1f} s)\n{out}", flush=True)
                failed.append(rel)
    if failed:
        print(f"nbdev_test failed on {len(failed)} of {len(pages)} chapters: {', '.join(failed)}")
        return 1
    print(f"nbdev_test: {len(pages)} of {len(pages)} chapters pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
