"""The kanban board: specs grouped into columns, plus a project summary.

Pure: the caller filters (status, tags, ...) and passes the specs; the board groups
them. Cards are ordered by priority (critical first), then spec number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress

from ..core import datetimes as _dt
from ..core.errors import InvalidInput
from ..core.facts import PRIORITY_ORDER, card_key
from ..core.model import Spec
from .stats import Digest

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

GROUP_BYS = ("status", "priority", "assignee", "tag", "parent")
NO_PRIORITY = "none"
UNASSIGNED = "unassigned"
UNTAGGED = "untagged"
NO_PARENT = "no-parent"


def build_board(
    specs: Sequence[Spec],
    *,
    group_by: str = "status",
    include_archived: bool = False,
    now: _dt.datetime | _dt.date | str | None = None,
    card: Callable[[Spec], dict[str, Any]] | None = None,
    carded: Callable[[str], bool] | None = None,
    digest: Digest | None = None,
) -> dict[str, Any]:
    """``{group_by, total, groups[{name, count, specs}], summary}``.

    - status: draft (only when used), planned, in-progress, complete, and archived
      with ``include_archived``; an unknown status counts as planned;
    - priority: critical, high, medium, low, then ``none`` when used;
    - assignee: names A-Z, then ``unassigned``;
    - tag: tags A-Z (a spec with two tags is on two columns), then ``untagged``;
    - parent: one column per umbrella spec (by number), then ``no-parent``.

    The summary counts the non-archived specs; its velocity uses every spec passed
    (archived ones are history too). Cards are ``Spec.to_dict()``; ``card`` replaces
    that for a caller that shows only a few fields (the CLI's text board skips the
    sub-spec lookups and copies of 10,000 full dicts). A group for which
    ``carded(name)`` is false keeps its count but gets no cards (``specs`` is empty):
    for a caller that shows only its size (the text board's hidden complete column).
    ``digest`` is ``stats.Digest(specs, now=now)`` when the caller has one (the CLI
    shows its insights too): one walk over the specs serves columns and summary.
    """
    gb = (group_by or "status").strip().lower()
    if gb == "by-parent":
        gb = "parent"
    if gb not in GROUP_BYS:
        raise InvalidInput(f"invalid group-by {group_by!r}: use one of {', '.join(GROUP_BYS)}")
    # Archived by folder or status, or by a status that only counts as archived (say
    # "Archived"): the status columns have no place for it unless archived ones are shown.
    dg = digest if digest is not None else Digest(specs, now=now)
    statuses = dg.statuses  # effective_status(spec), position by position
    if len(statuses) != len(specs):
        raise ValueError("digest of other specs")
    if include_archived:
        shown, sts = list(specs), statuses
    else:
        keep = [st != "archived" for st in statuses]
        shown, sts = list(compress(specs, keep)), list(compress(statuses, keep))
    cols: dict[str, list[Spec]] = {}
    extra: dict[str, dict[str, Any]] = {}
    if gb == "status":
        used = set(sts)
        names = (["draft"] if "draft" in used else []) + ["planned", "in-progress", "complete"]
        if include_archived:
            names.append("archived")
        cols = {n: [] for n in names}
        for s, st in zip(shown, sts, strict=True):
            cols[st].append(s)
    elif gb == "priority":
        cols = {p: [] for p in PRIORITY_ORDER}
        for s in shown:
            prio = (s.priority or "").lower()
            cols.setdefault(prio if prio in PRIORITY_ORDER else NO_PRIORITY, []).append(s)
    elif gb == "assignee":
        tmp: dict[str, list[Spec]] = {}
        for s in shown:
            tmp.setdefault(s.assignee or UNASSIGNED, []).append(s)
        cols = {k: tmp[k] for k in sorted(k for k in tmp if k != UNASSIGNED)}
        if UNASSIGNED in tmp:
            cols[UNASSIGNED] = tmp[UNASSIGNED]
    elif gb == "tag":
        tmp = {}
        for s in shown:
            for t in dict.fromkeys(s.tags) or [UNTAGGED]:
                tmp.setdefault(t, []).append(s)
        cols = {k: tmp[k] for k in sorted((k for k in tmp if k != UNTAGGED), key=str.lower)}
        if UNTAGGED in tmp:
            cols[UNTAGGED] = tmp[UNTAGGED]
    else:  # parent
        from .graph import Resolver

        res = Resolver(specs)
        tmp = {}
        parent_spec: dict[str, Spec | None] = {}
        for s in shown:
            key = NO_PARENT
            if s.parent:
                p, _why = res.resolve(s.parent)
                key = p.name if p is not None else s.parent
                parent_spec[key] = p
            tmp.setdefault(key, []).append(s)

        def pkey(k: str) -> tuple[int, str]:
            p = parent_spec.get(k)
            return (p.number if p is not None and p.number is not None else 10**9, k)

        cols = {k: tmp[k] for k in sorted((k for k in tmp if k != NO_PARENT), key=pkey)}
        for k in cols:
            p = parent_spec.get(k)
            extra[k] = {
                "parent": None
                if p is None
                else {"name": p.name, "number": p.number, "title": p.title, "status": p.status}
            }
        if NO_PARENT in tmp:
            cols[NO_PARENT] = tmp[NO_PARENT]
    groups = []
    make = card or _full_card
    for name, items in cols.items():
        if carded is not None and not carded(name):
            groups.append({"name": name, "count": len(items), **extra.get(name, {}), "specs": []})
            continue
        items.sort(key=card_key)
        groups.append({"name": name, "count": len(items), **extra.get(name, {}), "specs": [make(s) for s in items]})
    ov = dg.overview()
    vel = dg.velocity()
    return {
        "group_by": gb,
        "total": len(shown),  # specs on the board (a spec on two tag columns counts once)
        "groups": groups,
        "summary": {
            "total": ov["total"],
            "active": ov["active"],
            "complete": ov["complete"],
            "in_progress": ov["in_progress"],
            "archived": ov["archived"],
            "completion_rate": ov["completion_rate"],
            "velocity": {
                "avg_cycle_time_days": vel["cycle_time"]["average_days"],
                "throughput_per_week": vel["throughput"]["per_week"],
            },
        },
    }


def _full_card(s: Spec) -> dict[str, Any]:
    return s.to_dict()


TEXT_CARD_KEYS = ("name", "number", "title", "status", "priority", "tags", "assignee")


def text_card(s: Spec) -> dict[str, Any]:
    """The fields a text board shows (``TEXT_CARD_KEYS``), same values as ``to_dict()``."""
    return {
        "name": s.name,
        "number": s.number,
        "title": s.title,
        "status": s.status,
        "priority": s.priority,
        "tags": s.tags,
        "assignee": s.assignee,
    }
