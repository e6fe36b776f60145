"""Edits of the markdown body: the status header line, text replacement, sections,
checklist toggles. Pure functions, string in, string out; line endings preserved.
"""

from __future__ import annotations

from collections.abc import Iterator

from .errors import InvalidInput, NoMatch
from .lazyre import MULTILINE, LazyRe
from .model import STATUS_EMOJI
from .values import Value

_HEADER = LazyRe(r"^>\s+\*\*Status\*\*:.*$", MULTILINE)
_ASSIGNEE = LazyRe(r"^>\s+\*\*(Assignee|Reviewer)\*\*:.*$")
_HEADING = LazyRe(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TASK = LazyRe(r"^(\s*(?:[-*+]|\d+[.)])\s+\[)([ xX])(\]\s?)(.*)$")


def _label(value: str) -> str:
    return " ".join(w.capitalize() for w in value.replace("-", " ").split())


def header_lines(
    status: str,
    priority: str | None,
    created: str | None,
    tags: list[str],
    assignee: str | None = None,
    reviewer: str | None = None,
) -> list[str]:
    """The TS-era header: ``> **Status**: ✅ Complete · **Priority**: High · ...``."""
    # Values from the file are made one line each, so that a hostile value (a line
    # break in an assignee) cannot add lines and the re-sync stays idempotent.
    from .untrusted import one_line

    status, created, assignee, reviewer = one_line(status), created and one_line(created), assignee and one_line(assignee), reviewer and one_line(reviewer)
    priority = priority and one_line(priority)
    tags = [one_line(t) for t in tags]
    emoji = STATUS_EMOJI.get(status, "📄")
    parts = [f"**Status**: {emoji} {_label(status)}"]
    if priority:
        parts.append(f"**Priority**: {_label(priority)}")
    if created:
        parts.append(f"**Created**: {created}")
    if tags:
        parts.append(f"**Tags**: {', '.join(tags)}")
    lines = ["> " + " · ".join(parts)]
    who = []
    if assignee:
        who.append(f"**Assignee**: {assignee}")
    if reviewer:
        who.append(f"**Reviewer**: {reviewer}")
    if who:
        lines.append("> " + " · ".join(who))
    return lines


def _split(body: str) -> tuple[list[str], str]:
    nl = "\r\n" if "\r\n" in body else "\n"
    return body.split(nl), nl



def outside_fences(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(index, line) of every line outside fenced code blocks (fence lines excluded):
    a heading or checklist item inside a ``` block is example text, not structure."""
    in_fence = False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield i, line

def sync_header(body: str, new_lines: list[str], *, insert: bool = True) -> str:
    """Replace the header line (and its optional Assignee line); where there is none,
    insert it after the H1 only when ``insert`` (LeanSpec 2026 specs have no header
    line, and their metadata changes never touch the body)."""
    lines, nl = _split(body)
    in_fence = False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            in_fence = not in_fence
        if in_fence:
            continue
        if _HEADER.match(line):
            end = i + 1
            if end < len(lines) and _ASSIGNEE.match(lines[end]):
                end += 1
            if lines[i:end] == new_lines:
                return body
            lines[i:end] = new_lines
            return nl.join(lines)
    if not insert:
        return body
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines[i + 1 : i + 1] = ["", *new_lines]
            return nl.join(lines)
    return body


def replace_text(body: str, old: str, new: str, mode: str = "unique") -> tuple[str, int]:
    """Exact-text replacement. ``unique`` fails on zero or several matches."""
    if not old:
        raise InvalidInput("the text to replace is empty")
    count = body.count(old)
    if count == 0:
        raise NoMatch(f"text not found: {old[:80]!r}", hint="check the exact text, including spaces")
    if mode == "unique" and count > 1:
        raise NoMatch(
            f"text found {count} times: {old[:80]!r}",
            hint="use match mode 'all' or 'first', or include more context",
            details={"matches": count},
        )
    if mode == "first":
        return body.replace(old, new, 1), 1
    if mode not in ("unique", "all"):
        raise InvalidInput(f"unknown match mode {mode!r} (use unique, all or first)")
    return body.replace(old, new), count


class Toggle(Value):
    """Which task item a toggle changed."""

    # A plain class, not a @dataclass: building a dataclass costs ~0.3-1 ms at import
    # (exec of generated code), on every run. Same init, repr and equality.
    __match_args__ = ("line", "text", "checked")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, line: int, text: str, checked: bool) -> None:
        self.line = line  # 1-based line number in the body
        self.text = text
        self.checked = checked


def toggle_checklist(body: str, item: str, checked: bool) -> tuple[str, Toggle]:
    """Check or uncheck the one task item whose text contains ``item``."""
    lines, nl = _split(body)
    needle = item.strip().lower()
    if not needle:
        raise InvalidInput("the checklist item text is empty")
    hits = []
    for i, line in outside_fences(lines):
        m = _TASK.match(line)
        if m and needle in m.group(4).lower():
            hits.append((i, m))
    if not hits:
        items = checklist_items(body)
        raise NoMatch(
            f"no checklist item matches {item!r}"
            + (f" ({len(items)} item(s) exist, listed in details.items)" if items else " (the spec has no checklist items)"),
            hint="use part of one item's exact text from details.items",
            details={"items": [i.to_dict() for i in items[:MAX_LISTED]]},
        )
    if len(hits) > 1:
        exact = [h for h in hits if h[1].group(4).strip().lower() == needle]
        if len(exact) != 1:
            raise NoMatch(
                f"{len(hits)} checklist items match {item!r}",
                hint="use more of the item's text",
                details={"candidates": [h[1].group(4).strip() for h in hits]},
            )
        hits = exact
    i, m = hits[0]
    lines[i] = m.group(1) + ("x" if checked else " ") + m.group(3) + m.group(4)
    return nl.join(lines), Toggle(i + 1, m.group(4).strip(), checked)


def update_section(body: str, heading: str, content: str, mode: str = "replace") -> str:
    """Replace, append to or prepend to the content under a heading (to the next heading
    of the same or a higher level)."""
    if mode not in ("replace", "append", "prepend"):
        raise InvalidInput(f"unknown section mode {mode!r} (use replace, append or prepend)")
    lines, nl = _split(body)
    want = heading.strip().lstrip("#").strip().lower()
    start = level = None
    for i, line in outside_fences(lines):
        m = _HEADING.match(line)
        if not m:
            continue
        if start is None:
            if m.group(2).strip().lower() == want:
                start, level = i, len(m.group(1))
        elif len(m.group(1)) <= (level or 0):
            end = i
            break
    else:
        end = len(lines)
    if start is None:
        names = [h.text for h in headings(body)]
        raise NoMatch(
            f"section not found: {heading!r}" + (f" (sections: {', '.join(names[:MAX_LISTED])})" if names else ""),
            hint="use one of the headings in details.sections (text without the #)",
            details={"sections": names[:MAX_LISTED]},
        )
    section = lines[start + 1 : end]
    # Keep the blank lines that separate this section from the next heading.
    trail = 0
    while trail < len(section) and not section[len(section) - 1 - trail].strip():
        trail += 1
    core = section[: len(section) - trail] if trail else section
    new = content.replace("\r\n", "\n").strip("\n").split("\n") if content.strip() else []
    if not new and mode != "replace":
        return body  # appending or prepending nothing changes nothing
    if mode == "replace":
        core = ["", *new] if new else []
    elif mode == "append":
        core = [*core, *([""] if core and core[-1].strip() else []), *new] if core else ["", *new]
    else:
        rest = core[1:] if core and not core[0].strip() else core
        core = ["", *new, *([""] if rest else []), *rest]
    tail = section[len(section) - trail :] if trail else ([""] if end < len(lines) else [])
    lines[start + 1 : end] = core + tail
    return nl.join(lines)


# ------------------------------------------------------------- what a body holds
#: Errors list at most this many sections / items (a spec past it should be split).
MAX_LISTED = 200


class Heading(Value):
    """One markdown heading outside code fences."""

    __match_args__ = ("line", "level", "text")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, line: int, level: int, text: str) -> None:
        self.line = line  # 1-based
        self.level = level
        self.text = text


class TaskItem(Value):
    """One checklist item: where it is, its text, whether it is ticked."""

    __match_args__ = ("line", "text", "checked", "section")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, line: int, text: str, checked: bool, section: str | None) -> None:
        self.line = line  # 1-based line number in the body
        self.text = text
        self.checked = checked
        self.section = section  # nearest heading above it, None before the first

    def to_dict(self) -> dict[str, object]:
        return {"section": self.section, "line": self.line, "text": self.text, "checked": self.checked}


def _scan(body: str) -> tuple[list[Heading], list[TaskItem]]:
    lines, _nl = _split(body)
    heads: list[Heading] = []
    tasks: list[TaskItem] = []
    section: str | None = None
    for i, line in outside_fences(lines):
        m = _HEADING.match(line)
        if m:
            section = m.group(2).strip()
            heads.append(Heading(i + 1, len(m.group(1)), section))
            continue
        t = _TASK.match(line)
        if t:
            tasks.append(TaskItem(i + 1, t.group(4).strip(), t.group(2) != " ", section))
    return heads, tasks


def headings(body: str) -> list[Heading]:
    """Every heading outside code fences, in order (what a section edit can name)."""
    return _scan(body)[0]


def checklist_items(body: str, *, open_only: bool = False) -> list[TaskItem]:
    """Every checklist item outside code fences, with its section and line."""
    items = _scan(body)[1]
    return [i for i in items if not i.checked] if open_only else items
