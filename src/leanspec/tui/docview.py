"""The markdown document view of the spec page: rendered with Rich off the event
loop, drawn with the line API, headings kept for the table of contents."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .backend import safe

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
