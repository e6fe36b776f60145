"""Stats, velocity, insights, timeline and gantt on hand-made specs with known
timestamps (expected numbers worked out by hand), the fixture, and 1,000 specs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from insight_helpers import column_of, generate_project, new_project, read_frontmatters, write_spec
from leanspec.core.errors import InvalidInput
from leanspec.core.facts import parse_time
from leanspec.insight.stats import compute_stats
from leanspec.insight.timeline import gantt, timeline
from leanspec.project import Project

NOW = "2025-06-30T12:00:00Z"  # a Monday


def _load(root: Path) -> list:
    res = Project.open(root).load()
    assert not res.problems, res.problems
    return res.specs


def _known(root: Path) -> Path:
    new_project(root)
    w = write_spec
    w(
        root,
        1,
        "s1",
        {
            "status": "complete",
            "created": "2025-06-01",
            "priority": "medium",
            "tags": ["api"],
            "created_at": "2025-06-01T00:00:00.000Z",
            "completed_at": "2025-06-06T00:00:00.000Z",
            "transitions": [
                {"status": "in-progress", "at": "2025-06-03T00:00:00.000Z"},
                {"status": "complete", "at": "2025-06-06T00:00:00.000Z"},
            ],
        },
    )
    w(
        root,
        2,
        "s2",
        {
            "status": "complete",
            "created": "2025-06-10",
            "tags": ["api", "ui"],
            "created_at": "2025-06-10T00:00:00Z",
            "transitions": [
                {"status": "in-progress", "at": "2025-06-11T00:00:00Z"},
                {"status": "complete", "at": "2025-06-20T00:00:00Z"},
            ],
        },
    )
    # Date-only fields (old TS files): created/completed at midnight UTC.
    w(root, 3, "s3", {"status": "complete", "created": "2025-06-15", "completed": "2025-06-16", "tags": ["ui"]})
    w(
        root,
        4,
        "s4",
        {
            "status": "in-progress",
            "created_at": "2025-06-20T00:00:00Z",
            "assignee": "bob",
            "updated_at": "2025-06-25T00:00:00Z",
            "transitions": [{"status": "in-progress", "at": "2025-06-24T00:00:00Z"}],
        },
    )
    w(
        root,
        5,
        "s5",
        {
            "status": "in-progress",
            "priority": "critical",
            "due": "2025-06-29",
            "assignee": "alice",
            "created_at": "2025-06-01T00:00:00Z",
            "updated_at": "2025-06-05T00:00:00Z",
            "transitions": [{"status": "in-progress", "at": "2025-06-02T00:00:00Z"}],
        },
    )
    w(root, 6, "s6", {"status": "planned", "priority": "high", "due": "2025-06-01", "created": "2025-06-05"})
    w(root, 7, "s7", {"status": "planned", "priority": "critical", "created": "2025-06-05", "depends_on": ["006-s6"]})
    w(
        root,
        8,
        "s8",
        {"status": "complete", "created_at": "2025-04-01T00:00:00Z", "completed_at": "2025-05-01T00:00:00Z"},
        archived=True,
    )
    w(
        root,
        9,
        "s9",
        {
            "status": "complete",
            "priority": "low",
            "created_at": "2025-06-28T00:00:00Z",
            "completed_at": "2025-06-30T00:00:00Z",
        },
    )
    w(root, 10, "s10", {"status": "bogus", "created": "2025-05-01"})
    return root


def test_velocity_on_known_timestamps(tmp_path: Path) -> None:
    st = compute_stats(_load(_known(tmp_path / "p")), now=NOW)
    v = st["velocity"]
    # Cycle times (days): s1 5, s2 10, s3 1, s8 30 (archived still counts), s9 2.
    assert v["cycle_time"] == {"average_days": 9.6, "median_days": 5.0, "p90_days": 22.0, "samples": 5}
    # planned -> in-progress: s1 2, s2 1, s4 4, s5 1; in-progress -> complete: s1 3, s2 9.
    assert v["lead_time"]["planned_to_in_progress_days"] == 2.0
    assert v["lead_time"]["in_progress_to_complete_days"] == 6.0
    # Completions 0.5, 10.5, 14.5, 24.5 and 60.5 days before NOW, in 7-day buckets.
    tp = v["throughput"]
    assert [w["completed"] for w in tp["weeks"]] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert tp["weeks"][-1]["end"] == "2025-06-30T12:00:00Z"
    assert tp["per_week"] == 1.0 and tp["per_month"] == 4 and tp["trend"] == "up"
    # WIP: s4 and s5 now; daily samples over 30 days: s5 29 + s4 7 + s1 3 + s2 9 = 48.
    assert v["wip"] == {"current": 2, "average": 1.6}


def test_overview_counts_and_insights(tmp_path: Path) -> None:
    st = compute_stats(_load(_known(tmp_path / "p")), now=NOW)
    assert st["overview"] == {
        "total": 9,
        "active": 5,
        "draft": 0,
        "planned": 3,  # s6, s7 and s10 (an unknown status counts as planned)
        "in_progress": 2,
        "complete": 4,
        "archived": 1,
        "completion_rate": 44.4,
    }
    assert st["by_status"] == {"draft": 0, "planned": 3, "in-progress": 2, "complete": 4, "archived": 1}
    assert st["by_priority"] == {"critical": 2, "high": 1, "medium": 1, "low": 1, "none": 4}
    assert st["by_tag"] == [{"tag": "api", "count": 2}, {"tag": "ui", "count": 2}]
    assert st["priority_focus"]["critical"] == {"total": 2, "in_progress": 1, "planned": 1, "complete": 0, "overdue": 1}
    assert st["relationships"] == {"with_depends_on": 1, "with_parent": 0}
    ins = {i["type"]: i for i in st["insights"]}
    assert set(ins) == {
        "critical_overdue",
        "high_overdue",
        "stale_in_progress",
        "critical_not_started",
        "high_not_started",
    }
    assert [(s["name"], s["days_overdue"]) for s in ins["critical_overdue"]["specs"]] == [("005-s5", 1)]
    assert [(s["name"], s["days_overdue"]) for s in ins["high_overdue"]["specs"]] == [("006-s6", 29)]
    # s5 last touched 25.5 days ago; s4 5.5 days ago is not stale.
    assert [(s["name"], s["days_since_update"]) for s in ins["stale_in_progress"]["specs"]] == [("005-s5", 25)]
    assert [s["name"] for s in ins["critical_not_started"]["specs"]] == ["007-s7"]
    assert ins["critical_overdue"]["severity"] == "error"


def test_no_insights_when_all_is_well(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(
        root,
        1,
        "ok",
        {"status": "in-progress", "priority": "high", "due": "2025-07-10", "updated_at": "2025-06-29T00:00:00Z"},
    )
    st = compute_stats(_load(root), now=NOW)
    assert st["insights"] == []
    assert st["velocity"]["cycle_time"]["average_days"] is None
    assert st["velocity"]["throughput"]["trend"] == "stable"


def test_timeline_counts_per_day(tmp_path: Path) -> None:
    specs = _load(_known(tmp_path / "p"))
    t = timeline(specs, days=30, now=NOW)
    assert t["start"] == "2025-06-01" and t["end"] == "2025-06-30" and len(t["series"]) == 30
    day = {x["date"]: (x["created"], x["completed"]) for x in t["series"]}
    nonzero = {d: v for d, v in day.items() if v != (0, 0)}
    assert nonzero == {
        "2025-06-01": (2, 0),  # s1, s5
        "2025-06-05": (2, 0),  # s6, s7
        "2025-06-06": (0, 1),  # s1
        "2025-06-10": (1, 0),  # s2
        "2025-06-15": (1, 0),  # s3
        "2025-06-16": (0, 1),  # s3
        "2025-06-20": (1, 1),  # s4 created, s2 completed
        "2025-06-28": (1, 0),  # s9
        "2025-06-30": (0, 1),  # s9
    }
    assert t["totals"] == {"created": 8, "completed": 4, "net": 4}
    short = timeline(specs, days=3, now=NOW)
    assert [x["date"] for x in short["series"]] == ["2025-06-28", "2025-06-29", "2025-06-30"]
    # Archived specs count: s8 was created in April and completed in May.
    months = timeline(specs, months=3, now=NOW)
    assert [(x["date"], x["created"], x["completed"]) for x in months["series"]] == [
        ("2025-04", 1, 0),
        ("2025-05", 1, 1),  # s10 created, s8 completed
        ("2025-06", 8, 4),
    ]


def test_timeline_by_tag_and_assignee(tmp_path: Path) -> None:
    specs = _load(_known(tmp_path / "p"))
    t = timeline(specs, days=30, by="tag", now=NOW)
    groups = {g["name"]: (g["created"], g["completed"]) for g in t["groups"]}
    assert groups == {"api": (2, 2), "ui": (2, 2), "untagged": (5, 1)}
    t = timeline(specs, days=30, by="assignee", now=NOW)
    groups = {g["name"]: (g["created"], g["completed"]) for g in t["groups"]}
    assert groups == {"alice": (1, 0), "bob": (1, 0), "unassigned": (6, 4)}
    with pytest.raises(InvalidInput):
        timeline(specs, by="colour")
    with pytest.raises(InvalidInput):
        timeline(specs, days=0)


def test_gantt_groups_overdue_and_critical_path(tmp_path: Path) -> None:
    root = _known(tmp_path / "p")
    write_spec(
        root,
        11,
        "s11",
        {
            "status": "planned",
            "priority": "critical",
            "due": "2025-07-15",
            "created": "2025-06-20",
            "depends_on": ["007-s7"],
        },
    )
    specs = _load(root)
    gt = gantt(specs, weeks=4, now=NOW, critical_path=True)
    assert (gt["start"], gt["end"], gt["today"]) == ("2025-06-30", "2025-07-27", "2025-06-30")
    rows = {g["priority"]: [s["name"] for s in g["specs"]] for g in gt["groups"]}
    assert rows == {"critical": ["005-s5", "007-s7", "011-s11"], "high": ["006-s6"], "none": ["004-s4", "010-s10"]}
    flat = {s["name"]: s for g in gt["groups"] for s in g["specs"]}
    assert flat["005-s5"]["overdue"] and flat["005-s5"]["days_overdue"] == 1
    assert flat["006-s6"]["overdue"] and flat["006-s6"]["days_overdue"] == 29
    assert not flat["011-s11"]["overdue"] and flat["011-s11"]["days_left"] == 15
    assert (flat["011-s11"]["start"], flat["011-s11"]["end"]) == ("2025-06-20", "2025-07-15")
    assert flat["011-s11"]["depends_on"] == [{"name": "007-s7", "status": "planned"}]
    assert gt["summary"] == {"total": 6, "with_due": 3, "overdue": 2}
    assert [s["name"] for s in gt["critical_path"]["specs"]] == ["006-s6", "007-s7", "011-s11"]
    with_done = gantt(specs, now=NOW, show_complete=True)
    names = {s["name"] for g in with_done["groups"] for s in g["specs"]}
    assert {"001-s1", "002-s2", "003-s3", "009-s9"} <= names and "008-s8" not in names
    assert gantt(specs, now=NOW)["critical_path"] is None
    with pytest.raises(InvalidInput):
        gantt(specs, weeks=0)


def test_parse_time_variants() -> None:
    utc = dt.UTC
    assert parse_time("2025-12-09T01:40:46.581Z") == dt.datetime(2025, 12, 9, 1, 40, 46, 581000, tzinfo=utc)
    assert parse_time("2025-12-09T01:40:46.123456789Z") == dt.datetime(2025, 12, 9, 1, 40, 46, 123456, tzinfo=utc)
    assert parse_time("2025-12-09T03:00:00+02:00") == dt.datetime(2025, 12, 9, 1, 0, tzinfo=utc)
    assert parse_time("2025-12-09") == dt.datetime(2025, 12, 9, tzinfo=utc)
    assert parse_time(dt.date(2025, 12, 9)) == dt.datetime(2025, 12, 9, tzinfo=utc)
    for junk in (None, "", "soon", 42, True, ["2025-01-01"]):
        assert parse_time(junk) is None


def test_junk_timestamps_do_not_crash(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(
        root,
        1,
        "junk",
        {
            "status": "complete",
            "created_at": "yesterday",
            "completed_at": "nope",
            "transitions": ["oops", {"status": "complete"}],
            "due": "whenever",
        },
    )
    st = compute_stats(_load(root), now=NOW)
    assert st["overview"]["complete"] == 1 and st["velocity"]["cycle_time"]["samples"] == 0


def test_fixture_stats_match_files(fixture_project: Path) -> None:
    specs = _load(fixture_project)
    st = compute_stats(specs, now="2025-12-10")
    fms = read_frontmatters(fixture_project)
    cols = Counter(column_of(fm) for fm in fms)
    assert st["by_status"] == {s: cols.get(s, 0) for s in ("draft", "planned", "in-progress", "complete", "archived")}
    assert st["overview"]["total"] == len(fms) - cols["archived"]
    tags = Counter(t for fm in fms if column_of(fm) != "archived" for t in fm.get("tags") or [])
    assert {t["tag"]: t["count"] for t in st["by_tag"]} == dict(tags)
    # Every spec with a completion time and a creation time contributes a cycle time.
    assert st["velocity"]["cycle_time"]["samples"] >= 10


def test_generated_1000_stats(tmp_path: Path) -> None:
    root = generate_project(tmp_path / "big", 1000)
    specs = _load(root)
    fms = read_frontmatters(root)
    st = compute_stats(specs)
    cols = Counter(column_of(fm) for fm in fms)
    assert sum(st["by_status"].values()) == 1000
    assert st["by_status"] == {s: cols.get(s, 0) for s in ("draft", "planned", "in-progress", "complete", "archived")}
    working = [fm for fm in fms if column_of(fm) != "archived"]
    assert st["by_priority"]["critical"] == sum(1 for fm in working if fm.get("priority") == "critical")
    tags = Counter(t for fm in working for t in fm.get("tags") or [])
    assert {t["tag"]: t["count"] for t in st["by_tag"]} == dict(tags)
    assert st["velocity"]["wip"]["current"] == cols["in-progress"]
    done = [fm for fm in fms if fm.get("completed_at") and column_of(fm) in ("complete", "archived")]
    assert st["velocity"]["cycle_time"]["samples"] == len(done)
    t = timeline(specs, days=30)
    today = dt.datetime.now(dt.UTC).date()
    window = {(today - dt.timedelta(days=i)).isoformat() for i in range(30)}
    created = sum(1 for fm in fms if str(fm["created_at"])[:10] in window)
    assert t["totals"]["created"] == created
