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

Only ``store.py`` calls this module (it is the only code that reads spec files).
"""

from __future__ import annotations

import _thread  # threading.Lock without importing threading (~0.5 ms)
import contextlib
import gc
import io
import os
import pickle
import sys
import time

from ..core import confine
from ..core.digest import sha256_hex
from ..core.model import Spec, checklist_counts, dumps_compact, first_h1
from .fsutil import (
    CACHE_DIR,
    CLOCK_GUARD_NS,
    PROBE_FILE,
    WALL_RACY_NS,
    cache_enabled,
    probe_fs_time,
    read_only,
    write_cache_file,
)
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

CACHE_FILE = "specs.pickle"
FORMAT = 7  # 4: record slot 10 = facts.facts_key; 5: entries made under the containment rule;
# 6: slot 9 = to_dict() pickled (read lazily), slot 11 = the listing columns (COLS);
# 7: the base carries a random id, and a delta file naming it may sit beside it
MAGIC = b"LEANSPEC-CACHE\n"
# A session that changed a few records writes only those (and removals, and the listing
# if it changed) to DELTA_FILE, which names the base it applies to; past this many
# records, or past 1/DELTA_FRACTION of the base, the next save writes a new base.
DELTA_FILE = "specs-delta.pickle"
DELTA_MAGIC = b"LEANSPEC-CACHE-DELTA\n"
DELTA_MAX_RECORDS = 256
DELTA_FRACTION = 40
MAX_DELTA_BYTES = 64 * 1024 * 1024
FILE_FIELDS = 12  # a README record's length (MetaCache.files)
DIR_FIELDS = 5  # a folder record's length (MetaCache.dirs)
_NO_DELTA: tuple[Any, ...] = ({}, frozenset(), {}, frozenset(), False)
_UNREAD: Any = ("the base's listing, replaced by the delta's and never unpickled",)
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
MAX_CACHE_BYTES = 512 * 1024 * 1024
MAX_READ = 64 * 1024 * 1024  # = specfile.MAX_SPEC_BYTES; bigger files take the store's path

BODY_SLOT = Spec.__dict__["body"]  # the slot descriptors CachedSpec's properties wrap
_FM = Spec.__dict__["frontmatter"]
_SUBS = Spec.__dict__["sub_specs"]
_new_cached = object.__new__

def enabled() -> bool:
    return cache_enabled()


def _header(default_file: str) -> tuple[Any, ...]:
    from .. import __version__

    # META_KEYS too: record slot 9 holds to_dict()'s values in that order, so a file
    # written by code with another shape is foreign, not misread.
    return (FORMAT, sys.version_info[:2], __version__, default_file, meta_keys())


_meta_keys: tuple[str, ...] | None = None


def meta_keys() -> tuple[str, ...]:
    """The keys of ``Spec.to_dict()``, in order (read off an empty spec)."""
    global _meta_keys
    if _meta_keys is None:
        _meta_keys = tuple(Spec("0-x", 0, "", {}, "", "").to_dict())
    return _meta_keys


# ============================================================== the cached spec
class CachedSpec(Spec):
    """A spec whose metadata came from the cache; the body is read on first use.

    The body is read from the file and checked against ``content_hash``. If the file
    changed since the listing, the whole object is refreshed from the new file, so
    metadata, body and hash always describe one version of the file.
    """

    __slots__ = (
        "_h1",
        "_checks",
        "_store",
        "_entry",
        "_cols",
        "_meta_blob",
        "_fm_blob",
        "_session",
        "_json",
        "cached_facts",
    )
    _h1: str | None
    _checks: tuple[int, int]
    _store: Store
    _entry: Entry
    # COLS of this file version (what lists, boards and filters read), or None: ask the
    # frontmatter. _meta_blob: its to_dict() (sub_specs None), pickled: unpickled per
    # spec by to_dict() only, so a text listing never builds 10,000 dicts.
    _cols: tuple[Any, ...] | None
    _meta_blob: bytes | None
    _fm_blob: bytes | None
    _session: Session
    _json: bytes | None
    # facts.facts_key of this file version (facts.spec_facts reads it); None: compute it.
    cached_facts: tuple[Any, ...] | None

    @property  # type: ignore[override]
    def sub_specs(self) -> list[str]:
        # Checked (one stat of the folder) on first use: a text listing never shows
        # them, and at 10,000 specs that stat is a tenth of the listing's time.
        try:
            return _SUBS.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            subs = self._session.sub_specs_of(self._entry)
            _SUBS.__set__(self, subs)
            return subs

    @sub_specs.setter
    def sub_specs(self, value: list[str]) -> None:
        _SUBS.__set__(self, value)

    @property  # type: ignore[override]
    def frontmatter(self) -> dict[str, Any]:
        # Kept pickled until first use: a listing sorted by number never needs it, and
        # each spec object gets its own dict (nobody can change the cache through it).
        try:
            return _FM.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            try:
                fm = _unpickle(self._fm_blob)
            except Exception:  # a damaged entry in a file that loaded: ask the file
                fm = _fresh_frontmatter(self)
            _FM.__set__(self, fm)
            return fm  # type: ignore[no-any-return]

    @frontmatter.setter
    def frontmatter(self, value: dict[str, Any]) -> None:
        _FM.__set__(self, value)
        self.cached_facts = None  # derived from the old frontmatter

    @property  # type: ignore[override]
    def body(self) -> str:
        try:
            return BODY_SLOT.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            return self._load_body()

    @body.setter
    def body(self, value: str) -> None:
        BODY_SLOT.__set__(self, value)

    @property
    def title(self) -> str:
        m = self._cols
        if m is not None:
            return m[0]  # type: ignore[no-any-return]
        t = self.frontmatter.get("title")
        if isinstance(t, str) and t.strip():
            return t.strip()
        if self._h1:
            return str(self._h1)
        return self.slug.replace("-", " ").title()

    @property
    def checklist(self) -> tuple[int, int]:
        return self._checks  # type: ignore[no-any-return]

    # The frontmatter-derived properties, as Spec computed them when the file was read
    # (they are in the cached to_dict()); filters, sorting and rendering call them a
    # lot. Lists are copied: callers may change what they get.
    @property
    def status(self) -> str:
        m = self._cols
        return m[1] if m is not None else Spec.status.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def priority(self) -> str | None:
        m = self._cols
        return m[2] if m is not None else Spec.priority.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def tags(self) -> list[str]:
        m = self._cols
        return list(m[3]) if m is not None else Spec.tags.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def depends_on(self) -> list[str]:
        m = self._cols
        return list(m[4]) if m is not None else Spec.depends_on.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def parent(self) -> str | None:
        m = self._cols
        return m[5] if m is not None else Spec.parent.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def assignee(self) -> str | None:
        m = self._cols
        return m[6] if m is not None else Spec.assignee.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def archived(self) -> bool:
        m = self._cols
        return m[7] if m is not None else Spec.archived.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def created(self) -> str | None:
        m = self._cols
        return m[8] if m is not None else Spec.created.fget(self)  # type: ignore[attr-defined,no-any-return]

    def to_dict(self, *, content: bool = False) -> dict[str, Any]:
        blob = self._meta_blob
        if content or blob is None:
            return Spec.to_dict(self, content=content)
        keys = meta_keys()
        try:
            values = _unpickle(blob)
            if type(values) is not tuple or len(values) != len(keys):
                raise ValueError("bad shape")
        except Exception:  # a damaged entry in a file that loaded: compute it
            self._meta_blob = self._cols = None
            return Spec.to_dict(self, content=content)
        meta = dict(zip(keys, values, strict=True))
        # Spec.to_dict() of this very file version, computed when it was read (a new
        # object per call: callers can never change what the cache holds); only the
        # sub-spec list lives outside the README.
        meta["sub_specs"] = list(self.sub_specs)
        return meta  # type: ignore[no-any-return]

    def json_bytes(self) -> bytes:
        """``to_dict()`` as compact JSON (the web API's encoding), kept on the object:
        a warm server hands the same object out until its folder changes, so a full
        listing is a join of these instead of encoding 10,000 dicts per request."""
        try:
            j = self._json
        except AttributeError:
            j = None
        if j is None:
            j = self._json = dumps_compact(self.to_dict())
        return j

    def _keep_body(self, body: str) -> str:
        # A warm server reuses spec objects between calls: keep bodies up to a memory
        # budget (then re-read them on each use). One-shot processes keep them all.
        budget = self._session.body_budget
        if budget is None:
            BODY_SLOT.__set__(self, body)
        elif budget[0] > len(body):
            budget[0] -= len(body)
            BODY_SLOT.__set__(self, body)
        return body

    def _load_body(self) -> str:
        from ..core.errors import LeanSpecError

        store, e = self._store, self._entry
        # Fast path: the bytes are the listed version (same SHA-256): only split off
        # the body, no YAML, no folder listing.
        try:
            data = store.read_spec_bytes(e, store.readme_path(e))[0]
            if len(data) < MAX_READ and sha256_hex(data) == self.content_hash:
                return self._keep_body(body_of(data.decode("utf-8")))
        except (OSError, UnicodeDecodeError):
            pass
        try:
            fresh = store.load_entry(e)
        except (LeanSpecError, OSError):
            # Deleted or broken since the listing: keep the listed metadata; there is
            # no body of that version left to show.
            BODY_SLOT.__set__(self, "")
            return ""
        if fresh.content_hash != self.content_hash:
            # Changed since the listing: move the whole object to the new version.
            self.frontmatter = fresh.frontmatter
            self.content_hash = fresh.content_hash
            self.sub_specs = fresh.sub_specs
            self.size = fresh.size
            self.mtime = fresh.mtime
            self._h1 = first_h1(fresh.body)
            self._checks = checklist_counts(fresh.body)
            self._cols = None
            self._meta_blob = None
            self._json = None
        BODY_SLOT.__set__(self, fresh.body)
        return fresh.body


def columns(spec: Spec) -> tuple[Any, ...]:
    """The record's listing columns: (title, status, priority, tags, depends_on, parent,
    assignee, archived, created) as ``Spec`` computes them (the properties
    ``CachedSpec`` answers from them). Lists are stored as tuples; the small
    vocabularies (status, priority, tags, assignee) are interned, so the cache file holds
    each once and unpickling them is a memo lookup, not a new string per spec."""
    intern = sys.intern
    st, pr, who = spec.status, spec.priority, spec.assignee
    return (
        spec.title,
        intern(st) if type(st) is str else st,
        intern(pr) if type(pr) is str else pr,
        tuple(intern(t) if type(t) is str else t for t in spec.tags),
        tuple(spec.depends_on),
        spec.parent,
        intern(who) if type(who) is str else who,
        spec.archived,
        spec.created,
    )


def body_of(text: str) -> str:
    """``Document.parse(text).body`` without parsing the YAML (tests compare the two on
    every spec). Only called for bytes that parsed fine when they were cached."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # Walk only the frontmatter's lines (a few), then slice: no split/join of the body.
    nl = text.find("\n")
    first = text if nl < 0 else text[:nl]
    if first.rstrip("\r").rstrip() != "---" or nl < 0:
        return text
    start = nl + 1
    while True:
        nl = text.find("\n", start)
        line = text[start:] if nl < 0 else text[start:nl]
        if line.rstrip("\r").rstrip() in ("---", "..."):
            return "" if nl < 0 else text[nl + 1 :]
        if nl < 0:
            return text  # unreachable for cached bytes (they had a closed frontmatter)
        start = nl + 1


# ============================================================ the cache itself
class _Allowed(pickle.Unpickler):
    """Only plain data and dates: a cache file someone planted cannot run code."""

    SAFE = {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "timezone"),
        ("datetime", "timedelta"),
        ("datetime", "time"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.SAFE:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden in cache: {module}.{name}")


def _fresh_frontmatter(spec: CachedSpec) -> dict[str, Any]:
    from ..core.errors import LeanSpecError

    try:
        return spec._store.load_entry(spec._entry).frontmatter  # type: ignore[no-any-return]
    except (LeanSpecError, OSError):
        return {}


def _unpickle(blob: bytes | None) -> Any:
    if not isinstance(blob, bytes):
        raise pickle.UnpicklingError("no frontmatter blob")
    return _Allowed(io.BytesIO(blob)).load()


class MetaCache:
    """The in-memory view of one project's cache files (the base, plus the delta when
    it names this base). Shared by the threads of one process (MCP and HTTP servers
    keep it warm between calls); guarded by a lock.

    ``files``/``dirs``/``listing`` are the merged view. Code that changes them calls
    ``mark()`` first: it snapshots the view as it is on disk, and ``save`` writes only
    what differs from that snapshot (as a delta) when it is small. A change made without
    ``mark()`` is still saved, as a whole new base (slower, never wrong)."""

    def __init__(self, path: str, default_file: str) -> None:
        self.path = path
        self.delta_path = os.path.join(os.path.dirname(path), DELTA_FILE)
        self.default_file = default_file
        # rel README -> record: (size, mtime_ns, ino, ctime_ns, verified_ns, sha256,
        # frontmatter pickle, first H1, checklist, to_dict() pickle, facts.facts_key,
        # listing columns)
        self.files: dict[str, tuple[Any, ...]] = {}
        self.dirs: dict[str, tuple[Any, ...]] = {}  # rel folder -> (mtime_ns, ino, ctime_ns, verified_ns, names)
        # The spec-folder listing with its containers' stamps (Scanner.listing_state):
        # a fresh process that finds every container unchanged skips the folder scan.
        self.listing: tuple[Any, ...] | None = None
        self.lock = _thread.allocate_lock()
        self.loaded_stat: tuple[int, int, int] | None = None
        self.status = "missing"  # missing | loaded | corrupt | foreign
        # The base as loaded or written: its random id (a delta names it), its record
        # count (the delta's limit is a fraction of it) and its listing.
        self.base_id: str | None = None
        self.base_n = 0
        self.base_listing: tuple[Any, ...] | None = None
        # The delta on disk for this base, as applied: (files, removed files, dirs,
        # removed dirs, has listing); and the stat of the delta file as read/written.
        self.delta: tuple[Any, ...] = _NO_DELTA
        self.delta_stat: tuple[int, int, int] | None = None
        self.delta_status = "missing"  # missing | loaded | ignored (another base) | corrupt
        # What is on disk (files, dirs, listing) before this process's unsaved changes;
        # None: nothing changed through mark() since the last load or save.
        self.snap: tuple[dict[str, Any], dict[str, Any], Any] | None = None

    # ------------------------------------------------------------ persistence
    def load(self, *, freeze: bool = False) -> None:
        try:
            # Containment: a cache file that is a symlink out (or a device) is not read.
            data, st = confine.read_file(self.path, os.path.dirname(self.path), None, MAX_CACHE_BYTES)
            if st.st_size > MAX_CACHE_BYTES or len(data) > MAX_CACHE_BYTES:
                self.status = "corrupt"
                return
        except OSError:
            self.status = "missing"
            return
        self.loaded_stat = (st.st_size, st.st_mtime_ns, st.st_ino)
        if not data.startswith(MAGIC):
            self.status = "foreign"
            return
        # Unpickling 10,000 small dicts would trigger the cyclic GC dozens of times
        # (none of it is garbage); pausing it makes the load ~3x faster.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            buf = io.BytesIO(data)  # shares data's buffer (no 10 MB copy to skip MAGIC)
            buf.seek(len(MAGIC))
            payload = _Allowed(buf).load()
            header, files, dirs, listing_blob, base_id = payload
            if tuple(header) != _header(self.default_file):
                self.status = "foreign"
                return
            if not isinstance(files, dict) or not isinstance(dirs, dict) or type(base_id) is not str:
                raise ValueError("bad shape")
            if listing_blob is not None and type(listing_blob) is not bytes:
                raise ValueError("bad shape")
        except Exception:  # any damage at all: ignore the file, rebuild
            self.status = "corrupt"
            return
        finally:
            if gc_was:
                gc.enable()
        self.base_id, self.base_n = base_id, len(files)
        self.delta, self.delta_stat, self.snap = _NO_DELTA, None, None
        found = self.read_delta()
        if found is not None and found[0][4]:
            listing = None
            self.base_listing = _UNREAD  # the delta's listing replaces it: never unpickled
        else:
            # Kept pickled in the base (a blob): unpickled only when no delta replaces it.
            try:
                listing = None if listing_blob is None else _unpickle(listing_blob)
            except Exception:  # a damaged listing: none (the caller scans)
                listing = None
            self.base_listing = listing
        # The entries are acyclic and live as long as the process keeps the cache:
        # move them out of the collector's view, or every later full collection (which
        # a listing that allocates 10,000 dicts triggers) re-scans all of them.
        # Unreachable frozen objects are still freed by reference counting. Done once
        # per process (first load), so a long-running server does not pile up frozen
        # cyclic garbage.
        if freeze:
            gc.freeze()
        self.files, self.dirs, self.listing, self.status = files, dirs, listing, "loaded"
        if found is not None:
            self.apply_delta(*found)

    def read_delta(self) -> tuple[tuple[Any, ...], tuple[int, int, int]] | None:
        """The delta file's changes and stat if it applies to this base, else None
        (``delta_status`` says why). Never raises."""
        try:
            data, st = confine.read_file(self.delta_path, os.path.dirname(self.delta_path), None, MAX_DELTA_BYTES)
        except OSError:
            self.delta_status = "missing"
            return None
        dstat = (st.st_size, st.st_mtime_ns, st.st_ino)
        try:
            if len(data) > MAX_DELTA_BYTES or not data.startswith(DELTA_MAGIC):
                raise ValueError("not a delta")
            buf = io.BytesIO(data)
            buf.seek(len(DELTA_MAGIC))
            header, base_id, files, rm_files, dirs, rm_dirs, has_listing, listing = _Allowed(buf).load()
            if tuple(header) != _header(self.default_file):
                raise ValueError("foreign")
            if base_id != self.base_id or self.base_id is None:
                self.delta_status = "ignored"  # written for another base: harmless, ignored
                return None
            if (
                type(files) is not dict
                or type(dirs) is not dict
                or type(rm_files) is not frozenset
                or type(rm_dirs) is not frozenset
                or type(has_listing) is not bool
                or not all(type(k) is str and type(r) is tuple and len(r) == FILE_FIELDS for k, r in files.items())
                or not all(type(k) is str and type(r) is tuple and len(r) == DIR_FIELDS for k, r in dirs.items())
            ):
                raise ValueError("bad shape")
        except Exception:  # torn, corrupt, planted: ignored (the base alone is right)
            self.delta_status = "corrupt"
            return None
        self.delta_status = "loaded"
        return (files, rm_files, dirs, rm_dirs, has_listing, listing), dstat

    def apply_delta(self, changes: tuple[Any, ...], dstat: tuple[int, int, int]) -> None:
        files, rm_files, dirs, rm_dirs, has_listing, listing = changes
        self.files.update(files)
        for k in rm_files:
            self.files.pop(k, None)
        self.dirs.update(dirs)
        for k in rm_dirs:
            self.dirs.pop(k, None)
        if has_listing:
            self.listing = listing
        self.delta = (files, rm_files, dirs, rm_dirs, has_listing)
        self.delta_stat = dstat

    def mark(self) -> None:
        """Call (under ``lock``) before changing ``files``, ``dirs`` or ``listing``: the
        next ``save`` then knows what changed and may write only that."""
        if self.snap is None:
            self.snap = (dict(self.files), dict(self.dirs), self.listing)

    def save(self) -> bool:
        """Write atomically; any OS error (read-only project, full disk) is ignored. A few
        changed records go to the delta file (the base stays as it is); more, or
        changes not announced by ``mark()``, make a new base."""
        d = os.path.dirname(self.path)
        if read_only(d):
            return False
        delta = self._next_delta()
        if delta is not None:
            try:
                blob = pickle.dumps((_header(self.default_file), self.base_id, *delta), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                return False
            if not write_cache_file(self.delta_path, DELTA_MAGIC, blob):
                return False
            self.delta = delta[:5]
            self.delta_stat = _stat3(self.delta_path)
            self.delta_status = "loaded"
            self.snap = None
            return True
        base_id = os.urandom(8).hex()
        try:
            listing = self.listing
            listing_blob = None if listing is None else pickle.dumps(listing, protocol=pickle.HIGHEST_PROTOCOL)
            blob = pickle.dumps(
                (_header(self.default_file), self.files, self.dirs, listing_blob, base_id),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except Exception:  # exotic YAML values: run without a cache rather than fail
            return False
        if not write_cache_file(self.path, MAGIC, blob):
            return False
        # The old delta names the old base, so it no longer applies; remove it so nobody
        # reads it for nothing (a crash before this line leaves it: still harmless).
        with contextlib.suppress(OSError):
            os.unlink(self.delta_path)  # not-a-spec-file: the cache's own delta
        self.loaded_stat = _stat3(self.path)
        self.base_id, self.base_n, self.base_listing = base_id, len(self.files), self.listing
        self.delta, self.delta_stat, self.delta_status, self.snap = _NO_DELTA, None, "missing", None
        self.status = "loaded"
        return True

    def _next_delta(self) -> tuple[Any, ...] | None:
        """The delta (files, removed files, dirs, removed dirs, has listing, listing)
        from the base on disk to the view in memory, or None when a new base is due."""
        snap = self.snap
        if snap is None or self.status != "loaded" or self.base_id is None:
            return None
        sfiles, sdirs, _slisting = snap
        old_files, old_rm_files, old_dirs, old_rm_dirs, _old_has = self.delta
        get = sfiles.get
        files = {**old_files, **{k: v for k, v in self.files.items() if get(k) is not v}}
        gone = sfiles.keys() - self.files.keys()
        for k in gone:
            files.pop(k, None)
        rm_files = frozenset((old_rm_files - files.keys()) | gone)
        get = sdirs.get
        dirs = {**old_dirs, **{k: v for k, v in self.dirs.items() if get(k) is not v}}
        gone = sdirs.keys() - self.dirs.keys()
        for k in gone:
            dirs.pop(k, None)
        rm_dirs = frozenset((old_rm_dirs - dirs.keys()) | gone)
        n = len(files) + len(rm_files) + len(dirs) + len(rm_dirs)
        if n > DELTA_MAX_RECORDS or n * DELTA_FRACTION > self.base_n:
            return None  # compact: a new base
        listing = self.listing
        has_listing = listing is not self.base_listing and listing != self.base_listing
        return files, rm_files, dirs, rm_dirs, has_listing, listing if has_listing else None

    def refresh_from_disk(self) -> None:
        """Pick up what other processes saved since we loaded (cheap stat checks): a new
        base (and its delta), or a new delta for our base."""
        st = _stat3(self.path)
        if st is None:
            return
        if st != self.loaded_stat:
            other = MetaCache(self.path, self.default_file)
            other.load()
            if other.status == "loaded":
                # Entries validate themselves, so merging in either direction is safe.
                with self.lock:
                    self.files.update(other.files)
                    self.dirs.update(other.dirs)
                    if other.listing is not None:  # it validates itself too (stamps)
                        self.listing = other.listing
                    self.loaded_stat = other.loaded_stat
                    # Now on top of the other's base: what we hold beyond it is unsaved.
                    self.status = "loaded"
                    self.base_id, self.base_n, self.base_listing = other.base_id, other.base_n, other.base_listing
                    self.delta, self.delta_stat, self.delta_status = other.delta, other.delta_stat, other.delta_status
                    self.snap = (other.files, other.dirs, other.listing)
            return
        if self.base_id is None or _stat3(self.delta_path) in (None, self.delta_stat):
            return
        found = self.read_delta()
        if found is not None:
            with self.lock:
                self.mark()  # what we hold beyond the disk stays unsaved
                changes, dstat = found
                files, _rm_files, dirs, _rm_dirs, has_listing, listing = changes
                # Merged, not replaced (as for a base): removals are left to our own
                # next full listing, which drops records of folders that are gone.
                self.apply_delta((files, frozenset(), dirs, frozenset(), has_listing and listing is not None, listing), dstat)
                self.delta = changes[:5]


def _stat3(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


_memo: dict[str, MetaCache] = {}
_memo_lock = _thread.allocate_lock()


def cache_path(store: Store) -> str:
    return os.path.join(str(store.root), CACHE_DIR, CACHE_FILE)


def get_cache(store: Store, *, refresh: bool = True) -> MetaCache:
    """This process's view of the cache file; ``refresh``: merge what other processes
    saved since (a warm server skips that: its journal already says what changed)."""
    path = cache_path(store)
    with _memo_lock:
        c = _memo.get(path)
        if c is None or c.default_file != store.config.default_file:
            c = MetaCache(path, store.config.default_file)
            c.load(freeze=not _memo)
            _memo[path] = c
        elif refresh:
            c.refresh_from_disk()
        return c


def forget(store: Store) -> None:
    with _memo_lock:
        _memo.pop(cache_path(store), None)


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
        dpath = str(e.dir)
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
        dpath = str(e.dir)
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
        path = f"{e.dir}/{self.default_file}"
        # stat BEFORE reading: if the file changes while we read, the recorded key is
        # the old one and the next load sees a mismatch (never new key + old bytes).
        try:
            dst = os.stat(e.dir)
            # The containment rule (confine.open_read): a README or spec folder that is
            # a symlink out of the project is the store's load problem, never read.
            fd = confine.open_read(path, str(e.dir), self.store.spec_base())
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
            fm_blob = pickle.dumps(parsed.frontmatter, protocol=pickle.HIGHEST_PROTOCOL)
            cols = columns(spec)
            if tuple(meta) != meta_keys():
                return parsed  # unreachable: to_dict() has one shape
            meta["sub_specs"] = None  # filled per listing (the folder has its own key)
            # The values only (META_KEYS order): half the bytes of the dict.
            meta_blob = pickle.dumps(tuple(meta.values()), protocol=pickle.HIGHEST_PROTOCOL)
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
        live_dirs = {str(e.dir)[n:] for e in entries}
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
