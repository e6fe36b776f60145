"""Widgets of the TUI: a virtual list (only the visible rows are ever drawn, so 10,000
specs cost what 30 do), the spec table, the board and its columns, the status bar.

Spec text is drawn as plain segments: nothing a spec contains is parsed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll, Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ..core.model import Spec
from .backend import PRIORITY_SYMBOL, STATUS_LABEL, STATUS_SYMBOL, Column, lease_until, safe, status_of

CURSOR_MARK = "▌"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (with … when cut), padded to it."""
    if width <= 0:
        return ""
    text = safe(text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` word-wrapped into at most ``lines`` lines of ``width`` cells (the last
    one ends with … when text is left over)."""
    if width <= 0:
        return [""] * lines
    words = safe(text).split()
    out: list[str] = []
    cur = ""
    i = 0
    while i < len(words) and len(out) < lines:
        w = words[i]
        cand = f"{cur} {w}" if cur else w
        if cell_len(cand) <= width:
            cur = cand
            i += 1
            continue
        if not cur:  # one word longer than the line
            cur = set_cell_size(w, width)
            i += 1
        out.append(cur)
        cur = ""
    if cur and len(out) < lines:
        out.append(cur)
    if i < len(words) and out:
        last = out[-1]
        out[-1] = set_cell_size(last, width - 1).rstrip() + "…" if cell_len(last) >= width else last + "…"
    while len(out) < lines:
        out.append("")
    return out


CLAIM_MARK = "⚑"


def claim_of(context: Any, name: str) -> Any:
    """The live lease on spec ``name`` in the snapshot ``context`` (None: unclaimed)."""
    return context.leases.get(name) if context is not None else None


def claim_label(lease: Any) -> str:
    """``⚑alice 14:32``: the holder and until when."""
    return f"{CLAIM_MARK}{lease.holder} {lease_until(lease.expires_at)}"


def short_number(s: Spec) -> str:
    if s.number is None:
        return s.name
    head = s.name.split("-", 1)[0]
    return head if head.isdigit() else str(s.number)


# ================================================================ VirtualList
class VirtualList(ScrollView, can_focus=True):
    """A vertical list of fixed-height items drawn with the line API: only the rows on
    screen are rendered, whatever the number of items."""

    DEFAULT_CSS = """
    VirtualList {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    VirtualList > .vlist--mark { color: $accent; }
    VirtualList > .vlist--dim { color: $text-muted; }
    VirtualList > .vlist--empty { color: $text-muted; text-style: italic; }
    VirtualList > .vlist--status-draft { color: $text-muted; }
    VirtualList > .vlist--status-planned { color: $text-primary; }
    VirtualList > .vlist--status-in-progress { color: $text-warning; }
    VirtualList > .vlist--status-complete { color: $text-success; }
    VirtualList > .vlist--status-archived { color: $text-disabled; }
    VirtualList > .vlist--prio-critical { color: $text-error; text-style: bold; }
    VirtualList > .vlist--prio-high { color: $text-warning; text-style: bold; }
    VirtualList > .vlist--prio-medium { }
    VirtualList > .vlist--prio-low { color: $text-muted; }
    VirtualList > .vlist--tag { color: $text-secondary; }
    VirtualList > .vlist--who { color: $text-accent; }
    VirtualList > .vlist--blocked { color: $text-error; text-style: bold; }
    VirtualList > .vlist--claim { color: $text-accent; text-style: bold; }
    VirtualList > .vlist--more { color: $text-muted; text-style: italic; }
    VirtualList > .vlist--title { }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vlist--mark",
        "vlist--dim",
        "vlist--empty",
        "vlist--status-draft",
        "vlist--status-planned",
        "vlist--status-in-progress",
        "vlist--status-complete",
        "vlist--status-archived",
        "vlist--prio-critical",
        "vlist--prio-high",
        "vlist--prio-medium",
        "vlist--prio-low",
        "vlist--tag",
        "vlist--who",
        "vlist--blocked",
        "vlist--claim",
        "vlist--more",
        "vlist--title",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down_cursor", "Page down", show=False),
        Binding("pageup", "page_up_cursor", "Page up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open"),
    ]

    item_height = 1
    cursor_when_blurred = True  # draw the cursor (dimmed) while another widget has focus

    class Highlighted(Message):
        def __init__(self, vlist: VirtualList, index: int, item: Any) -> None:
            super().__init__()
            self.vlist = vlist
            self.index = index
            self.item = item

        @property
        def control(self) -> VirtualList:
            return self.vlist

    class Selected(Highlighted):
        pass

    def __init__(self, *, empty_text: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[Any] = []
        self.cursor = 0
        self.empty_text = empty_text
        self._cache: dict[int, list[Strip]] = {}
        self._cache_width = -1
        self._styles: dict[str, Style] = {}  # component styles, until the theme or focus changes
        self.context: Any = None  # what render_item may look at (the snapshot)

    # -- data -----------------------------------------------------------------
    def key_of(self, item: Any) -> Any:
        return getattr(item, "name", item)

    def set_items(self, items: Sequence[Any], *, context: Any = None, keep: bool = True, near: bool = True) -> None:
        """Replace the items; the cursor stays on the same item when it is still there,
        else (``near``) at the same position — where a deleted row was — or at the top."""
        old_key = self.key_of(self.items[self.cursor]) if keep and 0 <= self.cursor < len(self.items) else None
        old_index = self.cursor
        self.items = list(items)
        self.context = context
        self._cache.clear()
        new = 0
        if old_key is not None:
            for i, it in enumerate(self.items):
                if self.key_of(it) == old_key:
                    new = i
                    break
            else:
                new = min(old_index, len(self.items) - 1) if near else 0
        self.cursor = max(0, new)
        self.virtual_size = Size(self.size.width, max(1, len(self.items)) * self.item_height)
        self.refresh()
        if self.items:
            self.call_after_refresh(self._scroll_to_cursor)

    @property
    def current(self) -> Any:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def select_key(self, key: Any) -> bool:
        for i, it in enumerate(self.items):
            if self.key_of(it) == key:
                self.move_to(i)
                return True
        return False

    def move_to(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        if index != self.cursor:
            self._cache.pop(self.cursor, None)
            self._cache.pop(index, None)
            self.cursor = index
            self.refresh()
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self, index, self.items[index]))

    def _scroll_to_cursor(self) -> None:
        h = self.item_height
        self.scroll_to_region(Region(0, self.cursor * h, 1, h), animate=False, immediate=True, force=True)

    # -- keys -----------------------------------------------------------------
    @property
    def page(self) -> int:
        return max(1, self.scrollable_content_region.height // self.item_height - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_page_down_cursor(self) -> None:
        self.move_to(self.cursor + self.page)

    def action_page_up_cursor(self) -> None:
        self.move_to(self.cursor - self.page)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.items) - 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.cursor, self.current))

    def on_click(self, event: events.Click) -> None:
        y = event.y + int(self.scroll_offset.y)
        index = y // self.item_height
        if 0 <= index < len(self.items):
            self.focus()
            if event.chain >= 2 and index == self.cursor:
                self.action_select()
            else:
                self.move_to(index)

    def on_focus(self) -> None:
        self.restyle()

    def on_blur(self) -> None:
        self.restyle()

    def restyle(self) -> None:
        """Forget drawn rows and styles (theme, focus or size changed)."""
        self._cache.clear()
        self._styles.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, max(1, len(self.items)) * self.item_height)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._styles.clear()

    # -- drawing --------------------------------------------------------------
    def cursor_style(self, focused: bool) -> Style:
        """The cursor row: the theme's block cursor (as in Textual's own lists), blended
        over this list's background, with contrasting text."""
        from textual.color import Color

        v = self.app.theme_variables
        base_bg = self.background_colors[1]
        try:
            over = Color.parse(v["block-cursor-background" if focused else "block-cursor-blurred-background"])
        except Exception:
            over = Color.parse("#0178D4" if focused else "#0178D44C")
        bg = base_bg + over
        fg = bg + bg.get_contrast_text(0.9)
        return Style(bgcolor=bg.rich_color, color=fg.rich_color, bold=focused)

    def style(self, name: str) -> Style:
        st = self._styles.get(name)
        if st is None:
            # The full style resolves translucent and "auto" colours against this
            # widget's background; only its colour and text style are kept, so the
            # cursor row's background shows through.
            full = self.get_component_rich_style(f"vlist--{name}")
            st = self._styles[name] = Style(
                color=full.color, bold=full.bold, italic=full.italic, underline=full.underline
            )
        return st

    def render_item(self, item: Any, index: int, width: int, cursor: bool) -> list[list[Segment]]:
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._styles.get("")
        if base is None:
            base = self._styles[""] = self.rich_style
        if width != self._cache_width:
            self._cache.clear()
            self._cache_width = width
        line = int(self.scroll_offset.y) + y
        if not self.items:
            if line == 0 and self.empty_text:
                return Strip([Segment(fit(" " + self.empty_text, width), base + self.style("empty"))])
            return Strip.blank(width, base)
        index, sub = divmod(line, self.item_height)
        if index >= len(self.items):
            return Strip.blank(width, base)
        strips = self._cache.get(index)
        if strips is None:
            focused = self.has_focus
            cursor = index == self.cursor and (focused or self.cursor_when_blurred)
            row_style = self.cursor_style(focused) if cursor else base
            strips = []
            for segs in self.render_item(self.items[index], index, width, cursor):
                if cursor and focused:  # the selection's own colours, like Textual's lists
                    styled = [Segment(t, row_style) for t, _st, *_ in segs]
                else:
                    styled = [Segment(t, row_style + st if st else row_style) for t, st, *_ in segs]
                strips.append(Strip(styled).crop_extend(0, width, row_style))
            while len(strips) < self.item_height:
                strips.append(Strip.blank(width, row_style))
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[index] = strips
        return strips[sub]


# ================================================================ spec table
class ListLayout:
    """Column widths of the list view for a given width (also drawn as its header)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.mark = 1
        self.status = 2
        self.prio = 2
        self.claim = 2
        self.num = 6
        self.check = 8
        self.deps = 5
        self.tags = 18 if width >= 90 else 0
        self.who = 16 if width >= 110 else 0
        fixed = self.mark + self.status + self.prio + self.claim + self.num + self.check + self.deps + self.tags + self.who
        self.title = max(10, width - fixed - 1)

    def header(self) -> Text:
        t = Text(no_wrap=True, overflow="crop")
        t.append(" " * self.mark + fit("S", self.status) + fit("P", self.prio) + fit(CLAIM_MARK, self.claim) + fit("#", self.num))
        t.append(fit("Title", self.title + 1))
        if self.tags:
            t.append(fit("Tags", self.tags))
        if self.who:
            t.append(fit("Assignee/claim", self.who))
        t.append(fit("Check", self.check) + fit("Deps", self.deps))
        return t


class SpecTable(VirtualList):
    """The list view: one spec per line."""

    item_height = 1
    _layout: ListLayout | None = None

    def render_item(self, item: Any, index: int, width: int, cursor: bool) -> list[list[Segment]]:
        s: Spec = item
        lay = self._layout
        if lay is None or lay.width != width:
            lay = self._layout = ListLayout(width)
        st = status_of(s)
        prio = (s.priority or "").lower()
        blocked = (self.context.blocked_known().get(s.name) if self.context is not None else None) or []
        lease = claim_of(self.context, s.name)
        done, total = s.checklist
        segs: list[Segment] = [
            Segment(CURSOR_MARK if cursor else " ", self.style("mark")),
            Segment(fit(STATUS_SYMBOL.get(st, "?"), lay.status), self.style(f"status-{st}")),
            Segment(fit(PRIORITY_SYMBOL.get(prio, " "), lay.prio), self.style(f"prio-{prio}") if prio in PRIORITY_SYMBOL else None),
            Segment(fit(CLAIM_MARK if lease is not None else "", lay.claim), self.style("claim")),
            Segment(fit(short_number(s), lay.num - 1) + " ", self.style("dim")),
            Segment(fit(s.title, lay.title) + " ", self.style("title")),
        ]
        if lay.tags:
            segs.append(Segment(fit(" ".join("#" + t for t in s.tags), lay.tags - 1) + " ", self.style("tag")))
        if lay.who and lease is not None:
            segs.append(Segment(fit(claim_label(lease), lay.who - 1) + " ", self.style("claim")))
        elif lay.who:
            segs.append(Segment(fit("@" + s.assignee if s.assignee else "", lay.who - 1) + " ", self.style("who")))
        segs.append(Segment(fit(f"{done}/{total}" if total else "", lay.check - 1) + " ", self.style("dim")))
        if blocked:
            segs.append(Segment(fit(f"⊠{len(blocked)}", lay.deps), self.style("blocked")))
        else:
            n = len(s.depends_on)
            segs.append(Segment(fit(f"d:{n}" if n else "", lay.deps), self.style("dim")))
        return [segs]


# ==================================================================== board
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


# ================================================================ documents
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def markdown_sections(text: str) -> list[tuple[int, str, str]]:
    """``text`` cut before each heading outside code fences: (level, heading, source);
    the part before the first heading has level 0."""
    out: list[tuple[int, str, list[str]]] = [(0, "", [])]
    fence = ""
    for line in text.split("\n"):
        st = line.strip()
        if st.startswith(("```", "~~~")):
            fence = "" if fence and st[:3] == fence else (fence or st[:3])
        elif not fence and not line.startswith((" ", "\t")):
            m = _HEADING.match(line)
            if m:
                out.append((len(m.group(1)), m.group(2), []))
        out[-1][2].append(line)
    return [(lvl, head, "\n".join(src)) for lvl, head, src in out if lvl or "".join(src).strip()]


def render_markdown(text: str, width: int, *, dark: bool = True) -> tuple[list[list[Segment]], list[tuple[int, str, int]]]:
    """Lines of rendered markdown (Rich; nothing in the text is read as markup) and the
    headings as (level, text, first line). Pure: runs on a worker thread."""
    import io

    from rich.console import Console
    from rich.markdown import Markdown as RichMarkdown
    from rich.theme import Theme

    width = max(20, width)
    accent = "cyan" if dark else "blue"
    theme = Theme(
        {
            "markdown.h1": "bold underline",
            "markdown.h2": "bold underline",
            "markdown.h3": "bold",
            "markdown.h4": "bold italic",
            "markdown.block_quote": "italic",
            "markdown.code": f"bold {accent}",
            "markdown.code_block": "none",
            "markdown.list": "none",
            "markdown.item.number": "none",
            "markdown.link": "underline",
            "markdown.link_url": "dim",
            "markdown.table.border": "dim",
            "markdown.table.header": "bold",
        }
    )
    console = Console(
        width=width, color_system="truecolor", file=io.StringIO(), force_terminal=True, legacy_windows=False, theme=theme
    )
    options = console.options.update_width(width)
    lines: list[list[Segment]] = []
    heads: list[tuple[int, str, int]] = []
    code_theme = "ansi_dark" if dark else "ansi_light"
    for level, head, src in markdown_sections(safe(text, lines=True)):
        if level:
            if lines and any(seg.text.strip() for seg in lines[-1]):
                lines.append([])
            heads.append((level, head, len(lines)))
        md = RichMarkdown(src, code_theme=code_theme, hyperlinks=False)
        part = console.render_lines(md, options, pad=False, new_lines=False)
        while part and not any(seg.text.strip() for seg in part[-1]):
            part.pop()
        lines.extend(part)
    return lines, heads


class DocView(ScrollView, can_focus=True):
    """A markdown document drawn with the line API; rendered off the event loop."""

    DEFAULT_CSS = """
    DocView { height: 1fr; background: $surface; scrollbar-size-vertical: 1; overflow-x: hidden; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", show=False),
        Binding("k", "scroll_up", show=False),
        Binding("g", "scroll_home", show=False),
        Binding("G", "scroll_end", show=False),
        Binding("space", "page_down", show=False),
    ]

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self.lines: list[list[Segment]] = [[Segment("Rendering…")]]
        self.headings: list[tuple[int, str, int]] = []
        self._rendered: tuple[str, int, bool] | None = None
        self._base: Style | None = None

    def on_mount(self) -> None:
        self.render_soon()

    def on_resize(self) -> None:
        self.render_soon()

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.render_soon()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self.render_soon()

    def render_soon(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            return
        dark = self.app.current_theme.dark
        key = (self.text, width, dark)
        if key != self._rendered:
            self.run_worker(self._render_doc(key), group="render", exclusive=True)

    async def _render_doc(self, key: tuple[str, int, bool]) -> None:
        import asyncio

        text, width, dark = key
        lines, heads = await asyncio.to_thread(render_markdown, text, width - 2, dark=dark)
        if (self.text, self.scrollable_content_region.width, self.app.current_theme.dark) != key:
            return
        self._rendered = key
        y = self.scroll_y
        self.lines, self.headings = lines, heads
        self.virtual_size = Size(width, len(lines))
        self.scroll_to(y=min(y, max(0, len(lines) - 1)), animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        i = int(self.scroll_offset.y) + y
        if i >= len(self.lines):
            return Strip.blank(width, base)
        segs = [Segment(" ", base), *Segment.apply_style(self.lines[i], base)]
        return Strip(segs).crop_extend(0, width, base)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def set(self, parts: list[tuple[str, str]]) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        for i, (text, style) in enumerate(parts):
            if i:
                t.append(" · ", "dim")
            t.append(safe(text), style)
        self.update(t)

