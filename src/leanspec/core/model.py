"""The spec value object and its one JSON shape.

``Spec.to_dict()`` is what the CLI's ``--json``, the HTTP API and the MCP tools all
return, so the three front ends can never disagree about a spec.
"""

from __future__ import annotations

from . import datetimes as _dt
from .lazyre import MULTILINE, LazyRe, compiled
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re
    from typing import Any

STATUSES: tuple[str, ...] = ("draft", "planned", "in-progress", "complete", "archived")
PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
STATUS_EMOJI = {
    "draft": "📝",
    "planned": "🗓️",
    "in-progress": "⏳",
    "complete": "✅",
    "archived": "📦",
}

# Fields with a meaning of their own; anything else in the frontmatter is "custom".
KNOWN_FIELDS = frozenset(
    {
        "status",
        "created",
        "priority",
        "tags",
        "depends_on",
        "related",
        "parent",
        "assignee",
        "reviewer",
        "issue",
        "pr",
        "epic",
        "breaking",
        "due",
        "updated",
        "completed",
        "created_at",
        "updated_at",
        "completed_at",
        "transitions",
        "title",
    }
)

_CHECKBOX = LazyRe(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s", MULTILINE)


def jsonable(value: Any) -> Any:
    """YAML gives dates and datetimes; JSON wants strings."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def as_str(value: Any) -> str | None:
    if value is None:
        return None
    v = jsonable(value)
    return v if isinstance(v, str) else str(v)


def as_str_list(value: Any) -> list[str]:
    """Tags and depends_on in the wild: a list, a comma string, or a JSON-ish string."""
    if value is None:
        return []
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("[") and s.endswith("]"):
            s = s[1:-1]
        return [p.strip().strip("'\"") for p in s.split(",") if p.strip()]
    if isinstance(value, (list, tuple)):
        return [str(jsonable(v)) for v in value if v is not None and not isinstance(v, dict)]
    return [str(jsonable(value))]


# Fast paths for checklist_counts and first_h1 (they run over every body on a cold
# load): regex searches for the few interesting tokens ("[x]", fences, "# ") instead
# of a Python step per line. They see lines split at "\n" only, so a body holding any
# other line break str.splitlines() knows takes the line-by-line path.
_ODD_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_fast_re: dict[str, re.Pattern[str]] = {}


def _rx(src: str) -> re.Pattern[str]:
    pat = _fast_re.get(src)
    if pat is None:
        pat = _fast_re[src] = compiled(src)
    return pat


def _odd_breaks(text: str) -> bool:
    return any(c in text for c in _ODD_BREAKS)


def _fence_line(body: str, at: int) -> bool:
    """Whether the fence token at ``at`` starts its line's text (``lstrip()``)."""
    start = body.rfind("\n", 0, at) + 1
    return start == at or body[start:at].isspace()


_BOX = r"[^\S\n]*(?:[-*+]|\d+[.)])[^\S\n]+\[([ xX])\](?=\s|\Z)"  # _CHECKBOX, within a line
_FENCE = r"[^\S\n]*(```|~~~)"  # a line whose lstrip() starts with a fence


# The regex fast paths pay off over many bodies (a cold load of thousands); for the first
# bodies of a process (one spec re-read after a write) the line-by-line versions give the
# same answers without importing ``re`` (~3.5 ms with ``enum``).
LINE_SCAN_BYTES = 256 * 1024
_line_scan_left = [LINE_SCAN_BYTES]


def _line_scan(body: str) -> bool:
    left = _line_scan_left[0]
    if len(body) > left:
        return False
    _line_scan_left[0] = left - len(body)
    return True


def checklist_counts(body: str) -> tuple[int, int]:
    """(done, total) over markdown task-list items outside fenced code."""
    if "[" not in body:
        return 0, 0
    if _odd_breaks(body) or _line_scan(body):
        return _checklist_lines(body)
    # Line 0 is matched at 0; every other line starts after a "\n", and patterns that
    # start with a literal "\n" let the regex engine jump from line to line (a "^"
    # pattern is tried at every character). A match at i is the line after index i.
    box = _rx("\n" + _BOX)
    marks: list[str] = []
    first = _rx(_BOX).match(body)
    if first:
        marks.append(first.group(1))
    pos = 0
    if "```" in body or "~~~" in body:
        # Skip from an opening fence line to its closing one (another marker inside
        # is text), as the line-by-line version does.
        events = [(m.start(), m.group(1)) for m in _rx("\n" + _FENCE).finditer(body)]
        m0 = _rx(_FENCE).match(body)
        if m0:
            events.insert(0, (0, m0.group(1)))
        fence = ""
        for at, marker in events:
            if not fence:
                marks += box.findall(body, pos, at)
                fence = marker
            elif marker == fence:
                fence = ""
                pos = at  # a fence line holds no box
        if fence:
            return len(marks) - marks.count(" "), len(marks)
    marks += box.findall(body, pos)
    return len(marks) - marks.count(" "), len(marks)


def _checklist_lines(body: str) -> tuple[int, int]:
    done = total = 0
    in_fence = False
    fence = ""
    for line in body.splitlines():
        # Fast path (this runs over every line of every spec on a cold load): a line
        # with no "[" is no checkbox, and with no backtick or tilde it is no fence.
        if "[" not in line and "`" not in line and "~" not in line:
            continue
        stripped = line.lstrip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            marker = stripped[:3]
            if not in_fence:
                in_fence, fence = True, marker
            elif marker == fence:
                in_fence = False
            continue
        if in_fence:
            continue
        mark = box_mark(line)
        if mark is not None:
            total += 1
            if mark in "xX":
                done += 1
    return done, total


def box_mark(line: str) -> str | None:
    """The mark (" ", "x" or "X") of a task-list line, as ``_CHECKBOX.match(line + " ")``
    reads it, with string steps: ``\\s`` is ``str.isspace``, ``\\d`` ``str.isdecimal``."""
    s = line + " "
    n = len(s)
    i = 0
    while i < n and s[i].isspace():
        i += 1
    if i == n:
        return None
    c = s[i]
    if c in "-*+":
        i += 1
    elif c.isdecimal():
        while i < n and s[i].isdecimal():
            i += 1
        if i == n or s[i] not in ".)":
            return None
        i += 1
    else:
        return None
    j = i
    while j < n and s[j].isspace():
        j += 1
    if j == i or j + 3 >= n or s[j] != "[" or s[j + 1] not in " xX" or s[j + 2] != "]" or not s[j + 3].isspace():
        return None
    return s[j + 1]


def first_h1(body: str) -> str | None:
    if _odd_breaks(body) or _line_scan(body):
        return _first_h1_lines(body)
    # Each "# " line at column 0, in order; the fence lines before it toggle the fence
    # as in the line-by-line version (one toggle per fence line).
    if body.startswith("# "):
        start = 0
    else:
        nl = body.find("\n# ")
        start = nl + 1 if nl >= 0 else -1
    if start < 0:
        return None  # no "# " line: nothing to find (and no pattern to compile)
    fences = _rx(r"```|~~~")
    in_fence = False
    pos = 0  # fence lines before pos are counted
    while start >= 0:
        for m in fences.finditer(body, pos, start):
            if _fence_line(body, m.start()):
                in_fence = not in_fence
        pos = start  # a "# " line is no fence line
        end = body.find("\n", start)
        if end < 0:
            end = len(body)
        if not in_fence:
            return body[start + 2 : end].strip()
        nl = body.find("\n# ", end)
        start = nl + 1 if nl >= 0 else -1
    return None


def _first_h1_lines(body: str) -> str | None:
    in_fence = False
    for line in body.splitlines():
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            in_fence = not in_fence
            continue
        if not in_fence and line.startswith("# "):
            return line[2:].strip()
    return None


_NEW_LIST: Any = object()  # Spec's default for sub_specs: a new empty list per spec


class Spec(Value):
    """A spec as loaded from disk. ``frontmatter`` is the parsed YAML, untouched.

    A plain class, not ``@dataclass(slots=True)``: importing ``dataclasses`` (it pulls in
    inspect, ast, dis, tokenize, copy) costs ~6-10 ms of every run. Same init (a fresh
    ``sub_specs`` list per spec), slots, repr, equality (same class, field by field),
    unhashable, ``__match_args__`` (tests/test_plain_classes.py compares it with the
    dataclass). cache.CachedSpec wraps the slot descriptors of body, frontmatter and
    sub_specs; ``__init__``, ``__eq__`` and ``__repr__`` go through attributes, so its
    properties apply, as they did."""

    _FIELDS = (
        "name",
        "number",
        "path",
        "frontmatter",
        "body",
        "content_hash",
        "archived_dir",
        "group",
        "sub_specs",
        "size",
        "mtime",
    )
    __slots__ = _FIELDS
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    name: str  # folder name, e.g. "045-unified-dashboard" (the canonical reference)
    number: int | None
    path: str  # README path relative to the project root, with forward slashes
    frontmatter: dict[str, Any]
    body: str
    content_hash: str
    archived_dir: bool  # lives under specs/archived/
    group: str | None  # group folder(s) between specs/ and the spec folder
    sub_specs: list[str]
    size: int
    mtime: float

    def __init__(
        self,
        name: str,
        number: int | None,
        path: str,
        frontmatter: dict[str, Any],
        body: str,
        content_hash: str,
        archived_dir: bool = False,
        group: str | None = None,
        sub_specs: list[str] = _NEW_LIST,
        size: int = 0,
        mtime: float = 0.0,
    ) -> None:
        self.name = name
        self.number = number
        self.path = path
        self.frontmatter = frontmatter
        self.body = body
        self.content_hash = content_hash
        self.archived_dir = archived_dir
        self.group = group
        self.sub_specs = [] if sub_specs is _NEW_LIST else sub_specs
        self.size = size
        self.mtime = mtime

    @property
    def slug(self) -> str:
        return self.name.split("-", 1)[1] if self.number is not None and "-" in self.name else self.name

    @property
    def status(self) -> str:
        return as_str(self.frontmatter.get("status")) or "planned"

    @property
    def priority(self) -> str | None:
        return as_str(self.frontmatter.get("priority"))

    @property
    def tags(self) -> list[str]:
        return as_str_list(self.frontmatter.get("tags"))

    @property
    def depends_on(self) -> list[str]:
        return as_str_list(self.frontmatter.get("depends_on"))

    @property
    def parent(self) -> str | None:
        p = self.frontmatter.get("parent")
        return as_str(p) if p not in (None, "") else None

    @property
    def assignee(self) -> str | None:
        return as_str(self.frontmatter.get("assignee"))

    @property
    def created(self) -> str | None:
        return as_str(self.frontmatter.get("created"))

    @property
    def title(self) -> str:
        t = self.frontmatter.get("title")
        if isinstance(t, str) and t.strip():
            return t.strip()
        h1 = first_h1(self.body)
        if h1:
            return h1
        return self.slug.replace("-", " ").title()

    @property
    def archived(self) -> bool:
        return self.archived_dir or self.status == "archived"

    @property
    def custom_fields(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.frontmatter.items() if k not in KNOWN_FIELDS}

    @property
    def checklist(self) -> tuple[int, int]:
        return checklist_counts(self.body)

    def to_dict(self, *, content: bool = False) -> dict[str, Any]:
        """The one JSON shape of a spec (CLI --json, HTTP API, MCP)."""
        fm = self.frontmatter
        done, total = self.checklist
        out: dict[str, Any] = {
            "name": self.name,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "tags": self.tags,
            "assignee": self.assignee,
            "created": self.created,
            "created_at": as_str(fm.get("created_at")),
            "updated_at": as_str(fm.get("updated_at")),
            "completed_at": as_str(fm.get("completed_at")),
            "due": as_str(fm.get("due")),
            "depends_on": self.depends_on,
            "parent": self.parent,
            "archived": self.archived,
            "path": self.path,
            "sub_specs": list(self.sub_specs),
            "checklist": {"done": done, "total": total},
            "fields": self.custom_fields,
            "content_hash": self.content_hash,
        }
        if content:
            out["frontmatter"] = jsonable(fm)
            out["content"] = self.body
        return out

    def json_text(self) -> str:
        """``to_dict()`` as the CLI's compact JSON (``cli_json``); a cached spec builds
        it from the JSON its cache record keeps, without a dict."""
        return cli_json(self.to_dict())


class LoadProblem(Value):
    """A spec folder that could not be loaded; reported, never fatal."""

    # Plain classes (LoadProblem, WriteResult), not @dataclass: building a dataclass
    # costs ~0.3-1 ms at import, on every run. Same init, repr and equality.
    __slots__ = ("path", "code", "reason")
    __match_args__ = ("path", "code", "reason")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, path: str, code: str, reason: str) -> None:
        self.path = path
        self.code = code
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "reason": self.reason}


class WriteResult(Value):
    """What every write returns: which spec, its new hash, what changed."""

    __slots__ = ("spec", "changed", "written", "message")
    __match_args__ = ("spec", "changed", "written", "message")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, spec: Spec, changed: list[str], written: bool, message: str = "") -> None:
        self.spec = spec
        self.changed = changed
        self.written = written
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec.to_dict(),
            "name": self.spec.name,
            "path": self.spec.path,
            "content_hash": self.spec.content_hash,
            "changed": self.changed,
            "written": self.written,
            "message": self.message,
        }


class ListResult(Value):
    """A listing: the specs that loaded and the folders that did not.

    A plain class, not @dataclass (see ``values.Value``): same init, repr, equality, unhashable."""

    __match_args__ = ("specs", "problems")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, specs: list[Spec], problems: list[LoadProblem]) -> None:
        self.specs = specs
        self.problems = problems


def cli_json(value: Any) -> str:
    """The CLI's compact ``--json`` encoding (output not to a terminal): one encoding of
    the whole equals the join of its parts' encodings."""
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def json_string(s: str) -> str:
    """``cli_json(s)`` for a str, through json's C function (no ``json`` import)."""
    try:
        from _json import encode_basestring
    except ImportError:  # no C accelerator
        return cli_json(s)
    return encode_basestring(s)  # type: ignore[no-any-return]


def dumps_compact(value: Any) -> bytes:
    """JSON exactly as starlette's JSONResponse renders it (so joined pieces equal one
    encoding of the whole)."""
    import json

    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")
