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

from textual import work
from textual.binding import Binding, BindingType

from ..core.errors import LeanSpecError
from ..project import Project
from .backend import BOARD_SORTS, SORTS, STATUS_LABEL, Backend, Filters, Snapshot, View, safe
from .dialogs import ChecklistScreen, HelpScreen, ProjectScreen
from .edits import EditingApp
from .finders import FilterScreen, SearchScreen
from .mainscreen import MainScreen
from .specpage import DetailScreen
from .widgets import VirtualList

THEMES = {"dark": "textual-dark", "light": "textual-light"}


class LeanSpecApp(EditingApp):
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
        self.holder = ""  # the claimant's name, asked at the first claim (edits.py)
        self.working = ""  # shown in the status bar while a filter or sort is computed

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
        if snap.leases:
            parts.append((f"⚑ {len(snap.leases)} claimed", "bold"))
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

    # ================================================================ shutdown
    async def on_unmount(self) -> None:
        for b in self.backends:
            await asyncio.to_thread(b.close)
