"""What the TUI shows, computed from ``Project`` listings; no Textual here.

``Backend`` owns one ``Project`` and a single worker thread: every core call (loads,
reads, searches, edits) runs on that thread, so the event loop never blocks and the
warm listing's per-thread version (``Project.listing_version``) always names the
listing this process last saw. ``Snapshot`` is one listing plus what the screens
derive from it (board columns, sorted rows, blocked markers), computed once per
listing and per filter/sort on the worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from ..core.model import PRIORITIES, STATUSES, LoadProblem, Spec
from ..project import Project
from ..store.leases import Lease, LeaseStore

T = TypeVar("T")

# (label, sort key, order). The list's default is ID ↓ (LeanSpec's); the board's is
# the core board order (priority, then number), like `lean-spec board` and the web UI.
SORTS: tuple[tuple[str, str, str], ...] = (
    ("ID ↓", "id", "desc"),
    ("ID ↑", "id", "asc"),
    ("Priority ↓", "priority", "desc"),
    ("Title A-Z", "title", "asc"),
    ("Updated ↓", "updated", "desc"),
)
BOARD_SORTS: tuple[tuple[str, str, str], ...] = (("Priority, #", "board", ""), *SORTS)

# Statuses a spec can be moved to from the TUI (archiving moves a folder: not a move).
MOVE_STATUSES: tuple[str, ...] = ("draft", "planned", "in-progress", "complete")
BOARD_LIMIT = 200  # cards drawn per board column; the rest is one "… N more" row

STATUS_SYMBOL = {"draft": "○", "planned": "·", "in-progress": "▶", "complete": "✓", "archived": "⊘"}
STATUS_LABEL = {
    "draft": "Draft",
    "planned": "Planned",
    "in-progress": "In progress",
    "complete": "Complete",
    "archived": "Archived",
}
PRIORITY_SYMBOL = {"critical": "!", "high": "↑", "medium": "-", "low": "↓"}

_TASK = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+\[)([ xX])(\]\s?)(.*)$")


def status_of(s: Spec) -> str:
    """The column a spec sits in: archived wins; an unknown status counts as planned
    (the board's rule)."""
    if s.archived:
        return "archived"
    st = s.status.strip().lower()
    return st if st in STATUSES else "planned"


# =================================================================== filters
class Filters:
    """What the board and the list show. Statuses and priorities are ORed, tags ANDed,
    the query uses the search syntax (docs/search.md)."""

    __slots__ = ("statuses", "priorities", "tags", "assignee", "query", "archived")

    def __init__(
        self,
        statuses: Sequence[str] = (),
        priorities: Sequence[str] = (),
        tags: Sequence[str] = (),
        assignee: str = "",
        query: str = "",
        archived: bool = False,
    ) -> None:
        self.statuses = tuple(s for s in STATUSES if s in statuses)
        self.priorities = tuple(p for p in PRIORITIES if p in priorities)
        self.tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        self.assignee = assignee.strip()
        self.query = query.strip()
        self.archived = bool(archived)

    def key(self) -> tuple[Any, ...]:
        return (self.statuses, self.priorities, self.tags, self.assignee, self.query, self.archived)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filters) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def replace(self, **kw: Any) -> Filters:
        d = dict(zip(self.__slots__, self.key(), strict=True))
        d.update(kw)
        return Filters(**d)

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.priorities or self.tags or self.assignee or self.query or self.archived)

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(self.statuses))
        if self.priorities:
            parts.append("priority:" + ",".join(self.priorities))
        if self.tags:
            parts.append("tags:" + ",".join(self.tags))
        if self.assignee:
            parts.append("@" + self.assignee)
        if self.query:
            parts.append(f"“{self.query}”")
        if self.archived:
            parts.append("+archived")
        return " ".join(parts)


# ================================================================= snapshot
class Column:
    """One board column: its status, how many specs it holds, the first cards."""

    __slots__ = ("status", "count", "specs")

    def __init__(self, status: str, count: int, specs: list[Spec]) -> None:
        self.status = status
        self.count = count
        self.specs = specs


class View:
    """What the main screen shows for one (listing, filters, sort)."""

    __slots__ = ("rows", "columns", "total", "error")

    def __init__(self, rows: list[Spec], columns: list[Column], total: int, error: str | None = None) -> None:
        self.rows = rows  # the list view, sorted
        self.columns = columns  # the board
        self.total = total  # specs in the project (archived included)
        self.error = error  # a query that did not parse


class Snapshot:
    """One listing of the project, the live leases (claims) of that moment, and
    everything derived from them."""

    def __init__(
        self,
        serial: int,
        specs: list[Spec],
        problems: list[LoadProblem],
        fingerprint: Any,
        leases: dict[str, Lease] | None = None,
    ) -> None:
        self.serial = serial  # bumped on every new snapshot
        self.specs = specs
        self.problems = problems
        self.fingerprint = fingerprint
        self.leases: dict[str, Lease] = leases or {}  # spec name -> live lease
        self.lease_key = lease_key(self.leases)
        self.by_name = {s.name: s for s in specs}
        self._graph: Any = None
        self._blocked: dict[str, list[str]] | None = None
        self._views: dict[Any, View] = {}
        self.lock = threading.Lock()

    def with_leases(self, serial: int, leases: dict[str, Lease]) -> Snapshot:
        """The same listing with other leases: what was derived from the specs (graph,
        blocked markers, views) is kept."""
        new = Snapshot(serial, self.specs, self.problems, self.fingerprint, leases)
        new.by_name = self.by_name
        new._graph, new._blocked = self._graph, self._blocked
        with self.lock:
            new._views = dict(self._views)
        return new

    @property
    def graph(self) -> Any:
        if self._graph is None:
            from ..insight.graph import DependencyGraph

            self._graph = DependencyGraph(self.specs)
        return self._graph

    def blocked_known(self) -> dict[str, list[str]]:
        """``blocked()`` if it was computed already, else nothing: what drawing code
        uses (the dependency graph is built on the worker thread, after the first
        paint)."""
        return self._blocked or {}

    def blocked(self) -> dict[str, list[str]]:
        """Spec name -> the specs it depends on (directly) that are not done yet; only
        for specs that are not done themselves. Builds the dependency graph: call it on
        the worker thread."""
        if self._blocked is None:
            g = self.graph
            out: dict[str, list[str]] = {}
            for name, ups in g.upstream.items():
                if not ups:
                    continue
                s = g.specs[name]
                if status_of(s) in ("complete", "archived"):
                    continue
                open_ups = [u for u in ups if status_of(g.specs[u]) not in ("complete", "archived")]
                if open_ups:
                    out[name] = open_ups
            self._blocked = out
        return self._blocked


def lease_key(leases: dict[str, Lease]) -> tuple[tuple[str, str, Any], ...]:
    return tuple(sorted((n, x.holder, x.expires_at) for n, x in leases.items()))


def lease_until(t: Any) -> str:
    """A lease's expiry in local time: ``14:32`` today, ``Mar 05 14:32`` otherwise."""
    import datetime as dt

    local = t.astimezone()
    if local.date() == dt.datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%b %d %H:%M")


def lease_left(t: Any, now: Any) -> str:
    """Time left on a lease: ``45s``, ``29 min``, ``2 h 05 min``, ``3 days``."""
    secs = int((t - now).total_seconds())
    if secs < 0:
        return "expired"
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60} min"
    if secs < 86400:
        return f"{secs // 3600} h {secs % 3600 // 60:02d} min"
    return f"{secs // 86400} days"


def fingerprint(specs: Sequence[Spec], problems: Sequence[LoadProblem]) -> Any:
    # Not sub_specs: on a cached spec that is a stat of its folder, 10,000 of them; a
    # changed sub-spec file is noticed by the open spec page (Backend.refresh says
    # something was touched).
    return (
        tuple((s.name, s.path, s.content_hash) for s in specs),
        tuple((p.path, p.code, p.reason) for p in problems),
    )


# =================================================================== backend
class Backend:
    """One project, one worker thread. ``call`` runs a function on the thread."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leanspec-tui")
        self.warm = False
        self.snapshot: Snapshot | None = None
        self._serial = 0
        self._core_version: int | None = None
        self.last_load_seconds = 0.0
        self.closed = False
        self._first: Future[tuple[Snapshot | None, bool]] | None = None
        self._lease_store: LeaseStore | None = None

    def prefetch(self) -> Backend:
        """Start the change journal and the first listing now, on the worker thread,
        while the caller imports Textual and builds the screen."""
        if self._first is None:

            def first() -> tuple[Snapshot | None, bool]:
                self.start()
                return self.refresh(force=True)

            self._first = self.executor.submit(first)
        return self

    async def first_listing(self) -> tuple[Snapshot | None, bool]:
        """The first listing (started by ``prefetch``)."""
        self.prefetch()
        assert self._first is not None
        return await asyncio.wrap_future(self._first)

    @property
    def name(self) -> str:
        return self.project.root.name or str(self.project.root)

    async def call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kw))

    # -- on the worker thread ------------------------------------------------
    def start(self) -> None:
        self.warm = self.project.keep_warm()

    def leases(self) -> dict[str, Lease]:
        """The live leases (claims) of this clone. They change without any spec file
        changing (they live under the git common dir or .lean-spec/leases), so every
        poll reads them: one ``listdir`` when there are none."""
        if self._lease_store is None:
            self._lease_store = LeaseStore.for_root(self.project.root)
        if not self._lease_store.any():
            return {}
        from ..workflows.claims import claims_now_of

        now = claims_now_of(self.project)
        return {x.spec: x for x in self._lease_store.all() if x.live(now)}

    def close(self) -> None:
        """Release the change journal; waits for the call in flight."""
        if self.closed:
            return
        self.closed = True

        def stop() -> None:
            self.project.stop_warm()

        try:
            self.executor.submit(stop).result(timeout=10)
        except Exception:  # shutting down: nothing useful to report
            pass
        self.executor.shutdown(wait=False, cancel_futures=True)

    def refresh(self, *, force: bool = False) -> tuple[Snapshot | None, bool]:
        """(new snapshot or None when the listing is the same, whether anything on disk
        may have changed). With a change journal an unchanged listing costs a drain of
        the journal; without one, a ``stat`` per spec (as the CLI does)."""
        t0 = time.perf_counter()
        res = self.project.load(include_archived=True)
        version = self.project.listing_version()
        self.last_load_seconds = time.perf_counter() - t0
        leases = self.leases()
        old = self.snapshot
        if old is not None and not force:
            touched = True
            if version is not None and version == self._core_version:
                same, touched = True, False
            else:
                self._core_version = version
                fp = fingerprint(res.specs, res.problems)
                same = fp == old.fingerprint  # touched: a sub-spec file, say
            if same:
                if lease_key(leases) == old.lease_key:
                    return None, touched
                self._serial += 1  # a claim or release: the same listing, other leases
                self.snapshot = old.with_leases(self._serial, leases)
                return self.snapshot, True
        else:
            self._core_version = version
            fp = fingerprint(res.specs, res.problems)
        self._serial += 1
        snap = Snapshot(self._serial, list(res.specs), list(res.problems), fp, leases)
        self.snapshot = snap
        return snap, True

    def view(self, snap: Snapshot, filters: Filters, list_sort: int, board_sort: int) -> View:
        key = (filters, list_sort, board_sort)
        with snap.lock:
            hit = snap._views.get(key)
            if hit is not None:
                return hit
            v = compute_view(snap, filters, list_sort, board_sort, self.project.root)
            if len(snap._views) > 16:
                snap._views.clear()
            snap._views[key] = v
            return v

    def detail(self, name: str) -> dict[str, Any]:
        """The spec page: the spec, its files' text, its dependencies."""
        from ..core.errors import LeanSpecError

        snap = self.snapshot
        spec = snap.by_name.get(name) if snap is not None else None
        if spec is None:
            spec = self.project.get(name)
        files: list[tuple[str, str]] = [(self.project.config.default_file, spec.body)]
        for f in spec.sub_specs:
            if not f.lower().endswith((".md", ".markdown", ".txt")):
                continue
            try:
                _n, _rel, text = self.project.read(f"{spec.name}/{f}")
            except LeanSpecError as exc:
                text = f"*Cannot show {f}: {exc.message}*"
            files.append((f, strip_frontmatter(text)))
        deps: dict[str, Any] | None = None
        blocked: list[str] = []
        if snap is not None and spec.name in snap.graph.specs:
            deps = snap.graph.deps(spec.name, "complete", 3)
            blocked = snap.blocked().get(spec.name, [])
        lease = snap.leases.get(spec.name) if snap is not None else None
        now = None
        if lease is not None:
            from ..workflows.claims import claims_now_of

            now = claims_now_of(self.project)
        return {"now": now, "spec": spec, "files": files, "deps": deps, "blocked": blocked, "lease": lease}

    def search(self, query: str, *, limit: int = 50, archived: bool = False) -> dict[str, Any]:
        from ..insight.search import search
        from ..insight.searchindex import synced

        snap = self.snapshot
        specs = snap.specs if snap is not None else self.project.load().specs
        index = synced(self.project.root, specs)
        return search(specs, query, limit=limit, include_archived=archived, index=index)


def compute_view(snap: Snapshot, filters: Filters, list_sort: int, board_sort: int, root: Any) -> View:
    from ..core.errors import LeanSpecError
    from ..core.listing import make_filter, sort_specs
    from ..insight.board import build_board

    error = None
    f = make_filter(
        status=list(filters.statuses) or None,
        tags=list(filters.tags) or None,
        priority=list(filters.priorities) or None,
        assignee=filters.assignee or None,
        include_archived=filters.archived,
    )
    specs = f.apply(snap.specs)
    if filters.query:
        from ..insight.search import search
        from ..insight.searchindex import synced

        try:
            index = synced(root, snap.specs)
            keep = set(search(specs, filters.query, include_archived=True, index=index, names_only=True)["names"])
            specs = [s for s in specs if s.name in keep]
        except LeanSpecError as exc:
            error = exc.message
    _label, key, order = SORTS[list_sort % len(SORTS)]
    rows = sort_specs(specs, key, order)
    board = build_board(specs, group_by="status", include_archived=True, card=lambda s: {"spec": s})
    _blabel, bkey, border = BOARD_SORTS[board_sort % len(BOARD_SORTS)]
    rank: dict[str, int] | None = None
    if bkey != "board":
        ordered = rows if (bkey, border) == (key, order) else sort_specs(specs, bkey, border)
        rank = {s.name: i for i, s in enumerate(ordered)}
    columns = []
    for g in board["groups"]:
        if filters.statuses and g["name"] not in filters.statuses:
            continue
        if g["name"] == "archived" and not g["count"] and not filters.archived:
            continue
        cards = [c["spec"] for c in g["specs"]]
        if rank is not None:
            cards.sort(key=lambda s: rank[s.name])  # type: ignore[index]
        columns.append(Column(g["name"], g["count"], cards[:BOARD_LIMIT]))
    return View(rows, columns, len(snap.specs), error)


# ============================================================ pure helpers
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_NO_CONTROLS = {c: "\ufffd" for c in _CONTROLS} | {0x09: " ", 0x0A: " "}
_NO_CONTROLS_BUT_LINES = {c: "\ufffd" for c in _CONTROLS if c not in (0x09, 0x0A)}


def safe(text: object, *, lines: bool = False) -> str:
    """Spec-supplied text made safe to draw: terminal control characters (ESC, BEL, C1
    codes: a title could otherwise retitle the window or inject escape sequences)
    become U+FFFD; tabs and line breaks become spaces, or stay with ``lines``."""
    t = str(text)
    if lines:
        return t.replace("\r\n", "\n").translate(_NO_CONTROLS_BUT_LINES)
    return t.replace("\r\n", " ").translate(_NO_CONTROLS)


def checklist_items(body: str) -> list[tuple[int, str, bool]]:
    """(1-based line, item text, checked) of each task-list item outside code fences,
    the items ``UpdateOps.checks`` can toggle."""
    out = []
    fence = ""
    for i, line in enumerate(body.split("\n")):
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            if not fence:
                fence = s[:3]
            elif s[:3] == fence:
                fence = ""
            continue
        if fence:
            continue
        m = _TASK.match(line.rstrip("\r"))
        if m and m.group(4).strip():
            out.append((i + 1, m.group(4).strip(), m.group(2) in "xX"))
    return out


def strip_frontmatter(text: str) -> str:
    """A sub-spec file's text without a leading YAML block (shown as markdown)."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end >= 0:
            nl = text.find("\n", end + 4)
            return text[nl + 1 :] if nl >= 0 else ""
    return text


def parse_tags(text: str) -> list[str]:
    """Tags typed in the tag editor: comma or space separated, ``#`` optional."""
    out = []
    for part in re.split(r"[,\s]+", text):
        t = part.strip().lstrip("#").strip()
        if t:
            out.append(t)
    return list(dict.fromkeys(out))


def neighbour_status(status: str, step: int) -> str | None:
    """The status column left (-1) or right (+1) of ``status`` among MOVE_STATUSES."""
    if status not in MOVE_STATUSES:
        return None
    i = MOVE_STATUSES.index(status) + step
    return MOVE_STATUSES[i] if 0 <= i < len(MOVE_STATUSES) else None
