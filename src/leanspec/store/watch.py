"""A change journal for long-lived processes (MCP server, web UI): Linux inotify.

A warm server answering ``list`` for 10,000 specs cannot ``stat`` 10,000 READMEs per
call, and an in-place README edit changes no folder's mtime. inotify tells us exactly
what changed, with no delivery delay: the kernel queues an event before the writer's
syscall (write, rename, unlink, utime, chmod) returns, so a non-blocking drain of the
queue at the start of a call sees every change that completed before the call. (A
watcher thread, like watchfiles', would add its own polling delay.)

What is watched: the specs folder, ``archived/``, group folders ("containers") and
every spec folder. An event in a spec folder re-validates that one spec; an event in
a container (a folder created, deleted or renamed), a lost event (queue overflow), a
watch that disappeared or anything else unexpected makes the caller fall back to the
full ``stat`` validation (the CLI's path). Watches are always added *before* the
folder is listed or its README checked, so a change is either seen by that check or
queued as an event.

Not trusted (always ``stat``-validated, like the CLI): a README that is a symlink (its
target's folder is not watched) or has several hard links (a write through another
link notifies the other folder), and folders on file systems outside an allow-list of
local ones (network file systems change behind the kernel's back). A file changed
through a shared ``mmap`` produces no event; no editor or git writes that way.

Only ``store.py`` uses this module; nothing here reads spec files.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
MASK = (
    IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
)
_SELF_GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
_EVENT = struct.Struct("iIII")

# statfs f_type of local file systems whose changes all go through this kernel.
LOCAL_FS = frozenset(
    {
        0xEF53,  # ext2/3/4
        0x58465342,  # xfs
        0x9123683E,  # btrfs
        0x01021994,  # tmpfs
        0xF2F52010,  # f2fs
        0x2FC12FC1,  # zfs
        0xCA451A4E,  # bcachefs
        0x52654973,  # reiserfs
        0x3153464A,  # jfs
    }
)


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.statfs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return libc


def fs_type(libc: Any, path: str) -> int | None:
    buf = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes on x86_64/arm64
    if libc.statfs(os.fsencode(path), buf) != 0:
        return None
    return int(ctypes.c_long.from_buffer(buf).value) & 0xFFFFFFFF


@dataclass
class Drained:
    """What happened since the last drain: the spec folders (absolute paths) whose
    contents changed, and ``structural`` when folders may have come or gone (then
    ``names`` holds the container entries reported as created, deleted or renamed;
    a re-scan re-checks those, and everything under a container that is new)."""

    structural: bool = False
    dirs: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # container/name paths created, deleted or renamed


class Journal:
    """One inotify instance. Not thread-safe: its owner serialises calls."""

    def __init__(self, libc: Any, fd: int) -> None:
        self.libc = libc
        self.fd = fd
        self.path_of: dict[int, str] = {}  # wd -> folder path
        self.is_spec: dict[int, bool] = {}  # wd -> spec folder (else a container)
        self.wd_of: dict[str, int] = {}  # folder path -> wd
        self.local_devs: dict[int, bool] = {}  # st_dev -> on an allow-listed file system
        self.broken = False
        self._finalizer = weakref.finalize(self, _close_fd, fd)

    @classmethod
    def open(cls) -> Journal | None:
        """A journal, or None where inotify is unavailable (not Linux, no instances
        left, ...): the caller then validates with ``stat`` as the CLI does."""
        if os.environ.get("LEANSPEC_NO_WATCH", "").strip() in ("1", "true", "yes", "on"):
            return None
        libc = _libc()
        if libc is None:
            return None
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        return cls(libc, fd)

    def close(self) -> None:
        self.broken = True
        self._finalizer()

    def local(self, dev: int, path: str) -> bool:
        ok = self.local_devs.get(dev)
        if ok is None:
            t = fs_type(self.libc, path)
            ok = self.local_devs[dev] = t is not None and t in LOCAL_FS
        return ok

    def watch(self, path: str, *, spec: bool) -> bool:
        """Watch one folder (again: a re-add returns the same wd for the same folder).
        False: not watched (the caller must not trust it)."""
        if self.broken:
            return False
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), MASK | IN_ONLYDIR)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (28, 24, 12):  # ENOSPC (watch limit), EMFILE, ENOMEM: give up on watching
                self.close()
            return False
        old = self.path_of.get(wd)
        if old is not None and old != path and self.wd_of.get(old) == wd:
            del self.wd_of[old]  # the same folder under its new name
        prev = self.wd_of.get(path)
        if prev is not None and prev != wd:
            self.path_of.pop(prev, None)
            self.is_spec.pop(prev, None)
        self.path_of[wd] = path
        self.is_spec[wd] = spec
        self.wd_of[path] = wd
        return True

    def prune(self, live: set[str]) -> None:
        """Stop watching folders that are no longer listed (deleted, moved away —
        including out of the project, where their watch would keep reporting)."""
        for path in [p for p in self.wd_of if p not in live]:
            del self.wd_of[path]
        for wd in [w for w, p in self.path_of.items() if self.wd_of.get(p) != w]:
            del self.path_of[wd]
            self.is_spec.pop(wd, None)
            if not self.broken:
                self.libc.inotify_rm_watch(self.fd, wd)

    def drain(self) -> Drained | None:
        """Every event queued so far, or None when events may have been lost."""
        if self.broken:
            return None
        out = Drained()
        while True:
            try:
                buf = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return out
            except OSError:
                self.close()
                return None
            if not buf:
                return out
            off, n = 0, len(buf)
            while off < n:
                wd, mask, _cookie, ln = _EVENT.unpack_from(buf, off)
                name = buf[off + 16 : off + 16 + ln].rstrip(b"\0")
                off += 16 + ln
                if mask & IN_Q_OVERFLOW:
                    return None  # events were lost: everything is suspect
                path = self.path_of.get(wd)
                if path is None:
                    if not mask & IN_IGNORED:  # (the IGNORED of a watch we removed ourselves)
                        out.structural = True
                    continue
                if mask & _SELF_GONE and not name:
                    # The folder itself was deleted or moved: its container saw that too,
                    # but its path no longer names it.
                    if mask & IN_IGNORED:
                        self.path_of.pop(wd, None)
                        self.is_spec.pop(wd, None)
                        if self.wd_of.get(path) == wd:
                            del self.wd_of[path]
                    elif self.wd_of.get(path) == wd:
                        del self.wd_of[path]
                    out.structural = True
                    continue
                if self.is_spec.get(wd):
                    out.dirs.add(path)  # a README or sub-spec file, or the folder's mode
                    continue
                # A container: only its sub-folders matter; hidden and temp names are
                # skipped by every scan (in-flight creates, editor swap files).
                if name:
                    s = name.decode("utf-8", "surrogateescape")
                    if s.startswith(".") or _is_tmp(s):
                        continue
                    if mask == IN_MODIFY:
                        continue  # a plain file's contents: files are never specs here
                    out.names.add(f"{path}/{s}")
                out.structural = True


def _is_tmp(name: str) -> bool:
    from .fsutil import is_tmp

    return is_tmp(name)


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


class WarmState:
    """What a journaled Store keeps between listings: the last full scan and, per spec
    folder, its last result (a spec or a load problem). Guarded by ``lock``."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.lock = threading.Lock()
        self.full_passes = 0  # how often everything was re-checked (tests look at it)
        self.rescans = 0  # re-scans that kept the results of untouched folders
        self.reloaded = 0  # folders checked by the last (re-)scan
        self.unsaved = False  # cache records learnt but not written to the file yet
        self.saved_at = time.monotonic()
        self.complete = False  # the last pass re-checked every folder (saved like the CLI's)
        self.version = 0  # bumped whenever the listing may have changed
        self.memo: dict[Any, tuple[int, Any]] = {}  # derived values of the current version
        self.seen = threading.local()  # the version each thread's last load returned
        self.reset()

    def reset(self) -> None:
        self.entries: list[Any] | None = None  # the last full scan
        self.items: list[list[Any]] = []  # [entry, Spec | LoadProblem] in scan order
        self.index: dict[str, int] = {}  # folder path -> position in items
        self.always: set[str] = set()  # folders re-checked on every call (not trusted to events)
        self.budget: list[int] = [BODY_BUDGET]
        self.lists: dict[bool, tuple[list[Any], list[Any]]] = {}  # include_archived -> last answer

    # ------------------------------------------------------------------ listing
    def load(self, store: Any, sess: Any, include_archived: bool) -> Any:
        """``Store.load_all``'s result from the journal, or None: use the plain path.

        Holds the lock for the whole call: two threads of a server never validate the
        same folders at once, and ``results`` is never seen half-updated."""
        from ..core.model import ListResult

        with self.lock:
            self.seen.version = None  # until this call has an answer of a known version
            j = self.journal
            if j.broken:
                return None
            sess.journal = j
            sess.body_budget = self.budget
            ch = j.drain()
            if ch is not None and not ch.structural and not ch.dirs and not self.always:
                kept = self.lists.get(include_archived)
                if kept is not None:  # nothing changed at all: the last answer, copied
                    self.seen.version = self.version
                    return ListResult(list(kept[0]), list(kept[1]))
            self.lists = {}
            self.version += 1
            self.memo = {}
            if ch is None or self.entries is None:
                if not self._full(store, sess):
                    self.reset()
                    return None
            elif ch.structural:
                # Folders came or went: re-scan, re-check only what may differ.
                if not self._full(store, sess, dirty=ch.dirs, names=ch.names):
                    self.reset()
                    return None
            else:
                for d in ch.dirs | self.always:
                    if not self._recheck(store, sess, d):
                        if not self._full(store, sess, dirty=ch.dirs, names=ch.names):
                            self.reset()
                            return None
                        break
            self._persist(sess)
            res = self._result(store, include_archived)
            self.lists[include_archived] = (list(res.specs), list(res.problems))
            self.seen.version = self.version
            return res

    def _persist(self, sess: Any, *, now: bool = False) -> None:
        """Hand what this pass learnt to the cache file. Writing 10,000 records takes
        ~100 ms, so a warm server does it after a complete pass, then at most every
        ``SAVE_EVERY`` seconds (and when it stops): until then the records live in
        memory (where this process uses them) and other processes only re-read the
        few changed files."""
        c = sess.cache
        self.complete, complete = False, self.complete
        if sess.new_files or sess.new_dirs:
            with c.lock:
                c.mark()  # the save writes only what changed (cache.MetaCache.save)
                c.files.update(sess.new_files)
                c.dirs.update(sess.new_dirs)
            self.unsaved = True
        sess.new_files, sess.new_dirs = {}, {}
        if c.status != "loaded" or (
            self.unsaved and (now or complete or time.monotonic() - self.saved_at > SAVE_EVERY)
        ):
            sess.finish(self.entries or [], save=self.unsaved)  # drops records of gone folders; saves
            self.unsaved = False
            self.saved_at = time.monotonic()
        sess.finished = True  # later lazy sub-spec checks go straight to the cache

    def save(self, store: Any) -> None:
        """Write records kept in memory to the cache file (a server stopping)."""
        from . import cache

        with self.lock:
            sess = cache.session(store)
            if sess is not None and self.unsaved and self.entries is not None:
                self._persist(sess, now=True)

    def version_seen(self) -> int | None:
        """The version of the listing this thread's last ``load`` returned: the same
        number means the very same specs (nothing changed in between)."""
        return getattr(self.seen, "version", None)

    def remembered(self, version: int | None, key: Any) -> Any:
        """A value derived from listing ``version`` (see ``remember``), or None."""
        if version is None:
            return None
        with self.lock:
            hit = self.memo.get(key)
            return hit[1] if hit is not None and hit[0] == version else None

    def remember(self, version: int | None, key: Any, value: Any) -> None:
        """Keep a value derived from listing ``version`` (a sorted list, an encoded
        response) until the listing changes."""
        if version is None:
            return
        with self.lock:
            if version == self.version:
                if len(self.memo) >= 32:
                    self.memo.clear()
                self.memo[key] = (version, value)

    def _full(
        self, store: Any, sess: Any, dirty: set[str] | None = None, names: set[str] | None = None
    ) -> bool:
        """Re-scan and re-check everything, watching each folder before looking at it.

        With ``dirty`` (the folders that had events) and ``names`` (the container
        entries created, deleted or renamed) — a re-scan after folders came or went — a
        folder keeps its last result when its container was watched all along (the
        same watch descriptor: the kernel gives any other directory a new one), the
        container reported nothing about its name and the folder had no events."""
        from ..core.errors import LeanSpecError
        from ..core.model import LoadProblem

        j = self.journal
        late = j.drain()  # queued since the caller's drain: covered below too
        touched: set[str] = set()
        if dirty is not None and late is not None and self.entries is not None:
            touched = dirty | late.dirs | late.names | self.always | (names or set())
            old_wd: dict[str, int] | None = dict(j.wd_of)
            old_items, old_index = self.items, self.index
            self.rescans += 1
        else:
            old_wd = None
            old_items, old_index = [], {}
            self.full_passes += 1
            self.complete = True
        containers: list[str] = []
        unwatched: list[str] = []
        new_containers: set[str] = set()  # not watched as the same folder all along

        def on_container(path: str) -> bool:
            containers.append(path)
            before = old_wd.get(path) if old_wd is not None else None
            if not j.watch(path, spec=False):
                unwatched.append(path)
                return False
            if before is None or before != j.wd_of.get(path):
                new_containers.add(path)
            return True

        entries = store.collect(None, watch=on_container)
        if not containers or unwatched or j.broken:
            return False  # no specs folder yet, or a container we cannot watch
        items: list[list[Any]] = []
        index: dict[str, int] = {}
        always: set[str] = set()
        sess.untrusted = always
        self.reloaded = 0
        for e in entries:
            d = e.dir_str
            # Kept when its container was watched all along and reported no create,
            # delete or rename of this name, and the folder itself had no events: the
            # same folder, unchanged (its watch is still in place).
            if (
                old_wd is not None
                and d not in touched
                and (i := old_index.get(d)) is not None
                and d[: -len(e.name) - 1] not in new_containers
                and d in j.wd_of
            ):
                index[d] = len(items)
                items.append(old_items[i])
                continue
            if not j.watch(d, spec=True):
                if j.broken:
                    return False
                always.add(d)  # e.g. an unreadable folder: check it every time
            self.reloaded += 1
            try:
                r: Any = sess.load(e)
            except LeanSpecError as exc:
                if store.scanner.moved_to_archive(e) is not None:
                    return False  # moved while we listed: the plain path retries
                r = LoadProblem(store.rel(store.readme_path(e)), exc.code, exc.message)
            index[d] = len(items)
            items.append([e, r])
        j.prune(set(index) | set(containers))
        seen = [r.name for _e, r in items if not isinstance(r, LoadProblem)]
        if len(set(seen)) != len(seen):
            from collections import Counter

            twice = {n for n, k in Counter(seen).items() if k > 1}
            if any(
                not isinstance(r, LoadProblem) and r.name in twice and not (store.root / r.path).exists()
                for _e, r in items
            ):
                return False  # seen before and after a move: the plain path sorts it out
        self.entries = entries
        self.items = items
        self.index = index
        self.always = always
        if old_wd is None:  # every object is new: so is the bodies' memory budget
            self.budget = [BODY_BUDGET]
            sess.body_budget = self.budget
        return True

    def _recheck(self, store: Any, sess: Any, d: str) -> bool:
        """Re-validate one spec folder that had events. False: not a listed folder."""
        from ..core.errors import LeanSpecError
        from ..core.model import LoadProblem

        i = self.index.get(d)
        if i is None:
            return False
        item = self.items[i]
        e = item[0]
        sess.untrusted = set()
        try:
            r: Any = sess.load(e)
        except LeanSpecError as exc:
            r = LoadProblem(store.rel(store.readme_path(e)), exc.code, exc.message)
        if sess.untrusted:
            self.always.add(d)
        else:
            self.always.discard(d)
        old = item[1]
        item[1] = r
        _refund(self.budget, old)
        return True

    def _result(self, store: Any, include_archived: bool) -> Any:
        from ..core.model import ListResult, LoadProblem

        specs: list[Any] = []
        problems: list[Any] = []
        add = specs.append
        for e, r in self.items:
            if not include_archived and e.archived:
                continue
            if type(r) is LoadProblem:
                problems.append(r)
            elif include_archived or r.status != "archived":
                add(r)
        return ListResult(specs, problems)


BODY_BUDGET = 128 * 1024 * 1024  # bytes of bodies a warm listing keeps in memory
SAVE_EVERY = 30.0  # seconds between cache-file writes of a warm server


def _refund(budget: list[int], old: Any) -> None:
    from .cache import BODY_SLOT

    try:
        body = BODY_SLOT.__get__(old, type(old))
    except (AttributeError, TypeError):
        return
    if getattr(old, "_session", None) is not None and old._session.body_budget is budget:
        budget[0] += len(body)
