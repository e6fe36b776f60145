"""Frontmatter: split a spec file, parse its YAML, and edit it with a minimal diff.

Reading uses ``yamlsubset`` (the plain ``key: value`` frontmatter nearly every spec
has, no PyYAML import) and PyYAML's C loader for everything else. Writing never re-serialises the whole block:
``Document`` keeps the original lines, and ``set``/``delete`` replace only the lines
of the key that changed, in the file's own style (quotes, list indent, flow lists,
line endings). The body is kept byte for byte. Pure: text in, text out.
"""

from __future__ import annotations

import sys

from . import datetimes as _dt
from . import yamlsubset
from .errors import MalformedSpec
from .lazyre import LazyRe
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re  # noqa: F401
    from typing import Any

# PyYAML is imported on first use (10-13 ms): warm reads come from the metadata cache
# and never parse YAML, so most commands never pay for it.
_Loader: type | None = None


def _yaml() -> Any:
    """The ``yaml`` module, imported once; also picks the loader class."""
    global _Loader
    import yaml

    if _Loader is None:
        try:  # libyaml ships in the manylinux wheels; fall back to pure Python elsewhere
            _Loader = yaml.CSafeLoader
        except AttributeError:  # pragma: no cover
            _Loader = yaml.SafeLoader
    return yaml


BOM = "\ufeff"
_KEY_LINE = LazyRe(r"""^(?P<key>[A-Za-z_][\w.-]*|"[^"]+"|'[^']+')[ \t]*:(?:[ \t]|$)""")
_DATE_LIKE = LazyRe(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")


#: Bounds on frontmatter YAML (docs/security.md): a spec's header is a few hundred
#: bytes; these refuse alias bombs and nesting that would take the process down.
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 100_000


class YamlLimit(ValueError):
    """Frontmatter YAML over the bounds (size, depth, nodes) or with aliases."""


def load_yaml(text: str) -> Any:
    """``yaml.load(text, CSafeLoader)``: the same value, the same errors, within bounds:
    at most ``MAX_YAML_BYTES`` of text, no alias (``*name``: no expansion bombs, no
    recursive values), at most ``MAX_YAML_DEPTH`` levels and ``MAX_YAML_NODES`` nodes.
    Over a bound: ``YamlLimit``."""
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimit(f"frontmatter too large ({len(text)} characters, at most {MAX_YAML_BYTES})")
    try:
        return yamlsubset.load(text)
    except yamlsubset.Unsupported:
        pass
    yaml = _yaml()
    # yaml.load is get_single_node + construct_document; the composed node graph is
    # checked in between (an alias is the same node object reached twice).
    assert _Loader is not None  # set by _yaml()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(yaml, node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_nodes(yaml: Any, root: Any) -> None:
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise YamlLimit("YAML aliases (*name) are not supported in frontmatter")
        seen.add(id(node))
        count += 1
        if count > MAX_YAML_NODES:
            raise YamlLimit(f"frontmatter has more than {MAX_YAML_NODES} values")
        if depth > MAX_YAML_DEPTH:
            raise YamlLimit(f"frontmatter nested deeper than {MAX_YAML_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))


def _is_yaml_error(exc: BaseException) -> bool:
    # Only PyYAML raises YAMLError, so it is imported whenever one was raised.
    yaml = sys.modules.get("yaml")
    return yaml is not None and isinstance(exc, yaml.YAMLError)


class _Span:
    """The lines of one top-level key (a plain class: cheaper to define than a dataclass)."""

    __slots__ = ("key", "start", "end")

    def __init__(self, key: str, start: int, end: int) -> None:
        self.key = key
        self.start = start  # index into Document.fm_lines
        self.end = end  # exclusive

    def __repr__(self) -> str:
        return f"_Span(key={self.key!r}, start={self.start!r}, end={self.end!r})"


class Document(Value):
    """A spec file split into its parts. ``render()`` of an unedited one is identical.

    A plain class, not @dataclass: importing ``dataclasses`` costs ~6-10 ms of every
    run. Same init, repr and equality (same class, field by field, neither showing
    ``_span_cache``), unhashable, ``__match_args__`` (tests/test_plain_classes.py)."""

    __match_args__ = (
        "bom",
        "newline",
        "open_line",
        "fm_lines",
        "close_line",
        "body",
        "data",
        "has_frontmatter",
        "close_newline",
        "_span_cache",
    )
    _FIELDS = ("bom", "newline", "open_line", "fm_lines", "close_line", "body", "data", "has_frontmatter", "close_newline")
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        bom: str,
        newline: str,
        open_line: str,  # the opening '---' line, without newline
        fm_lines: list[str],  # frontmatter lines without newlines
        close_line: str,
        body: str,  # everything after the closing line's newline, verbatim
        data: dict[str, Any],
        has_frontmatter: bool = True,
        close_newline: bool = True,  # False when the file ends right after the closing ---
        # key -> its lines; built on first use (edits, validate's line numbers): a cold
        # load parses every spec and edits none.
        _span_cache: dict[str, _Span] | None = None,
    ) -> None:
        self.bom = bom
        self.newline = newline
        self.open_line = open_line
        self.fm_lines = fm_lines
        self.close_line = close_line
        self.body = body
        self.data = data
        self.has_frontmatter = has_frontmatter
        self.close_newline = close_newline
        self._span_cache = _span_cache

    @property
    def _spans(self) -> dict[str, _Span]:
        spans = self._span_cache
        return spans if spans is not None else self._index()

    # ---------------------------------------------------------------- parsing
    @classmethod
    def parse(cls, text: str, *, path: str = "", has_nul: bool | None = None) -> Document:
        """``has_nul``: whether ``text`` holds a NUL, when the caller knows (the store
        checks its bytes, ~10x faster than scanning the decoded text)."""
        bom = BOM if text.startswith(BOM) else ""
        if bom:
            text = text[1:]
        if has_nul if has_nul is not None else "\x00" in text:
            raise MalformedSpec(f"{path or 'file'}: binary data (NUL bytes)", details={"path": path})
        first_nl = text.find("\n")
        newline = "\r\n" if first_nl > 0 and text[first_nl - 1] == "\r" else "\n"
        head = text if first_nl < 0 else text[:first_nl]
        if head.rstrip("\r").rstrip() != "---":
            # No frontmatter: keep the whole text as the body (TS legacy specs).
            return cls(bom, newline, "", [], "", text, {}, has_frontmatter=False)
        # The closing line is the first later line that is "---" or "..." plus trailing
        # whitespace. Found with str.find instead of splitting the whole file into lines
        # (the body is most of it, and only its frontmatter lines are needed).
        close_at = close_end = -1
        if first_nl >= 0:
            search = first_nl
            while True:
                dash = text.find("\n---", search)
                # "..." closes too, but only one before the first "---" line matters.
                dots = text.find("\n...", search, dash if dash >= 0 else len(text))
                cand = dots if dots >= 0 else dash
                if cand < 0:
                    break
                start = cand + 1
                end = text.find("\n", start)
                if end < 0:
                    end = len(text)
                if text[start:end].rstrip("\r").rstrip() in ("---", "..."):
                    close_at, close_end = start, end
                    break
                search = start
        if close_at < 0:
            raise MalformedSpec(
                f"{path or 'file'}: frontmatter is not closed (no second '---' line)",
                details={"path": path},
            )
        fm_text = text[first_nl + 1 : close_at - 1] if close_at > first_nl + 1 else None
        if fm_text is None:
            fm_lines: list[str] = []
        else:
            fm_lines = fm_text.split("\n")
            if "\r" in fm_text:
                fm_lines = [ln[:-1] if ln.endswith("\r") else ln for ln in fm_lines]
                fm_text = "\n".join(fm_lines)
        close_line = text[close_at:close_end].rstrip("\r")
        close_newline = close_end < len(text)
        body = text[close_end + 1 :] if close_newline else ""
        try:
            data = load_yaml(fm_text) if fm_text is not None else None
        except (Exception, RecursionError) as exc:
            # Any failure is this spec's problem only (docs/security.md): YAML errors,
            # and what PyYAML's constructors raise on hostile values (2025-13-45:
            # ValueError; a 5,000-digit int: ValueError; !!float overflow, ...).
            reason = str(exc).replace("\n", " ")
            if not _is_yaml_error(exc) and not isinstance(exc, YamlLimit):
                reason = f"{type(exc).__name__}: {reason}"
            raise MalformedSpec(
                f"{path or 'file'}: invalid YAML frontmatter: {reason}",
                details={"path": path},
            ) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise MalformedSpec(
                f"{path or 'file'}: frontmatter is not a mapping of keys to values",
                details={"path": path},
            )
        doc = cls(
            bom,
            newline,
            head.rstrip("\r"),
            fm_lines,
            close_line,
            body,
            {str(k): v for k, v in data.items()},
            close_newline=close_newline,
        )
        return doc

    def _index(self) -> dict[str, _Span]:
        spans: dict[str, _Span] = {}
        current: _Span | None = None
        for i, line in enumerate(self.fm_lines):
            m = _KEY_LINE.match(line)
            if m:
                if current:
                    current.end = _trim_end(self.fm_lines, current.start, i)
                key = m.group("key").strip("'\"")
                current = _Span(key, i, i + 1)
                spans.setdefault(key, current)
            elif current is not None and (line.startswith((" ", "\t", "-")) or not line.strip()):
                current.end = i + 1
            elif line.startswith("#") and current is not None:
                current.end = _trim_end(self.fm_lines, current.start, i)
                current = None
        if current:
            current.end = _trim_end(self.fm_lines, current.start, len(self.fm_lines))
        self._span_cache = spans
        return spans

    # ---------------------------------------------------------------- output
    def render(self) -> str:
        if not self.has_frontmatter and not self.fm_lines:
            return self.bom + self.body
        nl = self.newline
        head = [self.open_line or "---", *self.fm_lines, self.close_line or "---"]
        text = nl.join(head)
        if self.close_newline:
            text += nl + self.body
        return self.bom + text

    # ---------------------------------------------------------------- editing
    def style(self) -> _Style:
        return _Style.detect(self)

    def set(self, key: str, value: Any) -> bool:
        """Set ``key`` to ``value``, touching only its lines. Returns True if changed."""
        if key in self.data and same_value(self.data[key], value) and key in self._spans:
            return False
        st = self.style()
        span = self._spans.get(key)
        if span is None and key in self.data:
            # The key exists but not on a line of its own (flow mapping, odd quoting):
            # appending would create a duplicate key, so refuse rather than guess.
            raise MalformedSpec(
                f"cannot edit {key!r} safely: it is not written as a plain top-level `key:` line",
                hint="rewrite the frontmatter as one `key: value` per line",
            )
        old_lines = self.fm_lines[span.start : span.end] if span else []
        old_value = self.data.get(key)
        new_lines = _emit_key(key, value, st, old_lines, old_value)
        if span:
            self.fm_lines[span.start : span.end] = new_lines
        else:
            if not self.has_frontmatter:
                self.has_frontmatter = True
                self.open_line = self.close_line = "---"
                self.close_newline = True
                if not self.body.startswith(("\n", "\r\n")):
                    self.body = self.newline + self.body
            self.fm_lines.extend(new_lines)
        self.data[key] = value
        self._index()
        return True

    def delete(self, key: str) -> bool:
        span = self._spans.get(key)
        if span is None:
            return False
        del self.fm_lines[span.start : span.end]
        self.data.pop(key, None)
        self._index()
        return True

    def verify(self, expected: dict[str, Any], *, path: str = "") -> None:
        """Re-parse the edited frontmatter; refuse to write if it does not mean ``expected``.

        This is the transaction's validation step: an emitter bug can never reach disk.
        """
        try:
            reparsed = load_yaml("\n".join(self.fm_lines)) or {}
        except Exception:
            reparsed = None  # an edit that is not even YAML any more
        if reparsed is None or not same_value(reparsed, expected):
            raise MalformedSpec(
                f"{path or 'spec'}: internal check failed, the edited frontmatter would not "
                "round-trip; nothing was written",
                details={"path": path},
            )


def _trim_end(lines: list[str], start: int, end: int) -> int:
    # Blank lines after a key belong to the gap, not to the key.
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, _dt.datetime):
        return ("dt", v.isoformat())
    if isinstance(v, _dt.date):
        return ("d", v.isoformat())
    if isinstance(v, dict):
        return {str(k): _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def same_value(a: Any, b: Any) -> bool:
    """Equal as YAML values (a date and its ISO string, 1 and 1.0 …): what a minimal-diff
    writer may leave alone."""
    return bool(_norm(a) == _norm(b))


# ------------------------------------------------------------------ emitter
class _Style:
    """How a file writes lists, dates and quotes (a plain class, cheaper than a dataclass)."""

    def __init__(self, list_indent: str = "  ", quote_dates: bool = True, quote_char: str = "'") -> None:
        self.list_indent = list_indent  # indentation before "- " in block lists
        self.quote_dates = quote_dates  # TS writes '2025-12-09'; RS writes it bare
        self.quote_char = quote_char

    def __repr__(self) -> str:
        return f"_Style(list_indent={self.list_indent!r}, quote_dates={self.quote_dates!r}, quote_char={self.quote_char!r})"

    @classmethod
    def detect(cls, doc: Document) -> _Style:
        st = cls()
        seen_list = False
        quoted = bare = 0
        for line in doc.fm_lines:
            s = line.lstrip(" ")
            if s.startswith("- ") and not seen_list:
                st.list_indent = line[: len(line) - len(s)]
                seen_list = True
            import re

            m = re.match(r"^[\w-]+:\s+(['\"]?)(\d{4}-\d{2}-\d{2}[^'\"]*)\1\s*$", line)
            if m:
                if m.group(1):
                    quoted += 1
                    st.quote_char = m.group(1)
                else:
                    bare += 1
        if bare > quoted:
            st.quote_dates = False
        return st


_PLAIN_SAFE = LazyRe(r"^[A-Za-z0-9_./@()+][A-Za-z0-9_ ./@()+,-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def emit_scalar(value: Any, st: _Style | None = None, prefer: str | None = None) -> str:
    st = st or _Style()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, _dt.datetime):
        return _quote(value.isoformat(), st.quote_char) if st.quote_dates else value.isoformat()
    if isinstance(value, _dt.date):
        return _quote(value.isoformat(), st.quote_char) if st.quote_dates else value.isoformat()
    s = str(value)
    if _DATE_LIKE.match(s):
        # A string that YAML would read as a date must be quoted to stay a string.
        return _quote(s, prefer or st.quote_char)
    if prefer in ("'", '"'):
        return _quote(s, prefer)
    plain_ok = (
        s != ""
        and _PLAIN_SAFE.match(s) is not None
        and s.lower() not in _RESERVED
        and s == s.strip()
        and ": " not in s
        and " #" not in s
    )
    if plain_ok:
        try:
            plain_ok = yamlsubset.load_scalar(s) == s
        except yamlsubset.Unsupported:
            yaml = _yaml()
            try:
                plain_ok = load_yaml(s) == s
            except yaml.YAMLError:
                plain_ok = False
    return s if plain_ok else _quote(s, "'")


def _quote(s: str, q: str) -> str:
    if any(c in s for c in "\n\r\t") or any(ord(c) < 32 for c in s) or q == '"':
        import json

        return json.dumps(s, ensure_ascii=False)
    return "'" + s.replace("'", "''") + "'"


def _old_quote(line: str) -> str | None:
    import re

    m = re.match(r"^[^:]+:\s+(['\"])", line)
    return m.group(1) if m else None


def _item_chunks(lines: list[str]) -> tuple[str, list[list[str]]] | None:
    """Split block-list lines into one chunk per item, or None if not a block list."""
    indent = None
    chunks: list[list[str]] = []
    for line in lines:
        s = line.lstrip(" ")
        ind = line[: len(line) - len(s)]
        if indent is None:
            if not s.startswith("-"):
                return None
            indent = ind
        if ind == indent and (s.startswith("- ") or s == "-"):
            chunks.append([line])
        elif chunks and (len(ind) > len(indent) or not s):
            chunks[-1].append(line)
        else:
            return None
    return (indent if indent is not None else "  ", chunks)  # "" is a real indent: `- a` at column 0


def _emit_item(value: Any, indent: str, st: _Style) -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        pad = indent + "  "
        for i, (k, v) in enumerate(value.items()):
            prefix = indent + "- " if i == 0 else pad
            if isinstance(v, (list, dict)) and v:
                out.append(f"{prefix}{k}:")
                out.extend(_emit_value_lines(v, pad + "  ", st))
            else:
                out.append(f"{prefix}{k}: {emit_scalar(v, st)}")
        return out or [indent + "- {}"]
    if isinstance(value, list):
        import json

        return [indent + "- " + json.dumps(value, ensure_ascii=False, default=str)]
    return [indent + "- " + emit_scalar(value, st)]


def _emit_value_lines(value: Any, indent: str, st: _Style) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            out.extend(_emit_item(v, indent, st))
        return out
    if isinstance(value, dict):
        return [f"{indent}{k}: {emit_scalar(v, st)}" for k, v in value.items()]
    return [indent + emit_scalar(value, st)]


def _emit_key(key: str, value: Any, st: _Style, old_lines: list[str], old_value: Any) -> list[str]:
    if isinstance(value, list):
        if old_lines:
            head = old_lines[0]
            after = head.split(":", 1)[1].strip() if ":" in head else ""
            if after.startswith("["):
                # Keep a flow list flow: `tags: [a, b]`.
                items = ", ".join(emit_scalar(v, st) for v in value)
                return [f"{key}: [{items}]"]
            chunked = _item_chunks(old_lines[1:]) if len(old_lines) > 1 else None
            if chunked and isinstance(old_value, list) and len(chunked[1]) == len(old_value):
                indent, chunks = chunked
                pool = list(zip(old_value, chunks, strict=True))
                out = [head if not after else f"{key}:"]
                if not value:
                    return [f"{key}: []"]
                for v in value:
                    for j, (ov, ch) in enumerate(pool):
                        if same_value(ov, v):
                            out.extend(ch)
                            del pool[j]
                            break
                    else:
                        out.extend(_emit_item(v, indent, st))
                return out
        if not value:
            return [f"{key}: []"]
        return [f"{key}:", *_emit_value_lines(value, st.list_indent, st)]
    if isinstance(value, dict):
        if not value:
            return [f"{key}: {{}}"]
        return [f"{key}:", *_emit_value_lines(value, "  ", st)]
    prefer = _old_quote(old_lines[0]) if old_lines else None
    return [f"{key}: {emit_scalar(value, st, prefer)}"]
