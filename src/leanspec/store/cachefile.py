"""The metadata cache's files: the base (``specs.pickle``) and the delta beside it
(``specs-delta.pickle``), loaded through the allow-list unpickler, merged, and saved
atomically (a small delta when few records changed, else a new base). One in-memory
view per project and process (``get_cache``). ``store/cache.py`` has the design and the
read path that validates every record against the files.
"""

from __future__ import annotations

import _thread  # threading.Lock without importing threading (~0.5 ms)
import gc
import io
import os
import sys

from ..core import confine
from ..core.pickling import PROTOCOL, dumps
from .cachedspec import SafeUnpickler, meta_keys, unpickle_blob
from .fsutil import CACHE_DIR, cache_enabled, cache_key, read_only, write_cache_file

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Protocol

    from ..core.config import Config

    class ProjectRef(Protocol):
        """Where a project's cache lives (``store.Store`` is one)."""

        root: Path
        config: Config

CACHE_FILE = "specs.pickle"
FORMAT = 8  # 8: record slot 9 = to_dict() as JSON halves (cachedspec.meta_halves); 4: record slot 10 = facts.facts_key; 5: entries made under the containment rule;
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
UNREAD: Any = ("the base's listing, replaced by the delta's and never unpickled",)
MAX_CACHE_BYTES = 512 * 1024 * 1024


def base_magic() -> bytes:
    """The base file's first bytes: MAGIC and this user's key (``fsutil.cache_key``): a
    base planted in a repository is foreign before anything in it is unpickled."""
    return MAGIC + cache_key()


def delta_magic() -> bytes:
    return DELTA_MAGIC + cache_key()


def enabled() -> bool:
    return cache_enabled()


def _header(default_file: str) -> tuple[Any, ...]:
    from .. import __version__

    # META_KEYS too: record slot 9 holds to_dict()'s values in that order, so a file
    # written by code with another shape is foreign, not misread.
    return (FORMAT, sys.version_info[:2], __version__, default_file, meta_keys())


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
        magic = base_magic()
        if not data.startswith(magic):
            self.status = "foreign"
            return
        # Unpickling 10,000 small dicts would trigger the cyclic GC dozens of times
        # (none of it is garbage); pausing it makes the load ~3x faster.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            buf = io.BytesIO(data)  # shares data's buffer (no 10 MB copy to skip MAGIC)
            buf.seek(len(magic))
            payload = SafeUnpickler(buf).load()
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
            self.base_listing = UNREAD  # the delta's listing replaces it: never unpickled
        else:
            # Kept pickled in the base (a blob): unpickled only when no delta replaces it.
            try:
                listing = None if listing_blob is None else unpickle_blob(listing_blob)
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
            dmagic = delta_magic()
            if len(data) > MAX_DELTA_BYTES or not data.startswith(dmagic):
                raise ValueError("not a delta")
            buf = io.BytesIO(data)
            buf.seek(len(dmagic))
            header, base_id, files, rm_files, dirs, rm_dirs, has_listing, listing = SafeUnpickler(buf).load()
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
                blob = dumps((_header(self.default_file), self.base_id, *delta), protocol=PROTOCOL)
            except Exception:
                return False
            if not write_cache_file(self.delta_path, delta_magic(), blob):
                return False
            self.delta = delta[:5]
            self.delta_stat = _stat3(self.delta_path)
            self.delta_status = "loaded"
            self.snap = None
            return True
        base_id = os.urandom(8).hex()
        try:
            listing = self.listing
            listing_blob = None if listing is None else dumps(listing, protocol=PROTOCOL)
            blob = dumps(
                (_header(self.default_file), self.files, self.dirs, listing_blob, base_id),
                protocol=PROTOCOL,
            )
        except Exception:  # exotic YAML values: run without a cache rather than fail
            return False
        if not write_cache_file(self.path, base_magic(), blob):
            return False
        # The old delta names the old base, so it no longer applies; remove it so nobody
        # reads it for nothing (a crash before this line leaves it: still harmless).
        try:
            os.unlink(self.delta_path)  # not-a-spec-file: the cache's own delta
        except OSError:
            pass
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


def cache_path(store: ProjectRef) -> str:
    return os.path.join(str(store.root), CACHE_DIR, CACHE_FILE)


def get_cache(store: ProjectRef, *, refresh: bool = True) -> MetaCache:
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


def forget(store: ProjectRef) -> None:
    with _memo_lock:
        _memo.pop(cache_path(store), None)
