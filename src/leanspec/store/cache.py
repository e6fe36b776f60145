"""Persistent metadata cache: a command re-reads only the spec files that changed.

What is cached, per README (keyed by its root-relative path): the stat key
``(size, mtime_ns, ino, ctime_ns)``, the SHA-256 of the bytes, the parsed frontmatter,
the first ``# H1``, the checklist counts and the per-spec facts board/stats/timeline
use (``facts.facts_key``: status and timestamps as plain ints, so those commands never
unpickle a frontmatter); per spec folder: its sub-spec file names
(keyed by the folder's own stat, which changes whenever a file is added, removed or
renamed in it). That is everything ``Spec.to_dict()`` needs, so ``list`` and ``board``
never read a README whose stat key is unchanged. A cache hit is a ``CachedSpec`` whose
``body`` is read from the file on first access (search, validate, view).

The cache is never trusted over the files:

* every entry is re-validated against a fresh ``stat`` on every load; a mismatch of
  any of size, mtime_ns, inode or ctime_ns means "re-read";
* racy entries (git's "racy index" problem): a file changed twice within one
  timestamp tick can keep its size and mtime. An entry whose ctime is within
  ``RACY_NS`` of the moment it was verified is re-read and re-hashed on every load
  until it is old enough to be trusted. ctime is used (not only mtime) because
  ``os.utime`` can move mtime back but nobody can move ctime. "The moment it was
  verified" is measured on the file system's own clock when possible: before reading,
  a session touches ``.lean-spec/cache/probe`` and takes its ctime; a file on the same
  device whose ctime is below that (minus ``GUARD_NS``) was last changed in an earlier
  timestamp tick than the read, so any later change gets a different ctime, and it is
  trusted at once (git compares with its index file's mtime the same way). So a file
  written just before a listing (a checkout, a generator) is read once, not on every
  run for two seconds. A racy re-read whose bytes hash as recorded reuses the record
  instead of parsing again;
* a missing, truncated, corrupt or foreign-version file (format, Python, leanspec
  version, README file name) is ignored and rebuilt; deleting it changes only speed;
* ``LEANSPEC_NO_CACHE=1`` turns it off entirely.

Persistence: a base pickle file under ``.lean-spec/cache/`` (the folder ignores itself
via its own ``.gitignore``) and, beside it, a small delta file. The base carries a
random id; a session that changed few records (at most ``DELTA_MAX_RECORDS``, and at
most 1/``DELTA_FRACTION`` of the base) writes only those, the removed keys and, if it
changed, the folder listing, to ``specs-delta.pickle``, which names the base id it
applies to and holds everything since that base (each save rewrites it whole). So an
``update`` followed by a ``list`` at 10,000 specs rewrites a few kB instead of
re-pickling 11 MB. A load reads the base, then the delta if it names that base; a
delta for another base (a base written since, by this or another process) is ignored,
which is correct because every record validates itself against the files. Past the
limit a save writes a new base (new id) and then removes the delta: a crash in
between leaves a delta that names the old base, i.e. one that is ignored. Changes go
through ``MetaCache.mark()`` (a snapshot of what is on disk); a change made without
it is saved as a new base: slower, never wrong.

Both files are written to a unique temp file and renamed over the old one, so
concurrent processes never see a torn file: last writer wins, and since every entry
validates itself a lost update (a base or delta replaced by another process's) only
costs a re-read. No fsync: after a crash each file is either the old one, the new one,
or a truncated one that fails to load — and all three are harmless, so paying for
durability would buy nothing. Unpickling uses an allow-list (dates only) for both, so a
planted base or delta cannot run code; a delta's records are also checked for shape.
A long-lived process picks up a new base or a new delta another process saved
(``refresh_from_disk``: two ``stat`` calls).

Three modules: ``cachedspec`` (the cached spec and the allow-list unpickler),
``cachefile`` (the base and delta files, loaded, merged and saved) and this one (the
read path, ``Session``, and what ``lean-spec cache`` does). Only ``store.py`` calls
this module (it is the only code that reads spec files).
"""

from __future__ import annotations

import os
import time

from ..core import confine
from ..core.digest import sha256_hex
from ..core.model import Spec, checklist_counts, first_h1
from ..core.pickling import PROTOCOL, dumps
from .cachedspec import BODY_SLOT, MAX_READ, CachedSpec, body_of, columns, meta_halves, meta_keys
from .cachefile import (
    CACHE_FILE,
    DELTA_FILE,
    DELTA_FRACTION,
    DELTA_MAGIC,
    DELTA_MAX_RECORDS,
    FORMAT,
    MAGIC,
    MetaCache,
    cache_path,
    enabled,
    forget,
    get_cache,
)
from .fsutil import CACHE_DIR, CLOCK_GUARD_NS, PROBE_FILE, WALL_RACY_NS, probe_fs_time
from .names import NAMES_FILE
from .names import forget_all as forget_names

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Protocol

    from ..core.config import Config
    from ..core.refs import Entry

    class Store(Protocol):
        """What the cache needs of the store (``store.Store`` is one): the cache sits
        below the store, which calls it from ``load_all``, so it names no store module."""

        root: Path
        config: Config

        def entries(self) -> list[Entry]: ...
        def readme_path(self, e: Entry) -> Path: ...
        def load_entry(self, e: Entry) -> Spec: ...
        def parse(self, e: Entry, path: Path, data: bytes, size: int, mtime: float) -> Spec: ...
        def sub_files(self, d: Path) -> list[str]: ...
        def spec_base(self) -> str: ...
        def read_spec_bytes(self, e: Entry, path: Path) -> tuple[bytes, os.stat_result]: ...

# Two seconds covers the coarsest common timestamp granularity (FAT: 2 s) and the
# kernel's coarse clock; NFS attribute caching is the user's problem as for git.
RACY_NS = WALL_RACY_NS
# A file the session verified after touching PROBE_FILE (in the cache folder, on the same
# file system) is trusted once its ctime is below the probe's ctime minus GUARD_NS:
# both come from the file system's own clock at its own granularity, so no later write
# can give it its old ctime back (see Session.verified_ns). The guard covers a coarse
# clock that is not strictly monotonic between inodes.
GUARD_NS = CLOCK_GUARD_NS  # (fsutil: the probe and the rule, shared with the persisted listing)
PROBE_TTL_NS = 1_000_000_000  # a probe is reused for this long (an older probe is only more careful)
_new_cached = object.__new__

__all__ = [  # what other modules and tests reach through this module
    "BODY_SLOT",
    "CACHE_DIR",
    "CACHE_FILE",
    "DELTA_FILE",
    "DELTA_FRACTION",
    "DELTA_MAGIC",
    "DELTA_MAX_RECORDS",
    "FORMAT",
    "MAGIC",
    "PROBE_FILE",
    "RACY_NS",
    "CachedSpec",
    "MetaCache",
    "Session",
    "body_of",
    "cache_path",
    "clear",
    "columns",
    "enabled",
    "forget",
    "get_cache",
    "meta_keys",
    "rebuild",
    "session",
    "status",
]


# ================================================================ the read path
_KEEP: Any = object()  # Session.finish(listing=...) not given

class Session:
    """One ``load_all`` pass: look up, validate, re-read misses, then save once."""

    def __init__(self, store: Store, cache: MetaCache) -> None:
        self.store = store
        self.cache = cache
        self.root_prefix = str(store.root) + os.sep
        self.root_len = len(self.root_prefix)
        self.suffix = "/" + store.config.default_file
        self.files = cache.files
        self.dirs = cache.dirs
        self.default_file = store.config.default_file
        self.new_files: dict[str, tuple[Any, ...]] = {}
        self.new_dirs: dict[str, tuple[Any, ...]] = {}
        self.hits = 0
        self.finished = False
        self.misses = 0
        # Set by a warm (journaled) listing: bodies kept within this many bytes, and
        # the folders whose README the change journal cannot vouch for.
        self.body_budget: list[int] | None = None
        self.journal: Any = None  # watch.Journal, set by a warm listing
        self.untrusted: set[str] = set()
        self.cache_dir = os.path.dirname(cache.path)
        self._probe: tuple[int, int] | None = None  # (st_dev, ctime_ns) of the probe file
        self._probe_at = -PROBE_TTL_NS - 1  # wall clock when it was taken

    def load(self, e: Entry) -> Spec:
        dpath = e.dir_str
        if not dpath.startswith(self.root_prefix):
            if self.journal is not None:
                self.untrusted.add(dpath)
            return self.store.load_entry(e)  # specs folder outside the root: no cache
        rel_dir = dpath[self.root_len :]
        rel = rel_dir + self.suffix
        rec = self.files.get(rel)
        try:
            st = os.lstat(dpath + self.suffix)
            if st.st_mode & 0o170000 == 0o120000:  # a symlinked README: its target counts
                if self.journal is not None:
                    self.untrusted.add(dpath)
                st = os.stat(dpath + self.suffix)
        except OSError:
            if self.journal is not None:
                self.untrusted.add(dpath)
            return self.store.load_entry(e)  # let the store report the problem
        j = self.journal
        if j is not None and (st.st_nlink != 1 or not j.local(st.st_dev, dpath)):
            # Another hard link's folder, or a file system whose changes may bypass
            # this kernel: events cannot vouch for this file, so stat it every time.
            self.untrusted.add(dpath)
        if (
            rec is None
            or rec[0] != st.st_size
            or rec[1] != st.st_mtime_ns
            or rec[2] != st.st_ino
            or rec[3] != st.st_ctime_ns
        ):
            return self._miss(e, rel, rel_dir)
        if st.st_ctime_ns + RACY_NS > rec[4]:  # racy when verified: re-check the bytes
            return self._miss(e, rel, rel_dir, rec)
        self.hits += 1
        return self._hit(e, rel, rec, st)

    def _hit(self, e: Entry, rel: str, rec: tuple[Any, ...], st: os.stat_result) -> CachedSpec:
        s = _new_cached(CachedSpec)
        s.name = e.name
        s.number = e.number
        s.path = rel
        s._fm_blob = rec[6]
        s.content_hash = rec[5]
        s.archived_dir = e.archived
        s.group = e.group
        s._session = self
        s.size = st.st_size
        s.mtime = st.st_mtime
        s._h1 = rec[7]
        s._checks = rec[8]
        s._store = self.store
        s._entry = e
        s._meta_blob = rec[9]
        s._cols = rec[11]
        s.cached_facts = rec[10]
        return s

    def verified_ns(self, dev: int) -> int:
        """The "verified at" stamp to record for a file on device ``dev`` that is read
        (or listed) after this call: an entry is trusted later iff its ctime +
        ``RACY_NS`` <= the stamp. The wall clock now, or, when the probe file lives on
        the same device, the probe's ctime - ``GUARD_NS`` + ``RACY_NS`` - 1 if that is
        later: trusted iff ctime < probe ctime - ``GUARD_NS``, both on the file
        system's clock (the probe is touched BEFORE the read it vouches for)."""
        now = time.time_ns()
        if now - self._probe_at > PROBE_TTL_NS:
            self._probe = probe_fs_time(self.cache_dir)
            self._probe_at = now
        p = self._probe
        if p is not None and p[0] == dev:
            return max(now, p[1] - GUARD_NS + RACY_NS - 1)
        return now

    def sub_specs_of(self, e: Entry) -> list[str]:
        dpath = e.dir_str
        return self._sub_specs(e, dpath, dpath[self.root_len :])

    def _sub_specs(self, e: Entry, dpath: str, rel_dir: str) -> list[str]:
        d = self.dirs.get(rel_dir)
        try:
            st = os.stat(dpath)
        except OSError:
            return self.store.sub_files(e.dir)
        if (
            d is not None
            and d[0] == st.st_mtime_ns
            and d[1] == st.st_ino
            and d[2] == st.st_ctime_ns
            and st.st_ctime_ns + RACY_NS <= d[3]
        ):
            return list(d[4])
        now = self.verified_ns(st.st_dev)
        names = self.store.sub_files(e.dir)  # listed AFTER the stat (see _miss)
        self._record_dir(rel_dir, st, now, names)
        return names

    def _record_dir(self, rel_dir: str, st: os.stat_result, now: int, names: list[str]) -> None:
        d = self.cache.dirs.get(rel_dir)
        rec = (st.st_mtime_ns, st.st_ino, st.st_ctime_ns, now, tuple(names))
        if d is None or d[:3] != rec[:3] or d[4] != rec[4] or st.st_ctime_ns + RACY_NS <= now:
            if self.finished:  # a lazy check after the save: keep it for the next one
                with self.cache.lock:
                    self.cache.mark()
                    self.cache.dirs[rel_dir] = rec
            else:
                self.new_dirs[rel_dir] = rec

    def _miss(self, e: Entry, rel: str, rel_dir: str, racy: tuple[Any, ...] | None = None) -> Spec:
        """Read the file the way the store does, and record what it found. ``racy``:
        the record whose stat key still matches but which was verified too early; if
        the bytes hash as it says, it is reused (verified again now), not re-parsed."""
        self.misses += 1
        dpath = e.dir_str
        path = f"{dpath}/{self.default_file}"
        # stat BEFORE reading: if the file changes while we read, the recorded key is
        # the old one and the next load sees a mismatch (never new key + old bytes).
        try:
            dst = os.stat(dpath)
            # The containment rule (confine.open_read): a README or spec folder that is
            # a symlink out of the project is the store's load problem, never read.
            fd = confine.open_read(path, dpath, self.store.spec_base())
            try:
                st = os.fstat(fd)
                verified = self.verified_ns(st.st_dev)
                with open(fd, "rb", closefd=False) as f:
                    data = f.read(MAX_READ)
            finally:
                os.close(fd)
        except OSError:
            return self.store.load_entry(e)  # the store words the problem
        if len(data) != st.st_size or len(data) >= MAX_READ:
            return self.store.load_entry(e)  # changing under us, or huge: no record
        if (
            racy is not None
            and racy[:4] == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            and sha256_hex(data) == racy[5]
        ):
            # Same key, same bytes: the record is right; only its stamp moves on. The
            # folder's sub-spec list keeps its own key (checked on demand).
            rec = (*racy[:4], verified, *racy[5:])
            if st.st_ctime_ns + RACY_NS <= verified:
                self.new_files[rel] = rec
            return self._hit(e, rel, rec, st)
        parsed = self.store.parse(e, self.store.readme_path(e), data, st.st_size, st.st_mtime)
        self._record_dir(rel_dir, dst, verified if dst.st_dev == st.st_dev else time.time_ns(), parsed.sub_specs)
        body = parsed.body
        spec = CachedSpec(
            parsed.name,
            parsed.number,
            parsed.path,
            parsed.frontmatter,
            body,
            parsed.content_hash,
            parsed.archived_dir,
            parsed.group,
            parsed.sub_specs,
            parsed.size,
            parsed.mtime,
        )
        spec._h1 = first_h1(body)
        spec._checks = checklist_counts(body)
        spec._store = self.store
        spec._entry = e
        spec._cols = None
        spec._meta_blob = None
        spec._fm_blob = None
        spec._session = self
        try:
            meta = spec.to_dict()
            fm_blob = dumps(parsed.frontmatter, protocol=PROTOCOL)
            cols = columns(spec)
            if tuple(meta) != meta_keys():
                return parsed  # unreachable: to_dict() has one shape
            # to_dict() as the CLI's JSON, in two halves around the sub-spec list (filled
            # per listing: the folder has its own key). `list --json` joins them without
            # a dict or an encoder; to_dict() decodes them with json's C scanner.
            meta_blob = meta_halves(meta)
        except Exception:  # e.g. a recursive YAML anchor: the caller meets it as without a cache
            return parsed
        spec._cols = cols
        spec._meta_blob = meta_blob
        from ..core.facts import facts_key

        try:
            # Computed by the function a spec read without the cache uses (facts.spec_facts).
            fk: tuple[Any, ...] | None = facts_key(parsed)
        except Exception:  # whatever it is, stats meets it again from the frontmatter
            fk = None
        spec.cached_facts = fk
        rec = (
            st.st_size,
            st.st_mtime_ns,
            st.st_ino,
            st.st_ctime_ns,
            verified,
            spec.content_hash,
            fm_blob,
            spec._h1,
            spec._checks,
            meta_blob,
            fk,
            cols,
        )
        old = self.cache.files.get(rel)
        # A racy entry that is still racy re-reads the same bytes every time; storing
        # it again would only rewrite the cache file for nothing.
        if old is None or old[:4] != rec[:4] or old[5] != rec[5] or st.st_ctime_ns + RACY_NS <= verified:
            self.new_files[rel] = rec
        return spec

    def finish(self, entries: list[Entry], *, save: bool = False, listing: Any = _KEEP) -> None:
        """Merge what this pass learnt, drop entries for folders that are gone (the
        scan in ``entries`` is complete), and save if anything changed (or ``save``:
        a warm server's records merged earlier). ``listing``: the store's listing
        state to persist (None: there is none to trust; omitted: keep what is there)."""
        c = self.cache
        self.finished = True
        n = self.root_len
        live_dirs = {e.dir_str[n:] for e in entries}
        live = {f"{d}/{self.default_file}" for d in live_dirs}
        with c.lock:
            new_listing = listing is not _KEEP and listing != c.listing
            gone = [k for k in c.files if k not in live]
            gone_dirs = [k for k in c.dirs if k not in live_dirs]
            dirty = bool(self.new_files or self.new_dirs or new_listing or gone or gone_dirs)
            if dirty:
                c.mark()  # before the change: save() writes only what differs (a delta)
            if new_listing:
                c.listing = listing
            c.files.update(self.new_files)
            c.dirs.update(self.new_dirs)
            for k in gone:
                del c.files[k]
            for k in gone_dirs:
                del c.dirs[k]
            if save or dirty or c.status != "loaded":
                c.save()


def session(store: Store, *, refresh: bool = True) -> Session | None:
    """The hook ``Store.load_all`` calls; None when the cache is switched off."""
    if not enabled():
        return None
    return Session(store, get_cache(store, refresh=refresh))


# =================================================================== commands
def status(store: Store) -> dict[str, Any]:
    c = MetaCache(cache_path(store), store.config.default_file)
    c.load()
    try:
        size = os.stat(c.path).st_size
    except OSError:
        size = 0
    try:
        delta_size = os.stat(c.delta_path).st_size
    except OSError:
        delta_size = 0
    files, rm_files, dirs, rm_dirs, _has_listing = c.delta
    return {
        "enabled": enabled(),
        "path": os.path.relpath(c.path, store.root),
        "state": c.status,
        "entries": len(c.files),
        "folders": len(c.dirs),
        "bytes": size,
        "format": FORMAT,
        "delta_state": c.delta_status,
        "delta_records": len(files) + len(rm_files) + len(dirs) + len(rm_dirs),
        "delta_bytes": delta_size,
    }


# The metadata cache's delta, and the content-keyed caches kept beside it
# (tokens.TokenCache, validatecache, searchindex), and the persisted folder names.
SIBLING_FILES = (DELTA_FILE, "tokens.bin", "validate.pickle", "search.idx", "search-delta.idx", NAMES_FILE, PROBE_FILE)


def clear(store: Store) -> bool:
    """Delete the metadata cache and its content-keyed siblings. True if anything went."""
    forget(store)
    forget_names()
    removed = False
    folder = os.path.dirname(cache_path(store))
    for name in (CACHE_FILE, *SIBLING_FILES):
        try:
            os.unlink(os.path.join(folder, name))
            removed = True
        except FileNotFoundError:
            pass
    return removed


def rebuild(store: Store) -> dict[str, Any]:
    """Drop the cache and re-read every spec once (the cold path)."""
    clear(store)
    c = get_cache(store)
    c.files.clear()
    c.dirs.clear()
    s = Session(store, c)
    from ..core.errors import LeanSpecError

    problems = 0
    entries = store.entries()
    for e in entries:
        try:
            s.load(e)
        except LeanSpecError:
            problems += 1
    s.finish(entries)
    out = status(store)
    out["problems"] = problems
    out["specs"] = s.hits + s.misses
    return out
