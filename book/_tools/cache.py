"""Results kept under the digest of everything that produced them, so that a second `make test` redoes only what changed.

A result (a chapter's nbdev_test pass, a page's executed notebook, a test module's pass) is stored in .build/cache/
under a SHA-256 of its own inputs (the chapter, the test module, ...) and of what every run depends on: the package's
files, the book's data and images, settings.ini, this interpreter and every installed distribution's version,
micrograd 0.1.0 beside it, and the environment variables that change what a check does. Change any of them and the
result is made again. A fresh clone has no cache, so CI always runs everything; `make test FRESH=1` (FRESH=1 in the
environment) ignores what is kept, and keeps what it makes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".build" / "cache"
# The variables that change what a chapter or a check does (CI makes a missing PyTorch an error, for example).
ENV_KEYS = ("CI", "TORCH_OPTIONAL", "PYTHONHASHSEED", "MPLBACKEND", "KATEX_DIST")
# What every result depends on besides its own inputs: the package, the book's data and pictures, the pins.
SHARED = ("micrograd", "book/_data", "book/images", "settings.ini", ".build/micrograd-0.1.0")

_shared: str | None = None


def fresh() -> bool:
    """Whether this run must make every result again (FRESH=1): nothing kept is used."""
    return os.environ.get("FRESH", "") not in ("", "0")


def _files(path: Path):
    if path.is_file():
        yield path
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                yield p


def _add(h, item) -> None:
    """Feed one input to the hash: a path (a file's or a folder's files' names and bytes) or a string."""
    if isinstance(item, Path):
        p = item if item.is_absolute() else ROOT / item
        h.update(f"\0path {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}\0".encode())
        for f in _files(p):
            h.update(f"\0{f.relative_to(p) if f != p else f.name}\0".encode())
            h.update(f.read_bytes())
    else:
        h.update(f"\0str\0{item}".encode())


def shared_digest() -> str:
    """The digest of what every result depends on (computed once per process)."""
    global _shared
    if _shared is None:
        from importlib import metadata

        h = hashlib.sha256()
        _add(h, sys.version)
        _add(h, sys.executable)
        dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"])
        _add(h, "\n".join(dists))
        _add(h, "\n".join(f"{k}={os.environ.get(k, '')}" for k in ENV_KEYS))
        for rel in SHARED:
            _add(h, ROOT / rel)
        _shared = h.hexdigest()
    return _shared


def digest(*inputs) -> str:
    """The key of a result made from `inputs` (paths or strings) and everything every result depends on."""
    h = hashlib.sha256(shared_digest().encode())
    for item in inputs:
        _add(h, item)
    return h.hexdigest()


def _slot(kind: str, name: str) -> Path:
    return CACHE / kind / name.replace("/", "__")


def kept(kind: str, name: str, key: str) -> Path | None:
    """The file kept for `name` under `key`, or None (nothing kept, kept for other inputs, or FRESH=1)."""
    slot = _slot(kind, name)
    if fresh() or not (slot / "key").is_file() or (slot / "key").read_text().strip() != key:
        return None
    return slot / "result"


def keep(kind: str, name: str, key: str, result: Path | str) -> None:
    """Keep `result` (a file to copy, or a text) for `name` under `key`, replacing what was kept before."""
    slot = _slot(kind, name)
    shutil.rmtree(slot, ignore_errors=True)
    slot.mkdir(parents=True)
    if isinstance(result, Path):
        shutil.copy(result, slot / "result")
    else:
        (slot / "result").write_text(result, encoding="utf-8")
    (slot / "key").write_text(key + "\n")
