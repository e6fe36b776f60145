"""Project statistics: counts, velocity (cycle/lead time, throughput, WIP) and insights.

Pure functions over ``Sequence[Spec]``. Everything time-dependent takes an explicit
``now`` so results are reproducible (tests, cached dashboards). Timestamps come from
the frontmatter the store writes (``created_at``, ``completed_at``, ``updated_at``,
``transitions``) with the date-only fields (``created``, ``completed``) as fallbacks,
because most real projects have a mix of both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..core import datetimes as _dt
from ..core.facts import (
    DAY,
    PRIORITY_ORDER,
    US,
    US_DAY,
    as_now,
    card_key,
    effective_status,
    iso,
    spec_facts,
    to_us,
)
from ..core.model import STATUSES, Spec

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

STALE_DAYS = 7
THROUGHPUT_WEEKS = 8
WIP_WINDOW_DAYS = 30


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


def _percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100) of a non-empty list."""
    if not values:
        return None
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# ================================================================== one walk
_OVERDUE = {"critical": "critical_overdue", "high": "high_overdue"}
_NOT_STARTED = {"critical": "critical_not_started", "high": "high_not_started"}
INSIGHT_KINDS = ("critical_overdue", "high_overdue", "stale_in_progress", "critical_not_started", "high_not_started")


class Digest:
    """One walk over the specs: everything board, velocity, insights and overview read
    per spec (the effective status, the facts tuple, the priority), gathered at once
    (at 10,000 specs each separate walk costs ~2-6 ms). ``velocity()``, ``insights()``
    and ``overview()`` are built from it, so a caller that wants several of them (the
    board, stats) pays for one walk. ``statuses[i]`` is ``effective_status(specs[i])``."""

    __slots__ = (
        "specs",
        "t_now",
        "now_us",
        "today_ord",
        "statuses",
        "cycle",
        "lead_plan",
        "lead_prog",
        "completions",
        "wip_intervals",
        "wip_now",
        "found",
    )

    def __init__(self, specs: Sequence[Spec], *, now: _dt.datetime | _dt.date | str | None = None) -> None:
        t_now = as_now(now)
        now_us = to_us(t_now)
        today_ord = t_now.date().toordinal()
        self.specs = specs
        self.t_now = t_now
        self.now_us = now_us
        self.today_ord = today_ord
        # Integer microseconds throughout (see FactsKey): the same comparisons, and the
        # same floats, as the datetime arithmetic (total_seconds() is us / 10**6).
        cycle: list[float] = []
        lead_plan: list[float] = []
        lead_prog: list[float] = []
        completions: list[int] = []
        wip_intervals: list[tuple[int, int]] = []
        wip_now = 0
        open_end = now_us + US_DAY
        # An interval that ended 30 days ago or earlier covers none of the last 30
        # day-ends (see velocity()): not kept.
        wip_from = now_us - WIP_WINDOW_DAYS * US_DAY
        statuses: list[str] = []
        add_status = statuses.append
        # insights: (spec, status, detail) per kind, in spec order; the detail is the
        # due ordinal (overdue) or the last activity (stale), turned into fields later.
        found: dict[str, list[tuple[Spec, str, int | None]]] = {kind: [] for kind in INSIGHT_KINDS}
        stale = found["stale_in_progress"]
        for s in specs:
            k = getattr(s, "cached_facts", None)  # spec_facts(s), inlined
            if k is None:
                k = spec_facts(s)
            norm, created, planned, started, done, last, due = k
            if s.archived:  # effective_status(s) and completed_us(k, archived)
                st = "archived"
                completed = done
            else:
                st = norm
                completed = done if norm == "complete" else None
            add_status(st)
            if completed is not None:
                completions.append(completed)
                if created is not None and completed >= created:
                    cycle.append((completed - created) / US / DAY)
            if started is not None:
                if planned is not None and started >= planned:
                    lead_plan.append((started - planned) / US / DAY)
                if completed is not None and completed >= started:
                    lead_prog.append((completed - started) / US / DAY)
            if st == "in-progress":
                wip_now += 1
                # Still in progress: open-ended (counts at `now` too).
                start = started if started is not None else created
                if start is not None:
                    wip_intervals.append((start, completed if completed is not None else open_end))
                if due is not None and due < today_ord:
                    prio = (s.priority or "").lower()
                    if prio == "critical" or prio == "high":
                        found[_OVERDUE[prio]].append((s, st, due))
                # an open spec has no completion time to count
                if last is not None and (now_us - last) / US / DAY > STALE_DAYS:
                    stale.append((s, st, last))
            elif st == "complete" or st == "archived":
                if started is not None and completed is not None and completed > wip_from:
                    wip_intervals.append((started, completed))
            else:  # planned or draft: open, not started
                if started is not None and completed is not None and completed > wip_from:
                    wip_intervals.append((started, completed))
                prio = (s.priority or "").lower()
                if prio == "critical" or prio == "high":
                    if due is not None and due < today_ord:
                        found[_OVERDUE[prio]].append((s, st, due))
                    found[_NOT_STARTED[prio]].append((s, st, None))
        self.statuses = statuses
        self.cycle = cycle
        self.lead_plan = lead_plan
        self.lead_prog = lead_prog
        self.completions = completions
        self.wip_intervals = wip_intervals
        self.wip_now = wip_now
        self.found = found

    # ------------------------------------------------------------------ velocity
    def velocity(self, weeks: int = THROUGHPUT_WEEKS) -> dict[str, Any]:
        """See ``velocity()``."""
        t_now = self.t_now
        now_us = self.now_us
        weeks = max(1, int(weeks))
        cycle, lead_plan, lead_prog, completions = self.cycle, self.lead_plan, self.lead_prog, self.completions
        buckets = [0] * max(weeks, 8)
        n = len(buckets)
        # Integer microseconds: age >= 0 and int(age // 7 days) < n, age = (now - c) / US
        # as a float, hold exactly when 0 <= now - c < n weeks in microseconds (near
        # those bounds the float is exact to far below a microsecond, and it is
        # monotonic), so only the completions of the last n weeks are bucketed.
        week_us = 7 * US_DAY
        oldest = now_us - n * week_us
        recent_c = [c for c in completions if oldest < c <= now_us]
        for c in recent_c:
            buckets[n - 1 - (now_us - c) // week_us] += 1
        recent = sum(buckets[-4:])
        before = sum(buckets[-8:-4])
        if recent > before * 1.1 and recent > before:
            trend = "up"
        elif recent < before * 0.9:
            trend = "down"
        else:
            trend = "stable"
        week_list = []
        for j, count in enumerate(buckets[-weeks:]):
            age_weeks = weeks - 1 - j
            end = t_now - _dt.timedelta(days=7 * age_weeks)
            week_list.append({"start": iso(end - _dt.timedelta(days=7)), "end": iso(end), "completed": count})
        # 0 <= (now - c) / US < 30 days, likewise (n >= 8 weeks covers 30 days).
        month_start = now_us - 30 * US_DAY
        per_month = sum(1 for c in recent_c if c > month_start)

        # Average WIP: in-progress count at each of the last 30 day-ends. Day-end d
        # (t = now - d days) is inside [a, b) exactly for (now - b) // 1 day < d <=
        # (now - a) // 1 day: exact integer arithmetic, O(1) per interval. (The walk
        # kept only the intervals that end within the window.)
        in_window = 0
        for a, b in self.wip_intervals:
            d_lo = max(0, (now_us - b) // US_DAY + 1)
            d_hi = min(WIP_WINDOW_DAYS - 1, (now_us - a) // US_DAY)
            if d_hi >= d_lo:
                in_window += d_hi - d_lo + 1
        return {
            "cycle_time": {
                "average_days": _r(_mean(cycle)),
                "median_days": _r(_percentile(cycle, 50)),
                "p90_days": _r(_percentile(cycle, 90)),
                "samples": len(cycle),
            },
            "lead_time": {
                "planned_to_in_progress_days": _r(_mean(lead_plan)),
                "in_progress_to_complete_days": _r(_mean(lead_prog)),
                "planned_samples": len(lead_plan),
                "in_progress_samples": len(lead_prog),
            },
            "throughput": {
                "per_week": _r(recent / 4.0),
                "per_month": per_month,
                "trend": trend,
                "weeks": week_list,
            },
            "wip": {"current": self.wip_now, "average": _r(in_window / WIP_WINDOW_DAYS)},
        }

    # ------------------------------------------------------------------ insights
    def insights(self, *, cards: bool = True) -> list[dict[str, Any]]:
        """See ``insights()``. ``cards=False``: the same list with each ``specs`` left
        empty (count and message unchanged), for a caller that shows only messages."""
        today_ord, now_us = self.today_ord, self.now_us
        out = []
        for kind in INSIGHT_KINDS:
            rows = self.found[kind]
            if not rows:
                continue
            items: list[dict[str, Any]] = []
            if cards:
                # The same order as sorting every spec first (the sort is stable; a
                # kind's rows are a subsequence of the specs).
                rows = sorted(rows, key=_row_key)
                for s, st, x in rows:
                    d = {"name": s.name, "number": s.number, "title": s.title, "status": st, "priority": s.priority}
                    if kind == "stale_in_progress":
                        d["days_since_update"] = int((now_us - x) / US / DAY)  # type: ignore[operator]
                    elif x is not None:  # overdue: x is the due date's ordinal
                        d["due"] = _dt.date.fromordinal(x).isoformat()
                        d["days_overdue"] = today_ord - x
                    items.append(d)
            sev, msg = _INSIGHT_META[kind]
            n = len(rows)
            out.append({"type": kind, "severity": sev, "count": n, "message": f"{n} {msg}", "specs": items})
        return out

    # ------------------------------------------------------------------ overview
    def overview(self) -> dict[str, Any]:
        """See ``overview()``."""
        return _overview(Counter(self.statuses), len(self.statuses))


def _row_key(x: tuple[Spec, str, int | None]) -> tuple[int, int, str]:
    return card_key(x[0])


_INSIGHT_META = {
    "critical_overdue": ("error", "critical spec(s) past their due date"),
    "high_overdue": ("warning", "high-priority spec(s) past their due date"),
    "stale_in_progress": ("warning", f"in-progress spec(s) with no update for more than {STALE_DAYS} days"),
    "critical_not_started": ("warning", "critical spec(s) not started"),
    "high_not_started": ("info", "high-priority spec(s) not started"),
}


# ====================================================================== velocity
def velocity(
    specs: Sequence[Spec],
    *,
    now: _dt.datetime | _dt.date | str | None = None,
    weeks: int = THROUGHPUT_WEEKS,
) -> dict[str, Any]:
    """Cycle time, lead times, weekly throughput with trend, and WIP.

    - cycle time: created -> completed, in days (avg, median, p90);
    - lead times: planned -> first in-progress, first in-progress -> completed;
    - throughput: completions per 7-day bucket ending at ``now`` (oldest first);
      ``per_week`` averages the last 4 buckets; the trend compares the last 4 weeks
      with the 4 before (±10 % is "stable");
    - WIP: in-progress now, and the daily average over the last 30 days.
    """
    return Digest(specs, now=now).velocity(weeks)


# ====================================================================== insights
def insights(specs: Sequence[Spec], *, now: _dt.datetime | _dt.date | str | None = None) -> list[dict[str, Any]]:
    """What needs attention: overdue critical/high work, stale in-progress specs,
    critical/high work not started. Only non-empty insights are returned."""
    return Digest(specs, now=now).insights()


# ===================================================================== stats
def overview(specs: Sequence[Spec]) -> dict[str, Any]:
    """Counts over the working set: archived specs are counted apart, not in total."""
    return _overview(Counter(effective_status(s) for s in specs), len(specs))


def _overview(counts: Counter[str], n: int) -> dict[str, Any]:
    total = n - counts["archived"]
    complete = counts["complete"]
    return {
        "total": total,
        "active": counts["draft"] + counts["planned"] + counts["in-progress"],
        "draft": counts["draft"],
        "planned": counts["planned"],
        "in_progress": counts["in-progress"],
        "complete": complete,
        "archived": counts["archived"],
        "completion_rate": round(100.0 * complete / total, 1) if total else 0.0,
    }


def compute_stats(
    specs: Sequence[Spec],
    *,
    now: _dt.datetime | _dt.date | str | None = None,
    weeks: int = THROUGHPUT_WEEKS,
) -> dict[str, Any]:
    """Everything ``lean-spec stats`` shows, as one dict (CLI --json, MCP, HTTP)."""
    t_now = as_now(now)
    today_ord = t_now.date().toordinal()
    dg = Digest(specs, now=t_now)  # one walk: statuses, overview, velocity, insights
    by_status = {st: 0 for st in STATUSES}
    for st in dg.statuses:
        by_status[st] += 1
    working = [(s, st) for s, st in zip(specs, dg.statuses, strict=True) if not s.archived]
    by_priority = {p: 0 for p in PRIORITY_ORDER}
    by_priority["none"] = 0
    tag_counts: Counter[str] = Counter()
    focus = {p: {"total": 0, "in_progress": 0, "planned": 0, "complete": 0, "overdue": 0} for p in ("critical", "high")}
    for s, st in working:
        prio = (s.priority or "").lower()
        by_priority[prio if prio in by_priority else "none"] += 1
        tag_counts.update(dict.fromkeys(s.tags, 1))
        if prio in focus:
            fo = focus[prio]
            fo["total"] += 1
            if st == "in-progress":
                fo["in_progress"] += 1
            elif st in ("planned", "draft"):
                fo["planned"] += 1
            elif st == "complete":
                fo["complete"] += 1
            due = spec_facts(s)[6]
            if due is not None and due < today_ord and st != "complete":
                fo["overdue"] += 1
    by_tag = [{"tag": t, "count": c} for t, c in sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {
        "generated_at": iso(t_now),
        "overview": dg.overview(),
        "by_status": by_status,
        "by_priority": by_priority,
        "by_tag": by_tag,
        "priority_focus": focus,
        "relationships": {
            "with_depends_on": sum(1 for s, _st in working if s.depends_on),
            "with_parent": sum(1 for s, _st in working if s.parent),
        },
        "velocity": dg.velocity(weeks),
        "insights": dg.insights(),
    }
