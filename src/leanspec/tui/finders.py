"""The filter dialog and the search dialog: what narrows the board and the list, and
what finds a spec by the project's query syntax (docs/search.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ..core.model import PRIORITIES, STATUSES
from .backend import PRIORITY_SYMBOL, STATUS_SYMBOL, Filters, safe
from .dialogs import Dialog, VimOptionList, plain


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
