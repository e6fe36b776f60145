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
