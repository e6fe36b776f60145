"""The kanban board: one column per status, each a virtual list of five-line cards
(number, priority, blocked marker; the title; the claim or assignee, tags, checklist
progress), and the "… N more" row of a column that holds more than it draws."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll, Vertical
from textual.widgets import Static

from ..core.model import Spec
from .backend import PRIORITY_SYMBOL, STATUS_LABEL, STATUS_SYMBOL, Column
from .widgets import CURSOR_MARK, VirtualList, claim_label, claim_of, fit, short_number, wrap


class More:
    """The last row of a board column that holds more cards than it draws."""

    def __init__(self, status: str, hidden: int) -> None:
        self.status = status
        self.hidden = hidden
        self.name = f"__more__{status}"


class CardList(VirtualList):
    """One board column's cards: number, priority, blocked marker; the title on two
    lines; the claim (⚑ holder, until), assignee, tags and checklist progress."""

    item_height = 5
    cursor_when_blurred = False  # only the focused column shows its cursor

    def render_item(self, item: Any, index: int, width: int, cursor: bool) -> list[list[Segment]]:
        mark = Segment(CURSOR_MARK if cursor else " ", self.style("mark"))
        inner = max(1, width - 2)
        if isinstance(item, More):
            lines = wrap(f"… {item.hidden:,} more: Enter lists them", inner, 2)
            return [[mark, Segment(" " + lines[0], self.style("more"))], [mark, Segment(" " + lines[1], self.style("more"))]]
        s: Spec = item
        prio = (s.priority or "").lower()
        blocked = (self.context.blocked_known().get(s.name) if self.context is not None else None) or []
        # line 1: number, priority; "⊠ blocked" on the right
        num = short_number(s)
        head: list[Segment] = [mark, Segment(" " + num, self.style("dim"))]
        used = 1 + cell_len(num)
        if prio in PRIORITY_SYMBOL:
            head.append(Segment(f" {PRIORITY_SYMBOL[prio]} {prio}", self.style(f"prio-{prio}")))
            used += 3 + len(prio)
        if blocked:
            flag = " ⊠ blocked" if inner - used >= 10 else " ⊠"
            head.append(Segment(" " * max(0, inner + 1 - used - cell_len(flag)) + flag, self.style("blocked")))
        # lines 2-3: the title
        title = wrap(s.title, inner, 2)
        # line 4: assignee and tags; checklist progress on the right
        done, total = s.checklist
        check = f" ☑{done}/{total}" if total else ""
        room = max(0, inner - cell_len(check))
        foot: list[Segment] = [mark, Segment(" ")]
        left = 0
        lease = claim_of(self.context, s.name)
        if lease is not None:
            # the claim (holder, until when) stands for the assignee it set
            flag = fit(claim_label(lease), min(room, 20)).rstrip()
            foot.append(Segment(flag + " ", self.style("claim")))
            left += cell_len(flag) + 1
        if s.assignee and (lease is None or lease.holder != s.assignee) and room - left > 4:
            who = fit("@" + s.assignee, min(room - left, 14)).rstrip()
            foot.append(Segment(who + " ", self.style("who")))
            left += cell_len(who) + 1
        tags = " ".join("#" + t for t in s.tags)
        if tags and room - left > 1:
            shown = fit(tags, room - left).rstrip()
            foot.append(Segment(shown, self.style("tag")))
            left += cell_len(shown)
        if check:
            foot.append(Segment(" " * max(0, inner - left - cell_len(check)) + check, self.style("dim")))
        return [
            head,
            [mark, Segment(" " + title[0], self.style("title"))],
            [mark, Segment(" " + title[1], self.style("title"))],
            foot,
            [],
        ]


class BoardColumn(Vertical):
    DEFAULT_CSS = """
    BoardColumn {
        width: 24;
        height: 1fr;
        border-right: vkey $panel-lighten-2;
    }
    BoardColumn > .column-header {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    BoardColumn:focus-within > .column-header {
        background: $accent 60%;
    }
    BoardColumn > CardList { height: 1fr; }
    """

    def __init__(self, status: str) -> None:
        super().__init__(id=f"col-{status}")
        self.status = status
        self.count = 0
        self.header = Static("", classes="column-header", markup=False)
        self.cards = CardList(empty_text="(empty)", id=f"cards-{status}")

    def compose(self) -> Any:
        yield self.header
        yield self.cards

    def on_resize(self) -> None:
        self.draw_header()

    def draw_header(self) -> None:
        """"▶ In progress (1,536)"; when narrow the label is cut, never the count."""
        count = f" ({self.count:,})"
        label = STATUS_LABEL.get(self.status, self.status)
        width = self.header.content_region.width or 20
        room = width - 2 - len(count)  # the symbol and a space
        if len(label) > room:
            label = label[: max(1, room - 1)] + "…"
        self.header.update(Text(f"{STATUS_SYMBOL.get(self.status, '?')} {label}{count}", no_wrap=True))

    def show(self, col: Column, context: Any, *, near: bool = True) -> None:
        self.count = col.count
        self.draw_header()
        items: list[Any] = list(col.specs)
        if col.count > len(col.specs):
            items.append(More(col.status, col.count - len(col.specs)))
        self.cards.set_items(items, context=context, near=near)


class Board(HorizontalScroll, can_focus=False):
    """The kanban board: one column per status, focus moves between columns."""

    DEFAULT_CSS = """
    Board { height: 1fr; scrollbar-size-horizontal: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "column(-1)", "Prev column", show=False),
        Binding("right,l", "column(1)", "Next column", show=False),
        Binding("tab", "column(1, True)", "Next column", show=False),
        Binding("shift+tab", "column(-1, True)", "Prev column", show=False),
    ]

    MIN_COLUMN = 20  # cells; narrower terminals scroll the board sideways

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: dict[str, BoardColumn] = {}
        self.current_status: str | None = None

    def on_resize(self) -> None:
        self.size_columns()

    def size_columns(self) -> None:
        """Share the width between the columns (at least MIN_COLUMN each: below that
        the board scrolls sideways, and the focused column is kept in view)."""
        cols = list(self.columns.values())
        if not cols or not self.size.width:
            return
        avail = self.size.width
        each = max(self.MIN_COLUMN, avail // len(cols))
        extra = avail - each * len(cols) if each * len(cols) < avail else 0
        for i, col in enumerate(cols):
            col.styles.width = each + (1 if i < extra else 0)

    async def show(self, columns: list[Column], context: Any, *, near: bool = True) -> None:
        focused = self.focused_column()
        want = [c.status for c in columns]
        if want != list(self.columns):
            had_focus = focused is not None
            await self.remove_children()
            self.columns = {st: BoardColumn(st) for st in want}
            await self.mount_all(self.columns.values())
            self.size_columns()
            if had_focus:
                self.focus_column(self.current_status)
        for c in columns:
            self.columns[c.status].show(c, context, near=near)

    def focused_column(self) -> BoardColumn | None:
        f = self.screen.focused if self.is_attached else None
        for col in self.columns.values():
            if f is col.cards:
                return col
        return None

    def focus_column(self, status: str | None) -> None:
        if not self.columns:
            return
        col = self.columns.get(status or "") or next(
            (c for c in self.columns.values() if c.cards.items), next(iter(self.columns.values()))
        )
        self.focus_now(col)
        self.scroll_to_widget(col, animate=False)

    def focus_now(self, col: BoardColumn) -> None:
        """Focus ``col`` before the next key is handled (``Widget.focus`` is deferred)."""
        self.current_status = col.status
        if self.is_attached and col.cards.is_attached:
            self.screen.set_focus(col.cards)
        else:
            col.cards.focus()

    def current_column(self) -> BoardColumn | None:
        """The column the keys act on. Kept as state rather than read from the focus:
        ``focus()`` takes effect a moment later, and keys typed fast (``l l >``) must
        each see where the previous one left the cursor."""
        col = self.columns.get(self.current_status or "")
        return col if col is not None else self.focused_column()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for col in self.columns.values():  # a click, or focus coming back from a dialog
            if event.widget is col.cards:
                self.current_status = col.status

    def current_item(self) -> Any:
        col = self.current_column()
        return col.cards.current if col is not None else None

    def select(self, name: str) -> bool:
        for col in self.columns.values():
            if col.cards.select_key(name):
                self.focus_now(col)
                self.scroll_to_widget(col, animate=False)
                return True
        return False

    def action_column(self, step: int, wrap_around: bool = False) -> None:
        cols = list(self.columns.values())
        if not cols:
            return
        cur = self.current_column()
        i = cols.index(cur) if cur is not None else 0
        j = i + step
        if wrap_around:
            j %= len(cols)
        elif not 0 <= j < len(cols):
            return
        row = cur.cards.cursor if cur is not None else 0
        target = cols[j]
        self.focus_now(target)
        if target.cards.items:
            target.cards.move_to(min(row, len(target.cards.items) - 1))
        self.scroll_to_widget(target, animate=False)
