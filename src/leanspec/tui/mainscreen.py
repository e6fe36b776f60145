"""The main screen: the board and the list, one at a time (the widgets are in
widgets.py), with the cursor, focus and selection logic they share."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static

from ..core.model import Spec
from .backend import Snapshot, View
from .bindings import COMMON_BINDINGS, EDIT_BINDINGS
from .board import Board, More
from .widgets import ListLayout, SpecTable, StatusBar, VirtualList


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
    def lsapp(self) -> Any:  # the LeanSpecApp (app.py imports this module, not the reverse)
        return self.app

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
