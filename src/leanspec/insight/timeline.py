"""Activity over time: the created-vs-completed timeline and the gantt view.

Pure functions over ``Sequence[Spec]`` with an explicit ``now``. Days are UTC days.
A spec is "created" on the day of its ``created_at`` (else its ``created`` date) and
"completed" on the day of its ``completed_at`` (else its last transition to complete,
else its ``completed`` date) — the same facts ``stats.velocity`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core import datetimes as _dt
from ..core.errors import InvalidInput
from ..core.facts import PRIORITY_ORDER, as_now, card_key, completed_us, date_of_us, effective_status, spec_facts
from ..core.model import Spec

BYS = ("none", "tag", "assignee")


def _month_key(d: _dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _months_back(today: _dt.date, n: int) -> list[str]:
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def timeline(
    specs: Sequence[Spec],
    *,
    days: int = 30,
    by: str = "none",
    now: _dt.datetime | _dt.date | str | None = None,
    months: int | None = None,
) -> dict[str, Any]:
    """Specs created and completed per day over the last ``days`` days (today
    included), or per calendar month over the last ``months`` months. Archived specs
    count (they were created and completed too). ``by`` = tag or assignee adds one
    series per tag/assignee (a spec with two tags counts in both)."""
    if by not in BYS:
        raise InvalidInput(f"invalid timeline grouping {by!r}: use one of {', '.join(BYS)}")
    today = as_now(now).date()
    if months is not None:
        if int(months) < 1 or int(months) > 240:
            raise InvalidInput(f"invalid months {months!r}: use 1 to 240")
        unit = "month"
        keys = _months_back(today, int(months))

        def key_of(d: _dt.date) -> str:
            return _month_key(d)
    else:
        if int(days) < 1 or int(days) > 3660:
            raise InvalidInput(f"invalid days {days!r}: use 1 to 3660")
        unit = "day"
        keys = [(today - _dt.timedelta(days=i)).isoformat() for i in range(int(days) - 1, -1, -1)]

        def key_of(d: _dt.date) -> str:
            return d.isoformat()

    index = set(keys)

    def empty() -> dict[str, dict[str, int]]:
        return {k: {"created": 0, "completed": 0} for k in keys}

    total = empty()
    groups: dict[str, dict[str, dict[str, int]]] = {}
    for s in specs:
        # The same facts as stats.velocity (integer microseconds, see stats.FactsKey).
        fk = spec_facts(s)
        created, completed = fk[1], completed_us(fk, s.archived)
        events = []
        if created is not None:
            events.append(("created", key_of(date_of_us(created))))
        if completed is not None:
            events.append(("completed", key_of(date_of_us(completed))))
        events = [(kind, k) for kind, k in events if k in index]
        if not events:
            continue
        if by == "tag":
            names = list(dict.fromkeys(s.tags)) or ["untagged"]
        elif by == "assignee":
            names = [s.assignee or "unassigned"]
        else:
            names = []
        for kind, k in events:
            total[k][kind] += 1
            for n in names:
                groups.setdefault(n, empty())[k][kind] += 1

    def series(b: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
        return [{"date": k, **b[k]} for k in keys]

    def sums(b: dict[str, dict[str, int]]) -> dict[str, int]:
        c = sum(v["created"] for v in b.values())
        d = sum(v["completed"] for v in b.values())
        return {"created": c, "completed": d, "net": c - d}

    out_groups = [
        {"name": n, **sums(b), "series": series(b)}
        for n, b in sorted(groups.items(), key=lambda kv: (-sums(kv[1])["created"] - sums(kv[1])["completed"], kv[0]))
    ]
    return {
        "unit": unit,
        "days": int(days) if unit == "day" else None,
        "months": int(months) if months is not None else None,
        "by": by,
        "start": keys[0],
        "end": keys[-1],
        "series": series(total),
        "totals": sums(total),
        "groups": out_groups,
    }


def gantt(
    specs: Sequence[Spec],
    *,
    weeks: int = 4,
    show_complete: bool = False,
    now: _dt.datetime | _dt.date | str | None = None,
    critical_path: bool = False,
) -> dict[str, Any]:
    """A gantt view of the next ``weeks`` weeks (from the Monday of this week).

    Each bar runs from the spec's created date to its ``due`` date (open-ended when
    there is none); a bar whose due date has passed on an unfinished spec is
    ``overdue``. Grouped by priority (critical first, then ``none``). Archived specs
    are left out; complete ones too unless ``show_complete``. ``critical_path`` adds
    the longest dependency chain among the incomplete specs.
    """
    if int(weeks) < 1 or int(weeks) > 520:
        raise InvalidInput(f"invalid weeks {weeks!r}: use 1 to 520")
    t_now = as_now(now)
    today = t_now.date()
    start = today - _dt.timedelta(days=today.weekday())
    end = start + _dt.timedelta(days=7 * int(weeks) - 1)
    from .graph import DependencyGraph

    g = DependencyGraph(specs)
    rows: dict[str, list[dict[str, Any]]] = {p: [] for p in (*PRIORITY_ORDER, "none")}
    overdue = with_due = 0
    for s in sorted(specs, key=card_key):
        st = effective_status(s)
        if st == "archived" or (st == "complete" and not show_complete):
            continue
        fk = spec_facts(s)
        begin = date_of_us(fk[1]) if fk[1] is not None else None
        completed = completed_us(fk, s.archived)
        due = _dt.date.fromordinal(fk[6]) if fk[6] is not None else None
        is_over = due is not None and due < today and st != "complete"
        with_due += due is not None
        overdue += is_over
        bar_start = begin or today
        bar_end = due or (date_of_us(completed) if completed is not None else None)
        in_window = bar_start <= end and (bar_end is None or bar_end >= start)
        prio = (s.priority or "").lower()
        rows[prio if prio in rows else "none"].append(
            {
                "name": s.name,
                "number": s.number,
                "title": s.title,
                "status": st,
                "priority": s.priority,
                "start": begin.isoformat() if begin else None,
                "due": due.isoformat() if due else None,
                "end": bar_end.isoformat() if bar_end else None,
                "overdue": is_over,
                "days_overdue": (today - due).days if is_over and due else 0,
                "days_left": (due - today).days if due is not None and not is_over else None,
                "in_window": in_window,
                "depends_on": [{"name": w, "status": effective_status(g.specs[w])} for w in g.upstream.get(s.name, [])],
            }
        )
    groups = [{"priority": p, "count": len(v), "specs": v} for p, v in rows.items() if v]
    cp: dict[str, Any] | None = None
    if critical_path:
        todo = [n for n, s in g.specs.items() if effective_status(s) not in ("complete", "archived")]
        chain = g.critical_path(todo)
        cp = {"specs": [g._card(n) for n in chain], "length": len(chain)}
    return {
        "weeks": int(weeks),
        "today": today.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "show_complete": bool(show_complete),
        "groups": groups,
        "summary": {"total": sum(len(v) for v in rows.values()), "with_due": with_due, "overdue": overdue},
        "critical_path": cp,
    }
