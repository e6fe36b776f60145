"""Issue 11 in the web UI, and issue 12's leftovers, on the real server in Debian's
headless Chromium: claim holders and blocked marks on the board and the list, the
Ready / Blocked filters, claiming and releasing from the spec page (and its refusals
shown in the page), live changes patching only the changed cards, token and
validation badges on cards and rows, the draft dialog, and a big graph drawn by parts.

Same requirements as tests/test_web_e2e.py (whose fixtures this module reuses).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import test_web_e2e as e2e
from test_web_e2e import Server, open_live, readme, wait_until

browser = e2e.browser
page = e2e.page
served = e2e.served

pytestmark = pytest.mark.browser

BLOCKED = "150-tag-management"  # depends on two specs that do not exist


def fm(path: Path) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load(path.read_text().split("---", 2)[1]))


def api(url: str) -> Any:
    with urllib.request.urlopen(url) as r:
        return json.loads(r.read())


def test_holders_blocked_marks_and_ready_filter(page: Any, served: Server, fixture_project: Path, cli_proc: Any) -> None:
    run = cli_proc(fixture_project, "claim", "147", "--as", "alice")
    assert run.code == 0, run.err
    open_live(page, served.url + "/board", '.card[data-name="147-json-config-format"] .badge.holder')
    holder = page.locator('.card[data-name="147-json-config-format"] .badge.holder')
    assert holder.inner_text().strip().endswith("alice")
    assert "Claimed by alice until" in (holder.get_attribute("title") or "")
    mark = page.locator(f'.card[data-name="{BLOCKED}"] .badge.blocked')
    title = mark.get_attribute("title") or ""
    assert "134-ui-metadata-editing" in title and "124-advanced-search-capabilities" in title
    # no other card is marked
    assert page.locator(".card .badge.blocked").count() == 1
    assert page.locator(".card .badge.holder").count() == 1
    # a claim made while the board is open shows up live
    run = cli_proc(fixture_project, "claim", "152", "--as", "bob")
    assert run.code == 0, run.err
    page.wait_for_selector('.card[data-name="152-link-required-by-syntax"] .badge.holder[data-holder="bob"]')

    # the list: the same marks, and the Ready / Blocked / Claimed filters agree with the API
    page.goto(served.url + "/specs")
    page.wait_for_selector('tr[data-name="147-json-config-format"] .badge.holder')
    assert page.locator(f'tr[data-name="{BLOCKED}"] .badge.blocked').count() == 1
    ready = api(served.url + "/api/specs?ready=true")
    for show, expected in (
        ("ready", [s["name"] for s in ready["specs"]]),
        ("blocked", [BLOCKED]),
        ("claimed", ["147-json-config-format", "152-link-required-by-syntax"]),
    ):
        page.select_option("#f-show", show)
        page.wait_for_function(f"new URLSearchParams(location.search).get('show') === '{show}'")
        rows = page.eval_on_selector_all("table.specs tbody tr", "rs => rs.map(r => r.dataset.name)") if expected else []
        if not expected:
            page.wait_for_selector(".empty")
        assert rows == expected, (show, rows)
    # the filter is kept in the URL
    page.reload()
    page.wait_for_selector("table.specs")
    assert page.input_value("#f-show") == "claimed"


def test_claim_and_release_from_the_spec_page(page: Any, served: Server, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    open_live(page, served.url + "/specs/152", "#claim-btn")
    page.click("#claim-btn")
    page.fill("#dialog-input", "carol")
    page.click("#dialog-ok")
    wait_until(lambda: fm(path).get("status") == "in-progress" and fm(path).get("assignee") == "carol", what="claimed on disk")
    page.wait_for_selector("#claim-holder:has-text('Claimed by carol until')")
    claims = api(served.url + "/api/claims")["claims"]
    assert [(c["spec"], c["holder"]) for c in claims] == [("152-link-required-by-syntax", "carol")]
    assert page.evaluate("localStorage.getItem('leanspec.holder')") == "carol"
    # the holder may release it: back to planned, lease gone
    page.click("#release-planned")
    wait_until(lambda: fm(path).get("status") == "planned", what="released as planned")
    wait_until(lambda: not api(served.url + "/api/claims")["claims"], what="lease gone")
    # the name is remembered: the next claim takes one click
    page.wait_for_selector("#claim-btn:has-text('Claim as carol')")
    page.click("#claim-btn")
    wait_until(lambda: fm(path).get("assignee") == "carol" and fm(path).get("status") == "in-progress", what="claimed again")
    page.wait_for_selector("#release-complete")


def test_claim_refusals_are_shown_in_the_page(page: Any, served: Server, fixture_project: Path, cli_proc: Any) -> None:
    page.goto(served.url + "/board")
    page.evaluate("localStorage.setItem('leanspec.holder', 'carol')")
    # blocked: the open dependencies are listed
    open_live(page, served.url + f"/specs/{BLOCKED}", "#claim-btn")
    assert "134-ui-metadata-editing" in page.locator("#blocked-line").inner_text()
    page.click("#claim-btn")
    err = page.wait_for_selector("#claim-error")
    assert "blocked" in err.inner_text() and "134-ui-metadata-editing" in err.inner_text()
    assert fm(readme(fixture_project, "150-")).get("status") == "planned"
    # conflict: someone else claimed it after the page showed it free
    open_live(page, served.url + "/specs/152", "#claim-btn")
    page.evaluate("window.leanspec.current.refresh = () => {}")  # as if the live event was late
    run = cli_proc(fixture_project, "claim", "152", "--as", "bob")
    assert run.code == 0, run.err
    page.click("#claim-btn")
    err = page.wait_for_selector("#claim-error")
    assert "bob" in err.inner_text()
    assert fm(readme(fixture_project, "152-")).get("assignee") == "bob"
    # the page now shows bob's claim, and no release buttons for carol
    page.wait_for_selector("#claim-holder:has-text('Claimed by bob')")
    assert page.locator("#release-planned").count() == 0


def test_live_change_patches_only_the_changed_cards(page: Any, served: Server, fixture_project: Path, cli_proc: Any) -> None:
    open_live(page, served.url + "/board", '.card[data-name="147-json-config-format"]')
    page.wait_for_selector(".card .card-badges .tok")  # badges loaded
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.evaluate("document.querySelectorAll('.card').forEach((c) => { c.__kept = true; })")
    run = cli_proc(fixture_project, "update", "147", "--priority", "critical")
    assert run.code == 0, run.err
    page.wait_for_selector('.card[data-name="147-json-config-format"] .prio-icon.pr-critical')
    page.wait_for_timeout(300)
    api_calls = [u.split("/api", 1)[1] for u in urls if "/api/" in u and "/api/events" not in u]
    assert any(u.startswith("/board/cards?") and "147-json-config-format" in u for u in api_calls), api_calls
    assert not any(u.startswith("/board?") for u in api_calls), api_calls  # no whole-board fetch
    # only the changed card was rebuilt
    rebuilt = page.eval_on_selector_all(".card", "cs => cs.filter((c) => !c.__kept).map((c) => c.dataset.name)")
    assert rebuilt == ["147-json-config-format"]
    # completing a dependency... a new dependency that is open marks the card blocked, live
    run = cli_proc(fixture_project, "update", "155", "--status", "planned")
    assert run.code == 0, run.err
    run = cli_proc(fixture_project, "link", "147", "155")
    assert run.code == 0, run.err
    page.wait_for_selector('.card[data-name="147-json-config-format"] .badge.blocked')
    # and completing that dependency (a change to 155's file only) clears the mark on 147
    run = cli_proc(fixture_project, "update", "155", "--status", "complete", "--force")
    assert run.code == 0, run.err
    page.wait_for_selector('.card[data-name="147-json-config-format"] .badge.blocked', state="detached")


def test_token_and_validation_badges_on_cards_and_rows(page: Any, served: Server) -> None:
    tok = api(served.url + "/api/specs/150/tokens")["total"]
    val = api(served.url + "/api/validate?spec=150")["summary"]
    open_live(page, served.url + "/board", f'.card[data-name="{BLOCKED}"] .card-badges .tok')
    badge = page.locator(f'.card[data-name="{BLOCKED}"] .card-badges .tok')
    assert f"{tok:,}" in (badge.get_attribute("title") or "")
    if val["errors"] or val["warnings"]:
        v = page.locator(f'.card[data-name="{BLOCKED}"] .card-badges .val').inner_text()
        assert str(val["errors"] or val["warnings"]) in v
    page.goto(served.url + "/specs?sort=tokens&order=desc")
    page.wait_for_selector(f'tr[data-name="{BLOCKED}"] .checks .tok')
    # sorted by tokens, largest first
    names = page.eval_on_selector_all("table.specs tbody tr", "rs => rs.map(r => r.dataset.name)")
    counts = {k: v["tokens"] for k, v in api(served.url + "/api/badges")["specs"].items()}
    shown = [counts[n] for n in names]
    assert shown == sorted(shown, reverse=True)


def test_draft_to_in_progress_asks_about_planned(page: Any, served: Server, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    path.write_text(path.read_text().replace("status: planned", "status: draft", 1))
    open_live(page, served.url + "/specs/152", "#edit-status")
    page.select_option("#edit-status", "in-progress")
    dialog = page.wait_for_selector(".dialog")
    text = dialog.inner_text()
    assert "draft" in text and "Complete anyway" not in text
    page.click("#draft-planned")  # Move to planned first
    wait_until(lambda: fm(path).get("status") == "in-progress", what="in progress on disk")
    assert [t.get("status") for t in fm(path).get("transitions", [])][-2:] == ["planned", "in-progress"]
    # on the board, "Skip planned" goes straight on
    other = readme(fixture_project, "147-")
    other.write_text(other.read_text().replace("status: planned", "status: draft", 1))
    open_live(page, served.url + "/board", '.column[data-status="draft"] .card[data-name="147-json-config-format"]')
    page.drag_and_drop('.card[data-name="147-json-config-format"]', '.column[data-status="in-progress"]')
    page.wait_for_selector("#draft-skip")
    page.click("#draft-skip")
    wait_until(lambda: fm(other).get("status") == "in-progress", what="skipped planned")
    assert "planned" not in [t.get("status") for t in fm(other).get("transitions", [])][-1:]


def test_chinese_claim_strings(browser: Any, served: Server, fixture_project: Path, cli_proc: Any) -> None:
    run = cli_proc(fixture_project, "claim", "147", "--as", "alice")
    assert run.code == 0, run.err
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(served.url + "/board")
    pg.evaluate("localStorage.setItem('leanspec.lang', 'zh-CN')")
    pg.goto(served.url + "/specs/147")
    pg.wait_for_selector("#claim-holder")
    assert "由 alice 认领" in pg.locator("#claim-holder").inner_text()
    pg.goto(served.url + "/specs")
    pg.wait_for_selector("#f-show")
    assert "就绪" in pg.locator("#f-show").inner_text()
    ctx.close()


def test_big_graph_draws_only_what_is_visible(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "big"
    gen = Path(__file__).resolve().parents[1] / "bench" / "gen.py"
    subprocess.run([sys.executable, str(gen), "--n", "600", "--out", str(root)], check=True, capture_output=True)
    srv = Server([root])
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(srv.url + "/graph")
        pg.wait_for_selector(".gnode")
        total = api(srv.url + "/api/deps")["nodes"]
        drawn = pg.locator(".gnode").count()
        assert 0 < drawn < len(total) / 3, drawn  # the visible part, with readable titles (100 %)
        assert pg.get_attribute("#graph", "data-zoom") == "1.000"
        assert pg.locator(".gnode .gtitle").first.text_content()
        # panning draws what comes into view
        first = set(pg.eval_on_selector_all(".gnode", "gs => gs.map(g => g.dataset.name)"))
        pg.focus("#graph")
        for _ in range(12):
            pg.keyboard.press("ArrowDown")
        pg.wait_for_timeout(300)
        after = set(pg.eval_on_selector_all(".gnode", "gs => gs.map(g => g.dataset.name)"))
        assert after and after != first
        # zoomed out: an overview of a few paths, no per-spec elements
        pg.click("#zoom-fit")
        pg.wait_for_selector("#graph.overview")
        assert pg.locator(".gnode").count() == 0
        assert 0 < pg.locator(".goverview path").count() <= 12
        # clicking the overview zooms in there, with titles again
        box = pg.locator("#graph").bounding_box()
        pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + 60)
        pg.wait_for_selector("#graph:not(.overview) .gnode")
        assert not errors, errors
        ctx.close()
    finally:
        srv.stop()
