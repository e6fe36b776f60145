"""How results look on the wire: lean JSON (no nulls, short hashes) and the refusal of
argument names a tool does not take. Used by the server and the error funnel."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.guards import short_hash

if TYPE_CHECKING:
    from ..core.model import Spec, WriteResult
    from ..workflows.claims import Readiness


def lean(value: Any) -> Any:
    """A result as it goes to the agent: no null values, and every ``*_hash`` that is a
    full SHA-256 cut to its first 12 hex digits (the short form `expected_hash` takes)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            if isinstance(v, str) and len(v) == 64 and k.endswith("_hash"):
                v = short_hash(v)
            out[k] = lean(v)
        return out
    if isinstance(value, list):
        return [lean(v) for v in value]
    return value


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def unknown_arguments(tool: str, given: Iterable[str], valid: Sequence[str]) -> dict[str, Any] | None:
    """The error payload for arguments the tool does not take (None if all are known):
    names the valid ones and the likely intended one (``specPath`` -> ``spec``)."""
    unknown = [a for a in given if a not in valid]
    if not unknown:
        return None
    import difflib

    guesses: dict[str, str] = {}
    for a in unknown:
        snake = _snake(a)
        near = (
            [snake]
            if snake in valid
            else [v for v in valid if snake.startswith(v + "_") or v.startswith(snake)]
            or difflib.get_close_matches(snake, valid, n=1, cutoff=0.6)
        )
        if near:
            guesses[a] = near[0]
    msg = f"unknown argument(s) for `{tool}`: " + ", ".join(
        f"{a}" + (f" (did you mean {guesses[a]}?)" if a in guesses else "") for a in unknown
    )
    return {
        "code": "invalid_input",
        "message": msg,
        "hint": f"`{tool}` takes: " + ", ".join(valid),
        "details": {"unknown": unknown, "valid": list(valid), "suggestions": guesses},
    }


# ------------------------------------------------------------ result shapes
MAX_MATCHES = 5
CARD_KEYS = ("name", "number", "title", "status", "priority", "tags", "assignee", "parent", "depends_on", "checklist")
#: What `list` and `children` show per spec unless `fields` says otherwise (context
#: economy: ~40 tokens a spec; empty values are left out).
LIST_FIELDS = ("name", "title", "status", "priority", "tags", "assignee", "parent", "content_hash")
#: What a `search` hit shows of its spec by default.
SEARCH_FIELDS = ("name", "title", "status", "priority", "tags")


def select(d: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """The ``fields`` of one spec dict, empty values left out; a name that is no Spec
    key is looked up among the custom frontmatter fields."""
    custom = d.get("fields") or {}
    out: dict[str, Any] = {}
    for k in fields:
        v = d[k] if k in d else custom.get(k)
        if v is None or v == [] or v == {}:
            continue
        out[k] = v
    return out


def field_list(fields: list[str] | str | None, default: Sequence[str]) -> list[str]:
    chosen = csv_values(fields)
    if not chosen:
        return list(default)
    return ["name", *[f for f in chosen if f != "name"]]  # the name identifies the spec


def compact(spec: Spec, fields: Sequence[str] = LIST_FIELDS) -> dict[str, Any]:
    """The list shape: the ``fields`` of ``Spec.to_dict()`` (metadata only, no empty values)."""
    return select(spec.to_dict(), fields)


def written(res: WriteResult) -> dict[str, Any]:
    """What a write returns to an agent: the spec's name, its new hash, what changed and
    the changed fields' new values (not the whole spec: the agent knows the rest)."""
    d = res.spec.to_dict()
    out: dict[str, Any] = {"name": d["name"], "content_hash": d["content_hash"], "written": res.written}
    out["changed"] = list(res.changed)
    values = {}
    for k in res.changed:
        if k == "created":
            values.update(select(d, ("title", "status", "priority", "tags", "path")))
        elif k == "moved":
            values["path"] = d["path"]
        elif k in d and k not in ("content", "name"):
            values[k] = d[k]
        elif k in (d.get("fields") or {}):
            values[k] = d["fields"][k]
    if "content" in res.changed or "checklist" in res.changed:
        values["checklist"] = d["checklist"]
    out.update(values)
    if res.message:
        out["message"] = res.message
    return out


def card(d: dict[str, Any]) -> dict[str, Any]:
    """An even smaller shape for board columns, where many specs are shown at once."""
    return {k: d.get(k) for k in CARD_KEYS if k in d}


def spec_card(s: Spec) -> dict[str, Any]:
    """``card(s.to_dict())`` without building the full dict (same keys, same values)."""
    from ..insight.board import text_card

    done, total = s.checklist
    return {
        **text_card(s),
        "parent": s.parent,
        "depends_on": s.depends_on,
        "checklist": {"done": done, "total": total},
    }


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    chunk = items[offset : offset + limit]
    nxt = offset + len(chunk)
    return {
        "total": len(items),
        "offset": offset,
        "limit": limit,
        "next_offset": nxt if nxt < len(items) else None,
        "items": chunk,
    }


def card_line(s: Spec, group_by: str) -> str:
    """One board card as a line, like the CLI's text board: ``045 Title (high) @bob #api``."""
    head = f"{s.number:03d}" if s.number is not None else s.name
    attrs = [x for x in (s.priority if group_by != "priority" else None, s.status if group_by != "status" else None) if x]
    line = f"{head} {s.title}"
    if attrs:
        line += f" ({', '.join(attrs)})"
    if s.assignee and group_by != "assignee":
        line += f" @{s.assignee}"
    if s.tags and group_by != "tag":
        line += " " + " ".join(f"#{t}" for t in s.tags)
    return line


def board_view(
    specs: Sequence[Spec],
    *,
    group_by: str = "status",
    include_archived: bool = False,
    show_complete: bool = False,
    cards: str = "line",
    limit_per_group: int = 50,
    readiness: Readiness | None = None,
) -> dict[str, Any]:
    """The board as agents get it (tool and ``board://kanban``): complete specs counted,
    not listed (as the CLI's board does), cards as lines, columns capped. With
    ``readiness``, a blocked card is marked (`⊘ blocked by …` / ``blocked``) and a
    claimed one names its holder."""
    from ..insight.board import build_board

    gb = group_by

    def line(s: Spec) -> str:
        text = card_line(s, gb)
        if readiness is not None:
            if s.depends_on and readiness.is_blocked(s):
                text += " ⊘ blocked by " + ", ".join(str(d.get("name")) for d in readiness.open_deps(s))
            lease = readiness.lease(s.name)
            if lease is not None:
                text += f" [claimed by {lease.holder}]"
        return text

    make: Callable[[Spec], Any] = line if cards == "line" else (lambda s: select(spec_card(s), CARD_KEYS))
    b = dict(build_board(specs, group_by=group_by, include_archived=include_archived, card=make))
    groups = []
    for g in b.get("groups", []):
        g = dict(g)
        items = list(g.get("specs", []))
        if b.get("group_by") == "status" and g.get("name") == "complete" and not show_complete:
            g["specs"] = []
            g["collapsed"] = True
        else:
            g["specs"] = items[:limit_per_group]
            if len(items) > limit_per_group:
                g["truncated"] = len(items) - limit_per_group
        groups.append(g)
    b["groups"] = groups
    if readiness is not None and cards != "line":
        from ..workflows.claims import annotate_board

        annotate_board(b, readiness)
    return b


def csv_values(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [p.strip() for v in values for p in str(v).split(",") if p.strip()]


