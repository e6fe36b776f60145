"""Small text renderers shared by commands (no third-party dependency: start-up matters)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import STATUS_EMOJI

if TYPE_CHECKING:
    from ..model import Spec
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
    status = ctx.c(pad(s.status, 11), STATUS_COLOR.get(s.status, "gray"))
    prio = ctx.c(pad(s.priority or "-", 8), PRIORITY_COLOR.get(s.priority or "", "gray"))
    tags = ctx.c(" #" + " #".join(s.tags), "gray") if s.tags else ""
    who = ctx.c(f" @{s.assignee}", "cyan") if s.assignee else ""
    return f"{ctx.c(pad(s.name, 40), 'bold')} {status} {prio} {truncate(s.title, 60)}{who}{tags}"


def bar(fraction: float, width: int = 20) -> str:
    full = int(round(max(0.0, min(1.0, fraction)) * width))
    return "█" * full + "░" * (width - full)


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    hi = max(values) or 1
    return "".join(SPARK[min(len(SPARK) - 1, int(v / hi * (len(SPARK) - 1)))] for v in values)
