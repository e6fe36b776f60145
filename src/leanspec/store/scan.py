"""The spec-folder listing: which spec folders exist, found by walking the specs
folder (``archived/`` and group folders included), and the shortcuts that spare a
10,000-folder walk: a remembered listing reused while no container folder changed,
lookups by number or exact name that list names with ``os.listdir`` and a regex, and a
listing persisted by another process (through the metadata cache) adopted when every
container still has the stamp it had then. Reads folder names only; never a file.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..core import refs
from ..core.ctxmanager import contextmanager
from ..core.refs import Entry
from . import fsutil
from .names import FolderNames, for_specs_dir

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

# Lookups by exact folder name stat "container/name"; on a case-insensitive file system
# that would also find "001-Foo" for "001-foo", so they list folders there instead.
_CASE_SENSITIVE_FS = sys.platform.startswith("linux")


class Scanner:
    """The spec folders under one specs folder. ``memo``: the remembered
    (containers, stamps, listing) of the last walk, or None."""

    def __init__(self, specs_dir: Path, clock_dir: str | None = None) -> None:
        self.specs_dir = specs_dir
        self.memo: tuple[Any, ...] | None = None
        # The cache folder whose probe file gives the file system's clock (None: the
        # wall clock decides when a container's stamp may be kept).
        self.clock_dir = clock_dir
        self._names: FolderNames | None = None
        # Set while a create runs: the names it looks up are stale once its folder is
        # renamed into place, so writing them out would only cost time.
        self.defer_names_save = False

    @contextmanager
    def names_save_deferred(self) -> Iterator[None]:
        """While a create runs, lookups keep what they learn in memory only (see
        ``defer_names_save``)."""
        was, self.defer_names_save = self.defer_names_save, True
        try:
            yield
        finally:
            self.defer_names_save = was

    def folder_names(self) -> FolderNames | None:
        """The persisted container names (store/names.py); None without a cache folder."""
        if self._names is None and self.clock_dir is not None:
            self._names = for_specs_dir(str(self.specs_dir), self.clock_dir)
        return self._names

    def listdir(self, d: Path, rel: str) -> list[str]:
        """``os.listdir(d)`` for container ``rel``, from the persisted names when the
        folder's stamp says they are current (store/names.py), else listed and recorded."""
        fn = self.folder_names()
        if fn is None or not fsutil.cache_enabled():
            return os.listdir(d)
        st = os.stat(d)
        got = fn.names(rel, st)
        if got is not None:
            return got
        fn.probe()  # before the stat that is recorded, which is before the listing
        st = os.stat(d)
        listed = os.listdir(d)
        fn.record(rel, st, listed)
        return listed

    def probe(self) -> tuple[int, int] | None:
        """The file system's "now" (``fsutil.probe_fs_time``), taken before a full
        listing; None without a cache (``LEANSPEC_NO_CACHE``) or where none can be written."""
        if self.clock_dir is None or not fsutil.cache_enabled():
            return None
        return fsutil.probe_fs_time(self.clock_dir)

    def collect(
        self, want: Callable[[str, int], bool] | None, *, watch: Callable[[str], bool] | None = None
    ) -> list[Entry]:
        """The spec folders ``want(name, number)`` accepts (all when None), sorted.

        One ``os.scandir`` pass over the names; an ``Entry`` (and its ``Path``) is built
        only for accepted folders, so looking one spec up among 10,000 stays cheap.
        ``watch(folder)`` (a warm listing's change journal) is called for every
        container before it is listed; it always scans.
        """
        memo = self.fresh_memo() if watch is None else None
        if memo is not None and memo[2] is not None:
            # No folder added, removed or renamed since the last full listing.
            return list(memo[2]) if want is None else [e for e in memo[2] if want(e.name, e.number)]
        out: list[Entry] = []
        if not self.specs_dir.is_dir():
            return out
        # The file system's clock BEFORE listing (a full listing is the one persisted):
        # a container changed after this has a ctime the stamp rule does not trust.
        probe = self.probe() if want is None else None
        containers: list[tuple[Path, str, bool, str | None]] = []
        # A full listing also records each container's names for later lookups
        # (store/names.py), so `view 42` after a `list` does not list the folder again.
        rec = self.folder_names() if want is None and fsutil.cache_enabled() else None
        self.walk(self.specs_dir, "", False, None, out, 0, want, containers, watch, rec)
        out.sort(key=lambda e: (e.number if e.number is not None else 10**9, e.rel))
        self.remember_containers(containers, out if want is None else None, probe)
        if rec is not None:
            rec.save()
        return out

    def walk(
        self,
        d: Path,
        rel: str,
        archived: bool,
        group: str | None,
        out: list[Entry],
        depth: int,
        want: Callable[[str, int], bool] | None = None,
        containers: list[tuple[Path, str, bool, str | None]] | None = None,
        watch: Callable[[str], bool] | None = None,
        rec: FolderNames | None = None,
    ) -> None:
        if watch is not None:
            watch(str(d))  # before listing: a change after this is an event
        try:
            if rec is not None:
                rec.probe()  # the clock before the stat, the stat before the listing
                st = os.stat(d)
            it = list(os.scandir(d))
        except OSError:
            return
        if rec is not None:
            rec.record(rel, st, [de.name for de in it])
        if containers is not None:
            containers.append((d, rel, archived, group))
        # An entry keeps scandir's path string (Entry makes the Path only if asked):
        # a Path per folder was a third of a 10,000-spec scan. Checked once per folder
        # listed: the string must be the one `str(d / name)` gives.
        child = d.__truediv__
        parse = refs.parse_dir_name
        is_tmp = fsutil.is_tmp
        fast_str = True
        checked = False
        for de in it:
            name = de.name
            if name.startswith(".") or is_tmp(name) or not de.is_dir():
                continue
            if depth == 0 and name == "archived" and not archived:
                self.walk(child(name), f"{rel}{name}/", True, None, out, depth + 1, want, containers, watch, rec)
                continue
            parsed = parse(name)
            if parsed is not None:
                if want is None or want(name, parsed[0]):
                    if not checked:
                        checked = True
                        fast_str = str(child(name)) == de.path
                    out.append(Entry(name, parsed[0], de.path if fast_str else child(name), f"{rel}{name}", archived, group))
            elif depth < 3:
                # Any other folder is a group folder (TS custom patterns).
                g = f"{group}/{name}" if group else name
                self.walk(child(name), f"{rel}{name}/", archived, g, out, depth + 1, want, containers, watch, rec)

    # Spec folders sit directly in the specs dir, in archived/ or in group folders
    # ("containers"); adding, removing or renaming one changes its container's mtime
    # and ctime. While no container changed, a long-lived Store (MCP, web, validate's
    # per-spec lookups) reuses its last full listing, and a lookup by exact folder name
    # checks the few "container/name" paths instead of listing 10,000 folders. Editing
    # a README changes no container, and READMEs are re-checked by the cache anyway.
    # A stamp is kept only when it is settled (``fsutil.stamp_settled``): its ctime is
    # below the file system's clock as probed before the listing (minus a guard), or,
    # without a probe, 2 s old by the wall clock; so a change in the same timestamp
    # tick as the listing (which could leave the stamp as it was) is never hidden.

    def remember_containers(
        self,
        containers: list[tuple[Path, str, bool, str | None]],
        listing: list[Entry] | None,
        probe: tuple[int, int] | None = None,
    ) -> None:
        """Keep the containers' stamps (and ``listing``, a full listing made after
        ``probe`` was taken) if every stamp is settled; else forget them."""
        now = time.time_ns()
        stamps = []
        settled = fsutil.stamp_settled
        for c in containers:
            try:
                st = os.stat(c[0])
            except OSError:
                self.memo = None
                return
            if not settled(st, probe, now):
                self.memo = None
                return
            # ctime too: os.utime can put an mtime back (rsync -a, tar), never a ctime.
            stamps.append((st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
        self.memo = (containers, stamps, list(listing) if listing is not None else None)

    def fresh_memo(self) -> Any:
        """The remembered (containers, stamps, listing) if no container changed, else None."""
        memo = self.memo
        if memo is None:
            return None
        for (d, _rel, _archived, _group), stamp in zip(memo[0], memo[1], strict=True):
            try:
                st = os.stat(d)
            except OSError:
                self.memo = None
                return None
            if (st.st_mtime_ns, st.st_ino, st.st_ctime_ns) != stamp:
                self.memo = None
                return None
        return memo

    def listing_state(self) -> tuple[Any, ...] | None:
        """The remembered full listing in a plain form the metadata cache can persist
        (see ``adopt_listing``), or None when there is none to trust."""
        memo = self.memo
        if memo is None or memo[2] is None:
            return None
        cpos = {rel: i for i, (_d, rel, _a, _g) in enumerate(memo[0])}
        try:
            ents = [(cpos[e.rel[: len(e.rel) - len(e.name)]], e.name, e.number) for e in memo[2]]
        except KeyError:  # an entry outside the listed containers: never persist it
            return None
        conts = tuple((rel, archived, group) for _d, rel, archived, group in memo[0])
        return (str(self.specs_dir), conts, tuple(memo[1]), tuple(ents))

    def adopt_listing(self, state: Any) -> list[Entry] | None:
        """A listing another process persisted (``listing_state``), if every container
        folder still has the stamp it had then: a spec folder added, removed or renamed
        changes its container's mtime and ctime, so an unchanged container has the same
        children (stamps are only kept when settled on the file system's clock, see
        ``remember_containers``). This spares a fresh process the 10,000-name scan.
        None when anything differs or looks wrong: the caller scans."""
        try:
            root, conts, stamps, ents = state
            if root != str(self.specs_dir) or len(conts) != len(stamps):
                return None
            paths: list[Path] = []
            for rel, _archived, _group in conts:
                d = self.specs_dir
                for part in rel.split("/")[:-1]:
                    d = d / part
                paths.append(d)
            for d, stamp in zip(paths, stamps, strict=True):
                st = os.stat(d)
                if (st.st_mtime_ns, st.st_ino, st.st_ctime_ns) != tuple(stamp):
                    return None
            out: list[Entry] = []
            append = out.append
            # Each entry gets its folder's path string (Entry makes the Path if asked).
            strs = [str(d) + os.sep for d in paths]
            for ci, name, number in ents:
                rel, archived, group = conts[ci]
                append(Entry(name, number, strs[ci] + name, rel + name, archived, group))
        except (OSError, TypeError, ValueError, IndexError):
            return None
        if out and str(self.specs_dir.joinpath(out[0].rel)) != out[0].dir_str:
            return None
        containers = [(d, rel, archived, group) for d, (rel, archived, group) in zip(paths, conts, strict=True)]
        self.memo = (containers, [tuple(x) for x in stamps], list(out))
        return out

    def named(self, name: str) -> list[Entry] | None:
        """Every folder called ``name`` (the same as filtering ``entries()``), or None
        when the remembered containers may be out of date."""
        if not _CASE_SENSITIVE_FS:
            return None
        memo = self.fresh_memo()
        if memo is None:
            return None
        found: list[Entry] = []
        for d, rel, archived, group in memo[0]:
            p = d / name
            if p.is_dir():
                parsed = refs.parse_dir_name(name)
                if parsed is not None:
                    found.append(Entry(name, parsed[0], p, f"{rel}{name}", archived, group))
        found.sort(key=lambda e: (e.number if e.number is not None else 10**9, e.rel))
        return found

    def lookup(
        self,
        find: Callable[[str], list[str]],
        want: Callable[[str, int], bool],
        root_names: list[str] | None = None,
    ) -> list[Entry] | None:
        """The spec folders ``want(name, number)`` accepts (what ``collect(want)`` returns),
        listing each container with ``os.listdir`` and letting ``find`` (a regex over the
        newline-joined names: C speed) pick a superset of the candidates, instead of one
        Python step per folder: ~4 ms instead of ~25 ms among 10,000 folders. The walk is
        ``walk``'s: hidden and temp names skipped, ``archived/`` at the top, group
        folders down to depth 3. None when a name holds a newline (use ``collect``).
        ``root_names``: the specs folder's names, when they were just listed."""
        memo = self.fresh_memo()
        if memo is not None and memo[2] is not None:
            return [e for e in memo[2] if want(e.name, e.number)]
        out: list[Entry] = []
        containers: list[tuple[Path, str, bool, str | None]] = []
        todo: list[tuple[Path, str, bool, str | None, int]] = [(self.specs_dir, "", False, None, 0)]
        parse = refs.parse_dir_name
        is_tmp = fsutil.is_tmp
        isdir = os.path.isdir
        while todo:
            d, rel, archived, group, depth = todo.pop()
            try:
                names = root_names if depth == 0 and root_names is not None else self.listdir(d, rel)
            except OSError:
                continue
            containers.append((d, rel, archived, group))
            joined = "\n" + "\n".join(names) if names else ""
            if joined.count("\n") != len(names):
                return None
            child = getattr(d, "_make_child_relpath", d.__truediv__)
            for name in find(joined):
                parsed = parse(name)
                if parsed is not None and not is_tmp(name):
                    p = child(name)
                    if isdir(p) and want(name, parsed[0]):
                        out.append(Entry(name, parsed[0], p, f"{rel}{name}", archived, group))
            for name in refs.not_spec_names(joined):
                if depth >= 3 or name.startswith(".") or is_tmp(name):
                    continue
                p = child(name)
                if not isdir(p):
                    continue
                if depth == 0 and name == "archived" and not archived:
                    todo.append((p, f"{rel}{name}/", True, None, depth + 1))
                elif depth < 3:
                    g = f"{group}/{name}" if group else name
                    todo.append((p, f"{rel}{name}/", archived, g, depth + 1))
        out.sort(key=lambda e: (e.number if e.number is not None else 10**9, e.rel))
        self.remember_containers(containers, None)
        fn = self._names
        if fn is not None and not self.defer_names_save:
            fn.save()
        return out

    def candidates(self, ref: str, root_names: list[str] | None = None) -> list[Entry] | None:
        """The only folders ``refs.resolve(ref, entries())`` can answer with, when that is
        certain from the reference alone: a number (every folder with that number) or an
        exact folder name that exists. None: resolve against every entry."""
        r = refs.normalize_ref(str(ref))
        if not r:
            return None
        last = r.rsplit("/", 1)[-1]
        if last.isdigit():
            try:
                n = int(last)
            except ValueError:
                return None
            found = self.lookup(refs.number_finder(n), lambda _name, num: num == n, root_names)
            return found if found is not None else self.collect(lambda _name, num: num == n)
        if last.startswith(".") or fsutil.is_tmp(last) or refs.parse_dir_name(last) is None:
            return None
        hits = self.named(last)
        if hits is None:
            hits = self.lookup(refs.name_finder(last), lambda name, _num: name == last, root_names)
        if hits is None:
            hits = self.collect(lambda name, _num: name == last)
        return hits or None  # no such folder: a slug or title match is still possible

    def max_number(self) -> int | None:
        """The highest spec number in use (archived and group folders included)."""
        top: list[int] = []

        def see(_name: str, num: int) -> bool:
            if not top or num > top[0]:
                top[:] = [num]
            return False

        # Only the folders with the highest number in each listing are checked, not all
        # 10,000; if one of them is no folder (a file "999-x.md"), a lower number may be
        # the answer there: list everything.
        offered: list[str] = []
        seen: list[str] = []

        def find(joined: str) -> list[str]:
            names = refs.top_names(joined)
            offered.extend(names)
            return names

        def see_top(name: str, num: int) -> bool:
            seen.append(name)
            return see(name, num)

        if self.lookup(find, see_top) is None or len(seen) != len(offered):
            top.clear()
            self.collect(see)
        return top[0] if top else None

    def moved_to_archive(self, e: Entry) -> Entry | None:
        if e.archived or e.dir.exists():
            return None
        d = self.specs_dir / "archived" / e.name
        if not d.is_dir():
            return None
        return Entry(e.name, e.number, d, f"archived/{e.name}", True, None)
