"""Persisted folder names: the names a lookup listed in each spec container (the specs
folder, ``archived/``, group folders), kept in ``.lean-spec/cache/names`` with the
container's stamp, so that ``view 42`` or ``update 42`` in a 10,000-spec project reads
one small file instead of listing 10,000 names (~3 ms), and a write's sweep for the
temp folders of killed writers can tell from the stamp that there are none.

The same rule as every other stamp the cache keeps (``fsutil.stamp_settled``): a
container's names are recorded with the stat taken BEFORE they were listed, and only
when that stat is settled (its ctime older than the file system's clock probe, taken
before the stat). Adding, removing or renaming a folder in a container changes its
mtime and ctime, so names whose stamp still matches are exactly what ``os.listdir``
would return now. Anything unexpected (a missing, torn, foreign or planted file, a
stamp that differs) means "list the folder", never a wrong answer: a planted file
can only match a container whose inode and nanosecond ctime it predicted, and even
then every name it offers is checked to be a folder before it is used.

The file is a cache (no fsync, atomic replace, ignored by git with the rest of the
folder); ``LEANSPEC_NO_CACHE=1`` turns it off. Format, all bytes (names as
``os.fsencode`` gives them): a magic line, the specs folder's path, then per
container a header ``<len rel> <mtime_ns> <ino> <ctime_ns> <len names>`` and the two
byte strings (the container's path relative to the specs folder, and its names joined
with newlines).
"""

from __future__ import annotations

import os
import time

from ..core import confine
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

NAMES_FILE = "names"
MAGIC = b"LEANSPEC-NAMES 1\n"
MAX_BYTES = 16 * 1024 * 1024  # ~500,000 folder names; a bigger file is ignored
PROBE_TTL_NS = 1_000_000_000

Stamp = tuple[int, int, int]


def file_magic() -> bytes:
    """MAGIC and this user's cache key (``fsutil.cache_key``)."""
    return MAGIC + fsutil.cache_key()  # (mtime_ns, ino, ctime_ns) of a container folder


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


class FolderNames:
    """The persisted names of one specs folder's containers (keyed by the container's
    path relative to the specs folder, "" for the specs folder itself)."""

    def __init__(self, specs_dir: str, cache_dir: str) -> None:
        self.specs_dir = specs_dir
        self.cache_dir = cache_dir
        self.path = os.path.join(cache_dir, NAMES_FILE)
        # rel -> (stamp, names): names as a list once used, as the file's raw bytes until
        # then (a planted file costs at most its size: nothing is decoded before its
        # stamp matches). None: not read yet.
        self.entries: dict[str, tuple[Stamp, Any]] | None = None
        self.dirty = False
        self._probe: tuple[int, int] | None = None
        self._probed_at: int | None = None  # wall clock of the last probe

    # ------------------------------------------------------------------ reading
    def _load(self) -> dict[str, tuple[Stamp, Any]]:
        if self.entries is not None:
            return self.entries
        self.entries = {}
        if not fsutil.cache_enabled():
            return self.entries
        try:
            # Containment: a names file that is a symlink out of the cache folder is not read.
            data, _st = confine.read_file(self.path, self.cache_dir, None, MAX_BYTES)
        except OSError:
            return self.entries
        if len(data) > MAX_BYTES:
            return self.entries
        try:
            self.entries = _parse(data, os.fsencode(self.specs_dir))
        except (ValueError, IndexError, UnicodeError):
            self.entries = {}
        return self.entries

    def names(self, rel: str, st: os.stat_result) -> list[str] | None:
        """The names recorded for container ``rel`` if ``st`` (its stat now) is the stamp
        they were recorded with; else None (list the folder)."""
        entries = self._load()
        hit = entries.get(rel)
        if hit is None or hit[0] != stamp_of(st):
            return None
        got = hit[1]
        if isinstance(got, bytes):
            got = os.fsdecode(got).split("\n") if got else []
            entries[rel] = (hit[0], got)
        return got  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ recording
    def probe(self) -> tuple[int, int] | None:
        """The file system's "now" (``fsutil.probe_fs_time``), to be taken before a stat
        whose names may be recorded; reused for a second (an older probe only records
        less), so a long-lived server re-probes now and then."""
        now = time.monotonic_ns()
        if self._probed_at is None or now - self._probed_at > PROBE_TTL_NS:
            self._probed_at = now
            self._probe = fsutil.probe_fs_time(self.cache_dir) if fsutil.cache_enabled() else None
        return self._probe

    def record(self, rel: str, st: os.stat_result, names: list[str]) -> None:
        """Remember ``names``, listed AFTER ``st`` was taken (and ``st`` after ``probe()``),
        if the stamp is settled; written by ``save``."""
        if not fsutil.cache_enabled() or any("\n" in n for n in names):
            return
        if not fsutil.stamp_settled(st, self.probe(), time.time_ns()):
            return
        entries = self._load()
        old = entries.get(rel)
        stamp = stamp_of(st)
        if old is not None and old[0] == stamp:
            return
        entries[rel] = (stamp, names)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.entries is None:
            return
        self.dirty = False
        if fsutil.read_only(self.cache_dir):
            return
        parts = [file_magic(), os.fsencode(self.specs_dir) + b"\n"]
        for rel, (stamp, names) in list(self.entries.items()):  # a snapshot: servers record from several threads
            r = os.fsencode(rel)
            joined = names if isinstance(names, bytes) else b"\n".join(map(os.fsencode, names))
            parts.append(b"%d %d %d %d %d\n" % (len(r), stamp[0], stamp[1], stamp[2], len(joined)))
            parts.append(r)
            parts.append(joined)
        fsutil.write_cache_file(self.path, *parts)


def _parse(data: bytes, specs_dir: bytes) -> dict[str, tuple[Stamp, Any]]:
    magic = file_magic()
    if not data.startswith(magic):
        raise ValueError("not a names file (or not this user's: fsutil.cache_key)")
    at = len(magic)
    nl = data.index(b"\n", at)
    if data[at:nl] != specs_dir:
        raise ValueError("another specs folder")  # a copied or moved project: list again
    at = nl + 1
    out: dict[str, tuple[Stamp, Any]] = {}
    fsdecode = os.fsdecode
    while at < len(data):
        nl = data.index(b"\n", at)
        lr, mt, ino, ct, ln = (int(x) for x in data[at:nl].split(b" "))
        if min(lr, ln) < 0 or nl + 1 + lr + ln > len(data):
            raise ValueError("torn names file")
        at = nl + 1
        rel = fsdecode(data[at : at + lr])
        at += lr
        joined = data[at : at + ln]
        at += ln
        out[rel] = ((mt, ino, ct), joined)  # decoded by names() once the stamp matches
    return out


_memo: dict[str, FolderNames] = {}


def for_specs_dir(specs_dir: str, cache_dir: str) -> FolderNames:
    """This process's view of the names file of one specs folder."""
    key = specs_dir + "\0" + cache_dir
    fn = _memo.get(key)
    if fn is None:
        fn = _memo[key] = FolderNames(specs_dir, cache_dir)
    return fn


def forget_all() -> Any:
    """Drop what this process read (tests; ``cache clear``)."""
    _memo.clear()
