"""The Textual app: the main screen (board and list), live refresh, and every edit.

Live: a timer asks the backend for the listing several times a second. With the
change journal (inotify, ``Project.keep_warm``) an unchanged listing costs a drain of
the journal, so changes made by the CLI, an editor, an agent or ``git checkout`` show
within ~0.3 s; without one (``LEANSPEC_NO_WATCH=1``, other systems) the listing is
validated with ``stat`` at most about once a second.

Edits: every one is ``Project.update`` with the content hash of the version on screen
(a locked store transaction). A stale hash is a conflict: nothing is written, the
message says so and the current version is loaded. The completion guard (open
checklist items, incomplete children, skipping planned) asks before forcing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static

from ..core.errors import CompletionBlocked, Conflict, LeanSpecError
from ..core.model import Spec
from ..project import Project, UpdateOps
from .backend import (
    BOARD_SORTS,
    SORTS,
    STATUS_LABEL,
    Backend,
    Filters,
    Snapshot,
    View,
    neighbour_status,
    parse_tags,
    safe,
    status_of,
)
from .screens import (
    COMMON_BINDINGS,
    EDIT_BINDINGS,
    ChecklistScreen,
    ConfirmScreen,
    DetailScreen,
    FilterScreen,
    HelpScreen,
    PickerScreen,
    ProjectScreen,
    SearchScreen,
    TagsScreen,
    priority_options,
    status_options,
)
from .widgets import Board, ListLayout, More, SpecTable, StatusBar, VirtualList

THEMES = {"dark": "textual-dark", "light": "textual-light"}


class MainScreen(Screen[None]):
    """The board and the list, one at a time."""

    DEFAULT_CSS = """
    MainScreen #list-header { height: 1; background: $panel; text-style: bold; }
    MainScreen #table { height: 1fr; }
    MainScreen ContentSwitcher { height: 1fr; }
    MainScreen #listview { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True),
        Binding("d", "deps", "Deps", show=False),
        *EDIT_BINDINGS,
        *COMMON_BINDINGS,
    ]

    def __init__(self, view: str) -> None:
        super().__init__()
        self.initial_view = view

    @property
    def lsapp(self) -> LeanSpecApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> Any:
        with ContentSwitcher(initial=self.initial_view, id="views"):
            yield Board(id="board")
            with Vertical(id="list"):
                yield Static("", id="list-header", markup=False)
                yield SpecTable(empty_text="Loading…", id="table")
        yield StatusBar("Loading…", id="statusbar")
        yield Footer()

    def on_resize(self) -> None:
        self.update_header()

    def update_header(self) -> None:
        table = self.query_one(SpecTable)
        width = table.scrollable_content_region.width or self.size.width
        self.query_one("#list-header", Static).update(ListLayout(width).header())

    @property
    def view_name(self) -> str:
        try:
            return self.query_one(ContentSwitcher).current or "board"
        except NoMatches:  # not composed yet
            return self.initial_view

    def set_view(self, name: str) -> None:
        self.query_one(ContentSwitcher).current = name
        self.focus_view()

    def focus_view(self) -> None:
        if self.view_name == "list":
            self.set_focus(self.query_one(SpecTable))  # now: the next key goes to it
        else:
            board = self.query_one(Board)
            board.focus_column(board.current_status)

    async def show(self, view: View, snap: Snapshot, *, near: bool = True) -> None:
        """Show a new view. ``near``: a spec that left the view leaves the cursor where it
        was (a live change); otherwise (new filters or sort) the cursor goes to the top."""
        table = self.query_one(SpecTable)
        if not view.rows:
            table.empty_text = (
                "No spec matches the filters (F clears them)."
                if self.lsapp.filters.active
                else "No specs yet: create one with `lean-spec create <name>`."
            )
        table.set_items(view.rows, context=snap, near=near)
        board = self.query_one(Board)
        await board.show(view.columns, snap, near=near)
        self.update_header()
        self.ensure_focus()
        self.call_after_refresh(self.ensure_focus)  # after a dialog closed, Textual restores focus late

    def ensure_focus(self) -> None:
        """Focus a list of the current view unless one has it (a column can vanish)."""
        if not self.is_current:
            return
        f = self.focused
        if f is None or not isinstance(f, VirtualList) or not f.is_attached or not self.in_current_view(f):
            self.focus_view()

    def on_screen_resume(self) -> None:
        self.call_after_refresh(self.ensure_focus)

    def in_current_view(self, widget: Any) -> bool:
        view = self.query_one("#board" if self.view_name == "board" else "#list")
        return any(a is view for a in widget.ancestors)

    def selected_item(self) -> Any:
        if self.view_name == "list":
            return self.query_one(SpecTable).current
        return self.query_one(Board).current_item()

    def selected_spec(self) -> Spec | None:
        item = self.selected_item()
        return item if isinstance(item, Spec) else None

    def select(self, name: str) -> None:
        if self.view_name == "list":
            self.query_one(SpecTable).select_key(name)
        else:
            self.query_one(Board).select(name)

    @on(VirtualList.Selected)
    def opened(self, event: VirtualList.Selected) -> None:
        event.stop()
        self.open_item(event.item)

    def open_item(self, item: Any, tab: str | None = None) -> None:
        if isinstance(item, More):
            self.lsapp.list_status(item.status)
        elif isinstance(item, Spec):
            self.lsapp.open_spec(item.name, tab=tab)

    def action_open(self) -> None:
        self.open_item(self.selected_item())

    def action_deps(self) -> None:
        self.open_item(self.selected_item(), tab="deps")

    def show_status(self, parts: list[tuple[str, str]]) -> None:
        for bar in self.query(StatusBar):
            bar.set(parts)


class LeanSpecApp(App[int]):
    TITLE = "LeanSpec"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
    ]

    def __init__(
        self,
        projects: list[Project],
        *,
        view: str = "board",
        theme_name: str = "dark",
        poll_interval: float | None = None,
        backend: Backend | None = None,
    ) -> None:
        super().__init__()
        if not projects:
            raise ValueError("no project")
        self.projects = list(projects)
        self.current = 0
        self.backend = (backend if backend is not None else Backend(self.projects[0])).prefetch()
        self.backends = [self.backend]
        self.filters = Filters()
        self.list_sort = 0
        self.board_sort = 0
        self.view_data: View | None = None
        self.initial_view = view if view in ("board", "list") else "board"
        self.theme = THEMES.get(theme_name, theme_name if theme_name in self.available_themes else "textual-dark")
        self.poll_interval = poll_interval
        self.main: MainScreen | None = None
        self.flash_until = 0.0
        self.ready = asyncio.Event()
        self._polling = False
        self._poll_timer: Any = None
        self._poll_every = 0.0
        self._applying = asyncio.Lock()
        self._editing = asyncio.Lock()  # edits one after the other, each on the spec as it is then
        self._poll_error = ""
        self.working = ""  # shown in the status bar while a filter or sort is computed

    @property
    def snapshot(self) -> Snapshot | None:
        return self.backend.snapshot

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every message may quote spec text (names, errors): shown plain, never as
        markup, without control characters."""
        super().notify(
            safe(message, lines=True), title=safe(title), severity=severity, timeout=timeout, markup=False
        )

    # ================================================================ start-up
    async def on_mount(self) -> None:
        self.main = MainScreen(self.initial_view)
        await self.push_screen(self.main)
        self.start_backend()

    @work(group="startup", exclusive=True)
    async def start_backend(self) -> None:
        backend = self.backend
        try:
            snap, _touched = await backend.first_listing()
        except LeanSpecError as exc:
            self.notify(exc.message, severity="error", markup=False, timeout=10)
            return
        if backend is not self.backend:
            return
        if snap is not None:
            await self.apply(snap)
        if snap is not None and snap.problems:
            first = ", ".join(p.path for p in snap.problems[:3])
            self.notify(
                f"{len(snap.problems)} spec(s) could not be read: {first}{' …' if len(snap.problems) > 3 else ''}"
                " (lean-spec validate says why)",
                severity="warning",
                markup=False,
                timeout=8,
            )
        self.ready.set()
        self.schedule_poll()

    def schedule_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        interval = self.poll_interval
        if interval is None:
            interval = 0.3 if self.backend.warm else max(1.0, 3 * self.backend.last_load_seconds)
        self._poll_every = interval
        self._poll_timer = self.set_interval(interval, self.poll)

    def poll(self) -> None:
        if not self._polling:
            self._polling = True
            self.run_worker(self._poll(), group="poll", exclusive=False)

    async def _poll(self, force: bool = False) -> None:
        try:
            backend = self.backend
            snap, touched = await backend.call(backend.refresh, force=force)
            if backend is not self.backend:
                return
            if snap is not None:
                self.flash_until = time.monotonic() + 1.0
                await self.apply(snap)
            elif touched:
                await self.refresh_screens()  # the open spec page re-reads its files
            if not backend.warm and self.poll_interval is None:
                want = max(1.0, 3 * backend.last_load_seconds)
                if abs(self._poll_every - want) > 0.5:
                    self.schedule_poll()
            self._poll_error = ""
        except (LeanSpecError, OSError) as exc:  # the project folder went away, say
            msg = getattr(exc, "message", None) or str(exc)
            if msg != self._poll_error:  # once, not on every poll
                self._poll_error = msg
                self.notify(msg, severity="error", markup=False)
        finally:
            self._polling = False

    async def refresh_now(self, *, force: bool = False) -> None:
        """Load the listing now (after an edit, or when asked)."""
        while self._polling:
            await asyncio.sleep(0.01)
        self._polling = True
        await self._poll(force=force)

    async def apply(self, snap: Snapshot, *, near: bool = True) -> None:
        async with self._applying:  # one update of the screens at a time
            await self._apply(snap, near)

    async def _apply(self, snap: Snapshot, near: bool = True) -> None:
        backend = self.backend
        view = await backend.call(backend.view, snap, self.filters, self.list_sort, self.board_sort)
        if backend is not self.backend or snap is not backend.snapshot:
            return
        self.view_data = view
        if view.error:
            self.notify(f"Filter query: {view.error}", severity="error", markup=False)
        if self.main is not None:
            await self.main.show(view, snap, near=near)
        await self.refresh_screens()
        self.update_status()
        if snap._blocked is None:
            # The blocked markers need the dependency graph (~0.1 s at 10,000 specs):
            # built after the first paint, then the rows are drawn again.
            self.run_worker(self._blocked_markers(snap), group="graph", exclusive=True)

    async def _blocked_markers(self, snap: Snapshot) -> None:
        backend = self.backend
        await backend.call(snap.blocked)
        if snap is backend.snapshot:
            for screen in self.screen_stack:
                for vl in screen.query(VirtualList):
                    vl.restyle()

    async def refresh_screens(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ChecklistScreen):
                screen.refreshed()
        top = self.screen
        if isinstance(top, DetailScreen):
            await top.reload()
        else:
            # A spec page under a dialog reloads when it is shown again.
            for screen in self.screen_stack:
                if isinstance(screen, DetailScreen) and screen is not top:
                    screen.stale = True
        self.update_status()

    # =============================================================== status bar
    def status_parts(self) -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = [(self.backend.name, "bold")]
        snap = self.snapshot
        top = next((s for s in reversed(self.screen_stack) if isinstance(s, (MainScreen, DetailScreen))), None)
        if isinstance(top, DetailScreen):
            parts.append(("Spec", ""))
        elif self.main is not None:
            parts.append(("Board" if self.main.view_name == "board" else "List", ""))
        v = self.view_data
        if snap is None or v is None:
            parts.append(("loading…", "dim"))
            return parts
        shown = len(v.rows)
        total = len(snap.specs)
        if self.filters.active:
            parts.append((f"{shown:,}/{total:,} specs", ""))
            parts.append(("filter: " + self.filters.describe(), "yellow"))
        else:
            parts.append((f"{shown:,} specs" + (f" (+{total - shown:,} archived)" if total > shown else ""), ""))
        sort = BOARD_SORTS[self.board_sort][0] if self.main is not None and self.main.view_name == "board" else SORTS[self.list_sort][0]
        parts.append((f"sort {sort}", "dim"))
        if snap.problems:
            parts.append((f"⚠ {len(snap.problems)} unreadable", "yellow"))
        if self.working:
            parts.append((self.working, "bold"))
        live = "● live" if self.backend.warm else "○ polling"
        if time.monotonic() < self.flash_until:
            live += " ↺"
        parts.append((live, "green" if self.backend.warm else "dim"))
        parts.append(("? help", "dim"))
        return parts

    def update_status(self) -> None:
        parts = self.status_parts()
        for screen in self.screen_stack:
            if isinstance(screen, (MainScreen, DetailScreen)):
                screen.show_status(parts)
        if time.monotonic() < self.flash_until:
            self.set_timer(1.05, self.update_status)

    # ============================================================== navigation
    def selected(self) -> Spec | None:
        fn = getattr(self.screen, "selected_spec", None)
        return fn() if fn is not None else None

    def open_spec(self, name: str, *, tab: str | None = None) -> None:
        snap = self.snapshot
        if snap is not None and name not in snap.by_name:
            self.notify(f"{name} is not in this project's listing", severity="warning", markup=False)
            return
        if self.main is not None and self.screen is self.main:
            self.main.select(name)
        self.push_screen(DetailScreen(name, tab=tab))

    def list_status(self, status: str) -> None:
        self.filters = self.filters.replace(statuses=(status,))
        self.action_view("list")
        self.recompute()
        self.notify(f"Listing {STATUS_LABEL.get(status, status)} specs (F clears the filter)", timeout=3)

    def action_view(self, name: str) -> None:
        while isinstance(self.screen, DetailScreen):
            self.pop_screen()
        if self.main is not None:
            self.main.set_view(name)
        self.update_status()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def watch_theme(self, _theme: str) -> None:
        for screen in self.screen_stack:
            for vl in screen.query(VirtualList):
                vl.restyle()

    def action_reload(self) -> None:
        self.run_worker(self.refresh_now(force=True), group="poll")
        self.notify("Reloaded", timeout=1.5)

    # ============================================================ filters/sort
    @work(group="recompute", exclusive=True)
    async def recompute(self) -> None:
        snap = self.snapshot
        self.working = "updating…"
        self.update_status()
        try:
            if snap is not None:
                await self.apply(snap, near=False)
        finally:
            self.working = ""
            self.update_status()

    @work(group="dialog")
    async def action_filter(self) -> None:
        f = await self.push_screen_wait(FilterScreen(self.filters))
        if f is not None and f != self.filters:
            self.filters = f
            self.recompute()

    def action_clear_filters(self) -> None:
        if self.filters.active:
            self.filters = Filters()
            self.recompute()
            self.notify("Filters cleared", timeout=2)

    def action_sort(self) -> None:
        if self.main is not None and self.main.view_name == "board":
            self.board_sort = (self.board_sort + 1) % len(BOARD_SORTS)
            label = BOARD_SORTS[self.board_sort][0]
        else:
            self.list_sort = (self.list_sort + 1) % len(SORTS)
            label = SORTS[self.list_sort][0]
        self.notify(f"Sorted by {label}", timeout=2)
        self.recompute()

    @work(group="dialog")
    async def action_search(self) -> None:
        name = await self.push_screen_wait(SearchScreen(archived=self.filters.archived))
        if name:
            self.open_spec(name)

    # ================================================================ projects
    @work(group="dialog")
    async def action_projects(self) -> None:
        rows = [(p.root.name or str(p.root), str(p.root)) for p in self.projects]
        res = await self.push_screen_wait(ProjectScreen(rows, self.current))
        if res is None:
            return
        kind, value = res
        if kind == "add":
            try:
                project = await asyncio.to_thread(Project.open, value)
            except LeanSpecError as exc:
                self.notify(exc.message, severity="error", markup=False)
                return
            for i, p in enumerate(self.projects):
                if p.root == project.root:
                    value = i
                    break
            else:
                self.projects.append(project)
                value = len(self.projects) - 1
        await self.switch_project(int(value))

    async def switch_project(self, index: int) -> None:
        if index == self.current:
            return
        old = self.backend
        self.current = index
        self.backend = Backend(self.projects[index])
        self.backends.append(self.backend)
        self.filters = Filters()
        self.view_data = None
        while isinstance(self.screen, DetailScreen):
            self.pop_screen()
        self.update_status()
        await asyncio.to_thread(old.close)
        self.ready.clear()
        self.start_backend()
        self.notify(f"Project {self.backend.name}", timeout=2, markup=False)

    # =================================================================== edits
    def _need_spec(self) -> Spec | None:
        spec = self.selected()
        if spec is None:
            self.notify("No spec selected", severity="warning", timeout=2)
        return spec

    @work(group="edit")
    async def action_move(self) -> None:
        async with self._editing:
            await self._move()

    async def _move(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        st = await self.push_screen_wait(PickerScreen(f"Move {spec.name} to", status_options(), status_of(spec)))
        if st and st != status_of(spec):
            await self.update_spec(spec, UpdateOps(status=st), f"status → {st}")

    @work(group="edit")
    async def action_step(self, step: int) -> None:
        async with self._editing:  # `>` `>` moves twice, the second from where the first left it
            await self._step(step)

    async def _step(self, step: int) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        st = neighbour_status(status_of(spec), step)
        if st is None:
            self.notify("No column that way", timeout=2)
            return
        await self.update_spec(spec, UpdateOps(status=st), f"status → {st}")

    @work(group="edit")
    async def action_priority(self) -> None:
        async with self._editing:
            await self._priority()

    async def _priority(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        p = await self.push_screen_wait(
            PickerScreen(f"Priority of {spec.name}", priority_options(), (spec.priority or "").lower())
        )
        if p and p != spec.priority:
            await self.update_spec(spec, UpdateOps(priority=p), f"priority → {p}")

    @work(group="edit")
    async def action_tags(self) -> None:
        async with self._editing:
            await self._tags()

    async def _tags(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        text = await self.push_screen_wait(TagsScreen(spec))
        if text is None:
            return
        new = parse_tags(text)
        shown = {safe(t): t for t in spec.tags}  # the dialog showed tags made safe to draw
        add = [t for t in new if t not in shown]
        remove = [orig for s, orig in shown.items() if s not in new]
        if not add and not remove:
            return
        what = " ".join([*("+" + t for t in add), *("-" + t for t in remove)])
        await self.update_spec(spec, UpdateOps(add_tags=add, remove_tags=remove), f"tags {what}")

    def action_checklist(self) -> None:
        spec = self._need_spec()
        if spec is not None:
            self.push_screen(ChecklistScreen(spec))

    async def toggle_check(self, spec: Spec, item: str, checked: bool) -> Spec | None:
        return await self.update_spec(spec, UpdateOps(checks=[(item, checked)]), ("☑ " if checked else "☐ ") + item)

    async def update_spec(self, spec: Spec, ops: UpdateOps, what: str, *, force: bool = False) -> Spec | None:
        """One ``Project.update`` carrying the hash of the version on screen. Returns the
        spec as written, or None (conflict, refusal, error: shown to the user)."""
        backend = self.backend
        try:
            res = await backend.call(
                backend.project.update, spec.name, ops, expected_hash=spec.content_hash, force=force
            )
        except Conflict:
            self.notify(
                f"{spec.name} changed on disk since it was shown; nothing was written. "
                "The current version is shown now: check it and try again.",
                title="Conflict",
                severity="error",
                timeout=8,
                markup=False,
            )
            await self.refresh_now()
            return None
        except CompletionBlocked as exc:
            if force:
                self.notify(exc.message, severity="error", markup=False)
                return None
            label = "complete anyway" if ops.status == "complete" else "move anyway"
            yes = await self.push_screen_wait(ConfirmScreen(f"{spec.name}: {what}?", exc.message, label))
            if yes:
                return await self.update_spec(spec, ops, what, force=True)
            return None
        except LeanSpecError as exc:
            self.notify(exc.message + (f"\n{exc.hint}" if exc.hint else ""), severity="error", markup=False)
            await self.refresh_now()
            return None
        if res.written:
            self.notify(f"{res.spec.name}: {what}", timeout=3, markup=False)
        else:
            self.notify(f"{res.spec.name}: nothing to change", timeout=2, markup=False)
        await self.refresh_now()
        if self.main is not None and self.screen is self.main and ops.status:
            self.main.select(res.spec.name)  # the cursor follows a moved card
        return res.spec

    # ================================================================ shutdown
    async def on_unmount(self) -> None:
        for b in self.backends:
            await asyncio.to_thread(b.close)
