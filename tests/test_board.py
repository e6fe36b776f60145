"""The board engine: columns, card order, grouping modes and the summary, checked
against counts computed independently from the spec files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from insight_helpers import column_of, generate_project, new_project, read_frontmatters, write_spec
from leanspec.core.errors import InvalidInput
from leanspec.insight.board import build_board
from leanspec.project import Project

PRIO_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _load(root: Path) -> list:
    res = Project.open(root).load()
    assert not res.problems, res.problems
    return res.specs


def _order_ok(cards: list[dict]) -> bool:
    keys = [(PRIO_RANK.get(c["priority"] or "", 4), c["number"]) for c in cards]
    return keys == sorted(keys)


def test_fixture_status_columns_match_files(fixture_project: Path) -> None:
    specs = _load(fixture_project)
    fms = read_frontmatters(fixture_project)
    cols = Counter(column_of(fm) for fm in fms)
    b = build_board(specs, now="2025-12-10")
    assert b["group_by"] == "status"
    assert [g["name"] for g in b["groups"]] == ["planned", "in-progress", "complete"]  # no draft, no archived
    assert {g["name"]: g["count"] for g in b["groups"]} == {
        "planned": cols["planned"],
        "in-progress": cols["in-progress"],
        "complete": cols["complete"],
    }
    planned = {fm["_name"] for fm in fms if column_of(fm) == "planned"}
    assert {c["name"] for c in b["groups"][0]["specs"]} == planned
    for g in b["groups"]:
        assert g["count"] == len(g["specs"]) and _order_ok(g["specs"])
    s = b["summary"]
    assert s["total"] == len(fms) - cols["archived"] and s["complete"] == cols["complete"]
    assert s["completion_rate"] == round(100 * cols["complete"] / s["total"], 1)
    assert s["velocity"]["avg_cycle_time_days"] is not None
    # Cards are the one spec JSON shape.
    card = b["groups"][0]["specs"][0]
    assert {"name", "number", "title", "status", "priority", "tags", "content_hash", "path"} <= set(card)

    ba = build_board(specs, include_archived=True)
    assert [g["name"] for g in ba["groups"]][-1] == "archived"
    assert ba["groups"][-1]["count"] == cols["archived"]


def test_draft_column_only_when_used_and_unknown_status_is_planned(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(root, 1, "a", {"status": "planned", "priority": "low"})
    write_spec(root, 2, "b", {"status": "wip", "priority": "critical"})
    b = build_board(_load(root))
    assert [g["name"] for g in b["groups"]] == ["planned", "in-progress", "complete"]
    assert [c["name"] for c in b["groups"][0]["specs"]] == ["002-b", "001-a"]  # priority first
    write_spec(root, 3, "c", {"status": "draft"})
    b = build_board(_load(root))
    assert [g["name"] for g in b["groups"]][0] == "draft" and b["groups"][0]["count"] == 1
    assert b["summary"]["active"] == 3


def test_card_order_priority_then_number(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    for n, prio in [(1, "low"), (2, None), (3, "critical"), (4, "high"), (5, "critical"), (6, "medium")]:
        fm = {"status": "planned"}
        if prio:
            fm["priority"] = prio
        write_spec(root, n, f"s{n}", fm)
    cards = build_board(_load(root))["groups"][0]["specs"]
    assert [c["number"] for c in cards] == [3, 5, 4, 6, 1, 2]


def test_group_by_priority_assignee_tag_parent(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(root, 1, "epic", {"status": "in-progress", "priority": "high", "tags": ["core"]})
    write_spec(
        root,
        2,
        "kid-a",
        {"status": "planned", "priority": "low", "assignee": "zoe", "tags": ["core", "ui"], "parent": "001-epic"},
    )
    write_spec(root, 3, "kid-b", {"status": "complete", "assignee": "adam", "parent": "1"})
    write_spec(root, 4, "lost", {"status": "planned", "parent": "099-gone"})
    specs = _load(root)

    b = build_board(specs, group_by="priority")
    assert [(g["name"], g["count"]) for g in b["groups"]] == [
        ("critical", 0),
        ("high", 1),
        ("medium", 0),
        ("low", 1),
        ("none", 2),
    ]
    b = build_board(specs, group_by="assignee")
    assert [(g["name"], [c["number"] for c in g["specs"]]) for g in b["groups"]] == [
        ("adam", [3]),
        ("zoe", [2]),
        ("unassigned", [1, 4]),
    ]
    b = build_board(specs, group_by="tag")
    assert [(g["name"], [c["number"] for c in g["specs"]]) for g in b["groups"]] == [
        ("core", [1, 2]),
        ("ui", [2]),
        ("untagged", [3, 4]),
    ]
    b = build_board(specs, group_by="parent")
    groups = {g["name"]: g for g in b["groups"]}
    assert list(groups) == ["001-epic", "099-gone", "no-parent"]
    assert [c["number"] for c in groups["001-epic"]["specs"]] == [2, 3]  # "1" resolved by number
    assert groups["001-epic"]["parent"]["title"] == "Epic"
    assert groups["099-gone"]["parent"] is None
    assert build_board(specs, group_by="by-parent")["group_by"] == "parent"
    with pytest.raises(InvalidInput):
        build_board(specs, group_by="colour")


def test_generated_1000_board(tmp_path: Path) -> None:
    root = generate_project(tmp_path / "big", 1000)
    specs = _load(root)
    fms = read_frontmatters(root)
    cols = Counter(column_of(fm) for fm in fms)
    b = build_board(specs, include_archived=True)
    got = {g["name"]: g["count"] for g in b["groups"]}
    assert got == {k: cols[k] for k in ("draft", "planned", "in-progress", "complete", "archived")}
    assert sum(got.values()) == 1000
    for g in b["groups"]:
        assert _order_ok(g["specs"])
        assert {c["name"] for c in g["specs"]} == {fm["_name"] for fm in fms if column_of(fm) == g["name"]}
    hidden = build_board(specs)
    assert "archived" not in [g["name"] for g in hidden["groups"]]
    assert hidden["summary"]["total"] == 1000 - cols["archived"]
    tags = Counter(t for fm in fms if column_of(fm) != "archived" for t in fm.get("tags") or [])
    tb = build_board(specs, group_by="tag")
    assert {g["name"]: g["count"] for g in tb["groups"] if g["name"] != "untagged"} == dict(tags)
    assert tb["total"] == 1000 - cols["archived"]
    people = Counter(fm.get("assignee") or "unassigned" for fm in fms if column_of(fm) != "archived")
    ab = build_board(specs, group_by="assignee")
    assert {g["name"]: g["count"] for g in ab["groups"]} == dict(people)


@pytest.mark.parametrize("group_by", ["status", "priority", "assignee", "tag", "parent"])
def test_text_cards_are_the_full_cards_fields(fixture_project: Path, group_by: str) -> None:
    """The CLI's text board builds small cards; they must be the same values as the
    full ``to_dict()`` cards, in the same columns and order."""
    from leanspec.insight.board import TEXT_CARD_KEYS, text_card

    specs = _load(fixture_project)
    full = build_board(specs, group_by=group_by, include_archived=True, now="2025-12-10")
    small = build_board(specs, group_by=group_by, include_archived=True, now="2025-12-10", card=text_card)
    assert {k: v for k, v in small.items() if k != "groups"} == {k: v for k, v in full.items() if k != "groups"}
    assert len(small["groups"]) == len(full["groups"])
    for gs, gf in zip(small["groups"], full["groups"], strict=True):
        assert {k: v for k, v in gs.items() if k != "specs"} == {k: v for k, v in gf.items() if k != "specs"}
        assert gs["specs"] == [{k: c[k] for k in TEXT_CARD_KEYS} for c in gf["specs"]]


def test_cli_board_text_and_json_agree(fixture_project: Path) -> None:
    from conftest import cli_subprocess

    j = cli_subprocess(fixture_project, "board", "--json", "--complete")
    t = cli_subprocess(fixture_project, "board", "--complete")
    assert j.code == t.code == 0
    for g in json.loads(j.out)["groups"]:
        for c in g["specs"]:
            assert c["title"][:20] in t.out  # every card of the JSON board is on the text board


def test_mcp_cards_are_the_card_of_the_full_dict(fixture_project: Path) -> None:
    pytest.importorskip("mcp")
    from leanspec.mcp.shape import CARD_KEYS, card, spec_card

    for s in _load(fixture_project):
        assert spec_card(s) == card(s.to_dict())
        assert tuple(spec_card(s)) == CARD_KEYS


def test_plain_card_line_is_the_colourless_card() -> None:
    """The text board renders cards without colours through one f-string
    (``_plain_card_line``): the same line as ``_card`` with a colourless context."""
    import argparse
    import itertools

    from leanspec.cli._app import Ctx
    from leanspec.cli.cmd_insight import _card, _plain_card_line

    class NotATty:
        def isatty(self) -> bool:
            return False

    ctx = Ctx(argparse.Namespace(no_color=True), stdout=NotATty())  # type: ignore[arg-type]
    assert not ctx.color
    titles = ["Short", "x" * 19, "y" * 60, "z" * 61, "Café à la crème " * 5, "漢字のタイトル" * 4, "", "🚀 launch"]
    numbers = [7, 123, 1234, None, True]
    extras: list[dict] = [
        {},
        {"priority": "high", "assignee": "alice", "tags": ["a", "b", "c", "d", "e"]},
        {"priority": None, "assignee": "", "tags": []},
        {"blocked": True, "lease": {"holder": "bob"}},
        {"priority": "low", "blocked": False, "lease": None, "tags": ["only"]},
    ]
    for w, title, n, extra, show in itertools.product((40, 60, 100, 200), titles, numbers, extras, (True, False)):
        d = {"number": n, "title": title, **extra}
        assert _plain_card_line(max(20, w - 40))(d, show) == _card(ctx, d, w, show_prio=show), (w, title, n, extra)


@pytest.mark.parametrize("group_by", ["status", "priority", "tag", "parent"])
def test_cards_marked_as_built_are_annotate_boards_marks(tmp_path: Path, group_by: str) -> None:
    """The CLI's text board marks each card as it builds it (``claims.card_marker``):
    the same marks as ``annotate_board`` on the finished board, with blocked specs,
    missing and archived dependencies, a live and an expired lease, and one name held
    by two specs (a copy in archived/: annotate_board takes the last of the listing)."""
    import datetime as dt

    from leanspec.insight.board import text_card
    from leanspec.store.leases import Lease, LeaseStore
    from leanspec.workflows import claims

    root = new_project(tmp_path)
    write_spec(root, 1, "base", {"status": "complete", "priority": "high", "tags": ["a"]})
    write_spec(root, 2, "open-dep", {"status": "planned", "tags": ["a", "b"]})
    write_spec(root, 3, "blocked", {"status": "planned", "priority": "high", "depends_on": ["002-open-dep"], "tags": ["b"]})
    write_spec(root, 4, "free", {"status": "in-progress", "depends_on": ["001-base", "1"], "parent": "002-open-dep"})
    write_spec(root, 5, "missing", {"status": "planned", "depends_on": ["099-nowhere", "./specs/002-open-dep/"]})
    write_spec(root, 6, "twice", {"status": "planned", "depends_on": ["002-open-dep"]})
    write_spec(root, 6, "twice", {"status": "archived", "depends_on": ["001-base"]}, archived=True)
    write_spec(root, 7, "on-archived", {"status": "planned", "depends_on": ["006-twice", "  003-blocked  "]})
    project = Project.open(root)
    now = claims.claims_now_of(project)
    store = LeaseStore.for_root(project.root)
    store.dir.mkdir(parents=True, exist_ok=True)
    for spec, minutes in (("003-blocked", 30), ("002-open-dep", -5)):
        store.write(Lease(spec, "alice", now - dt.timedelta(minutes=60), now + dt.timedelta(minutes=minutes)))
    specs = project.load(include_archived=True).specs
    assert len({s.name for s in specs}) < len(specs)  # the duplicate name is there
    r = claims.readiness(project, specs)
    after = claims.annotate_board(build_board(specs, group_by=group_by, include_archived=True, card=text_card), r)
    mark = claims.card_marker(r)

    def card(s: object) -> dict:
        d = text_card(s)  # type: ignore[arg-type]
        mark(d, s)  # type: ignore[arg-type]
        return d

    built = build_board(specs, group_by=group_by, include_archived=True, card=card)
    assert built == after
    marked = [c for g in built["groups"] for c in g["specs"] if "blocked" in c or "lease" in c]
    # (006-twice: the last of its name is the archived copy, whose dependency is done.)
    assert {c["name"] for c in marked} >= {"003-blocked", "005-missing", "007-on-archived"}
