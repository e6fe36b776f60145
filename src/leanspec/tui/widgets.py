"""Widgets of the TUI: a virtual list (only the visible rows are ever drawn, so 10,000
specs cost what 30 do), the spec table (the list view), the status bar, and the
drawing helpers the board (board.py) shares.

Spec text is drawn as plain segments: nothing a spec contains is parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ..core.model import Spec
from .backend import PRIORITY_SYMBOL, STATUS_SYMBOL, lease_until, safe, status_of

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

