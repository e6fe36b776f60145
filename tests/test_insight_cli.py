"""The insight commands end to end: board, stats, deps, timeline, gantt — text and
--json, filters, error exits — in-process and as a real subprocess."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from insight_helpers import column_of, generate_project, new_project, read_frontmatters, ts, write_spec

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _recent(root: Path) -> tuple[Path, dt.datetime]:
    """A small project whose timestamps are relative to the real clock (the CLI has
    no --now), with a dependency chain and an overdue critical spec."""
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    new_project(root)
    d = dt.timedelta
    write_spec(
        root,
        1,
        "base",
        {
            "status": "complete",
            "priority": "high",
            "tags": ["core"],
            "assignee": "ann",
            "created_at": ts(now - d(days=3)),
            "completed_at": ts(now - d(hours=1)),
            "transitions": [
                {"status": "in-progress", "at": ts(now - d(days=2))},
                {"status": "complete", "at": ts(now - d(hours=1))},
            ],
        },
    )
    write_spec(
        root,
        2,
        "middle",
        {
            "status": "in-progress",
            "priority": "critical",
            "tags": ["core", "api"],
            "due": (today - d(days=2)).isoformat(),
            "created_at": ts(now - d(days=2)),
            "depends_on": ["001-base"],
            "transitions": [{"status": "in-progress", "at": ts(now - d(days=1))}],
        },
    )
    write_spec(
        root,
        3,
        "top",
        {
            "status": "planned",
            "priority": "medium",
            "tags": ["api"],
            "created_at": ts(now - d(days=1)),
            "due": (today + d(days=10)).isoformat(),
            "depends_on": ["002-middle"],
        },
    )
    write_spec(
        root,
        4,
        "side",
        {"status": "planned", "priority": "low", "created_at": ts(now - d(days=40)), "depends_on": ["002-middle"]},
    )
    return root, now


# ===================================================================== board
def test_board_text_and_json_on_fixture(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "board")
    assert r.code == 0, r.err
    assert "📋 Spec Kanban Board" in r.out and not ANSI.search(r.out)
    assert "Planned (3)" in r.out and "In Progress (0)" in r.out and "Complete (8)" in r.out
    assert "8 complete (use --complete to list them)" in r.out
    assert "Comprehensive Spec Validation" not in r.out  # complete cards collapsed
    assert "Completion" in r.out and "72.7%" in r.out
    r = cli(fixture_project, "board", "--complete")
    assert "018  Comprehensive Spec Validation" in r.out
    j = cli(fixture_project, "board", "--json").json
    fms = read_frontmatters(fixture_project)
    cols = Counter(column_of(fm) for fm in fms)
    assert {g["name"]: g["count"] for g in j["groups"]} == {k: cols[k] for k in ("planned", "in-progress", "complete")}
    j = cli(fixture_project, "board", "--archived", "--json").json
    assert j["groups"][-1]["name"] == "archived" and j["groups"][-1]["count"] == cols["archived"]
    assert "Archived (6)" in cli(fixture_project, "board", "--archived").out


def test_board_filters_and_modes(cli, fixture_project: Path) -> None:
    fms = [fm for fm in read_frontmatters(fixture_project) if column_of(fm) != "archived"]
    j = cli(fixture_project, "board", "-t", "cli", "--json").json
    got = {c["name"] for g in j["groups"] for c in g["specs"]}
    assert got == {fm["_name"] for fm in fms if "cli" in (fm.get("tags") or [])}
    j = cli(fixture_project, "board", "--tag", "cli", "--tag", "dx", "--json").json
    assert {c["name"] for g in j["groups"] for c in g["specs"]} == {
        fm["_name"] for fm in fms if {"cli", "dx"} <= set(fm.get("tags") or [])
    }
    j = cli(fixture_project, "board", "--status", "planned", "--json").json
    assert j["summary"]["total"] == 3 and j["summary"]["complete"] == 0
    j = cli(fixture_project, "board", "-p", "critical", "--json").json
    assert sum(g["count"] for g in j["groups"]) == sum(1 for fm in fms if fm.get("priority") == "critical")
    j = cli(fixture_project, "board", "--assignee", "nobody", "--json").json
    assert sum(g["count"] for g in j["groups"]) == 0
    r = cli(fixture_project, "board", "--group-by", "priority")
    assert "● critical (3)" in r.out and "● high (4)" in r.out
    assert cli(fixture_project, "board", "--by-parent", "--json").json["group_by"] == "parent"
    r = cli(fixture_project, "board", "--simple")
    assert "Completion" not in r.out and "Planned (3)" in r.out
    r = cli(fixture_project, "board", "--completion-only")
    assert "Completion" in r.out and "Planned (" not in r.out
    r = cli(fixture_project, "board", "--group-by", "colour")
    assert r.code == 2
    r = cli(fixture_project, "board", "-s", "wip", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input"


def test_board_archived_status_filter_and_empty_project(cli, fixture_project: Path, empty_project: Path) -> None:
    j = cli(fixture_project, "board", "-s", "archived", "--json").json
    archived = {fm["_name"] for fm in read_frontmatters(fixture_project) if column_of(fm) == "archived"}
    assert {c["name"] for c in j["groups"][-1]["specs"]} == archived and j["groups"][-1]["name"] == "archived"
    for args in (["board"], ["stats", "--full"], ["timeline"], ["gantt", "--critical-path"], ["board", "--by-parent"]):
        r = cli(empty_project, *args)
        assert r.code == 0, (args, r.err)
    assert cli(empty_project, "board", "--json").json["summary"]["total"] == 0
    assert cli(empty_project, "deps", "1").code == 3


def test_board_survives_a_malformed_spec(cli, fixture_project: Path) -> None:
    bad = fixture_project / "specs" / "160-broken"
    bad.mkdir()
    (bad / "README.md").write_text("---\nstatus: [unclosed\n---\n# Broken\n", encoding="utf-8")
    r = cli(fixture_project, "board", "--json")
    assert r.code == 0 and sum(g["count"] for g in r.json["groups"]) == 11
    assert "160-broken" in r.err


def test_color_only_when_asked(cli, fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not ANSI.search(cli(fixture_project, "board").out)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ANSI.search(cli(fixture_project, "board").out)
    assert not ANSI.search(cli(fixture_project, "board", "--json").out)


# ===================================================================== stats
def test_stats_sections(cli, tmp_path: Path) -> None:
    root, _now = _recent(tmp_path / "p")
    r = cli(root, "stats")
    assert r.code == 0, r.err
    for text in (
        "📊 Spec Stats",
        "Total 4 · Active 3 · Complete 1",
        "Priority focus",
        "Needs attention",
        "🚀 Velocity",
    ):
        assert text in r.out
    assert "1 critical spec(s) past their due date" in r.out
    j = cli(root, "stats", "--json").json
    assert j["overview"]["total"] == 4 and j["velocity"]["wip"]["current"] == 1
    assert j["velocity"]["throughput"]["per_month"] == 1 and "timeline" not in j
    full = cli(root, "stats", "--full")
    assert "Popular tags" in full.out and "📅 Activity" in full.out and "Lead time" in full.out
    assert cli(root, "stats", "--detailed").out.splitlines()[:3] == full.out.splitlines()[:3]
    tl = cli(root, "stats", "--timeline")
    assert "📅 Activity" in tl.out and "Priority focus" not in tl.out and "Velocity" not in tl.out
    assert cli(root, "stats", "--timeline", "--json").json["timeline"]["totals"]["created"] == 3
    v = cli(root, "stats", "--velocity")
    assert "Lead time" in v.out and "Priority focus" not in v.out
    j = cli(root, "stats", "--tag", "api", "--json").json
    assert j["overview"]["total"] == 2
    j = cli(root, "stats", "--assignee", "ann", "--json").json
    assert j["overview"] == {**j["overview"], "total": 1, "complete": 1}


# ====================================================================== deps
def test_deps_tree_and_modes(cli, tmp_path: Path) -> None:
    root, _ = _recent(tmp_path / "p")
    r = cli(root, "deps", "3")
    assert r.code == 0, r.err
    assert "📦 Dependencies for 003-top" in r.out
    assert "→ 002-middle" in r.out
    assert re.search(r"^└─ 002-middle .*\n   └─ 001-base", r.out, re.M)
    r = cli(root, "deps", "001-base", "--downstream")
    assert "← 002-middle" in r.out and "├─ 003-top" in r.out and "└─ 004-side" in r.out
    j = cli(root, "deps", "1", "--impact", "--json").json
    assert j["mode"] == "impact" and j["impact"] == {"direct": 1, "transitive": 2, "total": 3}
    j = cli(root, "deps", "3", "--upstream", "--depth", "1", "--json").json
    assert [d["name"] for d in j["depends_on"]] == ["002-middle"] and j["required_by"] == []
    j = cli(root, "deps", "2", "--complete", "--json").json
    assert j["mode"] == "complete" and [d["name"] for d in j["required_by"]] == ["003-top", "004-side"]
    g = cli(root, "deps", "2", "--graph")
    lines = g.out.splitlines()
    assert "▼" in g.out
    i_base = next(i for i, line in enumerate(lines) if line.strip().endswith("001-base"))
    i_me = next(i for i, line in enumerate(lines) if "[002-middle]" in line)
    i_top = next(i for i, line in enumerate(lines) if "003-top" in line and "←" in line)
    assert i_base < i_me < i_top
    assert "No dependencies" in cli(root, "deps", "4", "--downstream").out


def test_deps_errors_and_cycles(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "deps", "999", "--json")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"
    r = cli(fixture_project, "deps", "038", "--json")
    assert r.code == 4 and r.json["error"]["code"] == "ambiguous_spec"
    r = cli(fixture_project, "deps", "018", "--depth", "0", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input"
    r = cli(fixture_project, "deps", "150")
    assert r.code == 0 and "134-ui-metadata-editing: not found" in r.out
    write_spec(fixture_project, 161, "ping", {"status": "planned", "depends_on": ["162-pong"]})
    write_spec(fixture_project, 162, "pong", {"status": "planned", "depends_on": ["161-ping"]})
    r = cli(fixture_project, "deps", "161", "--depth", "20")
    assert "dependency cycle: 161-ping → 162-pong → 161-ping" in r.out and "↺ cycle" in r.out


# ================================================================= timeline
def test_timeline_command(cli, tmp_path: Path) -> None:
    root, now = _recent(tmp_path / "p")
    j = cli(root, "timeline", "--days", "7", "--json").json
    assert len(j["series"]) == 7 and j["end"] == now.date().isoformat()
    assert j["totals"] == {"created": 3, "completed": 1, "net": 2}  # 004 is 40 days old
    j60 = cli(root, "timeline", "--json").json
    assert len(j60["series"]) == 30 and j60["totals"]["created"] == 3
    r = cli(root, "timeline", "--days", "7")
    assert r.code == 0 and (now.date() - dt.timedelta(days=1)).isoformat() in r.out
    j = cli(root, "timeline", "--days", "60", "--by-tag", "--json").json
    assert {g["name"]: g["created"] for g in j["groups"]} == {"core": 2, "api": 2, "untagged": 1}
    j = cli(root, "timeline", "--by-assignee", "--json").json
    assert {g["name"] for g in j["groups"]} == {"ann", "unassigned"}
    assert "By tag:" in cli(root, "timeline", "--by-tag").out
    j = cli(root, "timeline", "--months", "3", "--json").json
    assert j["unit"] == "month" and len(j["series"]) == 3 and j["totals"]["created"] == 4
    r = cli(root, "timeline", "--days", "0", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input"
    assert cli(root, "timeline", "--by-tag", "--by-assignee").code == 2


# ==================================================================== gantt
def test_gantt_command(cli, tmp_path: Path) -> None:
    root, now = _recent(tmp_path / "p")
    j = cli(root, "gantt", "--critical-path", "--json").json
    assert j["weeks"] == 4
    rows = {g["priority"]: [s["name"] for s in g["specs"]] for g in j["groups"]}
    assert rows == {"critical": ["002-middle"], "medium": ["003-top"], "low": ["004-side"]}
    assert [s["name"] for s in j["critical_path"]["specs"]] == ["002-middle", "003-top"]
    r = cli(root, "gantt", "--critical-path", "--weeks", "6")
    assert r.code == 0
    assert "⚠ overdue 2 d" in r.out and "Critical path (2 specs)" in r.out
    assert "002-middle → 003-top" in r.out
    j = cli(root, "gantt", "--show-complete", "--json").json
    assert "001-base" in {s["name"] for g in j["groups"] for s in g["specs"]}
    r = cli(root, "gantt", "--weeks", "0", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input"


# ========================================================= 1,000 specs, real process
def test_1000_specs_in_a_real_process(cli_proc, tmp_path: Path) -> None:
    root = generate_project(tmp_path / "big", 1000)
    fms = read_frontmatters(root)
    cols = Counter(column_of(fm) for fm in fms)
    r = cli_proc(root, "board", "--archived", "--json", timeout=120)
    assert r.code == 0, r.err
    assert {g["name"]: g["count"] for g in r.json["groups"]} == {
        k: cols[k] for k in ("draft", "planned", "in-progress", "complete", "archived")
    }
    r = cli_proc(root, "stats", "--full", timeout=120)
    assert r.code == 0 and "📊 Spec Stats" in r.out and f"Total {1000 - cols['archived']}" in r.out
    target = next(fm["_name"] for fm in fms if fm["_name"].startswith("002-"))
    r = cli_proc(root, "deps", target, "--impact", "--json", timeout=120)
    assert r.code == 0 and r.json["spec"]["name"] == target
    assert r.json["impact"]["total"] == len(r.json["required_by"])
    r = cli_proc(root, "gantt", "--critical-path", "--json", timeout=120)
    assert r.code == 0 and r.json["critical_path"]["length"] >= 2
