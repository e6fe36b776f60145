"""Small text renderers shared by commands (no third-party dependency: start-up matters)."""

from __future__ import annotations

from ..core.model import STATUS_EMOJI

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process

if TYPE_CHECKING:
    from ..core.model import Spec
    from ._app import Ctx

STATUS_COLOR = {
    "draft": "gray",
    "planned": "blue",
    "in-progress": "yellow",
    "complete": "green",
    "archived": "gray",
}
PRIORITY_COLOR = {"critical": "red", "high": "magenta", "medium": "cyan", "low": "gray"}


def status_icon(status: str) -> str:
    return STATUS_EMOJI.get(status, "📄")


def display_width(s: str) -> int:
    if s.isascii():  # fast path (every ASCII character is one column): list at 10k specs
        return len(s)
    import unicodedata  # loaded only for text that is not ASCII

    w = 0
    for ch in s:
        if unicodedata.combining(ch) or ch == "\ufe0f":
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def pad(s: str, width: int) -> str:
    return s + " " * max(0, width - display_width(s))


def truncate(s: str, width: int) -> str:
    if display_width(s) <= width:
        return s
    if s.isascii():  # same result as the loop below, without its quadratic cost
        return s[: max(0, width - 1)] + "…"
    out = ""
    for ch in s:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def spec_line(ctx: Ctx, s: Spec) -> str:
    # Runs once per spec for `list` (10,000 lines): each property is read once, and the
    # ASCII columns are padded with ljust (what pad() does for ASCII text).
    st = s.status
    pr = s.priority
    tags = s.tags
    name = s.name
    title = s.title
    who = s.assignee
    status = st.ljust(11) if st.isascii() else pad(st, 11)
    prio = (pr or "-").ljust(8) if (pr or "-").isascii() else pad(pr or "-", 8)
    name_col = name.ljust(40) if name.isascii() else pad(name, 40)
    title_col = title if (len(title) <= 60 and title.isascii()) else truncate(title, 60)
    if not ctx.color:
        tag_s = " #" + " #".join(tags) if tags else ""
        who_s = f" @{who}" if who else ""
        return f"{name_col} {status} {prio} {title_col}{who_s}{tag_s}"
    status = ctx.c(status, STATUS_COLOR.get(st, "gray"))
    prio = ctx.c(prio, PRIORITY_COLOR.get(pr or "", "gray"))
    tag_s = ctx.c(" #" + " #".join(tags), "gray") if tags else ""
    who_s = ctx.c(f" @{who}", "cyan") if who else ""
    return f"{ctx.c(name_col, 'bold')} {status} {prio} {title_col}{who_s}{tag_s}"


def bar(fraction: float, width: int = 20) -> str:
    full = int(round(max(0.0, min(1.0, fraction)) * width))
    return "█" * full + "░" * (width - full)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    hi = max(values) or 1
    return "".join(SPARK[min(len(SPARK) - 1, int(v / hi * (len(SPARK) - 1)))] for v in values)
