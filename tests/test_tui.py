"""`lean-spec tui`: the Textual app driven headless (keys in, screen text and files on
disk checked), plus one end-to-end run of the real command in tmux.

conftest sets NO_COLOR=1 for every test, so these also show the app usable without
colour (Textual's monochrome filter; the cursor is a ▌ mark, states are symbols)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from leanspec.project import Project, UpdateOps

BODY = """# {title}

## Overview

Some words about {title}.

## Plan

- [ ] first step
- [x] second step

## Test

- [ ] it works
"""


def make_project(root: Path) -> Path:
    p = Project.open(root)
    p.create("login", title="Login flow", tags=["auth", "api"], priority="high", status="planned",
             content=BODY.format(title="Login flow"))  # fmt: skip
    p.create("tokens", title="Token refresh", tags=["auth"], priority="critical", status="in-progress",
             assignee="alice", depends_on=["001"], content=BODY.format(title="Token refresh"))  # fmt: skip
    p.create("inventory", title="Endpoint inventory", tags=["docs"], priority="medium", status="complete",
             content="# Endpoint inventory\n\n## Done\n\n- [x] all of it\n")  # fmt: skip
    p.create("markup", title="[bold red]Boom[/] [link=x]y[/link]", tags=["[b]odd[/b]"], priority="low",
             status="planned", content="# [bold red]Boom[/] [link=x]y[/link]\n\nText with [b]markup[/b].\n")  # fmt: skip
    p.write_content("002/DESIGN.md", "# Design\n\n## Choices\n\nRotate every hour.\n\n## Risks\n\nClock skew.\n")
    return root


@pytest.fixture
def proj(empty_project: Path) -> Path:
    return make_project(empty_project)


def screen_text(app: Any) -> str:
    from rich.console import Console

    w, h = app.size
    console = Console(width=w, height=h, file=io.StringIO(), force_terminal=True, color_system=None, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def run(coro_fn: Callable[..., Any], root: Path | list[Path], size: tuple[int, int] = (100, 30), **kw: Any) -> Any:
    """Run ``coro_fn(app, pilot)`` inside ``App.run_test``."""
    from leanspec.tui.app import LeanSpecApp

    roots = root if isinstance(root, list) else [root]
    kw.setdefault("poll_interval", 3600.0)  # no background polling unless a test is about it

    async def main() -> Any:
        app = LeanSpecApp([Project.open(r) for r in roots], **kw)
        async with app.run_test(size=size, notifications=True) as pilot:
            await asyncio.wait_for(app.ready.wait(), 20)
            await pilot.pause()
            return await coro_fn(app, pilot)

    return asyncio.run(main())


async def until(pilot: Any, cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.08)


async def shows(app: Any, pilot: Any, text: str, timeout: float = 5.0) -> str:
    await until(pilot, lambda: text in screen_text(app), timeout)
    return screen_text(app)


def fm(root: Path, ref: str) -> Any:
    return Project.open(root).get(ref)


# ===================================================================== views
def test_board_columns_cards_and_plain_text(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        assert app.no_color  # conftest's NO_COLOR=1 reached Textual
        text = await shows(app, pilot, "Login flow")
        for want in ("Planned (2)", "In progress (1)", "Complete (1)", "Token refresh", "@alice", "! critical",
                     "↑ high", "#auth", "☑1/3", "▌"):  # fmt: skip
            assert want in text, want
        # markup in a title and a tag is shown as typed, never interpreted
        assert "[bold red]Boom[/]" in text and "[link=x]y[/link]" in text
        assert "#[b]odd[/b]" in text
        # 002 depends on 001, which is not complete: blocked
        assert "⊠ blocked" in text
        # keys typed faster than the screen updates each act where the previous one left
        # the cursor (Textual applies focus() late): l l j is the second complete card
        Project.open(proj).create("done-too", title="Also done", status="complete", priority="low")
        await pilot.press("r")
        await shows(app, pilot, "Also done")
        from textual import events

        for k in ("l", "l", "j"):
            app.post_message(events.Key(k, k))
        await until(pilot, lambda: getattr(app.main.selected_spec(), "name", "") == "005-done-too")

    run(go, proj)


def test_list_sort_filter_and_clear(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await pilot.press("2")
        text = await shows(app, pilot, "Title")
        rows = [ln for ln in text.splitlines() if ln[1:2] in "○·▶✓" and ln[1:2].strip()]
        assert [r.split()[2] for r in rows[:4]] == ["004", "003", "002", "001"]  # ID ↓
        await pilot.press("s")  # ID ↑
        await until(pilot, lambda: app.view_data is not None and app.view_data.rows[0].name.startswith("001"))
        await pilot.press("s")  # Priority ↓
        await until(pilot, lambda: app.view_data.rows[0].name.startswith("002"))
        # filter: status planned only (Status list: draft, planned, ...)
        await pilot.press("f")
        await pilot.press("j", "space", "escape")
        await until(pilot, lambda: len(app.view_data.rows) == 2)
        text = screen_text(app)
        assert "filter: status:planned" in text and "Token refresh" not in text
        # a query in the filter dialog, with the search syntax
        await pilot.press("F")
        await until(pilot, lambda: len(app.view_data.rows) == 4)
        await pilot.press("f", "tab", "tab", "tab", "tab", *"tag:docs", "enter")
        await until(pilot, lambda: [s.name for s in app.view_data.rows] == ["003-inventory"])
        await pilot.press("F")
        await until(pilot, lambda: len(app.view_data.rows) == 4)

    run(go, proj)


def test_spec_page_tabs_toc_and_dependencies(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        from leanspec.tui.specpage import DetailScreen

        await pilot.press("2")
        await until(pilot, lambda: app.main.selected_spec() is not None)
        app.main.select("002-tokens")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.spec is not None)
        text = await shows(app, pilot, "Some words about Token refresh.")
        assert "002-tokens" in text and "README.md" in text and "DESIGN.md" in text and "Dependencies" in text
        assert "☐ first step" in text and "☑ second step" in text
        assert "blocked by 001-login" in text
        await pilot.press("tab")  # DESIGN.md
        await shows(app, pilot, "Rotate every hour.")
        await pilot.press("T")  # table of contents of DESIGN.md
        text = await shows(app, pilot, "Table of contents")
        assert "Choices" in text and "Risks" in text
        await pilot.press("j", "j", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        doc = app.screen.current_doc()
        await until(pilot, lambda: doc.scroll_y > 0 or doc.max_scroll_y == 0)
        await pilot.press("d")
        text = await shows(app, pilot, "Upstream — depends on")
        assert "001-login" in text and "Downstream — required by" in text
        # Enter on the upstream spec opens it
        await pilot.press("j", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.spec_name == "001-login")
        await shows(app, pilot, "Some words about Login flow.")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: app.screen is app.main)

    run(go, proj, size=(80, 24))


def test_search_opens_a_spec_and_reports_syntax_errors(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        from leanspec.tui.finders import SearchScreen
        from leanspec.tui.specpage import DetailScreen

        await pilot.press("slash", *"api (")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        await shows(app, pilot, "⚠")  # a malformed query says so
        await pilot.press("backspace", "backspace", *" AND tag:api")
        text = await shows(app, pilot, "1 match")
        assert "001-login" in text
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.spec_name == "001-login")

    run(go, proj)


def test_help_lists_every_key_and_docs_document_them(proj: Path) -> None:
    from leanspec.tui.keys import KEYS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "commands" / "tui.md").read_text(encoding="utf-8")
    missing = [tok for _s, rows in KEYS for k, _w in rows for tok in k.split() if f"`{tok}`" not in doc]
    assert not missing, f"docs/commands/tui.md does not document {missing}"

    async def go(app: Any, pilot: Any) -> None:
        await pilot.press("question_mark")
        text = await shows(app, pilot, "Keys — Esc, ? or q closes")
        assert "this help" in text and "light / dark theme" in text
        await pilot.press("G")  # the bottom: dialogs
        await shows(app, pilot, "project switcher: add a project folder")
        await pilot.press("g")
        for _ in range(4):  # the claims, a page or two down
            await pilot.press("pagedown")
            await pilot.pause(0.1)
            if "claim the next ready spec" in screen_text(app):
                break
        assert "claim the next ready spec" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main)
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"

    run(go, proj, size=(80, 24))


def test_every_binding_is_in_the_key_table() -> None:
    """The help screen and the docs come from keys.KEYS: each key a screen binds is there."""
    from leanspec.tui import app as tapp
    from leanspec.tui import board, dialogs, docview, finders, mainscreen, specpage, widgets
    from leanspec.tui.keys import KEYS

    names = {"question_mark": "?", "slash": "/", "less_than_sign": "<", "greater_than_sign": ">",
             "exclamation_mark": "!", "number_sign": "#", "down": "↓", "up": "↑", "left": "←", "right": "→",
             "escape": "esc", "pageup": "pgup", "pagedown": "pgdn", "at": "@"}  # fmt: skip
    listed = {tok for _s, rows in KEYS for k, _w in rows for tok in k.split()}
    classes = [mainscreen.MainScreen, tapp.LeanSpecApp, widgets.VirtualList, board.Board, docview.DocView,
               specpage.DetailScreen, dialogs.HelpScreen, dialogs.PickerScreen, dialogs.ConfirmScreen,
               dialogs.ChecklistScreen, dialogs.HolderScreen, finders.FilterScreen, finders.SearchScreen,
               dialogs.TocScreen, dialogs.ProjectScreen, finders.ToggleList]  # fmt: skip
    missing = set()
    for cls in classes:
        for b in cls.BINDINGS:
            for key in b.key.split(","):  # type: ignore[union-attr]
                if names.get(key, key) not in listed:
                    missing.add(f"{cls.__name__}: {key}")
    assert not missing, sorted(missing)


def drawn_controls(app: Any) -> set[str]:
    """Control characters in the text of what the app draws (escape sequences a spec
    could smuggle to the terminal)."""
    upd = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    bad = set()
    for line in upd.strips:
        for strip in line:
            for seg in strip:
                if seg.control:
                    continue
                bad |= {c for c in seg.text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0}
    return bad


def test_escape_sequences_in_specs_never_reach_the_terminal(empty_project: Path) -> None:
    d = empty_project / "specs" / "001-evil"
    d.mkdir()
    (d / "README.md").write_text(
        '---\nstatus: planned\npriority: high\ntitle: "Evil \\e[31mRED\\e]0;pwned\\a"\n'
        'tags: ["a\\e[5mblink"]\nassignee: "x\\e[2J"\n---\n\n'
        "# Heading \x1b[32mGREEN\n\n## Sec \x1b]2;t\x07\n\nBody \x1b]2;title\x07 text.\n\n- [ ] item \x1b[31mred\n",
        encoding="utf-8",
    )
    (d / "DESIGN.md").write_text("# D \x1b[31m\n\nx\x9b31m\n", encoding="utf-8")

    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Evil")
        assert not drawn_controls(app)
        assert "Evil �[31mRED�]0;pwned�" in screen_text(app)
        await pilot.press("2")
        await shows(app, pilot, "#a�[5mblink")
        assert not drawn_controls(app)
        await pilot.press("enter")
        await shows(app, pilot, "Body �]2;title� text.")
        assert not drawn_controls(app)
        await pilot.press("x")
        await shows(app, pilot, "☐ item �[31mred")
        assert not drawn_controls(app)
        await pilot.press("escape", "tab")
        await shows(app, pilot, "x�31m")
        await pilot.press("T")
        await shows(app, pilot, "Table of contents")
        assert not drawn_controls(app)
        await pilot.press("escape", "escape", "slash", *"Evil")
        await shows(app, pilot, "1 match")
        assert not drawn_controls(app)

    run(go, empty_project)


# ===================================================================== edits
def test_move_card_with_keys_writes_the_file(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        app.main.select("001-login")
        await pilot.press("greater_than_sign")  # planned -> in-progress
        await until(pilot, lambda: fm(proj, "001").status == "in-progress")
        await shows(app, pilot, "In progress (2)")
        await pilot.press("m")  # the status picker
        await shows(app, pilot, "Move 001-login to")
        await pilot.press("k", "enter")  # draft, planned, in-progress (current), complete
        await until(pilot, lambda: fm(proj, "001").status == "planned")
        # two moves in a row: the second starts from where the first left the card
        h0 = fm(proj, "001").content_hash
        await pilot.press("greater_than_sign", "less_than_sign")
        await until(pilot, lambda: fm(proj, "001").content_hash != h0 and fm(proj, "001").status == "planned")
        assert "Conflict" not in screen_text(app)

    run(go, proj)


def test_completion_guard_asks_before_forcing(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Token refresh")
        app.main.select("002-tokens")
        await pilot.press("greater_than_sign")  # in-progress -> complete: open checklist items
        text = await shows(app, pilot, "complete anyway")
        assert "open checklist item" in text
        await pilot.press("n")
        await pilot.pause(0.2)
        assert fm(proj, "002").status == "in-progress"
        await pilot.press("greater_than_sign")
        await shows(app, pilot, "complete anyway")
        await pilot.press("y")
        await until(pilot, lambda: fm(proj, "002").status == "complete")

    run(go, proj)


def test_priority_tags_and_checklist_edits(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        app.main.select("001-login")
        await pilot.press("exclamation_mark")
        await shows(app, pilot, "Priority of 001-login")
        await pilot.press("g", "enter")  # critical is first
        await until(pilot, lambda: fm(proj, "001").priority == "critical")
        await pilot.press("number_sign")
        await shows(app, pilot, "Tags of 001-login")
        await pilot.press(*", [x] new-tag")
        await pilot.press("enter")
        await until(pilot, lambda: fm(proj, "001").tags == ["auth", "api", "[x]", "new-tag"], timeout=3)
        await pilot.press("enter")  # the spec page
        await shows(app, pilot, "Some words about Login flow.")
        await pilot.press("x")
        text = await shows(app, pilot, "Checklist of 001-login (1/3)")
        assert "☐ first step" in text
        await pilot.press("space")
        await until(pilot, lambda: "- [x] first step" in fm(proj, "001").body)
        await shows(app, pilot, "(2/3)")
        await pilot.press("j", "enter")  # untick "second step"
        await until(pilot, lambda: "- [ ] second step" in fm(proj, "001").body)

    run(go, proj)


def test_stale_edit_is_a_conflict_and_never_overwrites(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        app.main.select("001-login")
        # Someone else changes the spec; this app does not poll (interval of an hour),
        # so the card on screen is stale.
        Project.open(proj).update("001", UpdateOps(priority="low", add_tags=["theirs"]))
        await pilot.press("exclamation_mark")
        await shows(app, pilot, "Priority of 001-login")
        await pilot.press("g", "enter")  # critical, from the stale card
        text = await shows(app, pilot, "nothing was written")
        assert "Conflict" in text
        spec = fm(proj, "001")
        assert spec.priority == "low" and "theirs" in spec.tags  # their edit kept
        # the app reloaded: the card shows their version now
        await shows(app, pilot, "#theirs")
        # an edit of the fresh card goes through
        await pilot.press("exclamation_mark")
        await shows(app, pilot, "Priority of 001-login")
        await pilot.press("g", "enter")
        await until(pilot, lambda: fm(proj, "001").priority == "critical")

    run(go, proj, poll_interval=3600)


# ==================================================================== claims
def lease_on(root: Path, name: str) -> Any:
    from leanspec.store.leases import LeaseStore

    return LeaseStore.for_root(root).read(name)


def test_claim_keys_claim_next_release_and_refusals(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leanspec.workflows import claims

    monkeypatch.setenv("USER", "tester")
    Project.open(proj).create("after", title="After login", status="planned", priority="critical", depends_on=["001"])

    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        app.main.select("001-login")
        await pilot.press("c")  # the first claim asks for the name, default $USER
        await shows(app, pilot, "Claim as")
        assert app.screen.query_one("#holder-input").value == "tester"
        await pilot.press("enter")
        await until(pilot, lambda: lease_on(proj, "001-login") is not None)
        spec = fm(proj, "001")
        assert spec.status == "in-progress" and spec.assignee == "tester"
        assert lease_on(proj, "001-login").holder == "tester"
        text = await shows(app, pilot, "⚑tester")  # the card, with the expiry
        assert "claimed by tester until" in text or "⚑ 1 claimed" in text
        # blocked: 005 depends on 001, not complete yet (the name is not asked again)
        app.main.select("005-after")
        await pilot.press("c")
        text = await shows(app, pilot, "Not ready")
        assert "001-login (in-progress)" in text and lease_on(proj, "005-after") is None
        # conflict: 002 is in progress with alice, no lease
        app.main.select("002-tokens")
        await pilot.press("c")
        text = await shows(app, pilot, "Claimed by someone else")
        assert "alice" in text and fm(proj, "002").assignee == "alice"
        # release 001 back to planned: assignee cleared, lease gone
        app.main.select("001-login")
        await pilot.press("u")
        await shows(app, pilot, "Release 001-login")
        await pilot.press("enter")  # "back to planned" is highlighted
        await until(pilot, lambda: lease_on(proj, "001-login") is None and fm(proj, "001").status == "planned")
        assert not fm(proj, "001").assignee
        # someone else claims it: c names them, nothing changes
        claims.claim(Project.open(proj), "001", holder="bob")
        await app.refresh_now()
        app.main.select("001-login")
        await pilot.press("c")
        text = await shows(app, pilot, "claimed by bob")
        assert lease_on(proj, "001-login").holder == "bob"
        # u on bob's claim: refused, bob keeps it
        await pilot.press("u", "enter")
        await shows(app, pilot, "cannot release 001-login as tester")
        assert lease_on(proj, "001-login").holder == "bob"
        # claim next: the only ready spec is 004 (low); then nothing is ready
        await pilot.press("C")
        await until(pilot, lambda: lease_on(proj, "004-markup") is not None)
        assert fm(proj, "004").status == "in-progress" and fm(proj, "004").assignee == "tester"
        await pilot.press("C")
        await shows(app, pilot, "Nothing ready")
        # @ changes the name; release as complete through the completion guard
        await pilot.press("at")
        await shows(app, pilot, "Claim as")
        await pilot.press(*"x", "enter")  # "testerx"
        await until(pilot, lambda: app.holder == "testerx")
        app.main.select("004-markup")
        await pilot.press("u")
        await shows(app, pilot, "Release 004-markup")
        await pilot.press("j", "enter")  # complete
        await shows(app, pilot, "cannot release 004-markup as testerx")
        assert lease_on(proj, "004-markup").holder == "tester"

    run(go, proj)


def test_release_complete_asks_through_the_completion_guard(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leanspec.workflows import claims

    monkeypatch.setenv("USER", "tester")
    claims.claim(Project.open(proj), "001", holder="tester")

    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "⚑tester")
        app.main.select("001-login")
        await pilot.press("enter")  # the spec page shows the claim
        await shows(app, pilot, "⚑ claimed by tester until")
        await pilot.press("u")
        await shows(app, pilot, "Claim as")  # asked once: the session had no name yet
        await pilot.press("enter")
        await shows(app, pilot, "Release 001-login")
        await pilot.press("j", "enter")  # complete: 2 open checklist items
        await shows(app, pilot, "complete anyway")
        await pilot.press("n")
        await pilot.pause(0.2)
        assert fm(proj, "001").status == "in-progress" and lease_on(proj, "001-login") is not None
        await pilot.press("u", "j", "enter")
        await shows(app, pilot, "complete anyway")
        await pilot.press("y")
        await until(pilot, lambda: fm(proj, "001").status == "complete" and lease_on(proj, "001-login") is None)
        await until(pilot, lambda: "claimed by" not in screen_text(app))

    run(go, proj)


def test_claims_made_elsewhere_appear_and_go_on_the_live_poll(proj: Path) -> None:
    """A claim from another process shows on the card, the list row and the spec page;
    a release that leaves the spec file alone (pause) removes it: leases are polled."""
    from leanspec.workflows import claims

    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        assert "⚑" not in screen_text(app).split("\n")[-3]
        claims.claim(Project.open(proj), "001", holder="agent-7", lease="2h")
        text = await shows(app, pilot, "⚑agent-7", timeout=3)
        assert "⚑ 1 claimed" in text
        h = fm(proj, "001").content_hash
        claims.release(Project.open(proj), "001", holder="agent-7")  # status unchanged
        assert fm(proj, "001").content_hash == h  # no spec file changed
        await until(pilot, lambda: "⚑agent-7" not in screen_text(app), timeout=3)
        claims.claim(Project.open(proj), "004", holder="agent-8")
        await pilot.press("2")

        def row() -> str:
            return next((line for line in screen_text(app).splitlines() if "Boom" in line), "")

        await until(pilot, lambda: "⚑agent-8" in row(), timeout=3)  # the ⚑ column and the claim column
        assert row().count("⚑") == 2 and "▶" in row()
        app.main.select("004-markup")
        await pilot.press("enter")
        await shows(app, pilot, "⚑ claimed by agent-8 until")
        claims.release(Project.open(proj), "004", holder="agent-8")
        await until(pilot, lambda: "claimed by agent-8" not in screen_text(app), timeout=3)

    run(go, proj, poll_interval=None, size=(120, 40))


# ====================================================================== live
def test_changes_on_disk_appear_without_restart(proj: Path) -> None:
    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        t0 = time.monotonic()
        Project.open(proj).update("001", UpdateOps(title="Login flow, renamed outside"))
        await shows(app, pilot, "renamed outside", timeout=3)
        assert time.monotonic() - t0 < 1.5
        # a spec page follows edits to its file too
        app.open_spec("002-tokens")
        await shows(app, pilot, "Some words about Token refresh.")
        Project.open(proj).update("002", UpdateOps(checks=[("first step", True)]))
        await shows(app, pilot, "☑ first step", timeout=3)
        # and a new spec appears
        await pilot.press("escape")
        Project.open(proj).create("brand-new", title="Brand new spec", status="planned")
        await shows(app, pilot, "Brand new spec", timeout=3)

    run(go, proj, poll_interval=None)


# ================================================================ big, narrow
def test_big_board_draws_first_cards_and_more_row(empty_project: Path) -> None:
    specs = empty_project / "specs"
    n = 260
    for i in range(1, n + 1):
        d = specs / f"{i:03d}-spec-{i}"
        d.mkdir()
        (d / "README.md").write_text(
            f"---\nstatus: planned\ncreated: '2026-01-01'\npriority: medium\n---\n\n# Spec number {i}\n",
            encoding="utf-8",
        )

    async def go(app: Any, pilot: Any) -> None:
        from leanspec.tui.backend import BOARD_LIMIT
        from leanspec.tui.board import More
        from leanspec.tui.widgets import SpecTable

        await shows(app, pilot, f"Planned ({n})")
        col = app.main.query_one("#cards-planned")
        assert len(col.items) == BOARD_LIMIT + 1 and isinstance(col.items[-1], More)
        await pilot.press("G")
        await shows(app, pilot, f"{n - BOARD_LIMIT} more")
        await pilot.press("enter")  # lists the column
        await until(pilot, lambda: app.main.view_name == "list")
        assert len(app.view_data.rows) == n
        table = app.main.query_one(SpecTable)
        assert not list(table.children)  # one widget, whatever the number of rows
        await pilot.press("end")  # ID ↓: the last row is 001
        await until(pilot, lambda: re.search(r"\b001 +Spec number 1\b", screen_text(app)) is not None)

    run(go, empty_project, size=(80, 24))


def test_project_switcher(proj: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "specs").mkdir(parents=True)
    (other / ".lean-spec").mkdir()
    Project.open(other).create("elsewhere", title="A spec elsewhere", status="planned")

    async def go(app: Any, pilot: Any) -> None:
        await shows(app, pilot, "Login flow")
        await pilot.press("p")
        await shows(app, pilot, "Projects")
        await pilot.press("j", "enter")
        text = await shows(app, pilot, "A spec elsewhere")
        assert "other" in text and "Login flow" not in text
        # add a folder by path
        await pilot.press("p", "a")
        await until(pilot, lambda: app.screen.query("#project-path"))
        app.screen.query_one("#project-path").value = str(proj)
        await pilot.press("enter")
        await shows(app, pilot, "Login flow")
        assert len(app.projects) == 2  # the same folder is not added twice

    run(go, [proj, other])


# ======================================================================= CLI
def test_cli_refuses_without_terminal_and_json(proj: Path, cli_proc: Any) -> None:
    r = cli_proc(proj, "tui")
    assert r.code == 2 and "needs a terminal" in r.err  # invalid_input
    r = cli_proc(proj, "tui", "--json")
    assert r.code == 2 and "interactive" in r.out


def _tmux() -> str | None:
    return shutil.which("tmux")


@pytest.mark.skipif(_tmux() is None, reason="tmux not installed")
def test_e2e_real_tui_in_tmux_sees_cli_change(proj: Path, tmp_path: Path) -> None:
    """The real `lean-spec tui` in tmux (80x24, NO_COLOR): a change made with the CLI
    shows on screen within a second or two; q quits."""
    sock = f"lstui-{os.getpid()}"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    tmux = [_tmux() or "tmux", "-L", sock, "-f", os.devnull]
    cmd = f"cd {proj} && {sys.executable} -m leanspec tui --view list; echo EXITED $?; sleep 30"

    def capture() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True).stdout

    def wait(text: str, timeout: float = 15) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = capture()
            if text in out:
                return out
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{capture()}")

    subprocess.run([*tmux, "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", cmd], check=True, env=env)
    try:
        screen = wait("● live")
        assert "S P ⚑ #" in screen and "Login flow" in screen
        subprocess.run(
            [sys.executable, "-m", "leanspec", "--project", str(proj), "update", "001", "--title", "Changed by the CLI"],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        t0 = time.monotonic()
        wait("Changed by the CLI", timeout=5)
        assert time.monotonic() - t0 < 2.5
        subprocess.run([*tmux, "send-keys", "-t", "t", "q"], check=True)
        wait("EXITED 0", timeout=10)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


# =============================================================== pure helpers
def test_pure_helpers() -> None:
    from leanspec.tui.backend import Filters, checklist_items, neighbour_status, parse_tags, strip_frontmatter
    from leanspec.tui.docview import markdown_sections
    from leanspec.tui.specpage import display_markdown
    from leanspec.tui.widgets import fit, wrap

    body = "- [ ] one\n```\n- [ ] in a fence\n```\n  * [x] two\n1. [X] three\n- [ ]\n"
    assert checklist_items(body) == [(1, "one", False), (5, "two", True), (6, "three", True)]
    assert display_markdown(body).split("\n")[:5] == ["- ☐ one", "```", "- [ ] in a fence", "```", "  * ☑ two"]
    assert parse_tags("#api, perf  ux,api") == ["api", "perf", "ux"]
    assert neighbour_status("planned", 1) == "in-progress" and neighbour_status("complete", 1) is None
    assert neighbour_status("archived", -1) is None
    assert strip_frontmatter("---\na: 1\n---\n# T\n") == "# T\n"
    f = Filters(statuses=["planned", "bogus"], tags=[" a ", "a"], query=" x ")
    assert f.statuses == ("planned",) and f.tags == ("a",) and f.query == "x" and f.active
    assert f.replace(statuses=()) == Filters(tags=["a"], query="x") and not Filters().active
    assert fit("abcdef", 4) == "abc…" and fit("ab", 4) == "ab  " and fit("界界界", 4) == "界 …"
    assert wrap("one two three four", 9, 2) == ["one two", "three…"]
    secs = markdown_sections("intro\n# A\ntext\n```\n# not a heading\n```\n## B\n")
    assert [(lvl, h) for lvl, h, _src in secs] == [(0, ""), (1, "A"), (2, "B")]
