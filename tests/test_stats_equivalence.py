"""The fast paths in stats (timestamp parsing, per-spec facts, average WIP) give exactly
what the straightforward versions gave, on the real fixture and on random specs."""

from __future__ import annotations

import datetime as _dt
import random
import re
from pathlib import Path
from typing import Any

from leanspec.core import facts
from leanspec.core.model import Spec
from leanspec.insight import stats
from leanspec.project import Project

UTC = _dt.UTC
_FRACTION = re.compile(r"(\.\d{6})\d+")


def old_parse_time(value: Any) -> _dt.datetime | None:
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


def old_facts(s: Spec) -> tuple[Any, ...]:
    fm = s.frontmatter
    created = old_parse_time(fm.get("created_at")) or old_parse_time(fm.get("created"))
    transitions = []
    raw = fm.get("transitions")
    if isinstance(raw, list):
        for t in raw:
            if isinstance(t, dict):
                at = old_parse_time(t.get("at"))
                st = t.get("status")
                if at is not None and isinstance(st, str):
                    transitions.append((st.strip().lower(), at))
    transitions.sort(key=lambda x: x[1])
    started = next((at for st, at in transitions if st == "in-progress"), None)
    planned_t = next((at for st, at in transitions if st == "planned"), None)
    planned = planned_t or created
    completed = None
    if s.status.strip().lower() == "complete" or s.archived:
        done = old_parse_time(fm.get("completed_at"))
        if done is None:
            done = next((at for st, at in reversed(transitions) if st == "complete"), None)
        if done is None:
            done = old_parse_time(fm.get("completed"))
        completed = done
    stamps = [t for t in (created, old_parse_time(fm.get("updated_at")), old_parse_time(fm.get("updated"))) if t]
    stamps += [at for _st, at in transitions]
    if completed:
        stamps.append(completed)
    last = max(stamps) if stamps else None
    return (created, planned, started, completed, last, transitions)


def _new_facts(s: Spec) -> tuple[Any, ...]:
    f = facts.facts(s)
    return (f.created, f.planned, f.started, f.completed, f.last_activity, f.transitions)


def old_wip_average(specs: list[Spec], t_now: _dt.datetime) -> float | None:
    intervals = []
    for s in specs:
        created, _planned, started, completed, _last, _tr = old_facts(s)
        st = facts.effective_status(s)
        start = started or (created if st == "in-progress" else None)
        if start is not None and (completed is not None or st == "in-progress"):
            intervals.append((start, completed or t_now + _dt.timedelta(days=1)))
    samples = []
    for d in range(stats.WIP_WINDOW_DAYS):
        t = t_now - _dt.timedelta(days=d)
        samples.append(sum(1 for a, b in intervals if a <= t < b))
    return round(sum(float(x) for x in samples) / len(samples), 1)


TIMES = [
    "2025-01-01T00:00:00.123456789Z",
    "2025-01-01T00:00:00.1234567",
    "2025-01-01T10:00:00z",
    "2025-01-01T10:00:00Z",
    " 2025-01-02 ",
    "2025-01-01",
    "2025-11-03T10:20:30.123Z",
    "",
    "2025-01-01T10:00:00+0530",
    "2025-01-01T10:00:00-08:00",
    "20250101",
    "2025-W01-1",
    "junk",
    "2025-13-01",
    _dt.date(2025, 1, 3),
    _dt.datetime(2025, 1, 4, 5, 6),
    None,
    True,
    12,
    _dt.datetime(2025, 1, 4, 5, 6, tzinfo=_dt.timezone(_dt.timedelta(hours=2))),
]


def test_parse_time_same_as_before() -> None:
    for v in TIMES:
        assert facts.parse_time(v) == old_parse_time(v), v
        r = facts.parse_time(v)
        assert r is None or r.tzinfo is not None


def _random_spec(rng: random.Random, i: int) -> Spec:
    base = _dt.datetime(2025, 6, 1, tzinfo=UTC)

    def ts() -> Any:
        t = base + _dt.timedelta(minutes=rng.randint(0, 60 * 24 * 120))
        return rng.choice([t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), t.date(), t.isoformat(), t, "bad", None])

    fm: dict[str, Any] = {"status": rng.choice(["planned", "in-progress", "complete", "archived", "draft", "x"])}
    for k in ("created_at", "created", "updated_at", "updated", "completed_at", "completed"):
        if rng.random() < 0.6:
            fm[k] = ts()
    if rng.random() < 0.8:
        fm["transitions"] = [
            rng.choice(
                [
                    {"status": rng.choice(["planned", "in-progress", "complete", " In-Progress "]), "at": ts()},
                    "junk",
                    {"at": ts()},
                ]
            )
            for _ in range(rng.randint(0, 6))
        ]
    return Spec(f"{i:03d}-s", i, f"specs/{i:03d}-s/README.md", fm, "", "", archived_dir=rng.random() < 0.1)


def test_facts_and_wip_same_as_before(fixture_project: Path) -> None:
    rng = random.Random(11)
    specs = list(Project.open(fixture_project).store.load_all().specs)
    specs += [_random_spec(rng, i) for i in range(600)]
    for s in specs:
        assert _new_facts(s) == old_facts(s), s.name
    for now in ("2025-07-15T12:00:00Z", "2025-09-30", "2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z"):
        t_now = stats.as_now(now)
        assert stats.velocity(specs, now=now)["wip"]["average"] == old_wip_average(specs, t_now), now


# ------------------------------------------------------------------------------------
# velocity() and insights() as they were before the one-walk Digest (45ccc4a): the
# Digest, its integer bucketing and its dropped WIP intervals must give the same dicts.
from collections.abc import Sequence  # noqa: E402

from leanspec.core.facts import DAY, US, US_DAY, as_now, card_key, iso, spec_facts, to_us  # noqa: E402
from leanspec.insight.stats import (  # noqa: E402
    STALE_DAYS,
    THROUGHPUT_WEEKS,
    WIP_WINDOW_DAYS,
    _mean,
    _percentile,
    _r,
)


def old_velocity(
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
    now_us = to_us(t_now)
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


def old_insights(specs: Sequence[Spec], *, now: _dt.datetime | _dt.date | str | None = None) -> list[dict[str, Any]]:
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
    now_us = to_us(t_now)
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


def _spec_with_priority(rng: random.Random, i: int, now: _dt.datetime) -> Spec:
    s = _random_spec(rng, i)
    fm = dict(s.frontmatter)
    fm["priority"] = rng.choice(["critical", "high", "High", "medium", "low", None, "x"])
    if rng.random() < 0.5:
        fm["due"] = (now + _dt.timedelta(days=rng.randint(-20, 20))).date().isoformat()
    # Completions on the bucket and 30-day edges, to the microsecond.
    if rng.random() < 0.3:
        edge = now - _dt.timedelta(days=rng.choice([0, 7, 14, 28, 30, 49, 56, 63]), microseconds=rng.choice([-1, 0, 1]))
        fm["completed_at"] = edge.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if rng.random() < 0.3:
        fm["updated_at"] = (now - _dt.timedelta(days=7, microseconds=rng.choice([-1, 0, 1]))).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
    return Spec(s.name, s.number, s.path, fm, "", "", archived_dir=s.archived_dir)


def test_digest_same_as_before(fixture_project: Path) -> None:
    rng = random.Random(5)
    fixture = list(Project.open(fixture_project).store.load_all().specs)
    for now in ("2025-07-15T12:00:00Z", "2025-09-30", "2026-01-01T00:00:00Z", "2025-06-01T00:00:00.000001Z"):
        t_now = as_now(now)
        specs = fixture + [_spec_with_priority(rng, i, t_now) for i in range(800)]
        for weeks in (1, 4, 8, 12):
            assert stats.velocity(specs, now=now, weeks=weeks) == old_velocity(specs, now=now, weeks=weeks), now
        assert stats.insights(specs, now=now) == old_insights(specs, now=now), now
        dg = stats.Digest(specs, now=now)
        assert dg.statuses == [facts.effective_status(s) for s in specs]
        assert dg.overview() == stats.overview(specs)
        assert [{**i, "specs": []} for i in old_insights(specs, now=now)] == dg.insights(cards=False)
