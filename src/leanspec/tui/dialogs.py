"""Dialogs: help, pickers, confirmation, tags, checklist, table of contents, project
switcher, the claimant's name. Plus the small helpers every screen uses to show spec
text (``plain``, ``ptext``) and the vim-keyed option list.

Dialogs hold no project state: they return a value, or (the checklist) hand each
toggle back to the app, so every edit takes the same path.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..core.model import PRIORITIES, Spec
from .backend import PRIORITY_SYMBOL, STATUS_LABEL, STATUS_SYMBOL, checklist_items, safe
from .keys import KEYS


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
        Binding("pagedown,space", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("g,home", "edge(False)", show=False),
        Binding("G,end", "edge(True)", show=False),
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

    def action_page(self, step: int) -> None:
        vs = self.query_one(VerticalScroll)
        vs.scroll_relative(y=step * max(1, vs.scrollable_content_region.height - 1), animate=False)

    def action_edge(self, end: bool) -> None:
        vs = self.query_one(VerticalScroll)
        (vs.scroll_end if end else vs.scroll_home)(animate=False)


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


def release_options() -> list[tuple[str, Text | str]]:
    return [
        ("planned", Text(f"{STATUS_SYMBOL['planned']} back to planned (the queue; assignee cleared)")),
        ("complete", Text(f"{STATUS_SYMBOL['complete']} complete")),
        ("keep", Text(f"{STATUS_SYMBOL['in-progress']} keep in progress (pause: nobody is offered it)")),
    ]


class HolderScreen(Dialog):
    """The name claims are made as (asked once per session); returns it or None."""

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> Any:
        with Vertical():
            yield Label("Claim as", classes="dialog-title")
            yield Input(safe(self.default), placeholder="your name (as in lean-spec claim --as NAME)", id="holder-input", select_on_focus=False)
            yield Label("Enter keeps it for this session (@ changes it) · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


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
