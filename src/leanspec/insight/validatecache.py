"""Persistent per-file ``validate`` facts, keyed by content hash and settings.

Most validation rules (structure, line count, complexity, corruption, the links a file
contains, its open checklist items, the spec numbers it mentions) depend only on one
file's bytes and a few settings; re-running them over 85 MB of specs takes ~25 s. This
store keeps what they produced per ``(SHA-256 of the file, rule settings)``, so a warm
``validate`` re-checks only changed files; the rules that look across specs (unknown
dependencies, children, broken links on disk) always run.

It is never trusted over the content: the key includes the SHA-256 of the bytes (the
README's ``Spec.content_hash``, verified by the metadata cache, or the hash of the
sub-spec bytes just read), so a stale entry can only be unused. File:
``.lean-spec/cache/validate.pickle`` (ignored by git through that folder's
``.gitignore``): a magic line, then a pickle of plain dicts, lists, tuples, strings and
numbers, loaded with an unpickler that refuses every global (a planted file cannot run
code). A missing, corrupt or foreign-version file is ignored; saving writes a unique
temp file and renames it over the old one (last writer wins; a lost update only costs
a recomputation). ``LEANSPEC_NO_CACHE=1`` turns it off. OS errors are ignored.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from pathlib import Path
from typing import Any

CACHE_DIR = ".lean-spec/cache"
FILE = "validate.pickle"
FORMAT = 1
MAX_ENTRIES = 200_000  # beyond it only this run's entries are kept


def _magic() -> bytes:
    from .. import __version__

    # Rule code changes between releases change results: the version is part of the key.
    from ..store.fsutil import cache_key  # this user's key: a planted file is foreign

    return f"LEANSPEC-VALIDATE {FORMAT} {__version__} py{sys.version_info[0]}.{sys.version_info[1]}\n".encode() + cache_key()


def enabled() -> bool:
    return os.environ.get("LEANSPEC_NO_CACHE", "").strip() not in ("1", "true", "yes", "on")


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"global {module}.{name} refused")


def _read(path: str) -> dict[str, dict[str, Any]]:
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return {}
    magic = _magic()
    if not blob.startswith(magic):
        return {}
    try:
        data = _NoGlobals(io.BytesIO(blob[len(magic) :])).load()
    except Exception:  # torn, corrupt or hostile: ignore it, it only buys speed
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        return {}
    return data


class ResultCache:
    """``get(key)`` → a mutable record dict (``{}`` if new); ``save()`` once at the end."""

    def __init__(self, root: str | Path | None) -> None:
        self.on = root is not None and enabled()
        self.path = os.path.join(str(root), CACHE_DIR, FILE) if root is not None else ""
        self.data: dict[str, dict[str, Any]] = _read(self.path) if self.on else {}
        self.used: set[str] = set()
        self.dirty = False

    def get(self, key: str) -> dict[str, Any]:
        rec = self.data.get(key)
        if rec is None:
            rec = {}
            if self.on:
                self.data[key] = rec
        self.used.add(key)
        return rec

    def save(self) -> bool:
        if not self.on or not self.dirty:
            return False
        data = self.data
        if len(data) > MAX_ENTRIES:
            data = {k: v for k, v in data.items() if k in self.used}
        try:
            blob = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return False
        from ..store.fsutil import write_cache_file

        if not write_cache_file(self.path, _magic(), blob):
            return False
        self.dirty = False
        return True
