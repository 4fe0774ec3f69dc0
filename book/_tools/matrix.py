"""`make test-matrix`: the chapters' tests and nbdev_test under every other CPython of the claimed range, without PyTorch."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import ANSI, ROOT, chapters, setting


def claimed_range() -> tuple[tuple[int, int], tuple[int, int]]:
    """The oldest and newest CPython (major, minor) that settings.ini claims: `min_python`, `max_python`."""
    def minor(v: str) -> tuple[int, int]:
        a, b = v.split(".")[:2]
        return int(a), int(b)
    return minor(setting("min_python")), minor(setting("max_python"))


def installed_pythons() -> dict[tuple[int, int], tuple[str, Path]]:
    """The CPythons on this machine, by (major, minor): the newest pyenv version of each (`pyenv prefix`), else a
    `python3.X` on PATH that runs. Maps to (its version, its interpreter)."""
    found: dict[tuple[int, int], tuple[str, Path]] = {}
    pyenv = shutil.which("pyenv")
    if pyenv:
        r = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        versions = [v.strip() for v in r.stdout.split() if re.fullmatch(r"\d+\.\d+\.\d+", v.strip())]
        for v in sorted(versions, key=lambda v: tuple(map(int, v.split(".")))):
            p = subprocess.run([pyenv, "prefix", v], capture_output=True, text=True)
            exe = Path(p.stdout.strip()) / "bin" / "python3"
            if p.returncode == 0 and exe.is_file():
                found[tuple(map(int, v.split(".")[:2]))] = (v, exe)
    lo, hi = claimed_range()
    for minor in range(lo[1], hi[1] + 1):
        exe = shutil.which(f"python3.{minor}")
        if (3, minor) in found or not exe:
            continue
        r = subprocess.run([exe, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.startswith(f"3.{minor}."):
            found[(3, minor)] = (r.stdout.strip(), Path(exe))
    return found


def matrix_venv(version: str, exe: Path) -> tuple[Path | None, str]:
    """.build/py<version>/: a venv with the pins but PyTorch and Playwright (kept while the pins are the same), with
    the package installed fresh, as a reader installs it. Return (its bin/ folder, "") or (None, why it failed)."""
    import hashlib

    venv = ROOT / ".build" / f"py{version}"
    bin_ = venv / "bin"
    skip = {"torch", "playwright"}  # PyTorch is optional off the main run (need_torch); the browser tests need the site
    pins = [r for r in setting("dev_requirements").split() if re.split(r"[=<>!~;\[ ]", r, maxsplit=1)[0].lower() not in skip]
    key = hashlib.sha256("\n".join(pins).encode()).hexdigest()
    stamp = venv / ".installed"
    log = venv.parent / f"py{version}.log"
    if not stamp.exists() or stamp.read_text().strip() != key:
        shutil.rmtree(venv, ignore_errors=True)
        steps = [[str(exe), "-m", "venv", str(venv)],
                 [str(bin_ / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins]]
        for cmd in steps:
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                log.write_text(r.stdout + r.stderr, encoding="utf-8")
                tail = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()][-1:]
                return None, f"could not set up the venv ({' '.join(cmd[:4])} ...): {tail[0] if tail else '?'} (see {log.relative_to(ROOT)})"
        stamp.write_text(key + "\n")
    # the package itself, as a reader installs it (`pip install .`: standard library only), fresh each run
    r = subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--force-reinstall", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        return None, f"`pip install .` failed: {(r.stdout + r.stderr).strip().splitlines()[-1:]}"
    return bin_, ""


def matrix_env(bin_: Path) -> dict:
    """The environment of a matrix run: the venv first on PATH, PyTorch optional, as `make test` sets the rest."""
    env = dict(os.environ, TORCH_OPTIONAL="1", MPLBACKEND="Agg", PYTHONHASHSEED="0", VIRTUAL_ENV=str(bin_.parent),
               PATH=f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    return env


def collection_errors(stdout: str) -> dict[str, str]:
    """Each test module pytest could not collect: the first `E   ` line of its section, or its first line."""
    why, at = {}, None
    for ln in stdout.splitlines():
        m = re.match(r"^_+ ERROR collecting (\S+) _+$", ln)
        if m:
            at = m.group(1)
            why[at] = ""
        elif at and (not why[at] or (ln.startswith("E   ") and not why[at].startswith("E   "))):
            why[at] = ln.strip() if not ln.startswith("E   ") else ln
        elif re.match(r"^[=_]{3,} ", ln):
            at = None
    return why


def matrix_pytest(version: str, bin_: Path, env: dict) -> tuple[bool, str]:
    """The chapters' generated tests under this venv; print each failure. Return (passed, pytest's summary line)."""
    # on both cores, as `make test` runs them (book/_tools/pytests.py); a module kept from its last pass under this
    # interpreter is not run again
    r = subprocess.run([str(bin_ / "python"), str(ROOT / "book" / "_tools" / "pytests.py"), "--generated",
                        "--continue-on-collection-errors"], capture_output=True, text=True, cwd=ROOT, env=env)
    (ROOT / ".build" / f"py{version}-pytest.log").write_text(r.stdout + r.stderr, encoding="utf-8")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    summary = next((ln for ln in reversed(lines) if ln.startswith("pytest on ")), lines[-1] if lines else "?")
    why = collection_errors(r.stdout)
    for ln in lines:
        if ln.startswith(("FAILED ", "ERROR ")):
            mod = ln.split()[1]
            print(f"    {ln[:160]}" + (f": {why[mod].removeprefix('E   ').strip()[:160]}" if why.get(mod) else ""), flush=True)
    return r.returncode == 0, summary


def matrix_nbdev(bin_: Path, env: dict) -> tuple[int, list[tuple[str, str]]]:
    """nbdev_test on every chapter under this venv, two at a time. Return (chapters run, [(chapter, why) failed])."""
    from concurrent.futures import ThreadPoolExecutor

    def nbdev(path: Path) -> tuple[str, str | None]:
        q = subprocess.run([str(bin_ / "nbdev_test"), "--path", str(path.relative_to(ROOT))], capture_output=True,
                           text=True, cwd=ROOT, env=env)
        if q.returncode == 0:
            return str(path.relative_to(ROOT)), None
        err = [ln.strip() for ln in ANSI.sub("", q.stderr + q.stdout).splitlines() if ln.strip()]
        why = next((ln for ln in reversed(err) if re.match(r"^\w+(Error|Exception|Exit)\b", ln)), err[-1] if err else "?")
        where = next((ln for ln in reversed(err) if re.match(r"^(-+>\s*\d+\s+)?assert\b", ln)), None)  # a failed check
        if where:
            why += " at `" + re.sub(r"^-+>\s*\d+\s+", "", where) + "`"
        return str(path.relative_to(ROOT)), why

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = list(pool.map(nbdev, chapters()))
    failed = [(p, why) for p, why in results if why]
    for p, why in failed:
        print(f"    nbdev_test FAILED: {p}: {why[:200]}", flush=True)
    return len(results), failed


def matrix_run(version: str, exe: Path) -> tuple[bool, str]:
    """Set up .build/py<version>/, run the chapters' generated tests and nbdev_test on every chapter there, with
    TORCH_OPTIONAL=1. Return (all passed, a one-line summary)."""
    t0 = time.time()
    bin_, why = matrix_venv(version, exe)
    if bin_ is None:
        return False, why
    env = matrix_env(bin_)
    t1 = time.time()
    passed, summary = matrix_pytest(version, bin_, env)
    t2 = time.time()
    ran, failed = matrix_nbdev(bin_, env)
    t3 = time.time()
    line = (f"pytest: {summary}; nbdev_test: {ran - len(failed)} of {ran} chapters ran; "
            f"wall {t3 - t0:.0f} s (set-up {t1 - t0:.0f} s, pytest {t2 - t1:.0f} s, nbdev_test {t3 - t2:.0f} s)")
    return passed and not failed, line


def matrix() -> int:
    """`make test-matrix`: the chapters' tests under every other installed CPython of the claimed range."""
    lo, hi = claimed_range()
    here = sys.version_info[:2]
    found = installed_pythons()
    print(f"test-matrix: the claimed range is CPython {lo[0]}.{lo[1]} to {hi[0]}.{hi[1]} (settings.ini); this run's "
          f"{here[0]}.{here[1]} is `make test`'s. Without PyTorch or Playwright, TORCH_OPTIONAL=1.", flush=True)
    outside = [v for m, (v, _) in sorted(found.items()) if not lo <= m <= hi]
    if outside:
        print(f"  outside the claimed range, not tested: CPython {', '.join(outside)}", flush=True)
    bad = 0
    for minor in range(lo[1], hi[1] + 1):
        m = (lo[0], minor)
        if m == here:
            continue
        if m not in found:
            print(f"  CPython {m[0]}.{m[1]}: not installed, skipped (pyenv install {m[0]}.{m[1]}, or a python{m[0]}.{m[1]} "
                  "on PATH)", flush=True)
            continue
        version, exe = found[m]
        print(f"  CPython {version} ({exe}): running ...", flush=True)
        ok, line = matrix_run(version, exe)
        print(f"  CPython {version}: {'ok' if ok else 'FAILED'}: {line}", flush=True)
        bad += not ok
    return 1 if bad else 0
