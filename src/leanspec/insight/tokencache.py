"""Persistent token counts, keyed by the SHA-256 of the counted bytes.

Counting a file with tiktoken runs at ~10 MB/s, so ``validate``, ``tokens --all`` and
``stats --detailed`` over 85 MB of specs would spend ~8 s re-counting files that did
not change. This store remembers ``sha256(bytes) -> count`` for the one encoding we use
(``tokens.ENCODING``), so a warm run counts only new or changed files.

It is never trusted over the content: the key is the hash of the very bytes being
counted (computed by the caller from what it just read, or the spec's verified
``content_hash``), so a stale entry can only be unused, never wrong. The file lives
next to the metadata cache (``.lean-spec/cache/tokens.bin``, ignored by git through
that folder's ``.gitignore``):

* format: a magic line naming the format, the encoding and its rank-file hash, then
  fixed 36-byte records (32-byte digest, 4-byte little-endian count). A file with the
  wrong magic or a torn length is ignored as a whole (rebuilt on the next save);
* saving re-reads the file, merges in what this process counted (so concurrent
  writers rarely lose each other's work), writes a unique temp file and renames it
  over the old one: readers see the old file or the new one, never a torn one. A lost
  update only costs a recount. No fsync: a crash leaves a harmless old/new/torn file;
* ``LEANSPEC_NO_CACHE=1`` turns it off (counts are computed every time);
* any OS error (read-only project, full disk) is ignored: the cache only buys speed.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from . import tokens

CACHE_DIR = ".lean-spec/cache"
FILE = "tokens.bin"
FORMAT = 1
_REC = struct.Struct("<32sI")
MAX_ENTRIES = 500_000  # ~18 MB; beyond it only this run's entries are kept


def _magic() -> bytes:
    return f"LEANSPEC-TOKENS {FORMAT} {tokens.ENCODING} {tokens._RANKS_SHA256[:16]}\n".encode()


def enabled() -> bool:
    return os.environ.get("LEANSPEC_NO_CACHE", "").strip() not in ("1", "true", "yes", "on")


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _read(path: str) -> dict[bytes, int]:
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return {}
    magic = _magic()
    if not blob.startswith(magic) or (len(blob) - len(magic)) % _REC.size:
        return {}  # foreign, older or torn file: start afresh
    return dict(_REC.iter_unpack(memoryview(blob)[len(magic) :]))


class TokenCache:
    """Token counts for one project; ``count`` then ``save`` once at the end."""

    def __init__(self, root: str | Path | None) -> None:
        self.on = root is not None and enabled()
        self.path = os.path.join(str(root), CACHE_DIR, FILE) if root is not None else ""
        self.known: dict[bytes, int] = _read(self.path) if self.on else {}
        self.new: dict[bytes, int] = {}
        self.used: set[bytes] = set()

    def count(self, text: str, key: bytes | str | None = None, *, data: bytes | None = None) -> int:
        """Token count of ``text``. ``key``: the SHA-256 (digest or hex) of the UTF-8
        bytes ``text`` was decoded from, when the caller already has it; else ``data``,
        those bytes; else the key is computed from ``text``."""
        if not self.on:
            return tokens.count_tokens(text)
        if key is None:
            key = digest(data if data is not None else text.encode("utf-8", "surrogatepass"))
        elif isinstance(key, str):
            key = bytes.fromhex(key)
        n = self.known.get(key)
        if n is None:
            n = self.new.get(key)
        if n is None:
            n = tokens.count_tokens(text)
            self.new[key] = n
        self.used.add(key)
        return n

    def save(self) -> bool:
        """Merge this run's new counts into the file (atomically); False if not written."""
        if not self.on or not self.new:
            return False
        merged = _read(self.path)
        merged.update({k: self.known[k] for k in self.used if k in self.known})
        merged.update(self.new)
        if len(merged) > MAX_ENTRIES:
            merged = {k: v for k, v in merged.items() if k in self.used or k in self.new}
        from ..store.cache import write_cache_file

        body = b"".join(_REC.pack(k, v) for k, v in merged.items() if len(k) == 32 and 0 <= v < 2**32)
        if not write_cache_file(self.path, _magic(), body):
            return False
        self.known = merged
        self.new = {}
        return True
