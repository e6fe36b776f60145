"""Screens of the TUI: the spec page and the dialogs (help, pickers, tags, checklist,
filters, search, table of contents, confirmation, project switcher).

Screens hold no project state: they ask the app (``LeanSpecApp``) for the current
snapshot and hand edits back to it, so every edit takes the same path (one
``Project.update`` with the content hash of the version on screen).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Footer,
    Input,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from ..core.model import PRIORITIES, STATUSES, Spec
from .backend import PRIORITY_SYMBOL, STATUS_LABEL, STATUS_SYMBOL, Filters, checklist_items, safe, status_of
from .keys import KEYS
from .widgets import DocView, StatusBar

# Keys every full screen (board/list, spec page) has; the app implements them.
COMMON_BINDINGS: list[BindingType] = [
    Binding("question_mark", "app.help", "Help"),
    Binding("q", "app.quit", "Quit"),
    Binding("slash", "app.search", "Search"),
    Binding("f", "app.filter", "Filter"),
    Binding("F", "app.clear_filters", "Clear filters", show=False),
    Binding("s", "app.sort", "Sort", show=False),
    Binding("p", "app.projects", "Project", show=False),
    Binding("r", "app.reload", "Reload", show=False),
    Binding("1", "app.view('board')", "Board", show=False),
    Binding("2", "app.view('list')", "List", show=False),
]
EDIT_BINDINGS: list[BindingType] = [
    Binding("m", "app.move", "Move"),
    Binding("less_than_sign", "app.step(-1)", "◀ status", show=False),
    Binding("greater_than_sign", "app.step(1)", "status ▶", show=False),
    Binding("exclamation_mark", "app.priority", "Priority", show=False),
    Binding("number_sign", "app.tags", "Tags", show=False),
    Binding("x", "app.checklist", "Checklist", show=False),
]


_TASK_LINE = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\](?=\s|$)")


def display_markdown(text: str) -> str:
    """The text a spec page renders: task-list boxes drawn as ☐ / ☑ (Textual's markdown
    shows them as literal brackets). Display only; edits go through the checklist dialog."""
    if "[" not in text:
        return text
    out = []
    fence = ""
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith(("```", "~~~")):
            fence = "" if fence and s[:3] == fence else (fence or s[:3])
        elif not fence:
            line = _TASK_LINE.sub(lambda m: m.group(1) + ("☑" if m.group(2) in "xX" else "☐"), line)
        out.append(line)
    return "\n".join(out)


def plain(text: str) -> Content:
    """Spec-supplied text as a plain label: never markup, no control characters."""
    return Content(safe(text))


def ptext(text: str, style: str = "", **kw: Any) -> Text:
    """Spec-supplied text as a Rich ``Text`` (plain, no control characters)."""
    return Text(safe(text), style, **kw)


class VimOptionList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]


class Dialog(ModalScreen[Any]):
    """A centred box; Esc closes it with None."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical {
        width: 72;
        max-width: 96%;
        height: auto;
        max-height: 92%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    Dialog .dialog-title { text-style: bold; padding-bottom: 1; }
    Dialog .dialog-hint { color: $text-muted; padding-top: 1; }
    Dialog OptionList, Dialog OptionList:focus { height: auto; max-height: 16; border: none; padding: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def action_close(self) -> None:
        self.dismiss(None)


# ======================================================================= help
class HelpScreen(Dialog):
    DEFAULT_CSS = """
    HelpScreen > Vertical { width: 90; height: 90%; }
    HelpScreen VerticalScroll { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close"),
        Binding("j,down", "scroll(1)", show=False),
        Binding("k,up", "scroll(-1)", show=False),
    ]

    def compose(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        parts: list[Any] = []
        for section, rows in KEYS:
            parts.append(Text(section, "bold underline"))
            grid = Table.grid(padding=(0, 2))
            grid.add_column(width=18, no_wrap=True, style="bold")
            grid.add_column()
            for keys, what in rows:
                grid.add_row(keys, what)
            parts += [grid, Text("")]
        t = Group(*parts)
        with Vertical():
            yield Label("Keys — Esc, ? or q closes", classes="dialog-title")
            with VerticalScroll():
                yield Static(t, id="help-text")

    def action_scroll(self, step: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=step, animate=False)


# ==================================================================== pickers
class PickerScreen(Dialog):
    """Pick one value from a short list; returns the value (None when closed)."""

    def __init__(self, title: str, options: list[tuple[str, Text | str]], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> Any:
        with Vertical():
            yield Label(plain(self.title_text), classes="dialog-title")
            yield VimOptionList(
                *[Option(label if isinstance(label, Text) else plain(label), id=value) for value, label in self.options],
                id="picker",
            )
            yield Label("Enter choose · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        if self.current is not None:
            for i, (value, _l) in enumerate(self.options):
                if value == self.current:
                    ol.highlighted = i
        ol.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


def status_options() -> list[tuple[str, Text | str]]:
    from .backend import MOVE_STATUSES

    return [(s, Text(f"{STATUS_SYMBOL[s]} {STATUS_LABEL[s]}")) for s in MOVE_STATUSES]


def priority_options() -> list[tuple[str, Text | str]]:
    return [(p, Text(f"{PRIORITY_SYMBOL[p]} {p}")) for p in reversed(PRIORITIES)]


class ConfirmScreen(Dialog):
    """A yes/no question; returns True or False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, message: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes = yes

    def compose(self) -> Any:
        with Vertical():
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(ptext(self.message), id="confirm-message")
            yield Label(plain(f"y / Enter: {self.yes} · n / Esc: cancel"), classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TagsScreen(Dialog):
    """Edit a spec's tags as text; returns the new text (None when cancelled)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> Any:
        with Vertical():
            yield Label(plain(f"Tags of {self.spec.name}"), classes="dialog-title")
            yield Input(", ".join(safe(t) for t in self.spec.tags), placeholder="api, perf", id="tags-input", select_on_focus=False)
            yield Label("Comma or space separated · Enter saves · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class ChecklistScreen(Dialog):
    """Tick and untick the spec's checklist items, each a separate store transaction."""

    DEFAULT_CSS = """
    ChecklistScreen OptionList { max-height: 18; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("space", "toggle_item", "Toggle"),
    ]

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.spec = spec
        self.items: list[tuple[int, str, bool]] = []
        self._busy = asyncio.Lock()  # one toggle at a time, each on the version it shows

    @property
    def lsapp(self) -> Any:  # the LeanSpecApp (app.py imports this module, not the reverse)
        return self.app  # type: ignore[return-value]

    def compose(self) -> Any:
        with Vertical():
            yield Label(plain(f"Checklist of {self.spec.name}"), classes="dialog-title", id="check-title")
            yield VimOptionList(id="checklist")
            yield Label("Space / Enter tick or untick · Esc close", classes="dialog-hint")

    async def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        async with self._busy:
            await self.show(self.spec)

    async def show(self, spec: Spec) -> None:
        # The body may have to be read from disk: on the worker thread, not here.
        backend = self.lsapp.backend
        items = await backend.call(lambda: checklist_items(spec.body))
        self.spec = spec
        self.items = items
        ol = self.query_one(OptionList)
        keep = ol.highlighted or 0
        done = sum(1 for _l, _t, c in items if c)
        self.query_one("#check-title", Label).update(plain(f"Checklist of {spec.name} ({done}/{len(items)})"))
        ol.clear_options()
        if not items:
            ol.add_option(Option(plain("This spec has no checklist items."), disabled=True))
            return
        ol.add_options([Option(ptext(("☑ " if checked else "☐ ") + text), id=f"{line}") for line, text, checked in items])
        ol.highlighted = min(keep, len(items) - 1)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()

    @work(group="checklist")
    async def action_toggle_item(self) -> None:
        async with self._busy:
            i = self.query_one(OptionList).highlighted
            if i is None or not 0 <= i < len(self.items):
                return
            _line, text, checked = self.items[i]
            new = await self.lsapp.toggle_check(self.spec, text, not checked)
            if new is not None:
                await self.show(new)
            else:  # refused or a conflict: show the spec as it is now
                self._show_current()

    def refreshed(self) -> None:
        """The listing changed: show the spec as it is now."""
        if not self._busy.locked():
            self._show_current()

    def _show_current(self) -> None:
        snap = self.lsapp.snapshot
        cur = snap.by_name.get(self.spec.name) if snap is not None else None
        if cur is not None and cur.content_hash != self.spec.content_hash:
            self.run_worker(self._show_locked(cur), group="checklist-refresh", exclusive=True)

    async def _show_locked(self, spec: Spec) -> None:
        async with self._busy:
            await self.show(spec)


# ==================================================================== filters
class ToggleList(VimOptionList):
    """Options with a visible ``[x]`` / ``[ ]`` state (readable without colour too);
    Space or Enter toggles the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_item", "Toggle", show=False)]

    def __init__(self, items: list[tuple[str, str]], on: set[str], *, id: str) -> None:
        super().__init__(id=id)
        self.items = items
        self.on = set(on)

    def on_mount(self) -> None:
        self.draw()
        self.highlighted = 0

    def draw(self) -> None:
        keep = self.highlighted
        self.clear_options()
        self.add_options(
            [Option(Text(("[x] " if v in self.on else "[ ] ") + label), id=v) for v, label in self.items]
        )
        if keep is not None:
            self.highlighted = keep

    def action_toggle_item(self) -> None:
        i = self.highlighted
        if i is None:
            return
        v = self.items[i][0]
        self.on.symmetric_difference_update({v})
        self.draw()

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()

    def values(self) -> list[str]:
        return [v for v, _l in self.items if v in self.on]


class FilterScreen(Dialog):
    """Statuses and priorities (any of), tags (all of), assignee, a search query and
    whether archived specs show. Esc (or Enter in a text field) applies."""

    DEFAULT_CSS = """
    FilterScreen > Vertical { width: 78; }
    FilterScreen Horizontal { height: auto; }
    FilterScreen ToggleList { width: 1fr; height: auto; max-height: 7; border: round $panel-lighten-2; }
    FilterScreen ToggleList:focus { border: round $accent; }
    FilterScreen .field { height: 1; margin-top: 1; }
    FilterScreen .field Label { width: 10; }
    FilterScreen .field Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
    FilterScreen .field Input:focus { background: $accent 30%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "apply", "Apply"),
        Binding("ctrl+x", "clear", "Clear all"),
    ]

    def __init__(self, filters: Filters) -> None:
        super().__init__()
        self.filters = filters

    def compose(self) -> Any:
        f = self.filters
        on = set(f.statuses) | set(f.priorities) | ({"+archived"} if f.archived else set())
        with Vertical():
            yield Label("Filters — Tab next field · Space toggles · Esc applies · Ctrl+X clears", classes="dialog-title")
            with Horizontal():
                yield ToggleList([(s, f"{STATUS_SYMBOL[s]} {s}") for s in STATUSES], on, id="f-status")
                yield ToggleList(
                    [*((p, f"{PRIORITY_SYMBOL[p]} {p}") for p in reversed(PRIORITIES)), ("+archived", "show archived too")],
                    on,
                    id="f-priority",
                )
            with Horizontal(classes="field"):
                yield Label("Tags")
                yield Input(", ".join(f.tags), placeholder="all of: api, perf", id="f-tags", select_on_focus=False)
            with Horizontal(classes="field"):
                yield Label("Assignee")
                yield Input(f.assignee, placeholder="name", id="f-assignee", select_on_focus=False)
            with Horizontal(classes="field"):
                yield Label("Query")
                yield Input(f.query, placeholder='tag:api status:planned "phrase" -word fuzzy~', id="f-query", select_on_focus=False)

    def on_mount(self) -> None:
        self.query_one("#f-status").border_title = "Status"
        self.query_one("#f-priority").border_title = "Priority"
        self.query_one("#f-status", ToggleList).focus()

    def current(self) -> Filters:
        from .backend import parse_tags

        pr = self.query_one("#f-priority", ToggleList).values()
        return Filters(
            statuses=self.query_one("#f-status", ToggleList).values(),
            priorities=[p for p in pr if p != "+archived"],
            tags=parse_tags(self.query_one("#f-tags", Input).value),
            assignee=self.query_one("#f-assignee", Input).value,
            query=self.query_one("#f-query", Input).value,
            archived="+archived" in pr,
        )

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self.current())

    def action_clear(self) -> None:
        self.dismiss(Filters())


# ===================================================================== search
class SearchScreen(Dialog):
    """Type a query (the project's search syntax); results update as you type. Enter
    opens the highlighted result; returns its name."""

    DEFAULT_CSS = """
    SearchScreen { align: center top; }
    SearchScreen > Vertical { width: 100; margin-top: 1; }
    SearchScreen OptionList { max-height: 18; }
    SearchScreen #search-info { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, archived: bool = False) -> None:
        super().__init__()
        self.archived = archived
        self.seq = 0

    @property
    def lsapp(self) -> Any:  # the LeanSpecApp (app.py imports this module, not the reverse)
        return self.app  # type: ignore[return-value]

    def compose(self) -> Any:
        with Vertical():
            yield Input(placeholder='search: words, "phrase", tag:api status:planned, NOT, OR, fuzzy~', id="search-input")
            yield Label("", id="search-info")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        self.seq += 1
        self.run_query(event.value, self.seq)

    @work(group="search", exclusive=True)
    async def run_query(self, query: str, seq: int) -> None:
        import asyncio

        await asyncio.sleep(0.12)  # typing: wait for a pause
        if seq != self.seq:
            return
        ol = self.query_one(OptionList)
        info = self.query_one("#search-info", Label)
        if not query.strip():
            ol.clear_options()
            info.update("")
            return
        from ..core.errors import LeanSpecError

        backend = self.lsapp.backend
        info.update("searching…")
        try:
            res = await backend.call(backend.search, query, limit=50, archived=self.archived)
        except LeanSpecError as exc:
            if seq == self.seq:
                ol.clear_options()
                info.update(plain(f"⚠ {exc.message}"))
            return
        if seq != self.seq:
            return
        ol.clear_options()
        opts = []
        for r in res["results"]:
            sp = r["spec"]
            t = Text(no_wrap=True, overflow="ellipsis")
            st = sp["status"] if sp["status"] in STATUS_SYMBOL else "planned"
            t.append(f"{STATUS_SYMBOL[st]} ", "bold")
            t.append(safe(f"{sp['name']}  "), "dim")
            t.append(safe(sp["title"]), "bold")
            m = next(
                (
                    m
                    for m in r.get("matches", [])
                    if m.get("field") == "content" and not str(m.get("text", "")).lstrip().startswith("# ")
                ),
                None,
            )
            if m:
                t.append("\n   " + " ".join(safe(m.get("text", "")).split())[:160], "dim")
            opts.append(Option(t, id=sp["name"]))
        ol.add_options(opts)
        if opts:
            ol.highlighted = 0
        total = res["total"]
        info.update(plain(f"{total:,} match{'es' if total != 1 else ''}" + (" (first 50)" if total > 50 else "") + " · ↑↓ move · Enter open · Esc close"))

    def action_move(self, step: int) -> None:
        ol = self.query_one(OptionList)
        if ol.option_count:
            ol.highlighted = max(0, min((ol.highlighted or 0) + step if ol.highlighted is not None else 0, ol.option_count - 1))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        ol = self.query_one(OptionList)
        if ol.highlighted is not None and ol.option_count:
            self.dismiss(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


# ====================================================================== TOC
class TocScreen(Dialog):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,T", "close", "Close")]

    def __init__(self, toc: list[tuple[int, str, int]]) -> None:
        super().__init__()
        self.toc = toc  # (level, heading, first line)

    def compose(self) -> Any:
        with Vertical():
            yield Label("Table of contents", classes="dialog-title")
            ol = VimOptionList(id="toc")
            if not self.toc:
                ol.add_option(Option("(no headings)", disabled=True))
            for level, label, line in self.toc:
                ol.add_option(Option(ptext("  " * max(0, level - 1) + label), id=str(line)))
            yield ol
            yield Label("Enter jump · Esc close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id) if event.option.id is not None else None)


# =========================================================== project switcher
class ProjectScreen(Dialog):
    """The projects this TUI knows (``-C`` given several times, and folders added
    here); returns the index of the chosen one, or a folder path to add."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("a", "add", "Add a folder"),
    ]

    def __init__(self, projects: list[tuple[str, str]], current: int) -> None:
        super().__init__()
        self.projects = projects
        self.current = current

    def compose(self) -> Any:
        with Vertical():
            yield Label("Projects", classes="dialog-title")
            yield VimOptionList(
                *[
                    Option(ptext(("● " if i == self.current else "  ") + name + "  ") + ptext(path, "dim"), id=str(i))
                    for i, (name, path) in enumerate(self.projects)
                ],
                id="projects",
            )
            yield Input(placeholder="folder of another project (Enter adds it)", id="project-path", classes="hidden")
            yield Label("Enter open · a add a folder · Esc close", classes="dialog-hint")

    DEFAULT_CSS = """
    ProjectScreen .hidden { display: none; }
    """

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.highlighted = self.current
        ol.focus()

    def action_add(self) -> None:
        inp = self.query_one(Input)
        inp.remove_class("hidden")
        inp.focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(("add", event.value.strip()))

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(("open", int(event.option.id or 0)))


# ================================================================= spec page
class DetailScreen(Screen[None]):
    """One spec: a header, its README and sub-spec files as rendered markdown (one tab
    each), and its dependencies."""

    DEFAULT_CSS = """
    DetailScreen #detail-header {
        height: auto; max-height: 5; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DetailScreen TabbedContent { height: 1fr; }
    DetailScreen TabPane { padding: 0; height: 1fr; }
    DetailScreen ContentSwitcher { height: 1fr; }
    DetailScreen #deps { height: 1fr; border: none; max-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back"),
        Binding("T", "toc", "Contents"),
        Binding("d", "deps", "Deps"),
        Binding("tab", "tab(1)", "Next tab", show=False, priority=True),
        Binding("shift+tab", "tab(-1)", "Prev tab", show=False, priority=True),
        *EDIT_BINDINGS,
        *COMMON_BINDINGS,
    ]

    def __init__(self, name: str, *, tab: str | None = None) -> None:
        super().__init__()
        self.spec_name = name
        self.initial_tab = tab
        self.spec: Spec | None = None
        self.files: list[tuple[str, str]] = []
        self.deps: dict[str, Any] | None = None
        self.blocked: list[str] = []
        self.gone = False
        self.stale = False  # the listing changed while a dialog covered this page
        self._reloading = asyncio.Lock()

    @property
    def lsapp(self) -> Any:  # the LeanSpecApp (app.py imports this module, not the reverse)
        return self.app  # type: ignore[return-value]

    def compose(self) -> Any:
        yield Static("", id="detail-header")
        yield TabbedContent(id="tabs")
        yield StatusBar(id="statusbar")
        yield Footer()

    async def on_mount(self) -> None:
        await self.reload(first=True)
        self.lsapp.update_status()

    async def on_screen_resume(self) -> None:
        if self.stale and self.spec is not None:
            self.stale = False
            await self.reload()
        self.lsapp.update_status()

    def selected_spec(self) -> Spec | None:
        return None if self.gone else self.spec

    # -- data -----------------------------------------------------------------
    async def reload(self, *, first: bool = False) -> None:
        async with self._reloading:  # the first load and a live refresh never interleave
            await self._reload(first=first or self.spec is None)

    async def _reload(self, *, first: bool) -> None:
        from ..core.errors import SpecNotFound

        backend = self.lsapp.backend
        try:
            data = await backend.call(backend.detail, self.spec_name)
        except SpecNotFound:
            self.gone = True
            self.query_one("#detail-header", Static).update(
                ptext(f"{self.spec_name} no longer exists (deleted, renamed or archived elsewhere). Esc goes back.", "bold")
            )
            return
        self.gone = False
        spec: Spec = data["spec"]
        changed_spec = self.spec is None or spec.content_hash != self.spec.content_hash or spec.name != self.spec.name
        self.spec = spec
        self.spec_name = spec.name
        self.blocked = data["blocked"]
        self.query_one("#detail-header", Static).update(self.header_text())
        names = [n for n, _t in data["files"]]
        tabs = self.query_one(TabbedContent)
        if first or names != [n for n, _t in self.files]:
            # (Re)build the tabs; a rebuild (a sub-spec file came or went) keeps the tab
            # that was shown when it is still there.
            shown = self.initial_tab if first else self.active_tab_name()
            self.files = data["files"]
            self.deps = data["deps"]
            await tabs.clear_panes()
            for i, (fname, text) in enumerate(self.files):
                doc = DocView(display_markdown(text), id=f"doc-{i}")
                await tabs.add_pane(TabPane(plain(fname), doc, id=f"file-{i}"))
            await tabs.add_pane(TabPane("Dependencies", VimOptionList(id="deps"), id="tab-deps"))
            self.fill_deps()
            want = "file-0"
            if shown == "deps":
                want = "tab-deps"
            elif shown in names:
                want = f"file-{names.index(shown)}"
            tabs.active = want
            self.focus_active()
            return
        # Same files: update the ones whose text changed (each keeps its scroll position).
        for i, ((_n, old), (_n2, new)) in enumerate(zip(self.files, data["files"], strict=True)):
            if old != new:
                self.query_one(f"#doc-{i}", DocView).set_text(display_markdown(new))
        self.files = data["files"]
        if changed_spec or data["deps"] != self.deps:
            self.deps = data["deps"]
            self.fill_deps()

    def header_text(self) -> Text:
        s = self.spec
        assert s is not None
        st = status_of(s)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(safe(s.title), "bold")
        t.append("\n")
        t.append(safe(s.name), "dim")
        t.append("  ")
        t.append(f"{STATUS_SYMBOL.get(st, '?')} {STATUS_LABEL.get(st, st)}", "bold")
        prio = (s.priority or "").lower()
        if prio:
            t.append(safe(f"  {PRIORITY_SYMBOL.get(prio, ' ')} {prio}"))
        if s.assignee:
            t.append(safe(f"  @{s.assignee}"))
        done, total = s.checklist
        if total:
            t.append(f"  ☑ {done}/{total}")
        if self.blocked:
            t.append(safe("  ⊠ blocked by " + ", ".join(self.blocked)), "bold red")
        t.append("\n")
        meta = []
        if s.tags:
            meta.append(" ".join("#" + x for x in s.tags))
        if s.created:
            meta.append(f"created {s.created}")
        upd = s.frontmatter.get("updated_at") or s.frontmatter.get("updated")
        if upd:
            meta.append(f"updated {str(upd)[:10]}")
        if s.depends_on:
            meta.append(f"depends on {len(s.depends_on)}")
        if s.parent:
            meta.append(f"parent {s.parent}")
        t.append(safe("  ·  ".join(meta)), "dim")
        return t

    def fill_deps(self) -> None:
        ol = self.query_one("#deps", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        d = self.deps
        snap = self.lsapp.snapshot

        def row(section: str, card: dict[str, Any], indent: int = 0) -> Option:
            st = card.get("status") or "planned"
            st = st if st in STATUS_SYMBOL else "planned"
            if snap is not None and card["name"] in snap.by_name:
                st = status_of(snap.by_name[card["name"]])
            t = Text(no_wrap=True, overflow="ellipsis")
            t.append("  " * indent + f"{STATUS_SYMBOL[st]} ", "bold")
            t.append(safe(f"{card['name']}  "), "dim")
            t.append(safe(card.get("title") or ""))
            return Option(t, id=f"{section}:{card['name']}")

        def head(text: str) -> Option:
            return Option(Text(text, "bold underline"), disabled=True)

        def none() -> Option:
            return Option(Text("  (none)", "dim"), disabled=True)

        if d is None:
            ol.add_option(Option(plain("No dependency information."), disabled=True))
            return
        opts: list[Option] = [head("Upstream — depends on")]
        opts += [row("up", c, c.get("depth", 1)) for c in d["depends_on"]] or [none()]
        opts.append(head("Downstream — required by"))
        opts += [row("down", c, c.get("depth", 1)) for c in d["required_by"]] or [none()]
        if d.get("parent"):
            opts += [head("Parent"), row("parent", d["parent"], 1)]
        if d.get("children"):
            opts.append(head("Children"))
            opts += [row("child", c, 1) for c in d["children"]]
        if d.get("cycles"):
            opts.append(head("Cycles"))
            opts += [Option(ptext("  " + " → ".join(c), "red"), disabled=True) for c in d["cycles"]]
        if d.get("unresolved"):
            opts.append(head("Unresolved references"))
            opts += [
                Option(ptext(f"  {u['field']}: {u['ref']} ({u['reason']})", "dim"), disabled=True)
                for u in d["unresolved"]
            ]
        if self.spec is not None and self.spec.depends_on:
            opts.append(head("depends_on (frontmatter)"))
            opts += [Option(ptext("  " + x, "dim"), disabled=True) for x in self.spec.depends_on]
        ol.add_options(opts)
        if keep is not None and keep < ol.option_count:
            ol.highlighted = keep

    # -- actions --------------------------------------------------------------
    def active_tab_name(self) -> str | None:
        """"deps", a file name, or None."""
        active = self.query_one(TabbedContent).active
        if active == "tab-deps":
            return "deps"
        if active and active.startswith("file-"):
            i = int(active.removeprefix("file-"))
            return self.files[i][0] if i < len(self.files) else None
        return None

    def focus_active(self) -> None:
        """Focus the active tab's content now (keys typed next go to it)."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == "tab-deps":
            ol = self.query_one("#deps", OptionList)
            self.set_focus(ol)
            if ol.highlighted is None:
                ol.action_first()
        else:
            i = tabs.active.removeprefix("file-") if tabs.active else "0"
            for doc in self.query(f"#doc-{i}").results(DocView):
                self.set_focus(doc)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self.focus_active)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [p.id for p in tabs.query(TabPane) if p.id]
        if not ids:
            return
        i = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(i + step) % len(ids)]
        self.focus_active()

    def action_deps(self) -> None:
        self.query_one(TabbedContent).active = "tab-deps"
        self.focus_active()

    def current_doc(self) -> DocView | None:
        tabs = self.query_one(TabbedContent)
        if not tabs.active or not tabs.active.startswith("file-"):
            return None
        return self.query_one(f"#doc-{tabs.active.removeprefix('file-')}", DocView)

    @work(group="toc")
    async def action_toc(self) -> None:
        doc = self.current_doc()
        if doc is None:
            self.query_one(TabbedContent).active = "file-0"
            doc = self.current_doc()
            if doc is None:
                return
        line = await self.app.push_screen_wait(TocScreen(doc.headings))
        if line is not None:
            doc.scroll_to(y=int(line), animate=False)
            self.set_focus(doc)

    @on(OptionList.OptionSelected, "#deps")
    def dep_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            name = event.option.id.split(":", 1)[1]
            self.lsapp.open_spec(name)

    def show_status(self, parts: list[tuple[str, str]]) -> None:
        for bar in self.query(StatusBar):
            bar.set(parts)
