"""The store: the only code that reads or writes spec files.

Reads are lock-free (writers replace files atomically, so a reader sees the old or
the new file). Every write runs in ``Store.transaction()``: take the project lock,
re-read, change, validate, write atomically and durably, release. The read path goes
through ``_load_entry`` so a metadata cache can slot in behind it without callers
noticing.
"""

from __future__ import annotations

import _thread
import contextlib
import datetime as _dt
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..core import body as bodyops
from ..core import refs, templates
from ..core.config import CONFIG_DIR, Config, find_root, load_config
from ..core.digest import sha256_hex
from ..core.errors import (
    CompletionBlocked,
    Conflict,
    FileNotFoundInSpec,
    InvalidInput,
    LeanSpecError,
    MalformedSpec,
    ProjectNotFound,
    RelationshipError,
    WriteFailed,
)
from ..core.frontmatter import Document
from ..core.model import PRIORITIES, STATUSES, LoadProblem, Spec, WriteResult, checklist_counts
from ..core.refs import Entry
from ..core.values import Value
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

LOCK_NAME = "write.lock"
# Lookups by exact folder name stat "container/name"; on a case-insensitive file system
# that would also find "001-Foo" for "001-foo", so they list folders there instead.
_CASE_SENSITIVE_FS = sys.platform.startswith("linux")
MAX_SPEC_BYTES = 64 * 1024 * 1024


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def iso_ms(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def content_hash(data: bytes) -> str:
    return sha256_hex(data)  # hashlib, or the built-in module on one-spec commands


_NEW: Any = object()  # UpdateOps' default for a list/dict field: a new empty one


class UpdateOps(Value):
    """Everything ``update`` can change in one spec, applied in one transaction.

    A plain class, not @dataclass: importing ``dataclasses`` costs ~6-10 ms of every
    run. Same init (a fresh list/dict per default), repr, equality (same class, field
    by field), unhashable, ``__match_args__``; ``replace()`` for ``dataclasses.replace``
    (tests/test_plain_classes.py compares them with the dataclass)."""

    _FIELDS = (
        "status",
        "priority",
        "assignee",
        "tags",
        "add_tags",
        "remove_tags",
        "fields",
        "replacements",
        "checks",
        "sections",
        "content",
        "add_depends",
        "remove_depends",
        "clear_depends",
        "parent",
        "title",
    )
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = None,  # "" clears
        tags: list[str] | None = None,  # replace
        add_tags: list[str] = _NEW,
        remove_tags: list[str] = _NEW,
        fields: dict[str, Any] = _NEW,  # None value deletes
        replacements: list[tuple[str, str, str]] = _NEW,  # old, new, mode
        checks: list[tuple[str, bool]] = _NEW,
        sections: list[tuple[str, str, str]] = _NEW,  # heading, content, mode
        content: str | None = None,  # full body (or full file when it starts with ---)
        add_depends: list[str] = _NEW,
        remove_depends: list[str] = _NEW,
        clear_depends: bool = False,
        parent: str | None = None,  # "" clears
        title: str | None = None,
    ) -> None:
        self.status = status
        self.priority = priority
        self.assignee = assignee
        self.tags = tags
        self.add_tags = [] if add_tags is _NEW else add_tags
        self.remove_tags = [] if remove_tags is _NEW else remove_tags
        self.fields = {} if fields is _NEW else fields
        self.replacements = [] if replacements is _NEW else replacements
        self.checks = [] if checks is _NEW else checks
        self.sections = [] if sections is _NEW else sections
        self.content = content
        self.add_depends = [] if add_depends is _NEW else add_depends
        self.remove_depends = [] if remove_depends is _NEW else remove_depends
        self.clear_depends = clear_depends
        self.parent = parent
        self.title = title

    def replace(self, **changes: Any) -> UpdateOps:
        """A copy with ``changes`` (``dataclasses.replace``: the other values shared,
        an unknown name a TypeError)."""
        values = {n: getattr(self, n) for n in self._FIELDS}
        values.update(changes)
        return self.__class__(**values)

    def is_empty(self) -> bool:
        return self == UpdateOps()


class ListResult(Value):
    """A listing: the specs that loaded and the folders that did not.

    A plain class, not @dataclass (see UpdateOps): same init, repr, equality, unhashable."""

    __match_args__ = ("specs", "problems")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, specs: list[Spec], problems: list[LoadProblem]) -> None:
        self.specs = specs
        self.problems = problems


class Store:
    """One project on disk. Cheap to construct; holds no file handles."""

    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        *,
        clock: Callable[[], _dt.datetime] = utc_now,
    ) -> None:
        self.root = root.resolve()
        self.config = config or load_config(self.root)
        self.specs_dir = self.root / self.config.specs_dir
        self.clock = clock
        # Remembered by every scan, for lookups by folder name (see _named).
        self._containers: tuple[Any, ...] | None = None

    @classmethod
    def open(cls, root: str | Path | None = None, *, specs_dir: str | None = None) -> Store:
        if root is None:
            env = os.environ.get("LEANSPEC_PROJECT")
            found = Path(env) if env else find_root(Path.cwd())
            if found is None:
                raise ProjectNotFound(
                    "no LeanSpec project here (no .lean-spec/ or specs/ folder in this or any parent folder)",
                    hint="run `lean-spec init` or pass --project DIR",
                )
            root = found
        p = Path(root)
        if not p.is_dir():
            raise ProjectNotFound(f"project folder does not exist: {p}")
        overrides = {"specsDir": specs_dir} if specs_dir else None
        return cls(p, load_config(p, overrides))

    # ================================================================ reading
    def entries(self) -> list[Entry]:
        """Every spec folder, including archived and group folders, sorted."""
        return self._collect(None)

    def _collect(
        self, want: Callable[[str, int], bool] | None, *, watch: Callable[[str], bool] | None = None
    ) -> list[Entry]:
        """The spec folders ``want(name, number)`` accepts (all when None), sorted.

        One ``os.scandir`` pass over the names; an ``Entry`` (and its ``Path``) is built
        only for accepted folders, so looking one spec up among 10,000 stays cheap.
        ``watch(folder)`` (a warm listing's change journal) is called for every
        container before it is listed; it always scans.
        """
        memo = self._fresh_memo() if watch is None else None
        if memo is not None and memo[2] is not None:
            # No folder added, removed or renamed since the last full listing.
            return list(memo[2]) if want is None else [e for e in memo[2] if want(e.name, e.number)]
        out: list[Entry] = []
        if not self.specs_dir.is_dir():
            return out
        containers: list[tuple[Path, str, bool, str | None]] = []
        self._scan(self.specs_dir, "", False, None, out, 0, want, containers, watch)
        out.sort(key=lambda e: (e.number if e.number is not None else 10**9, e.rel))
        self._remember_containers(containers, out if want is None else None)
        return out

    def _scan(
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
    ) -> None:
        if watch is not None:
            watch(str(d))  # before listing: a change after this is an event
        try:
            it = list(os.scandir(d))
        except OSError:
            return
        if containers is not None:
            containers.append((d, rel, archived, group))
        # `d / name` without re-parsing the name (PurePath's own fast child constructor
        # where it exists): Path(de.path) per folder was a third of a 10,000-spec scan.
        child = getattr(d, "_make_child_relpath", d.__truediv__)
        parse = refs.parse_dir_name
        is_tmp = fsutil.is_tmp
        # CPython's PurePath caches its string in the `_str` slot; checked once per
        # folder listed (the first child's formatted string must equal scandir's).
        fast_str = any("_str" in getattr(k, "__slots__", ()) for k in type(d).__mro__)
        checked = False
        for de in it:
            name = de.name
            if name.startswith(".") or is_tmp(name) or not de.is_dir():
                continue
            if depth == 0 and name == "archived" and not archived:
                self._scan(child(name), f"{rel}{name}/", True, None, out, depth + 1, want, containers, watch)
                continue
            parsed = parse(name)
            if parsed is not None:
                if want is None or want(name, parsed[0]):
                    p = child(name)
                    if fast_str and not checked:
                        checked = True
                        fast_str = str(child(name)) == de.path
                    elif fast_str:
                        # scandir already built the path string: hand it to the Path so
                        # str() does not format it again (the cache keys by it).
                        p._str = de.path  # type: ignore[attr-defined,union-attr]
                    out.append(Entry(name, parsed[0], p, f"{rel}{name}", archived, group))
            elif depth < 3:
                # Any other folder is a group folder (TS custom patterns).
                g = f"{group}/{name}" if group else name
                self._scan(child(name), f"{rel}{name}/", archived, g, out, depth + 1, want, containers, watch)

    # Spec folders sit directly in the specs dir, in archived/ or in group folders
    # ("containers"); adding, removing or renaming one changes its container's mtime.
    # While no container changed, a long-lived Store (MCP, web, validate's per-spec
    # lookups) reuses its last full listing, and a lookup by exact folder name checks
    # the few "container/name" paths instead of listing 10,000 folders. Editing a
    # README changes no container, and READMEs are re-checked by the cache anyway.
    _RACY_NS = 2_000_000_000  # an mtime this close to the scan may hide a same-tick change

    def _remember_containers(
        self, containers: list[tuple[Path, str, bool, str | None]], listing: list[Entry] | None
    ) -> None:
        now = time.time_ns()
        stamps = []
        for c in containers:
            try:
                st = os.stat(c[0])
            except OSError:
                self._containers = None
                return
            if now - st.st_mtime_ns < self._RACY_NS:
                self._containers = None
                return
            # ctime too: os.utime can put an mtime back (rsync -a, tar), never a ctime.
            stamps.append((st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
        self._containers = (containers, stamps, list(listing) if listing is not None else None)

    def _fresh_memo(self) -> Any:
        """The remembered (containers, stamps, listing) if no container changed, else None."""
        memo = self._containers
        if memo is None:
            return None
        for (d, _rel, _archived, _group), stamp in zip(memo[0], memo[1], strict=True):
            try:
                st = os.stat(d)
            except OSError:
                self._containers = None
                return None
            if (st.st_mtime_ns, st.st_ino, st.st_ctime_ns) != stamp:
                self._containers = None
                return None
        return memo

    def _listing_state(self) -> tuple[Any, ...] | None:
        """The remembered full listing in a plain form the metadata cache can persist
        (see ``_adopt_listing``), or None when there is none to trust."""
        memo = self._containers
        if memo is None or memo[2] is None:
            return None
        cpos = {rel: i for i, (_d, rel, _a, _g) in enumerate(memo[0])}
        try:
            ents = [(cpos[e.rel[: len(e.rel) - len(e.name)]], e.name, e.number) for e in memo[2]]
        except KeyError:  # an entry outside the listed containers: never persist it
            return None
        conts = tuple((rel, archived, group) for _d, rel, archived, group in memo[0])
        return (str(self.specs_dir), conts, tuple(memo[1]), tuple(ents))

    def _adopt_listing(self, state: Any) -> list[Entry] | None:
        """A listing another process persisted (``_listing_state``), if every container
        folder still has the stamp it had then: a spec folder added, removed or renamed
        changes its container's mtime and ctime, so an unchanged container has the same
        children (stamps are only taken when they are 2 s old, see
        ``_remember_containers``). This spares a fresh process the 10,000-name scan.
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
            children = [getattr(d, "_make_child_relpath", d.__truediv__) for d in paths]
            strs = [str(d) + os.sep for d in paths]
            # As in _scan: hand each Path its string (CPython caches it in `_str`).
            fast_str = any("_str" in getattr(k, "__slots__", ()) for k in type(self.specs_dir).__mro__)
            for ci, name, number in ents:
                rel, archived, group = conts[ci]
                p = children[ci](name)
                if fast_str:
                    p._str = strs[ci] + name  # type: ignore[attr-defined,union-attr]
                append(Entry(name, number, p, rel + name, archived, group))
        except (OSError, TypeError, ValueError, IndexError):
            return None
        if out and fast_str and str(self.specs_dir.joinpath(out[0].rel)) != str(out[0].dir):
            return None
        containers = [(d, rel, archived, group) for d, (rel, archived, group) in zip(paths, conts, strict=True)]
        self._containers = (containers, [tuple(x) for x in stamps], list(out))
        return out

    def _named(self, name: str) -> list[Entry] | None:
        """Every folder called ``name`` (the same as filtering ``entries()``), or None
        when the remembered containers may be out of date."""
        if not _CASE_SENSITIVE_FS:
            return None
        memo = self._fresh_memo()
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

    def _lookup(
        self,
        find: Callable[[str], list[str]],
        want: Callable[[str, int], bool],
        root_names: list[str] | None = None,
    ) -> list[Entry] | None:
        """The spec folders ``want(name, number)`` accepts (what ``_collect(want)`` returns),
        listing each container with ``os.listdir`` and letting ``find`` (a regex over the
        newline-joined names: C speed) pick a superset of the candidates, instead of one
        Python step per folder: ~4 ms instead of ~25 ms among 10,000 folders. The walk is
        ``_scan``'s: hidden and temp names skipped, ``archived/`` at the top, group
        folders down to depth 3. None when a name holds a newline (use ``_collect``).
        ``root_names``: the specs folder's names, when they were just listed."""
        memo = self._fresh_memo()
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
                names = root_names if depth == 0 and root_names is not None else os.listdir(d)
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
        self._remember_containers(containers, None)
        return out

    def _candidates(self, ref: str, root_names: list[str] | None = None) -> list[Entry] | None:
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
            found = self._lookup(refs.number_finder(n), lambda _name, num: num == n, root_names)
            return found if found is not None else self._collect(lambda _name, num: num == n)
        if last.startswith(".") or fsutil.is_tmp(last) or refs.parse_dir_name(last) is None:
            return None
        hits = self._named(last)
        if hits is None:
            hits = self._lookup(refs.name_finder(last), lambda name, _num: name == last, root_names)
        if hits is None:
            hits = self._collect(lambda name, _num: name == last)
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

        if self._lookup(find, see_top) is None or len(seen) != len(offered):
            top.clear()
            self._collect(see)
        return top[0] if top else None

    def readme_path(self, e: Entry) -> Path:
        return e.dir / self.config.default_file

    def _rel(self, p: Path) -> str:
        return p.relative_to(self.root).as_posix()

    def _load_entry(self, e: Entry) -> Spec:
        """Read and parse one spec. The single place where the read path hits the disk
        (a metadata cache keyed by path/size/mtime/inode slots in here)."""
        path = self.readme_path(e)
        try:
            data = path.read_bytes()
            st = path.stat()
        except FileNotFoundError:
            raise MalformedSpec(f"{self._rel(e.dir)}: no {self.config.default_file} in the spec folder") from None
        except IsADirectoryError:
            raise MalformedSpec(f"{self._rel(path)}: is a folder, not a file") from None
        except OSError as exc:
            raise MalformedSpec(f"{self._rel(path)}: cannot read: {exc.strerror}") from None
        return self._parse(e, path, data, st.st_size, st.st_mtime)

    def _parse(self, e: Entry, path: Path, data: bytes, size: int, mtime: float) -> Spec:
        rel = self._rel(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedSpec(f"{rel}: not UTF-8 text (binary file?)", details={"path": rel}) from None
        doc = Document.parse(text, path=rel, has_nul=b"\x00" in data)
        return Spec(
            name=e.name,
            number=e.number,
            path=rel,
            frontmatter=doc.data,
            body=doc.body,
            content_hash=content_hash(data),
            archived_dir=e.archived,
            group=e.group,
            sub_specs=self._sub_files(e.dir),
            size=size,
            mtime=mtime,
        )

    def _sub_files(self, d: Path) -> list[str]:
        try:
            names = [
                de.name
                for de in os.scandir(d)
                if de.is_file()
                and not de.name.startswith(".")
                and not fsutil.is_tmp(de.name)
                and de.name != self.config.default_file
            ]
        except OSError:
            return []
        return sorted(names, key=lambda n: (not n.lower().endswith(".md"), n))

    def load_all(self, *, include_archived: bool = True) -> ListResult:
        """Every loadable spec plus a problem report for each one that is not.

        One malformed spec never hides the others (LeanSpec 0.3.0 fails the whole list).
        """
        # A folder moved (archive, check --fix) while we scan can be missed, seen twice or
        # look unreadable; such a listing is retried (the move itself is one atomic rename).
        import gc

        # 10,000 spec objects (none of them garbage) would trigger dozens of cyclic
        # collections, each re-walking the young objects: ~10 % of a listing.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for _attempt in range(3):
                res, moved = self._load_all_once(include_archived)
                if not moved:
                    break
        finally:
            if gc_was:
                gc.enable()
        return res

    def _load_all_once(self, include_archived: bool) -> tuple[ListResult, bool]:
        specs: list[Spec] = []
        problems: list[LoadProblem] = []
        failed: list[Entry] = []
        from . import cache  # metadata cache: re-reads only changed files (None when off)

        warm = self.__dict__.get("_warm")  # set by Project.keep_warm() (servers only)
        sess = cache.session(self, refresh=warm is None)
        if warm is not None and sess is not None:
            # The change journal says which folders changed since the last listing.
            res = warm.load(self, sess, include_archived)
            if res is not None:
                return res, False
            sess = cache.session(self)  # it could not vouch for this listing: plain path
        load = sess.load if sess is not None else self._load_entry
        entries = adopted = None
        if sess is not None and self._containers is None and sess.cache.listing is not None:
            entries = self._adopt_listing(sess.cache.listing)
            if entries is not None:
                adopted = sess.cache.listing
        if entries is None:
            entries = self.entries()
        for e in entries:
            if e.archived and not include_archived:
                continue
            try:
                s = load(e)
            except LeanSpecError as exc:
                moved_to = self._moved_to_archive(e)
                if moved_to is None:
                    problems.append(LoadProblem(self._rel(self.readme_path(e)), exc.code, exc.message))
                    failed.append(e)
                    continue
                try:
                    s = load(moved_to)  # archived while we were listing
                except LeanSpecError:
                    failed.append(e)
                    continue
                if not include_archived:
                    continue
            if not include_archived and s.status == "archived":
                continue
            specs.append(s)
        if sess is not None:
            # An adopted listing is still the persisted one unless a container changed.
            state = adopted if adopted is not None and self._fresh_memo() is not None else self._listing_state()
            sess.finish(entries, listing=state)
        moved = bool(failed) and any(not e.dir.exists() for e in failed)
        names = [s.name for s in specs]
        if not moved and len(set(names)) != len(names):
            # Seen before and after a move: keep the copy whose folder still exists.
            from collections import Counter

            twice = {n for n, k in Counter(names).items() if k > 1}
            specs = [s for s in specs if s.name not in twice or (self.root / s.path).exists()]
            moved = len({s.name for s in specs}) != len(specs)
        return ListResult(specs, problems), moved

    def _moved_to_archive(self, e: Entry) -> Entry | None:
        if e.archived or e.dir.exists():
            return None
        d = self.specs_dir / "archived" / e.name
        if not d.is_dir():
            return None
        return Entry(e.name, e.number, d, f"archived/{e.name}", True, None)

    def resolve(self, ref: str, entries: Sequence[Entry] | None = None) -> Entry:
        if entries is None:
            cands = self._candidates(ref)
            if cands is not None:
                return refs.resolve(ref, cands)
        ents = list(entries) if entries is not None else self.entries()

        def title_of(e: Entry) -> str:
            try:
                return self._load_entry(e).title
            except LeanSpecError:
                return ""

        return refs.resolve(ref, ents, title_of)

    def get(self, ref: str) -> Spec:
        return self._load_entry(self.resolve(ref))

    def split_file_ref(self, ref: str) -> tuple[str, str | None]:
        """``045/DESIGN.md`` -> ("045", "DESIGN.md"); a plain ref -> (ref, None)."""
        r = refs.normalize_ref(ref)
        if "/" in r:
            head, tail = r.rsplit("/", 1)
            if "." in tail and not refs.SPEC_DIR.match(tail):
                return head, tail
        return r, None

    def safe_file(self, e: Entry, filename: str) -> Path:
        """A sub-spec file path inside the spec folder; path tricks are refused."""
        name = filename.strip()
        if (
            not name
            or "/" in name
            or "\\" in name
            or name in (".", "..")
            or name.startswith(".")
            or "\x00" in name
            or fsutil.is_tmp(name)
        ):
            raise InvalidInput(f"invalid file name {filename!r}: a plain file name inside the spec folder is required")
        if len(name.encode("utf-8")) > 200:  # leaves room for the temp suffix under NAME_MAX (255)
            raise InvalidInput(f"file name too long ({len(name.encode('utf-8'))} bytes, at most 200)")
        return e.dir / name

    def read_file(self, ref: str, filename: str | None) -> tuple[Entry, str, str]:
        """(entry, relative path, text) of a spec's README or one of its sub-spec files."""
        e = self.resolve(ref)
        p = self.readme_path(e) if filename is None else self.safe_file(e, filename)
        if not p.is_file():
            raise FileNotFoundInSpec(
                f"{e.name} has no file {filename}",
                details={"files": self._sub_files(e.dir)},
            )
        data = p.read_bytes()
        if len(data) > MAX_SPEC_BYTES:
            raise MalformedSpec(f"{self._rel(p)}: file too large")
        try:
            return e, self._rel(p), data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedSpec(f"{self._rel(p)}: not UTF-8 text (binary file?)") from None

    def children_of(self, name: str, specs: Sequence[Spec]) -> list[Spec]:
        return [s for s in specs if s.parent and refs.normalize_ref(s.parent).rsplit("/", 1)[-1] == name]

    # ============================================================== transaction
    @property
    def lock_path(self) -> Path:
        return self.root / CONFIG_DIR / LOCK_NAME

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The project-wide write lock. Everything that writes runs inside it.

        Re-entrant within one thread (a write may call another write); other threads
        and processes wait, because each flock() is on its own open file description.
        """
        key = str(self.lock_path)
        held = _held_locks()
        if held.get(key):
            held[key] += 1
            try:
                yield
            finally:
                held[key] -= 1
            return
        (self.root / CONFIG_DIR).mkdir(exist_ok=True)
        gi = self.root / CONFIG_DIR / ".gitignore"
        if not gi.exists():
            # The lock file and the cache are local state; keep them out of git.
            with contextlib.suppress(OSError):
                fsutil.atomic_write(gi, b"*.lock\ncache/\n")
        with fsutil.file_lock(self.lock_path, self.config.lock_timeout):
            held[key] = 1
            # A writer killed mid-create leaves a hidden temp folder in specs/; the next
            # write of any kind removes it (safe: we hold the lock, no live writer owns it).
            swept = _swept_listings()
            swept[key] = self._cleanup_temps(self.specs_dir)
            try:
                yield
            finally:
                held.pop(key, None)
                swept.pop(key, None)

    def _cleanup_temps(self, *dirs: Path) -> list[str] | None:
        """Remove temp files and half-built folders left by killed writers. Safe only
        under the lock: every live writer holds it while its temp files exist.
        Returns the first folder's names as listed (temp names included), or None."""
        first: list[str] | None = None
        for i, d in enumerate(dirs):
            try:
                names = os.listdir(d)
            except OSError:
                continue
            if i == 0:
                first = names
            # One C-level substring test over all names first: usually there is nothing
            # to remove, and a Python step per name costs ~5 ms in a 10,000-folder specs/.
            if fsutil.TMP_MARK not in "\n".join(names):
                continue
            for name in names:
                if fsutil.is_tmp(name):
                    path = os.path.join(d, name)
                    with contextlib.suppress(OSError):
                        if stat.S_ISDIR(os.lstat(path).st_mode):
                            _rmtree(path)
                        else:
                            os.unlink(path)
        return first

    def _write_doc(self, e: Entry, doc: Document, expected: dict[str, Any]) -> bytes:
        path = self.readme_path(e)
        doc.verify(expected, path=self._rel(path))
        data = doc.render().encode("utf-8")
        fsutil.atomic_write(path, data)
        return data

    def _check_hash(self, path: Path, current: bytes, expected_hash: str | None) -> None:
        if expected_hash is None:
            return
        actual = content_hash(current)
        want = expected_hash.strip().lower()
        # A full SHA-256, or an unambiguous prefix of at least 12 hex digits.
        if not (want == actual or (len(want) >= 12 and actual.startswith(want))):
            raise Conflict(
                f"{self._rel(path)} changed since you read it (expected hash {expected_hash[:12]}…, "
                f"current {actual[:12]}…); nothing was written",
                hint="re-read the spec and apply your change again",
                details={"current_hash": actual, "expected_hash": expected_hash},
            )

    # ================================================================ validation
    def allowed_statuses(self) -> tuple[str, ...]:
        return STATUSES

    def check_status(self, status: str) -> str:
        s = status.strip().lower()
        if s not in STATUSES:
            raise InvalidInput(
                f"invalid status {status!r}: use one of {', '.join(STATUSES)}",
                details={"allowed": list(STATUSES)},
            )
        return s

    @staticmethod
    def check_priority(priority: str) -> str:
        p = priority.strip().lower()
        if p not in PRIORITIES:
            raise InvalidInput(
                f"invalid priority {priority!r}: use one of {', '.join(PRIORITIES)}",
                details={"allowed": list(PRIORITIES)},
            )
        return p

    @staticmethod
    def _check_field_name(key: str) -> str:
        k = key.strip()
        import re

        if not re.match(r"^[A-Za-z_][\w-]*$", k):
            raise InvalidInput(f"invalid field name {key!r}")
        if k in ("status", "priority", "tags", "depends_on", "parent", "transitions", "created_at", "updated_at"):
            raise InvalidInput(f"{k!r} has its own option; --field is for other fields")
        return k

    def _resolve_targets(
        self, refs_in: Sequence[str], entries: Sequence[Entry] | None, self_name: str | None
    ) -> list[str]:
        out: list[str] = []
        for r in refs_in:
            for part in str(r).split(","):
                if not part.strip():
                    continue
                t = self.resolve(part, entries)
                if self_name is not None and t.name == self_name:
                    raise RelationshipError(f"a spec cannot depend on itself: {self_name}")
                if t.name not in out:
                    out.append(t.name)
        return out

    @staticmethod
    def _dep_cycle(name: str, new_deps: list[str], specs: Sequence[Spec]) -> list[str] | None:
        graph: dict[str, list[str]] = {s.name: [d.rsplit("/", 1)[-1] for d in s.depends_on] for s in specs}
        graph[name] = new_deps
        # Does any new dependency reach back to `name`?
        stack: list[tuple[str, list[str]]] = [(d, [name, d]) for d in new_deps]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == name:
                return path
            if node in seen:
                continue
            seen.add(node)
            for nxt in graph.get(node, []):
                stack.append((nxt, [*path, nxt]))
        return None

    def _parent_cycle(
        self, name: str, parent: str, entries: Sequence[Entry] | None, specs: Sequence[Spec]
    ) -> list[str] | None:
        by_name = {s.name: s for s in specs}
        chain = [name, parent]
        cur = parent
        for _ in range(len(specs) + 1):
            if cur == name:
                return chain
            s = by_name.get(cur)
            if s is None or not s.parent:
                return None
            try:
                cur = self.resolve(s.parent, entries).name
            except LeanSpecError:
                return None
            chain.append(cur)
        return chain

    # ================================================================== update
    def update(
        self,
        ref: str,
        ops: UpdateOps,
        *,
        expected_hash: str | None = None,
        force: bool = False,
    ) -> WriteResult:
        """Apply ``ops`` to one spec in one transaction. Field-level: concurrent updates
        of different fields (or tags) all land, because each re-reads under the lock."""
        with self.transaction():
            # Entered the lock here (not nested in another write), so its sweep just
            # listed specs/ and nothing ran since: the lookup uses that listing instead
            # of listing 10,000 names again (one use only).
            key = str(self.lock_path)
            root_names = _swept_listings().pop(key, None) if _held_locks().get(key) == 1 else None
            cands = self._candidates(ref, root_names) if root_names is not None else None
            e = refs.resolve(ref, cands) if cands is not None else self.resolve(ref)
            path = self.readme_path(e)
            self._cleanup_temps(e.dir)
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                raise MalformedSpec(f"{self._rel(e.dir)}: no {self.config.default_file}") from None
            except OSError as exc:  # a folder named README.md, no read permission, ...
                raise MalformedSpec(f"{self._rel(path)}: cannot read: {exc.strerror}") from None
            self._check_hash(path, current, expected_hash)
            try:
                text = current.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedSpec(f"{self._rel(path)}: not UTF-8 text (binary file?)") from None
            doc = Document.parse(text, path=self._rel(path))
            changed = self._apply(doc, e, None, ops, force)
            if not changed:
                spec = self._parse(e, path, current, len(current), path.stat().st_mtime)
                return WriteResult(spec, [], False, "no changes")
            doc.set("updated_at", iso_ms(self.clock()))
            if "updated" in doc.data:
                doc.set("updated", self.clock().date().isoformat())
            data = self._write_doc(e, doc, dict(doc.data))
            spec = self._parse(e, path, data, len(data), time.time())
            return WriteResult(spec, changed, True, f"updated {e.name}: {', '.join(changed)}")

    def _apply(
        self, doc: Document, e: Entry, entries: Sequence[Entry] | None, ops: UpdateOps, force: bool
    ) -> list[str]:
        """``entries``: every folder, or None to look references up one by one (a plain
        status or tag change resolves nothing else)."""
        changed: list[str] = []
        fm = doc.data
        old_status = str(fm.get("status") or "planned")
        # --- body edits first, so the completion guard sees the final checklist
        if ops.content is not None:
            new_content = ops.content.replace("\r\n", "\n")
            if doc.newline == "\r\n":
                new_content = new_content.replace("\n", "\r\n")
            if new_content.lstrip("\ufeff").startswith("---"):
                new_doc = Document.parse(new_content, path=e.name)
                # A whole-file write is validated like the flags: a status change goes
                # through the status path below (check, guard, transition).
                new_status = new_doc.data.get("status")
                if new_status is not None and ops.status is None and str(new_status) != old_status:
                    ops = ops.replace(status=str(new_status))
                if new_doc.data.get("priority") is not None:
                    self.check_priority(str(new_doc.data["priority"]))
                for k in list(doc.data):
                    if k not in new_doc.data:
                        doc.delete(k)
                for k, v in new_doc.data.items():
                    if k != "status" or ops.status is None:
                        doc.set(k, v)
                new_body = new_doc.body
            else:
                new_body = new_content if new_content.startswith(("\n", "\r\n")) or not doc.has_frontmatter else doc.newline + new_content
            if new_body != doc.body:
                doc.body = new_body
                changed.append("content")
        for old, new, mode in ops.replacements:
            nb, _n = bodyops.replace_text(doc.body, old, new, mode)
            if nb != doc.body:  # replacing a text by itself is not a change
                doc.body = nb
                changed.append("content")
        for heading, content, mode in ops.sections:
            nb = bodyops.update_section(doc.body, heading, content, mode)
            if nb != doc.body:
                doc.body = nb
                changed.append("content")
        for item, checked in ops.checks:
            nb, _t = bodyops.toggle_checklist(doc.body, item, checked)
            if nb != doc.body:
                doc.body = nb
                changed.append("checklist")
        # --- metadata
        if ops.status is not None:
            st = self.check_status(ops.status)
            if st != old_status:
                if st == "complete" and not force:
                    self._completion_guard(doc, e)
                if old_status == "draft" and st in ("in-progress", "complete") and not force:
                    raise CompletionBlocked(
                        "cannot skip 'planned' from draft", hint="set status planned first, or pass --force"
                    )
                doc.set("status", st)
                now = self.clock()
                trans = fm.get("transitions")
                trans_list = list(trans) if isinstance(trans, list) else []
                trans_list.append({"status": st, "at": iso_ms(now)})
                doc.set("transitions", trans_list)
                if st == "complete":
                    if not fm.get("completed_at"):
                        doc.set("completed_at", iso_ms(now))
                    if not fm.get("completed"):
                        doc.set("completed", now.date().isoformat())
                changed.append("status")
        if ops.priority is not None:
            p = self.check_priority(ops.priority)
            if doc.set("priority", p):
                changed.append("priority")
        if ops.assignee is not None:
            a = ops.assignee.strip()
            if a:
                if doc.set("assignee", a):
                    changed.append("assignee")
            elif doc.delete("assignee"):
                changed.append("assignee")
        if ops.title is not None and ops.title.strip() and doc.set("title", ops.title.strip()):
            changed.append("title")
        tags_before = _tag_list(fm.get("tags"))
        tags = list(tags_before)
        if ops.tags is not None:
            tags = _dedupe(_split_csv(ops.tags))
        for t in _split_csv(ops.add_tags):
            if t not in tags:
                tags.append(t)
        rm = set(_split_csv(ops.remove_tags))
        tags = [t for t in tags if t not in rm]
        for t in tags:
            if not t or "\n" in t:
                raise InvalidInput(f"invalid tag {t!r}")
        if tags != tags_before:
            doc.set("tags", tags)
            changed.append("tags")
        if (ops.add_depends or ops.remove_depends or ops.parent) and entries is None:
            entries = self.entries()
        if ops.add_depends or ops.remove_depends or ops.clear_depends:
            deps_before = [str(d) for d in _tag_list(fm.get("depends_on"))]
            deps = [] if ops.clear_depends else list(deps_before)
            if ops.remove_depends:
                gone = set()
                for r in _split_csv(ops.remove_depends):
                    try:
                        gone.add(self.resolve(r, entries).name)
                    except LeanSpecError:
                        gone.add(r)
                deps = [d for d in deps if d not in gone and d.rsplit("/", 1)[-1] not in gone]
            for name in self._resolve_targets(ops.add_depends, entries, e.name):
                if name not in deps:
                    deps.append(name)
            if deps != deps_before:
                if ops.add_depends:
                    specs = self.load_all().specs
                    cyc = self._dep_cycle(e.name, [d.rsplit("/", 1)[-1] for d in deps], specs)
                    if cyc:
                        raise RelationshipError(
                            "dependency cycle: " + " → ".join(cyc), details={"cycle": cyc}
                        )
                if deps:
                    doc.set("depends_on", deps)
                else:
                    doc.delete("depends_on")
                changed.append("depends_on")
        if ops.parent is not None:
            if ops.parent.strip():
                target = self.resolve(ops.parent, entries)
                if target.name == e.name:
                    raise RelationshipError(f"a spec cannot be its own parent: {e.name}")
                cyc = self._parent_cycle(e.name, target.name, entries, self.load_all().specs)
                if cyc:
                    raise RelationshipError("parent cycle: " + " → ".join(cyc), details={"cycle": cyc})
                if doc.set("parent", target.name):
                    changed.append("parent")
            elif doc.delete("parent"):
                changed.append("parent")
        for k, v in ops.fields.items():
            key = self._check_field_name(k)
            if key == "assignee":
                continue
            if v is None:
                if doc.delete(key):
                    changed.append(key)
            elif doc.set(key, v):
                changed.append(key)
        changed = _dedupe(changed)
        if any(c in changed for c in ("status", "priority", "tags", "assignee")) or (
            "content" in changed and ops.content is not None
        ):
            self._sync_header(doc)
        return changed

    def _sync_header(self, doc: Document) -> None:
        fm = doc.data
        created = fm.get("created")
        lines = bodyops.header_lines(
            str(fm.get("status") or "planned"),
            str(fm["priority"]) if fm.get("priority") else None,
            created.isoformat() if isinstance(created, _dt.date) else (str(created) if created else None),
            _tag_list(fm.get("tags")),
            str(fm["assignee"]) if fm.get("assignee") else None,
            str(fm["reviewer"]) if fm.get("reviewer") else None,
        )
        doc.body = bodyops.sync_header(doc.body, lines)

    def _completion_guard(self, doc: Document, e: Entry) -> None:
        if self.config.enforce_checklist:
            done, total = checklist_counts(doc.body)
            if total - done > 0:
                raise CompletionBlocked(
                    f"{e.name} has {total - done} open checklist item(s)",
                    hint="check them off, or pass --force to complete anyway",
                    details={"open_items": total - done, "code_detail": "INCOMPLETE_CHECKLIST"},
                )
        specs = self.load_all().specs
        kids = [s for s in self.children_of(e.name, specs) if s.status not in ("complete", "archived")]
        if kids:
            raise CompletionBlocked(
                f"{e.name} has {len(kids)} incomplete child spec(s): {', '.join(k.name for k in kids)}",
                hint="complete the children first, or pass --force",
                details={"children": [k.name for k in kids], "code_detail": "INCOMPLETE_CHILDREN"},
            )

    # ================================================================== create
    def next_number(self, entries: Sequence[Entry] | None = None) -> int:
        if entries is None:
            top = self.max_number()
            return top + 1 if top is not None else 1
        nums = [e.number for e in entries if e.number is not None]
        return (max(nums) + 1) if nums else 1

    def create(
        self,
        name: str,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
        priority: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        template: str | None = None,
        fields: dict[str, Any] | None = None,
        depends_on: Sequence[str] = (),
        parent: str | None = None,
        content: str | None = None,
    ) -> WriteResult:
        """Create a spec all-or-nothing: the number is allocated under the project lock and
        the folder is built hidden, then renamed into place."""
        slug = refs.slugify(name)
        st = self.check_status(status) if status else None
        pr = self.check_priority(priority) if priority else None
        field_items = {self._check_field_name(k): v for k, v in (fields or {}).items()}
        files = self._template_files(template) if content is None else None
        self.specs_dir.mkdir(parents=True, exist_ok=True)
        with self.transaction():
            self._cleanup_temps(self.specs_dir)
            # Under the lock: every folder is seen. Only a create with links needs the
            # entries themselves; the number needs just the names.
            entries = self.entries() if (depends_on or parent) else None
            deps = self._resolve_targets(depends_on, entries, None) if depends_on else []
            par = self.resolve(parent, entries).name if parent else None
            number = self.next_number(entries)
            folder = f"{self.config.prefix}{number:0{self.config.sequence_digits}d}-{slug}"
            final = self.specs_dir / folder
            now = self.clock()
            today = now.date().isoformat()
            the_title = (title or "").strip() or refs.title_from_slug(slug)
            variables = {
                "name": the_title,
                "title": the_title,
                "date": today,
                "status": st or "planned",
                "priority": pr or "medium",
                "project_name": self.root.name,
                "spec_name": folder,
                "number": str(number),
            }
            variables.update({str(k): str(v) for k, v in self.config.raw.get("variables", {}).items()} if isinstance(self.config.raw.get("variables"), dict) else {})
            if content is not None:
                main = content.replace("\r\n", "\n")
                if not main.lstrip("\ufeff").startswith("---"):
                    if not main.lstrip().startswith("# "):
                        main = f"# {the_title}\n\n" + main
                    main = "---\nstatus: planned\ncreated: '" + today + "'\n---\n\n" + main
                extra: dict[str, str] = {}
            else:
                assert files is not None
                rendered = {fn: templates.render(t, variables) for fn, t in files.items()}
                main = rendered.pop("README.md")
                extra = rendered
                if description:
                    d = Document.parse(main, path="template")
                    d.body = templates.fill_overview(d.body, description)
                    main = d.render()
            doc = Document.parse(main, path=f"{folder}/README.md")
            if content is not None and description:
                doc.body = templates.fill_overview(doc.body, description)
            # --content may carry its own status/priority: validated like the options.
            doc.set("status", st or self.check_status(str(doc.data.get("status") or "planned")))
            if "created" not in doc.data or content is None:
                doc.set("created", today)
            if pr or "priority" not in doc.data:
                doc.set("priority", pr or "medium")
            elif doc.data.get("priority") is not None:
                doc.set("priority", self.check_priority(str(doc.data["priority"])))
            if tags:
                doc.set("tags", _dedupe(_split_csv(list(tags))))
            elif content is None and doc.data.get("tags") == []:
                pass
            if deps:
                doc.set("depends_on", deps)
            if par:
                doc.set("parent", par)
            if assignee:
                doc.set("assignee", assignee.strip())
            for k, v in field_items.items():
                doc.set(k, v)
            if title and content is not None:
                pass
            if not doc.data.get("created_at"):
                doc.set("created_at", iso_ms(now))
            if doc.data.get("status") == "complete":
                if not doc.data.get("completed_at"):
                    doc.set("completed_at", iso_ms(now))
                if not doc.data.get("completed"):
                    doc.set("completed", today)
            self._sync_header(doc)
            doc.verify(dict(doc.data), path=f"{folder}/README.md")
            readme = doc.render().encode("utf-8")
            tmp = self.specs_dir / fsutil.tmp_name(folder)
            try:
                tmp.mkdir()
                fsutil.write_new_file(tmp / self.config.default_file, readme)
                for fn, text in extra.items():
                    fsutil.write_new_file(tmp / fn, text.encode("utf-8"))
                fsutil.fsync_dir(tmp)
                fsutil.rename_noreplace(tmp, final)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    _rmtree(tmp)
                raise WriteFailed(f"cannot create {self._rel(final)}: {exc.strerror or exc}") from None
            except BaseException:
                with contextlib.suppress(OSError):
                    _rmtree(tmp)
                raise
            fsutil.fsync_dir(self.specs_dir)
            e = Entry(folder, number, final, folder, False, None)
            spec = self._parse(e, self.readme_path(e), readme, len(readme), time.time())
            return WriteResult(spec, ["created"], True, f"created {self._rel(final)}")

    def templates_dir(self) -> Path:
        return self.root / CONFIG_DIR / "templates"

    def _template_files(self, template: str | None) -> dict[str, str]:
        tdir = self.templates_dir()
        cfg_templates = self.config.templates
        if template:
            if template in templates.BUILTIN and not (tdir / template).exists() and template not in cfg_templates:
                return templates.builtin_files(template)
            ref = cfg_templates.get(template, template)
            files = templates.project_template_files(tdir, ref)
            if files is None:
                files = templates.project_template_files(tdir, ref + ".md") if not ref.endswith(".md") else None
            if files is None:
                from ..core.errors import TemplateError

                raise TemplateError(
                    f"template not found: {template}",
                    hint="run `lean-spec templates` to list templates",
                )
            return files
        for cand in (cfg_templates.get("default"), self.config.template, "spec-template.md", "README.md"):
            if cand:
                files = templates.project_template_files(tdir, cand)
                if files is not None:
                    return files
        return templates.builtin_files("standard")

    def set_fields(
        self,
        ref: str,
        values: dict[str, Any],
        *,
        expected_hash: str | None = None,
        touch_updated: bool = False,
    ) -> WriteResult:
        """Set raw frontmatter keys (``None`` deletes), for tools such as backfill and
        merge that own timestamps themselves. Same transaction as every other write."""
        with self.transaction():
            e = self.resolve(ref)
            path = self.readme_path(e)
            self._cleanup_temps(e.dir)
            current = path.read_bytes()
            self._check_hash(path, current, expected_hash)
            try:
                text = current.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedSpec(f"{self._rel(path)}: not UTF-8 text (binary file?)") from None
            doc = Document.parse(text, path=self._rel(path))
            changed: list[str] = []
            for k, v in values.items():
                if v is None:
                    if doc.delete(k):
                        changed.append(k)
                elif doc.set(k, v):
                    changed.append(k)
            if not changed:
                return WriteResult(self._parse(e, path, current, len(current), 0.0), [], False, "no changes")
            if touch_updated:
                doc.set("updated_at", iso_ms(self.clock()))
            data = self._write_doc(e, doc, dict(doc.data))
            return WriteResult(self._parse(e, path, data, len(data), time.time()), changed, True, f"updated {e.name}")

    # =========================================================== raw writes
    def write_file(self, ref: str, filename: str | None, text: str, *, expected_hash: str | None = None) -> WriteResult:
        """Replace a spec's README (validated) or write one of its sub-spec files."""
        with self.transaction():
            e = self.resolve(ref)
            target = self.readme_path(e) if filename is None else self.safe_file(e, filename)
            self._cleanup_temps(e.dir)
            try:
                current = target.read_bytes()
            except FileNotFoundError:
                current = b""
            if expected_hash is not None:
                self._check_hash(target, current, expected_hash)
            data = text.encode("utf-8")
            if filename is None:
                doc = Document.parse(text, path=self._rel(target))
                st = doc.data.get("status")
                if st is not None:
                    self.check_status(str(st))
                if doc.data.get("priority") is not None:
                    self.check_priority(str(doc.data["priority"]))
            if data == current:
                spec = self._load_entry(e)
                return WriteResult(spec, [], False, "no changes")
            fsutil.atomic_write(target, data)
            if filename is not None:
                fsutil.fsync_dir(e.dir)
            spec = self._load_entry(e)
            return WriteResult(spec, ["content" if filename is None else f"file:{target.name}"], True, f"wrote {self._rel(target)}")

    # ================================================================== archive
    def archive(self, ref: str, *, expected_hash: str | None = None) -> WriteResult:
        """Set status archived (with a transition) and move the folder into
        ``specs/archived/`` (config ``archive.mode: status`` keeps it in place)."""
        with self.transaction():
            e = self.resolve(ref)
            path = self.readme_path(e)
            self._cleanup_temps(e.dir)  # do not carry a dead writer's temp file into archived/
            try:
                current = path.read_bytes()
            except OSError as exc:
                raise MalformedSpec(f"{self._rel(path)}: cannot read: {exc.strerror}") from None
            self._check_hash(path, current, expected_hash)
            try:
                text = current.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedSpec(f"{self._rel(path)}: not UTF-8 text (binary file?)") from None
            doc = Document.parse(text, path=self._rel(path))
            moving = self.config.archive_mode == "move" and not e.archived
            if moving and (self.specs_dir / "archived" / e.name).exists():
                # Refuse before writing anything: the status must not change either.
                raise WriteFailed(f"cannot archive: {self.config.specs_dir}/archived/{e.name} already exists")
            changed: list[str] = []
            if doc.data.get("status") != "archived":
                changed = self._apply(doc, e, None, UpdateOps(status="archived"), True)
                doc.set("updated_at", iso_ms(self.clock()))
                self._write_doc(e, doc, dict(doc.data))
            dest_dir = e.dir
            if self.config.archive_mode == "move" and not e.archived:
                adir = self.specs_dir / "archived"
                adir.mkdir(exist_ok=True)
                dest_dir = adir / e.name
                try:
                    fsutil.rename_noreplace(e.dir, dest_dir)
                except FileExistsError:
                    raise WriteFailed(f"cannot archive: {self._rel(dest_dir)} already exists") from None
                fsutil.fsync_dir(adir)
                fsutil.fsync_dir(e.dir.parent)
                changed.append("moved")
            ne = Entry(e.name, e.number, dest_dir, self._rel(dest_dir)[len(self.config.specs_dir) + 1 :], dest_dir.parent.name == "archived", None)
            spec = self._load_entry(ne)
            return WriteResult(spec, changed, bool(changed), f"archived {e.name}" if changed else "already archived")

    # ==================================================================== check
    def duplicates(self, entries: Sequence[Entry] | None = None) -> dict[int, list[Entry]]:
        ents = list(entries) if entries is not None else self.entries()
        by: dict[int, list[Entry]] = {}
        for e in ents:
            if e.number is not None:
                by.setdefault(e.number, []).append(e)
        return {n: v for n, v in sorted(by.items()) if len(v) > 1}

    def fix_duplicates(self, *, avoid: Sequence[int] | set[int] = (), also: Sequence[str] = ()) -> list[dict[str, str]]:
        """Renumber the later spec of each duplicate number and rewrite every reference.

        ``also`` names more specs to renumber (numbers that clash with another git
        branch); new numbers skip ``avoid`` (numbers in use on other branches)."""
        from ..core.model import jsonable

        renames: list[dict[str, str]] = []
        with self.transaction():
            entries = self.entries()
            dups = self.duplicates(entries)
            wanted = set(also)
            extra = [e for e in entries if e.name in wanted or e.rel in wanted]
            if not dups and not extra:
                return []
            taken = {e.number for e in entries if e.number is not None} | set(avoid)
            nxt = max(taken, default=0) + 1
            loaded = {e.rel: self._safe_load(e) for e in entries}

            def age(e: Entry) -> tuple[str, str, str]:
                # The author-visible `created` day first: `created_at` may have been
                # backfilled later, so it only breaks ties within a day.
                s = loaded.get(e.rel)
                fm = s.frontmatter if s else {}
                at = str(jsonable(fm.get("created_at")) or "")
                day = str(jsonable(fm.get("created")) or at[:10] or "9999")
                return (day, at or "~", e.name)

            movers: list[Entry] = []
            for _n, group in dups.items():
                movers.extend(sorted(group, key=age)[1:])
            movers.extend(e for e in extra if e not in movers)
            mapping: dict[str, str] = {}
            if movers:
                for e in movers:
                    while nxt in taken:
                        nxt += 1
                    slug = e.slug
                    new_name = f"{self.config.prefix}{nxt:0{self.config.sequence_digits}d}-{slug}"
                    taken.add(nxt)
                    dest = e.dir.parent / new_name
                    try:
                        fsutil.rename_noreplace(e.dir, dest)
                    except OSError as exc:
                        raise WriteFailed(f"cannot rename {e.rel} to {new_name}: {exc.strerror or exc}") from None
                    fsutil.fsync_dir(e.dir.parent)
                    mapping[e.name] = new_name
                    renames.append({"from": e.rel, "to": self._rel(dest)[len(self.config.specs_dir) + 1 :]})
            # Rewrite references (depends_on, parent) that named a renamed folder.
            for e in self.entries():
                path = self.readme_path(e)
                try:
                    doc = Document.parse(path.read_text(encoding="utf-8"), path=self._rel(path))
                except (LeanSpecError, OSError, UnicodeDecodeError):
                    continue
                touched = False
                deps = doc.data.get("depends_on")
                if isinstance(deps, list):
                    new = [_renamed(d, mapping) for d in deps]
                    if new != deps:
                        doc.set("depends_on", new)
                        touched = True
                par = doc.data.get("parent")
                if isinstance(par, str) and _renamed(par, mapping) != par:
                    doc.set("parent", _renamed(par, mapping))
                    touched = True
                if touched:
                    doc.set("updated_at", iso_ms(self.clock()))
                    self._write_doc(e, doc, dict(doc.data))
        return renames

    def _safe_load(self, e: Entry) -> Spec | None:
        try:
            return self._load_entry(e)
        except LeanSpecError:
            return None

    # ============================================================ project files
    def write_project_file(self, rel: str, data: bytes, *, overwrite: bool = True) -> bool:
        """Atomically write a file under the project root (config, templates, AGENTS.md).
        Returns False if it exists and ``overwrite`` is False."""
        p = (self.root / rel).resolve()
        if self.root not in p.parents:
            raise InvalidInput(f"path escapes the project: {rel}")
        with self.transaction():
            if p.exists() and not overwrite:
                return False
            p.parent.mkdir(parents=True, exist_ok=True)
            fsutil.atomic_write(p, data)
            return True

    def symlink_project_file(self, rel: str, target: str) -> bool:
        """Create ``rel`` as a symlink to ``target`` (relative), unless ``rel`` exists."""
        p = self.root / rel
        if self.root.resolve() not in p.resolve().parents:
            raise InvalidInput(f"path escapes the project: {rel}")
        with self.transaction():
            if p.exists() or p.is_symlink():
                return False
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.parent / fsutil.tmp_name(p.name)
            os.symlink(target, tmp)
            os.replace(tmp, p)
            fsutil.fsync_dir(p.parent)
            return True

    def read_project_file(self, rel: str) -> str | None:
        p = (self.root / rel).resolve()
        if self.root not in p.parents:
            raise InvalidInput(f"path escapes the project: {rel}")
        try:
            return p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return None

    def remove_project_file(self, rel: str) -> bool:
        p = (self.root / rel).resolve()
        if self.root not in p.parents:
            raise InvalidInput(f"path escapes the project: {rel}")
        with self.transaction():
            if p.is_dir():
                _rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
            else:
                return False
            fsutil.fsync_dir(p.parent)
            return True


def read_spec_file(root: str, rel: str, spec: str, name: str) -> tuple[bytes, str]:
    """(bytes, text) of a file in a spec folder, by its root-relative path, with the
    store's read rules (size limit, strict UTF-8). The path comes from the store's own
    scan (``Spec.path``, ``Spec.sub_specs``), so no folder scan per file is needed."""
    p = os.path.join(root, rel)
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):  # a folder, a FIFO (would block), ...
            raise FileNotFoundInSpec(f"{spec} has no file {name}")
        with open(p, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundInSpec(f"{spec} has no file {name}") from None
    except OSError as exc:
        raise MalformedSpec(f"{rel}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise MalformedSpec(f"{rel}: file too large")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedSpec(f"{rel}: not UTF-8 text (binary file?)") from None



def _rmtree(path: Any) -> None:
    # shutil (and the compression modules it imports) only on the rare paths that
    # remove a folder: one-spec commands never pay for the import.
    import shutil

    shutil.rmtree(path)


# threading.local itself (threading.py re-exports it), without importing threading (~1 ms).
_tls = _thread._local()


def _swept_listings() -> dict[str, list[str] | None]:
    """Lock key -> the specs folder's names the lock's temp sweep listed (this thread)."""
    d = getattr(_tls, "swept", None)
    if d is None:
        d = _tls.swept = {}
    return d


def _held_locks() -> dict[str, int]:
    d = getattr(_tls, "held", None)
    if d is None:
        d = _tls.held = {}
    return d


def _renamed(ref: Any, mapping: dict[str, str]) -> Any:
    """A depends_on/parent value after folder renames (``038-x`` or ``archived/038-x``)."""
    if not isinstance(ref, str):
        return ref
    head, _, last = ref.rpartition("/")
    if last in mapping:
        return f"{head}/{mapping[last]}" if head else mapping[last]
    return ref


def _split_csv(values: Sequence[str] | str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for i in items:
        if i not in seen:
            seen.append(i)
    return seen


def _tag_list(v: Any) -> list[str]:
    from ..core.model import as_str_list

    return as_str_list(v)
