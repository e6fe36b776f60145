"""Values that come from outside: checked before they are written, escaped before
they reach a terminal (docs/security.md).

- ``check_line(value, what)``: a single-line value (title, tag, assignee, status,
  priority, field name, link target) with no control character (C0, DEL, C1: NUL, CR,
  LF, ESC, ...), no lone surrogate, no bidirectional override. ``InvalidInput`` else.
- ``check_text(value, what)``: a multi-line value (body content, a field value, a
  replacement): no NUL and no lone surrogate (they cannot be stored as UTF-8 text, or
  make the file binary); other characters are the author's business.
- ``one_line(value)``: a stored single-line value for a generated line (the status
  header line): every control character becomes a space, so a hostile file cannot
  make the header line span two lines.
- ``terminal_safe(text, keep_sgr=...)``: text for a terminal: every control character
  but newline and tab is shown escaped (``\\x1b``, ``\\r``); with ``keep_sgr`` the
  colour sequences this tool writes (``ESC [ n ; n m``) pass through.
- ``markdown_safe(text)``: markdown for the web page: the same escapes, but line
  breaks (``\\n``, ``\\r``) and tabs are kept, so lines and task items stay where they are.
- ``prompt_value(value)``: a stored value quoted in generated text (MCP prompts):
  ``one_line``, then at most ``limit`` characters.
- ``json_text_safe(text)``: JSON text written with ``ensure_ascii=False``, with DEL,
  C1 controls, bidi controls, U+2028/2029 and lone surrogates as ``\\uXXXX`` escapes
  (json escapes only C0): the same JSON value, nothing a terminal or a text view would
  interpret.
"""

from __future__ import annotations

from .errors import InvalidInput
from .lazyre import LazyRe

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

# C0 and C1 controls, DEL, lone surrogates, bidi embeddings/overrides/isolates, the
# Unicode line and paragraph separators.
_LINE_BAD = LazyRe("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TEXT_BAD = LazyRe("[\x00\ud800-\udfff]")
# What the terminal must not interpret: controls other than \n and \t, bidi controls.
_TERM_BAD = LazyRe("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The tool's own colour codes (cli._app): SGR with only digits and semicolons.
_TERM_BAD_SGR = LazyRe(
    "\x1b\\[(?:0|1|2|3[1-6]|90)(?:;(?:0|1|2|3[1-6]|90))*m"
    "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


# Markdown for the web page: like _TERM_BAD, but CR is a line break there too.
_MD_BAD = LazyRe("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw that a reader could interpret.
_JSON_RAW = LazyRe("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The character classes above take ~0.3 ms each to compile (their ranges reach into the
# surrogates), more than most single-spec commands spend on their own work. Most text
# is checked without them: every character they match is a control (Cc), a format
# character (Cf: the bidi controls), a surrogate (Cs) or a line/paragraph separator
# (Zl/Zp), none of which str.isprintable() accepts. So printable text (newline and tab
# aside, for the multi-line checks) cannot match; anything else asks the regex.


def _describe(ch: str) -> str:
    o = ord(ch)
    if o == 0:
        return "a NUL character"
    if 0xD800 <= o <= 0xDFFF:
        return f"a lone surrogate (U+{o:04X})"
    if ch in "\r\n":
        return "a line break"
    return f"a control character (U+{o:04X})"


def check_line(value: Any, what: str) -> str:
    """``value`` as a str if it is a clean single line, else ``InvalidInput`` naming ``what``."""
    s = value if isinstance(value, str) else str(value)
    if s.isprintable():
        return s
    m = _LINE_BAD.search(s)
    if m is not None:
        raise InvalidInput(
            f"invalid {what}: {_describe(m.group(0))} is not allowed in a single-line value",
            hint="remove control characters and line breaks",
            details={"field": what},
        )
    return s


def check_text(value: Any, what: str) -> str:
    s = value if isinstance(value, str) else str(value)
    if s.isascii() and "\x00" not in s:
        return s
    m = _TEXT_BAD.search(s)
    if m is not None:
        raise InvalidInput(
            f"invalid {what}: {_describe(m.group(0))} cannot be stored in a spec file",
            details={"field": what},
        )
    return s


def check_value(value: Any, what: str) -> Any:
    """A frontmatter value of any shape: every string in it (keys too) is checked as
    text; returns the value unchanged."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            check_text(v, what)
        elif isinstance(v, dict):
            for k, item in v.items():
                check_text(k, what)
                stack.append(item)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return value


def one_line(value: str) -> str:
    if value.isprintable() or _LINE_BAD.search(value) is None:
        return value
    return _LINE_BAD.sub(" ", value)


def _escape(m: Any) -> str:
    s = m.group(0)
    if len(s) > 1:  # an allowed colour sequence
        return str(s)
    o = ord(s)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def terminal_safe(text: str, *, keep_sgr: bool = False) -> str:
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    if _TERM_BAD.search(text) is None:
        return text
    return (_TERM_BAD_SGR if keep_sgr else _TERM_BAD).sub(_escape, text)


def markdown_safe(text: str) -> str:
    if _MD_BAD.search(text) is None:
        return text
    return _MD_BAD.sub(_escape, text)


def prompt_value(value: Any, limit: int = 200) -> str:
    s = one_line(value if isinstance(value, str) else str(value))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _json_escape(m: Any) -> str:
    return f"\\u{ord(m.group(0)):04x}"


def json_text_safe(text: str) -> str:
    if _JSON_RAW.search(text) is None:
        return text
    return _JSON_RAW.sub(_json_escape, text)


def _lines(values: Any, what: str) -> None:
    if values is None:
        return
    if isinstance(values, str):
        values = [values]
    for v in values:
        check_line(v, what)


def check_update(ops: Any) -> None:
    """Every value of an update (``store.UpdateOps``, read by attribute) before
    anything is written: single-line values by ``check_line``, text by
    ``check_text``. The store calls this for every front end."""
    for name in ("status", "priority", "assignee", "title", "parent"):
        v = getattr(ops, name, None)
        if v is not None:
            check_line(v, name)
    _lines(ops.tags, "tag")
    _lines(ops.add_tags, "tag")
    _lines(ops.remove_tags, "tag")
    _lines(ops.add_depends, "link target")
    _lines(ops.remove_depends, "link target")
    for k, v in ops.fields.items():
        check_line(k, "field name")
        if v is not None:
            check_value(v, f"field {k}")
    for old, new, mode in ops.replacements:
        check_text(old, "replacement text")
        check_text(new, "replacement text")
        check_line(mode, "match mode")
    for item, _checked in ops.checks:
        check_line(item, "checklist item")
    for heading, content, mode in ops.sections:
        check_line(heading, "section heading")
        check_text(content, "section content")
        check_line(mode, "section mode")
    if ops.content is not None:
        check_text(ops.content, "content")


def check_create(
    name: str,
    *,
    title: str | None,
    description: str | None,
    tags: Any,
    priority: str | None,
    status: str | None,
    assignee: str | None,
    template: str | None,
    fields: dict[str, Any] | None,
    depends_on: Any,
    parent: str | None,
    content: str | None,
) -> None:
    """``check_update``'s rules for a new spec's values."""
    check_line(name, "name")
    for what, v in (("title", title), ("priority", priority), ("status", status), ("assignee", assignee), ("template", template), ("parent", parent)):
        if v is not None:
            check_line(v, what)
    _lines(list(tags or ()), "tag")
    _lines(list(depends_on or ()), "link target")
    for k, v in (fields or {}).items():
        check_line(k, "field name")
        if v is not None:
            check_value(v, f"field {k}")
    if description is not None:
        check_text(description, "description")
    if content is not None:
        check_text(content, "content")
