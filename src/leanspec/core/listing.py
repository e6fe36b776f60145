"""Filtering and sorting of spec lists (pure; shared by list, board, MCP and the API)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from .errors import InvalidInput
from .model import PRIORITIES, STATUSES, Spec, jsonable
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

SORT_KEYS = ("id", "created", "updated", "name", "title", "status", "priority")
_PRIO_RANK = {p: i for i, p in enumerate(PRIORITIES)}
_STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}


_NEW: Any = object()  # Filter's default for a list/dict field: a new empty one


class Filter(Value):
    """Which specs a listing shows.

    A plain class, not @dataclass: importing ``dataclasses`` costs ~6-10 ms of every
    run. Same init (a fresh list/dict per default), repr, equality (same class, field
    by field), unhashable, ``__match_args__`` (tests/test_plain_classes.py)."""

    __match_args__ = ("status", "tags", "priority", "assignee", "fields", "include_archived")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        status: list[str] = _NEW,  # any of
        tags: list[str] = _NEW,  # all of
        priority: list[str] = _NEW,  # any of
        assignee: str | None = None,
        fields: dict[str, str] = _NEW,
        include_archived: bool = False,
    ) -> None:
        self.status = [] if status is _NEW else status
        self.tags = [] if tags is _NEW else tags
        self.priority = [] if priority is _NEW else priority
        self.assignee = assignee
        self.fields = {} if fields is _NEW else fields
        self.include_archived = include_archived

    def apply(self, specs: Sequence[Spec]) -> list[Spec]:
        """``[s for s in specs if self.matches(s)]``, with the common filters (none, or
        only hiding archived specs) as one comprehension: warm servers list 10,000
        specs per call."""
        if not (self.status or self.tags or self.priority or self.fields) and self.assignee is None:
            if self.include_archived:
                return list(specs)
            return [s for s in specs if not s.archived]
        return [s for s in specs if self.matches(s)]

    def matches(self, s: Spec) -> bool:
        if self.status:
            # "archived" also means "lives in specs/archived/", whatever its status says.
            if s.status not in self.status and not ("archived" in self.status and s.archived):
                return False
        elif not self.include_archived and s.archived:
            return False
        if self.tags and not all(t in s.tags for t in self.tags):
            return False
        if self.priority and (s.priority or "") not in self.priority:
            return False
        if self.assignee is not None and (s.assignee or "").lower() != self.assignee.lower():
            return False
        for k, v in self.fields.items():
            have = jsonable(s.frontmatter.get(k))
            if isinstance(have, list):
                if v not in [str(x) for x in have]:
                    return False
            elif str(have) != v and not (have is None and v == ""):
                return False
        return True


def _split(values: Sequence[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [p.strip() for v in values for p in str(v).split(",") if p.strip()]


def make_filter(
    *,
    status: Sequence[str] | str | None = None,
    tags: Sequence[str] | str | None = None,
    priority: Sequence[str] | str | None = None,
    assignee: str | None = None,
    fields: dict[str, str] | Sequence[str] | None = None,
    include_archived: bool = False,
) -> Filter:
    st = [x.lower() for x in _split(status)]
    for x in st:
        if x not in STATUSES:
            raise InvalidInput(f"invalid status {x!r}: use one of {', '.join(STATUSES)}")
    pr = [x.lower() for x in _split(priority)]
    for x in pr:
        if x not in PRIORITIES:
            raise InvalidInput(f"invalid priority {x!r}: use one of {', '.join(PRIORITIES)}")
    fd: dict[str, str] = {}
    if isinstance(fields, dict):
        fd = {str(k): str(v) for k, v in fields.items()}
    elif fields:
        for item in fields:
            if "=" not in item:
                raise InvalidInput(f"--field takes key=value, got {item!r}")
            k, v = item.split("=", 1)
            fd[k.strip()] = v.strip()
    return Filter(st, _split(tags), pr, assignee, fd, include_archived or "archived" in st)


def sort_specs(specs: Sequence[Spec], key: str = "id", order: str | None = None) -> list[Spec]:
    if key not in SORT_KEYS:
        raise InvalidInput(f"invalid sort key {key!r}: use one of {', '.join(SORT_KEYS)}")
    if order not in (None, "asc", "desc"):
        raise InvalidInput("order must be asc or desc")

    # TS default: id descending (newest first); names and titles read best ascending.
    default_desc = key in ("id", "created", "updated", "priority")
    desc = (order == "desc") if order else default_desc
    if key == "id":
        # The same order as the key below (unnumbered specs count as -1), with C-level
        # keys: sorting 10,000 specs is most of a warm server's list call.
        numbered = [s for s in specs if s.number is not None]
        unnumbered = [s for s in specs if s.number is None]
        numbered.sort(key=_NUMBER_NAME, reverse=desc)
        unnumbered.sort(key=_NAME, reverse=desc)
        return numbered + unnumbered if desc else unnumbered + numbered

    def k(s: Spec) -> Any:
        if key == "id":
            return (s.number if s.number is not None else -1, s.name)
        if key == "created":
            return (str(jsonable(s.frontmatter.get("created_at") or s.created or "")), s.name)
        if key == "updated":
            return (str(jsonable(s.frontmatter.get("updated_at") or s.frontmatter.get("created_at") or "")), s.name)
        if key == "name":
            return s.name
        if key == "title":
            return s.title.lower()
        if key == "status":
            return (_STATUS_RANK.get(s.status, 99), s.name)
        return (_PRIO_RANK.get(s.priority or "", -1), s.name)

    return sorted(specs, key=k, reverse=desc)


_NUMBER_NAME = attrgetter("number", "name")
_NAME = attrgetter("name")


def json_array(specs: Sequence[Spec]) -> bytes:
    """``[s.to_dict() for s in specs]`` as compact JSON bytes (ensure_ascii off, the web
    API's encoding). A warm server's specs keep their encoded form between calls, so
    this is mostly a join."""
    from .model import dumps_compact

    parts = []
    for s in specs:
        enc = getattr(s, "json_bytes", None)
        parts.append(enc() if enc is not None else dumps_compact(s.to_dict()))
    return b"[" + b",".join(parts) + b"]"
