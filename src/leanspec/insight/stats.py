"""Project statistics: counts, velocity (cycle/lead time, throughput, WIP) and insights.

Pure functions over ``Sequence[Spec]``. Everything time-dependent takes an explicit
``now`` so results are reproducible (tests, cached dashboards). Timestamps come from
the frontmatter the store writes (``created_at``, ``completed_at``, ``updated_at``,
``transitions``) with the date-only fields (``created``, ``completed``) as fallbacks,
because most real projects have a mix of both.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..core.model import STATUSES, Spec
from ..core.values import Value

UTC = _dt.UTC
DAY = 86400.0
STALE_DAYS = 7
THROUGHPUT_WEEKS = 8
WIP_WINDOW_DAYS = 30

# Display order: most urgent first.
PRIORITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low")
_PRIO_RANK = {p: i for i, p in enumerate(PRIORITY_ORDER)}

_FRACTION = re.compile(r"(\.\d{6})\d+")
_fromiso = _dt.datetime.fromisoformat


# ================================================================== time helpers
def parse_time(value: Any) -> _dt.datetime | None:
    """A frontmatter timestamp or date as an aware UTC datetime (None if unusable).

    Accepts YAML datetimes/dates, ISO strings with ``Z`` or offsets, nanosecond
    fractions (the Rust port writes them) and bare ``YYYY-MM-DD`` dates (midnight UTC).
    """
    if type(value) is str:
        # Fast path (board/stats parse ~5 timestamps per spec): Python 3.11 reads the
        # ISO forms the store writes ("...T12:00:00.000Z", also longer fractions, which
        # it truncates as the normalisation below does) in one C call.
        try:
            t = _fromiso(value)
        except ValueError:
            pass
        else:
            if t.tzinfo is UTC:
                return t
            return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    s = _FRACTION.sub(r"\1", s)
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_date(value: Any) -> _dt.date | None:
    t = parse_time(value)
    return t.date() if t is not None else None


def as_now(now: _dt.datetime | _dt.date | str | None) -> _dt.datetime:
    if now is None:
        return _dt.datetime.now(UTC)
    t = parse_time(now)
    if t is None:
        from ..core.errors import InvalidInput

        raise InvalidInput(f"invalid time {now!r}")
    return t


def iso(t: _dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def effective_status(s: Spec) -> str:
    """The status a spec is counted under: archived wins (folder or status); an
    unknown status counts as planned (as TS does)."""
    if s.archived:
        return "archived"
    k = getattr(s, "cached_facts", None)  # a cached spec: its facts_key has it
    if k is not None:
        return k[0]  # type: ignore[no-any-return]
    st = s.status.strip().lower()
    return st if st in STATUSES else "planned"


def priority_rank(s: Spec) -> int:
    return _PRIO_RANK.get((s.priority or "").lower(), len(PRIORITY_ORDER))


def card_key(s: Spec) -> tuple[int, int, str]:
    """Board/list card order: priority (critical first), then number, then name."""
    return (priority_rank(s), s.number if s.number is not None else 10**9, s.name)


class Facts(Value):
    """The timestamps of one spec's life, derived once.

    A plain slotted class with a dataclass's init, repr and eq (not a @dataclass:
    ``board`` imports this module, and ``dataclasses`` pulls in ``inspect`` and more,
    ~10 ms of start-up)."""

    __slots__ = ("created", "planned", "started", "completed", "last_activity", "transitions")
    _FIELDS = __slots__
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, as the dataclass

    def __init__(
        self,
        created: _dt.datetime | None = None,
        planned: _dt.datetime | None = None,  # entered the backlog (created, or a later 'planned')
        started: _dt.datetime | None = None,  # first move to in-progress
        completed: _dt.datetime | None = None,  # None unless the spec is (still) done
        last_activity: _dt.datetime | None = None,
        transitions: list[tuple[str, _dt.datetime]] | None = None,
    ) -> None:
        self.created = created
        self.planned = planned
        self.started = started
        self.completed = completed
        self.last_activity = last_activity
        self.transitions = [] if transitions is None else transitions


# ------------------------------------------------------------ per-spec facts as ints
# board/stats/timeline run over every spec on every call, so the per-spec facts are
# kept as plain integers: UTC microseconds since the epoch (exact: timedelta is integer
# microseconds, total_seconds() is us / 10**6 and ``//`` floors them), and a date as its
# proleptic ordinal. The metadata cache stores this tuple with each README (a tuple of
# ints unpickles ~20x faster than the frontmatter with its datetimes), and a spec read
# without the cache computes it through the same function: the two cannot drift.
#
# FactsKey = (status, created, planned, started, done, last, due):
#   status   the frontmatter status as counted (an unknown one counts as planned);
#            ``effective_status`` is "archived" for an archived spec, else this
#   created  created_at, else the created date
#   planned  first transition to planned, else created
#   started  first transition to in-progress
#   done     completed_at, else the last transition to complete, else the completed
#            date: the completion time *if* the spec is complete or archived
#   last     latest of created, updated_at, updated and the transitions (the last
#            activity, before counting the completion)
#   due      the due date's ordinal
FactsKey = tuple[str, "int | None", "int | None", "int | None", "int | None", "int | None", "int | None"]

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000  # an int: int / int is correctly rounded, exactly as total_seconds()
US_DAY = 86_400 * US
EPOCH_ORDINAL = EPOCH.toordinal()
_CANON = {st: st for st in STATUSES}  # one string object per status (pickle shares them)


def _us(t: _dt.datetime) -> int:
    d = t - EPOCH
    return (d.days * 86_400 + d.seconds) * US + d.microseconds


def _ts(value: Any) -> int | None:
    """``parse_time`` as microseconds. A time that only exists outside the datetime
    range once moved to UTC (year 1 with a positive offset) is unusable, like junk."""
    try:
        t = parse_time(value)
    except OverflowError:
        return None
    return None if t is None else _us(t)


def _from_us(us: int | None) -> _dt.datetime | None:
    return None if us is None else EPOCH + _dt.timedelta(microseconds=us)


def date_of_us(us: int) -> _dt.date:
    """The UTC date of a time in epoch microseconds."""
    return _dt.date.fromordinal(us // US_DAY + EPOCH_ORDINAL)


def _at(x: tuple[str, Any]) -> Any:
    return x[1]


def _scan(s: Spec) -> tuple[FactsKey, list[tuple[str, int]]]:
    """The one derivation of a spec's facts from its frontmatter (and status)."""
    get = s.frontmatter.get
    created = _ts(get("created_at"))
    if created is None:
        created = _ts(get("created"))
    trans: list[tuple[str, int]] = []
    raw = get("transitions")
    if isinstance(raw, list):
        for t in raw:
            # Real files contain junk entries (a stray list item under transitions).
            if isinstance(t, dict):
                at = _ts(t.get("at"))
                st = t.get("status")
                if at is not None and isinstance(st, str):
                    trans.append((st.strip().lower(), at))
        if len(trans) > 1:
            trans.sort(key=_at)  # stable: equal times keep their file order
    started = planned_t = done_t = None
    for st, at in trans:
        if st == "in-progress":
            if started is None:
                started = at
        elif st == "planned":
            if planned_t is None:
                planned_t = at
        elif st == "complete":
            done_t = at  # the last one (sorted by time)
    done = _ts(get("completed_at"))
    if done is None:
        done = done_t
    if done is None:
        done = _ts(get("completed"))
    last = created
    for t in (_ts(get("updated_at")), _ts(get("updated")), trans[-1][1] if trans else None):
        if t is not None and (last is None or t > last):
            last = t
    due = None
    try:
        dt = parse_time(get("due"))
    except OverflowError:
        dt = None
    if dt is not None:
        due = dt.toordinal()
    norm = s.status.strip().lower()
    return (
        _CANON.get(norm, "planned"),
        created,
        planned_t if planned_t is not None else created,
        started,
        done,
        last,
        due,
    ), trans


def facts_key(s: Spec) -> FactsKey:
    """The per-spec facts tuple (see FactsKey), computed from the frontmatter."""
    return _scan(s)[0]


def spec_facts(s: Spec) -> FactsKey:
    """``facts_key(s)``, as the metadata cache recorded it when it read the README
    (``CachedSpec.cached_facts``), else computed now."""
    k: FactsKey | None = getattr(s, "cached_facts", None)
    return k if k is not None else _scan(s)[0]


def completed_us(k: FactsKey, archived: bool) -> int | None:
    """The completion time: only a spec that is (still) complete or archived has one."""
    return k[4] if archived or k[0] == "complete" else None


def facts(s: Spec) -> Facts:
    """The facts as datetimes (with the parsed transitions), for callers that want them."""
    k, trans = _scan(s)
    _st, created, planned, started, _done, last, _due = k
    completed = completed_us(k, s.archived)
    if completed is not None and (last is None or completed > last):
        last = completed
    return Facts(
        created=_from_us(created),
        planned=_from_us(planned),
        started=_from_us(started),
        completed=_from_us(completed),
        last_activity=_from_us(last),
        transitions=[(st, EPOCH + _dt.timedelta(microseconds=at)) for st, at in trans],
    )


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
    t_now = as_now(now)
    now_us = _us(t_now)
    weeks = max(1, int(weeks))
    # Integer microseconds throughout (see FactsKey): the same comparisons, and the same
    # floats, as the datetime arithmetic (total_seconds() is us / 10**6).
    cycle: list[float] = []
    lead_plan: list[float] = []
    lead_prog: list[float] = []
    completions: list[int] = []
    wip_intervals: list[tuple[int, int]] = []
    wip_now = 0
    open_end = now_us + US_DAY
    for s in specs:
        k = spec_facts(s)
        norm, created, planned, started, done, _last, _due = k
        archived = s.archived
        st = "archived" if archived else norm  # effective_status(s)
        completed = done if archived or norm == "complete" else None  # completed_us(k, archived)
        if st == "in-progress":
            wip_now += 1
        if completed is not None:
            completions.append(completed)
            if created is not None and completed >= created:
                cycle.append((completed - created) / US / DAY)
        if started is not None and planned is not None and started >= planned:
            lead_plan.append((started - planned) / US / DAY)
        if started is not None and completed is not None and completed >= started:
            lead_prog.append((completed - started) / US / DAY)
        start = started if started is not None else (created if st == "in-progress" else None)
        if start is not None and (completed is not None or st == "in-progress"):
            # Still in progress: open-ended (counts at `now` too).
            wip_intervals.append((start, completed if completed is not None else open_end))

    buckets = [0] * max(weeks, 8)
    n = len(buckets)
    for c in completions:
        age = (now_us - c) / US
        if age < 0:
            continue
        i = int(age // (7 * DAY))
        if i < n:
            buckets[n - 1 - i] += 1
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
    per_month = sum(1 for c in completions if 0 <= (now_us - c) / US < 30 * DAY)

    # Average WIP: in-progress count at each of the last 30 day-ends. Day-end d
    # (t = now - d days) is inside [a, b) exactly for (now - b) // 1 day < d <=
    # (now - a) // 1 day: exact integer arithmetic, O(1) per interval.
    in_window = 0
    for a, b in wip_intervals:
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
        "wip": {"current": wip_now, "average": _r(in_window / WIP_WINDOW_DAYS)},
    }


# ====================================================================== insights
def insights(specs: Sequence[Spec], *, now: _dt.datetime | _dt.date | str | None = None) -> list[dict[str, Any]]:
    """What needs attention: overdue critical/high work, stale in-progress specs,
    critical/high work not started. Only non-empty insights are returned."""
    t_now = as_now(now)
    today = t_now.date()
    buckets: dict[str, list[dict[str, Any]]] = {
        "critical_overdue": [],
        "high_overdue": [],
        "stale_in_progress": [],
        "critical_not_started": [],
        "high_not_started": [],
    }
    today_ord = today.toordinal()
    now_us = _us(t_now)
    # Classify first, then sort each (small) bucket and build only its cards: the same
    # order as sorting every spec first (the sort is stable; a bucket is a subsequence).
    found: dict[str, list[tuple[Spec, str, dict[str, Any]]]] = {kind: [] for kind in buckets}
    for s in specs:
        k = spec_facts(s)
        st = "archived" if s.archived else k[0]  # effective_status(s)
        if st == "complete" or st == "archived":
            continue
        prio = (s.priority or "").lower()
        urgent = prio == "critical" or prio == "high"
        due = k[6]
        if urgent and due is not None and due < today_ord:
            found[f"{prio}_overdue"].append(
                (s, st, {"due": _dt.date.fromordinal(due).isoformat(), "days_overdue": today_ord - due})
            )
        if st == "in-progress":
            last = k[5]  # an open spec has no completion time to count
            if last is not None and (now_us - last) / US / DAY > STALE_DAYS:
                found["stale_in_progress"].append((s, st, {"days_since_update": int((now_us - last) / US / DAY)}))
        elif urgent and (st == "planned" or st == "draft"):
            found[f"{prio}_not_started"].append((s, st, {}))
    for kind, rows in found.items():
        rows.sort(key=lambda x: card_key(x[0]))
        buckets[kind] = [
            {"name": s.name, "number": s.number, "title": s.title, "status": st, "priority": s.priority, **more}
            for s, st, more in rows
        ]
    meta = {
        "critical_overdue": ("error", "critical spec(s) past their due date"),
        "high_overdue": ("warning", "high-priority spec(s) past their due date"),
        "stale_in_progress": ("warning", f"in-progress spec(s) with no update for more than {STALE_DAYS} days"),
        "critical_not_started": ("warning", "critical spec(s) not started"),
        "high_not_started": ("info", "high-priority spec(s) not started"),
    }
    out = []
    for kind, items in buckets.items():
        if items:
            sev, msg = meta[kind]
            out.append(
                {"type": kind, "severity": sev, "count": len(items), "message": f"{len(items)} {msg}", "specs": items}
            )
    return out


# ===================================================================== stats
def overview(specs: Sequence[Spec]) -> dict[str, Any]:
    """Counts over the working set: archived specs are counted apart, not in total."""
    counts = Counter(effective_status(s) for s in specs)
    total = len(specs) - counts["archived"]
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
    by_status = {st: 0 for st in STATUSES}
    for s in specs:
        by_status[effective_status(s)] += 1
    working = [s for s in specs if not s.archived]
    by_priority = {p: 0 for p in PRIORITY_ORDER}
    by_priority["none"] = 0
    tag_counts: Counter[str] = Counter()
    focus = {p: {"total": 0, "in_progress": 0, "planned": 0, "complete": 0, "overdue": 0} for p in ("critical", "high")}
    for s in working:
        prio = (s.priority or "").lower()
        by_priority[prio if prio in by_priority else "none"] += 1
        tag_counts.update(dict.fromkeys(s.tags, 1))
        if prio in focus:
            st = effective_status(s)
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
        "overview": overview(specs),
        "by_status": by_status,
        "by_priority": by_priority,
        "by_tag": by_tag,
        "priority_focus": focus,
        "relationships": {
            "with_depends_on": sum(1 for s in working if s.depends_on),
            "with_parent": sum(1 for s in working if s.parent),
        },
        "velocity": velocity(specs, now=t_now, weeks=weeks),
        "insights": insights(specs, now=t_now),
    }


# The timeline and gantt views live in leanspec.timeline; these forward to them so
# callers can import every insight engine from one place.
def timeline(specs: Sequence[Spec], **kw: Any) -> dict[str, Any]:
    """See :func:`leanspec.timeline.timeline`."""
    from . import timeline as _tl

    return _tl.timeline(specs, **kw)


def gantt(specs: Sequence[Spec], **kw: Any) -> dict[str, Any]:
    """See :func:`leanspec.timeline.gantt`."""
    from . import timeline as _tl

    return _tl.gantt(specs, **kw)
