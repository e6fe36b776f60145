"""The MCP server, driven for real: ``lean-spec mcp`` runs as a subprocess and the
official MCP client talks to it over stdio. One server per module (a copy of the real
LeanSpec fixture project) plus the processes the concurrency test starts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

mcp = pytest.importorskip("mcp")
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (REPO.parent / "shared" / "fixtures" / "leanspec-dec2025").resolve()
TIMEOUT = 120  # generous: the machine is shared and loaded

TOOLS = {
    "list", "view", "create", "update", "search", "deps", "link", "unlink", "archive", "board", "stats",
    "tokens", "validate", "files", "check", "backfill", "relationships", "children",
}  # fmt: skip
PROMPTS = {"project-progress-overview", "plan-project-roadmap", "create-spec", "update-spec-status", "checkpoint"}


# ====================================================================== harness
def server_params(root: Path, home: Path, *, cwd: Path | None = None, project: bool = True) -> StdioServerParameters:
    env = {"HOME": str(home), "NO_COLOR": "1"}
    if os.environ.get("PYTHONPATH"):  # run the tree under test, not an installed copy
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    args = ["-m", "leanspec", "mcp"] + (["--project", str(root)] if project else [])
    return StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(cwd or root))


def new_client(params: StdioServerParameters, mode: str = "legacy") -> Client:
    # legacy = the initialize handshake today's clients use; "auto" tries the 2026
    # server/discover first. cache=None: every read must reach the server.
    return Client(params, mode=mode, cache=None, read_timeout_seconds=TIMEOUT)


def decode(res: Any) -> tuple[bool, dict[str, Any]]:
    """(is_error, payload). Results are sent once: one JSON text block, no structured copy,
    no null values."""
    assert res.content and len(res.content) == 1 and res.content[0].type == "text"
    assert res.structured_content is None
    payload = json.loads(res.content[0].text)
    assert not has_null(payload)
    return bool(res.is_error), payload


def has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(has_null(v) for v in value)
    return False


class Session:
    """A synchronous handle on one client session. The client lives in one task of a
    background event loop (anyio wants a session entered and exited by the same task);
    tests hand it coroutines to await, one at a time."""

    def __init__(self, params: StdioServerParameters) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.queue: asyncio.Queue[Any] | None = None
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.main = asyncio.run_coroutine_threadsafe(self._main(params, ready), self.loop)
        ready.result(TIMEOUT)

    async def _main(self, params: StdioServerParameters, ready: concurrent.futures.Future[None]) -> None:
        self.queue = asyncio.Queue()
        try:
            async with new_client(params) as client:
                self.client = client
                ready.set_result(None)
                while (item := await self.queue.get()) is not None:
                    coro, fut = item
                    try:
                        fut.set_result(await coro)
                    except Exception as exc:
                        fut.set_exception(exc)
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    def run(self, coro: Any) -> Any:
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        assert self.queue is not None
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (coro, fut))
        return fut.result(TIMEOUT)

    def close(self) -> None:
        try:
            assert self.queue is not None
            self.loop.call_soon_threadsafe(self.queue.put_nowait, None)
            self.main.result(TIMEOUT)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def call(self, name: str, args: dict[str, Any] | None = None) -> tuple[bool, dict[str, Any]]:
        return decode(self.run(self.client.call_tool(name, args or {})))

    def ok(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        err, payload = self.call(name, args)
        assert not err, f"{name} failed: {payload}"
        return payload

    def fail(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        err, payload = self.call(name, args)
        assert err, f"{name} should have failed: {payload}"
        e = payload["error"]
        assert set(e) >= {"code", "message", "hint", "details"}
        assert e["message"] and e["hint"]
        return e


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FIXTURE.is_dir():
        pytest.skip(f"fixture not found at {FIXTURE}")
    dest = tmp_path_factory.mktemp("mcp") / "fx"
    shutil.copytree(FIXTURE, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)  # shared/ is read-only
    # A real git history for `backfill` (its own repository, never the project's).
    env = {**os.environ, "GIT_AUTHOR_NAME": "Grace Hopper", "GIT_AUTHOR_EMAIL": "grace@example.com",
           "GIT_COMMITTER_NAME": "Grace Hopper", "GIT_COMMITTER_EMAIL": "grace@example.com",
           "GIT_AUTHOR_DATE": "2024-03-04T05:06:07Z", "GIT_COMMITTER_DATE": "2024-03-04T05:06:07Z",
           "HOME": str(dest.parent), "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "fixture"]):
        subprocess.run(["git", *cmd], cwd=dest, env=env, check=True, capture_output=True, timeout=TIMEOUT)
    return dest


@pytest.fixture(scope="module")
def srv(root: Path, tmp_path_factory: pytest.TempPathFactory):
    s = Session(server_params(root, tmp_path_factory.mktemp("home")))
    yield s
    s.close()


def sha(path: Path) -> str:
    """The short hash the server shows (the first 12 hex digits of the SHA-256)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1])


def readme(root: Path, name: str) -> Path:
    hits = list((root / "specs").glob(f"{name}/README.md")) + list((root / "specs").glob(f"archived/{name}/README.md"))
    assert len(hits) == 1, hits
    return hits[0]


# ================================================================ discovery
def test_server_offers_every_tool_resource_and_prompt(srv: Session) -> None:
    tools = srv.run(srv.client.list_tools()).tools
    names = {t.name for t in tools}
    assert names >= TOOLS
    for t in tools:
        assert t.description and len(t.description) > 40, t.name
        assert t.input_schema["type"] == "object"
        # Context economy: no pydantic noise in what every session has to read.
        assert '"title": "' not in json.dumps(t.input_schema).replace('"title": {', ""), t.name
    update = next(t for t in tools if t.name == "update")
    props = update.input_schema["properties"]
    assert {"expected_hash", "replacements", "section_updates", "checklist_toggles", "force", "add_tags"} <= set(props)
    assert props["status"]["enum"] == ["draft", "planned", "in-progress", "complete", "archived"]
    assert next(t for t in tools if t.name == "view").annotations.read_only_hint is True

    resources = srv.run(srv.client.list_resources()).resources
    uris = {str(r.uri) for r in resources}
    # Specs are reached through the spec://{spec} template, not listed one by one.
    assert {"board://kanban", "stats://overview"} <= uris and not any(u.startswith("spec://") for u in uris)
    templates = srv.run(srv.client.list_resource_templates()).resource_templates
    assert {"spec://{spec}", "spec://{spec}/{file}"} <= {t.uri_template for t in templates}

    prompts = srv.run(srv.client.list_prompts()).prompts
    assert {p.name for p in prompts} >= PROMPTS
    roadmap = next(p for p in prompts if p.name == "plan-project-roadmap")
    assert [a.name for a in roadmap.arguments or []] == ["goal"]


# ===================================================================== reads
def test_list_is_compact_filtered_and_paginated(srv: Session, root: Path) -> None:
    first = srv.ok("list", {"limit": 4})
    assert first["total"] == 11 and len(first["specs"]) == 4 and first["next_offset"] == 4
    assert first["specs"][0]["name"] == "155-atomic-spec-file-operations"  # newest first
    for s in first["specs"]:
        assert "content" not in s and "frontmatter" not in s
        assert s["content_hash"] == sha(readme(root, s["name"]))
    seen = [s["name"] for s in first["specs"]]
    offset = first["next_offset"]
    while offset is not None:
        page = srv.ok("list", {"limit": 4, "offset": offset})
        seen += [s["name"] for s in page["specs"]]
        offset = page.get("next_offset")
    assert len(seen) == len(set(seen)) == 11

    planned = srv.ok("list", {"status": "planned"})
    assert {s["name"] for s in planned["specs"]} >= {
        "147-json-config-format",
        "150-tag-management",
        "152-link-required-by-syntax",
    }
    assert all(s["status"] == "planned" for s in planned["specs"])
    tagged = srv.ok("list", {"tags": ["cli", "mcp"], "include_archived": True})
    assert {"150-tag-management", "152-link-required-by-syntax"} <= {s["name"] for s in tagged["specs"]}
    assert all({"cli", "mcp"} <= set(s["tags"]) for s in tagged["specs"])
    everything = srv.ok("list", {"include_archived": True, "limit": 500})
    assert {"033-mcp-server", "038-mcp-frontmatter-bug-fix"} <= {s["name"] for s in everything["specs"]}


def test_view_returns_content_hash_and_sub_spec_files(srv: Session, root: Path) -> None:
    path = root / "specs/045-unified-dashboard/README.md"
    v = srv.ok("view", {"spec": "45"})
    spec = v["spec"]
    assert spec["name"] == "045-unified-dashboard"
    assert spec["title"] == "Unified Analytics & Velocity Tracking"
    assert "Split into sub-specs for Context Economy" in spec["content"]
    assert spec["content_hash"] == sha(path)
    assert "DESIGN.md" in spec["sub_specs"]

    raw = srv.ok("view", {"spec": "045-unified-dashboard", "raw": True})
    assert raw["raw"] == path.read_text(encoding="utf-8")

    sub = srv.ok("view", {"spec": "045/DESIGN.md"})
    design = root / "specs/045-unified-dashboard/DESIGN.md"
    assert sub["content"] == design.read_text(encoding="utf-8")
    assert sub["content_hash"] == sha(design)

    assert srv.fail("view", {"spec": "045/NOPE.md"})["code"] == "file_not_found"
    assert srv.fail("view", {"spec": "045/../../etc/passwd"})["code"] in (
        "invalid_input",
        "spec_not_found",
        "file_not_found",
    )


def test_files_and_children(srv: Session) -> None:
    f = srv.ok("files", {"spec": "018"})
    names = [x["name"] for x in f["files"]]
    assert names[0] == "README.md" and "VALIDATION-RULES.md" in names and f["total"] == 7
    assert all(x["size"] > 0 and x["type"] == "document" for x in f["files"])
    assert srv.ok("files", {"spec": "018", "type": "assets"})["files"] == []

    parent = srv.ok("create", {"name": "umbrella-epic", "title": "Umbrella Epic"})["name"]
    kid = srv.ok("create", {"name": "epic-part-one", "parent": parent})["name"]
    kids = srv.ok("children", {"spec": parent})
    assert kids["total"] == 1 and kids["children"][0]["name"] == kid and kids["children"][0]["parent"] == parent
    assert "content" not in kids["children"][0]


# ==================================================================== writes
def test_create_honours_explicit_status_and_returns_hash(srv: Session, root: Path) -> None:
    res = srv.ok(
        "create",
        {
            "name": "mcp-created",
            "title": "Made Over MCP",
            "status": "planned",
            "priority": "high",
            "tags": ["mcp", "agent"],
        },
    )
    path = root / res["path"]
    assert res["written"] and res["content_hash"] == sha(path)
    fm = frontmatter(path)
    assert fm["status"] == "planned" and fm["priority"] == "high" and fm["tags"] == ["mcp", "agent"]
    assert res["name"].startswith("156-") or int(res["name"].split("-")[0]) > 155
    assert "# Made Over MCP" in path.read_text(encoding="utf-8")

    wip = srv.ok("create", {"name": "mcp-started", "status": "in-progress", "depends_on": "045"})
    fm = frontmatter(root / wip["path"])
    assert fm["status"] == "in-progress" and fm["depends_on"] == ["045-unified-dashboard"]

    assert srv.fail("create", {"name": "x", "status": "wip"})["code"] == "invalid_input"
    assert srv.fail("create", {"name": "y", "depends_on": ["999"]})["code"] == "spec_not_found"


BODY = """# Edit Target

## Overview

alpha beta alpha.

## Plan

- [ ] write code
- [ ] write tests

## Notes

old note
"""


def test_update_every_operation(srv: Session, root: Path) -> None:
    created = srv.ok("create", {"name": "edit-target", "content": BODY, "tags": ["one", "two"]})
    name = created["name"]
    path = root / created["path"]
    h = created["content_hash"]

    r = srv.ok(
        "update",
        {"spec": name, "priority": "critical", "assignee": "ada", "add_tags": ["three"], "remove_tags": "one",
         "fields": {"epic": "E-1"}, "expected_hash": h},
    )  # fmt: skip
    fm = frontmatter(path)
    assert (
        fm["priority"] == "critical"
        and fm["assignee"] == "ada"
        and fm["tags"] == ["two", "three"]
        and fm["epic"] == "E-1"
    )
    assert r["content_hash"] == sha(path) != h and set(r["changed"]) >= {"priority", "assignee", "tags", "epic"}

    # Replacements: unique refuses an ambiguous match and writes nothing.
    before = path.read_bytes()
    e = srv.fail("update", {"spec": name, "replacements": [{"old_string": "alpha", "new_string": "x"}]})
    assert e["code"] == "no_match" and path.read_bytes() == before
    srv.ok(
        "update",
        {"spec": name, "replacements": [{"old_string": "alpha", "new_string": "gamma", "match_mode": "first"}]},
    )
    assert "gamma beta alpha." in path.read_text()
    srv.ok(
        "update", {"spec": name, "replacements": [{"old_string": "beta", "new_string": "BETA", "match_mode": "unique"}]}
    )
    srv.ok(
        "update", {"spec": name, "replacements": [{"old_string": "alpha", "new_string": "delta", "match_mode": "all"}]}
    )
    assert "gamma BETA delta." in path.read_text()

    srv.ok(
        "update",
        {"spec": name, "section_updates": [
            {"section": "Notes", "content": "new note", "mode": "replace"},
            {"section": "Overview", "content": "Appended line.", "mode": "append"},
            {"section": "Plan", "content": "Plan intro.", "mode": "prepend"},
        ]},
    )  # fmt: skip
    text = path.read_text()
    assert "new note" in text and "old note" not in text
    assert text.index("gamma BETA delta.") < text.index("Appended line.") < text.index("## Plan")
    assert text.index("Plan intro.") < text.index("- [ ] write code")

    srv.ok("update", {"spec": name, "checklist_toggles": [{"item_text": "write code", "checked": True}]})
    assert "- [x] write code" in path.read_text() and "- [ ] write tests" in path.read_text()

    # Completion guard: open items block `complete` unless force.
    before = path.read_bytes()
    e = srv.fail("update", {"spec": name, "status": "complete"})
    assert e["code"] == "completion_blocked" and "force" in e["hint"] and path.read_bytes() == before
    done = srv.ok("update", {"spec": name, "status": "complete", "force": True})
    assert frontmatter(path)["status"] == "complete" and done["status"] == "complete"
    assert "**Status**" not in path.read_text()  # none was there, so none is added (statusHeader.insert)

    srv.ok("update", {"spec": name, "assignee": "", "fields": {"epic": None}})
    fm = frontmatter(path)
    assert "assignee" not in fm and "epic" not in fm

    r = srv.ok("update", {"spec": name, "content": "# Edit Target\n\nAll new body.\n"})
    assert path.read_text().rstrip().endswith("All new body.") and frontmatter(path)["status"] == "complete"
    assert r["content_hash"] == sha(path)

    # A sub-spec file: whole-content writes only, with the same hash guard.
    sub = srv.ok("update", {"spec": f"{name}/NOTES.md", "content": "# Notes\n"})
    assert (path.parent / "NOTES.md").read_text() == "# Notes\n" and sub["written"]
    assert srv.fail("update", {"spec": f"{name}/NOTES.md", "status": "planned"})["code"] == "invalid_input"
    assert srv.fail("update", {"spec": name})["code"] == "invalid_input"  # nothing to change


def test_stale_hash_is_refused_and_nothing_is_written(srv: Session, root: Path, cli: Any) -> None:
    created = srv.ok("create", {"name": "hash-guarded"})
    name, path = created["name"], root / created["path"]
    seen = srv.ok("view", {"spec": name})["spec"]["content_hash"]
    # Someone else edits the spec behind the agent's back (the CLI, here).
    assert cli(root, "update", name, "--add-tags", "from-cli").code == 0
    current = path.read_bytes()
    for args in (
        {"status": "in-progress"},
        {"content": "# Clobbered\n"},
        {"replacements": [{"old_string": "Hash Guarded", "new_string": "X"}]},
    ):
        e = srv.fail("update", {"spec": name, "expected_hash": seen, **args})
        assert e["code"] == "conflict"
        assert e["details"]["current_hash"] == hashlib.sha256(current).hexdigest()[:12]
        assert path.read_bytes() == current
    for tool, extra in (("link", {"depends_on": ["045"]}), ("archive", {})):
        assert srv.fail(tool, {"spec": name, "expected_hash": seen[:12], **extra})["code"] == "conflict"
    assert path.read_bytes() == current
    # With the current hash (a 12-digit prefix is enough) the edit goes through.
    ok = srv.ok("update", {"spec": name, "status": "in-progress", "expected_hash": sha(path)[:12]})
    assert ok["content_hash"] == sha(path)


def test_server_sees_changes_made_behind_its_back(srv: Session, root: Path, cli: Any) -> None:
    name = srv.ok("create", {"name": "watched-spec"})["name"]
    assert srv.ok("view", {"spec": name})["spec"]["status"] == "planned"
    assert cli(root, "update", name, "--status", "in-progress").code == 0
    assert srv.ok("view", {"spec": name})["spec"]["status"] == "in-progress"
    # A spec created by the CLI appears in the next list; an editor's change in the next view.
    made = cli(root, "--json", "create", "cli-made-spec")
    assert made.code == 0, made.err
    assert any(s["name"].endswith("-cli-made-spec") for s in srv.ok("list", {"limit": 500})["specs"])
    path = readme(root, name)
    path.write_text(path.read_text().replace("status: in-progress", "status: complete"))
    assert srv.ok("view", {"spec": name})["spec"]["status"] == "complete"
    # `git checkout` puts a file back: the next call sees the committed version.
    rel = "specs/147-json-config-format/README.md"
    original = sha(root / rel)
    assert "git-checkout-probe" in srv.ok("update", {"spec": "147", "add_tags": ["git-checkout-probe"]})["tags"]
    subprocess.run(["git", "checkout", "--", rel], cwd=root, check=True, capture_output=True, timeout=TIMEOUT)
    back = srv.ok("view", {"spec": "147"})["spec"]
    assert back["content_hash"] == original and "git-checkout-probe" not in back["tags"]


def test_link_unlink_deps_and_relationships(srv: Session, root: Path) -> None:
    a = srv.ok("create", {"name": "dep-base"})["name"]
    b = srv.ok("create", {"name": "dep-middle"})["name"]
    c = srv.ok("create", {"name": "dep-top"})["name"]
    r = srv.ok("link", {"spec": c, "depends_on": [b, a]})
    assert frontmatter(readme(root, c))["depends_on"] == [b, a] and r["content_hash"] == sha(readme(root, c))
    assert r["depends_on"] == [b, a] and r["changed"] == ["depends_on"]  # the changed field's new value
    srv.ok("link", {"spec": b, "depends_on": a.split("-")[0]})  # a bare number resolves to the folder name
    assert frontmatter(readme(root, b))["depends_on"] == [a]

    e = srv.fail("link", {"spec": a, "depends_on": [c]})
    assert e["code"] == "invalid_relationship" and "cycle" in e["message"]
    assert srv.fail("link", {"spec": a, "depends_on": [a]})["code"] == "invalid_relationship"
    assert "depends_on" not in frontmatter(readme(root, a))

    up = srv.ok("deps", {"spec": c, "mode": "upstream"})
    assert up["spec"]["name"] == c and {d["name"] for d in up["depends_on"]} == {a, b} and up["required_by"] == []
    down = srv.ok("deps", {"spec": a, "mode": "downstream", "depth": 1})
    assert {d["name"] for d in down["required_by"]} == {b, c}  # both name `a` directly
    impact = srv.ok("deps", {"spec": a, "mode": "impact"})
    assert {d["name"] for d in impact["required_by"]} == {b, c} and impact["impact"]["total"] == 2

    view = srv.ok("relationships", {"spec": b})
    assert view["depends_on"] == [a] and view["required_by"] == [c] and "parent" not in view

    srv.ok("unlink", {"spec": c, "depends_on": [b]})
    assert frontmatter(readme(root, c))["depends_on"] == [a]
    srv.ok("unlink", {"spec": c, "all": True})
    assert "depends_on" not in frontmatter(readme(root, c))
    assert srv.fail("unlink", {"spec": c})["code"] == "invalid_input"

    rel = srv.ok("relationships", {"spec": a, "action": "add", "type": "child", "target": c})
    assert frontmatter(readme(root, c))["parent"] == a and rel["relationships"]["children"] == [c]
    srv.ok("relationships", {"spec": b, "action": "add", "type": "parent", "target": a})
    assert set(srv.ok("relationships", {"spec": a})["children"]) == {b, c}
    srv.ok("relationships", {"spec": a, "action": "add", "type": "depends_on", "target": "045"})
    assert frontmatter(readme(root, a))["depends_on"] == ["045-unified-dashboard"]
    assert (
        srv.fail("relationships", {"spec": a, "action": "add", "type": "parent", "target": c})["code"]
        == "invalid_relationship"
    )
    srv.ok("relationships", {"spec": c, "action": "remove", "type": "parent"})
    srv.ok("relationships", {"spec": a, "action": "remove", "type": "child", "target": b})
    assert srv.ok("children", {"spec": a})["total"] == 0
    assert srv.fail("relationships", {"spec": a, "action": "add"})["code"] == "invalid_input"


def test_archive_moves_the_spec_and_hides_it(srv: Session, root: Path) -> None:
    name = srv.ok("create", {"name": "soon-archived"})["name"]
    res = srv.ok("archive", {"spec": name})
    assert res["path"] == f"specs/archived/{name}/README.md"
    assert frontmatter(root / res["path"])["status"] == "archived" and not (root / "specs" / name).exists()
    assert name not in {s["name"] for s in srv.ok("list", {"limit": 500})["specs"]}
    assert name in {s["name"] for s in srv.ok("list", {"limit": 500, "include_archived": True})["specs"]}


# ================================================================= analysis
def test_search_finds_and_paginates(srv: Session) -> None:
    srv.ok("create", {"name": "zebra-search-target", "title": "Zebra Crossing Planner", "tags": ["zebra"]})
    res = srv.ok("search", {"query": "zebra"})
    assert res["total"] == 1 and res["query"] == "zebra"
    top = res["results"][0]
    assert top["spec"]["name"].endswith("-zebra-search-target") and top["spec"]["title"] == "Zebra Crossing Planner"
    assert "content" not in top["spec"] and "content_hash" not in top["spec"]  # a card, not the spec
    title_hit = next(m for m in top["matches"] if m["field"] == "title")
    a, b = title_hit["highlights"][0]
    assert title_hit["text"][a:b].lower() == "zebra"

    many = srv.ok("search", {"query": "spec", "limit": 2, "include_archived": True})
    assert len(many["results"]) == 2 and many["total"] > 2 and many["next_offset"] == 2
    assert all(
        len(r["matches"]) <= 5 <= r["total_matches"] or len(r["matches"]) == r["total_matches"] for r in many["results"]
    )
    nxt = srv.ok("search", {"query": "spec", "limit": 2, "offset": 2, "include_archived": True})
    assert {r["spec"]["name"] for r in nxt["results"]}.isdisjoint({r["spec"]["name"] for r in many["results"]})
    assert srv.ok("search", {"query": "tag:zebra"})["total"] == 1
    assert srv.ok("search", {"query": "zebra", "offset": 5})["results"] == []
    e = srv.fail("search", {"query": "(unbalanced AND"})
    assert e["code"] == "search_syntax" and "position" in e["details"]


def test_board_stats_tokens_validate(srv: Session, root: Path) -> None:
    board = srv.ok("board", {})
    assert board["group_by"] == "status"
    groups = {g["name"]: g for g in board["groups"]}
    # Cards are lines like the CLI's text board; complete specs are counted, not listed.
    assert any(c.startswith("152 ") for c in groups["planned"]["specs"])
    assert groups["complete"]["count"] > 0 and groups["complete"]["specs"] == [] and groups["complete"]["collapsed"]
    shown = srv.ok("board", {"show_complete": True, "cards": "object"})
    groups = {g["name"]: g for g in shown["groups"]}
    assert len(groups["complete"]["specs"]) == min(groups["complete"]["count"], 50)
    planned = {c["name"] for c in groups["planned"]["specs"]}
    assert "152-link-required-by-syntax" in planned
    card = groups["planned"]["specs"][0]
    assert set(card) <= {
        "name",
        "number",
        "title",
        "status",
        "priority",
        "tags",
        "assignee",
        "parent",
        "depends_on",
        "checklist",
    }
    assert "content" not in card
    by_prio = srv.ok("board", {"group_by": "priority", "limit_per_group": 1})
    assert all(len(g["specs"]) <= 1 for g in by_prio["groups"])

    stats = srv.ok("stats", {})
    listed = srv.ok("list", {"limit": 500})["specs"]
    assert stats["overview"]["total"] == len(listed)
    assert stats["by_status"]["planned"] == sum(1 for x in listed if x["status"] == "planned")
    assert {"velocity", "insights", "by_tag"} <= set(stats)

    tok = srv.ok("tokens", {"spec": "045"})
    assert tok["spec"] == "045-unified-dashboard" and tok["total"] == sum(f["tokens"] for f in tok["files"])
    assert {"README.md", "DESIGN.md"} <= {f["name"] for f in tok["files"]}
    only = srv.ok("tokens", {"spec": "045", "include_sub_specs": False})
    assert [f["name"] for f in only["files"]] == ["README.md"] and 0 < only["total"] < tok["total"]

    one = srv.ok("validate", {"specs": ["045"]})
    assert one["summary"]["specs"] == 1 and all(i["spec"] == "045-unified-dashboard" for i in one["issues"])
    capped = srv.ok("validate", {"limit": 1, "max_lines": 5})
    assert len(capped["issues"]) == 1 and capped["truncated"] > 0 and capped["issues"][0]["severity"] == "error"
    broken = srv.ok("create", {"name": "broken-markdown", "content": "# Broken\n\n```python\nnever closed\n"})
    bad = srv.ok("validate", {"specs": [broken["name"]]})
    assert bad["ok"] is False and broken["name"] in json.dumps(bad)


def test_check_reports_and_fixes_duplicate_numbers(srv: Session, root: Path) -> None:
    res = srv.ok("check", {})
    assert res["has_conflicts"] and any(c["number"] == 38 and len(c["specs"]) == 2 for c in res["conflicts"])
    e = srv.fail("view", {"spec": "38"})
    assert e["code"] == "ambiguous_spec" and len(e["details"]["candidates"]) == 2
    fixed = srv.ok("check", {"fix": True})
    assert fixed["renamed"] and not fixed["has_conflicts"]
    assert len(list((root / "specs/archived").glob("038-*"))) == 1
    (moved,) = fixed["renamed"]
    assert moved["content_hash"] == sha(root / "specs" / moved["to"] / "README.md")


def test_backfill_fills_fields_from_git_history(srv: Session, root: Path) -> None:
    path = root / "specs/152-link-required-by-syntax/README.md"
    before = path.read_bytes()
    dry = srv.ok("backfill", {"specs": ["152"], "dry_run": True, "force": True, "include_assignee": True})
    assert dry["dry_run"] and dry["commits"] >= 1 and path.read_bytes() == before
    (item,) = dry["specs"]
    assert item["name"] == "152-link-required-by-syntax" and item["changes"]["assignee"] == "Grace Hopper"
    assert item["changes"]["created_at"].startswith("2024-03-04T05:06:07")
    done = srv.ok("backfill", {"specs": "152", "include_assignee": True})
    assert done["updated"] == 1 and frontmatter(path)["assignee"] == "Grace Hopper"
    assert done["specs"][0]["content_hash"] == sha(path)
    assert frontmatter(path)["created_at"] == "2025-12-05T07:16:51.033Z"  # existing values stay without force


# =================================================================== errors
def test_invalid_arguments_are_tool_errors_and_the_server_keeps_serving(srv: Session) -> None:
    e = srv.fail("update", {"spec": "045", "status": "wip"})
    assert e["code"] == "invalid_input" and e["details"]["errors"][0]["argument"] == "status"
    assert srv.fail("view", {})["code"] == "invalid_input"  # missing required argument
    assert srv.fail("list", {"limit": 0})["code"] == "invalid_input"
    assert srv.fail("list", {"limit": "many"})["code"] == "invalid_input"
    assert srv.fail("update", {"spec": "045", "replacements": [{"old": "x"}]})["code"] == "invalid_input"
    assert srv.fail("view", {"spec": "999"})["code"] == "spec_not_found"
    e = srv.fail("no-such-tool", {})
    assert e["code"] == "unknown_tool" and "list" in e["details"]["tools"]
    assert srv.ok("list", {"limit": 1})["total"] >= 11  # still serving


def test_a_malformed_spec_is_reported_not_fatal(srv: Session, root: Path) -> None:
    bad = root / "specs" / "900-broken-yaml"
    bad.mkdir()
    try:
        (bad / "README.md").write_text("---\nstatus: [unclosed\n---\n\n# Broken\n")
        listed = srv.ok("list", {"limit": 500})
        assert any(p["path"] == "specs/900-broken-yaml/README.md" for p in listed["problems"])
        assert "152-link-required-by-syntax" in {s["name"] for s in listed["specs"]}
        assert srv.fail("view", {"spec": "900"})["code"] == "malformed_spec"
        assert srv.fail("update", {"spec": "900", "status": "planned"})["code"] == "malformed_spec"
        assert (bad / "README.md").read_text().startswith("---\nstatus: [unclosed")
        checked = srv.ok("check", {})
        assert not checked["ok"] and checked["problems"][0]["code"] == "malformed_spec"
    finally:
        shutil.rmtree(bad)
    assert srv.ok("list", {"limit": 1}).get("problems") is None


# ================================================================ resources
def test_resources_read_live_content(srv: Session, root: Path, cli: Any) -> None:
    res = srv.run(srv.client.read_resource("spec://045-unified-dashboard"))
    assert res.contents[0].text == (root / "specs/045-unified-dashboard/README.md").read_text(encoding="utf-8")
    assert res.contents[0].mime_type == "text/markdown"
    sub = srv.run(srv.client.read_resource("spec://045/DESIGN.md"))
    assert sub.contents[0].text == (root / "specs/045-unified-dashboard/DESIGN.md").read_text(encoding="utf-8")

    name = srv.ok("create", {"name": "resource-fresh"})["name"]
    assert "status: planned" in srv.run(srv.client.read_resource(f"spec://{name}")).contents[0].text
    cli(root, "update", name, "--status", "in-progress")
    assert "status: in-progress" in srv.run(srv.client.read_resource(f"spec://{name}")).contents[0].text

    board = json.loads(srv.run(srv.client.read_resource("board://kanban")).contents[0].text)
    cards = {c.split(" ")[0] for g in board["groups"] for c in g["specs"]}
    assert name.split("-")[0] in cards and "152" in cards
    assert all(len(g["specs"]) <= 30 for g in board["groups"])  # capped
    stats = json.loads(srv.run(srv.client.read_resource("stats://overview")).contents[0].text)
    assert "planned" in json.dumps(stats)

    with pytest.raises(MCPError) as info:
        srv.run(srv.client.read_resource("spec://999"))
    assert "spec_not_found" in str(info.value)
    assert srv.ok("list", {"limit": 1})  # still serving


# ================================================================== prompts
def prompt_text(srv: Session, name: str, args: dict[str, str] | None = None) -> str:
    res = srv.run(srv.client.get_prompt(name, args or {}))
    assert res.messages and res.messages[0].role == "user"
    return "\n".join(m.content.text for m in res.messages)


def test_prompts_embed_the_current_project(srv: Session, root: Path) -> None:
    overview = prompt_text(srv, "project-progress-overview")
    assert "152-link-required-by-syntax" in overview and "`stats`" in overview
    roadmap = prompt_text(srv, "plan-project-roadmap", {"goal": "ship offline mode"})
    assert "ship offline mode" in roadmap and "147-json-config-format" in roadmap
    create = prompt_text(srv, "create-spec", {"description": "rate limiting for the API"})
    assert "rate limiting for the API" in create and "`search`" in create and "`create`" in create
    h = sha(root / "specs/152-link-required-by-syntax/README.md")
    status = prompt_text(srv, "update-spec-status", {"spec": "152", "status": "complete"})
    assert "152-link-required-by-syntax" in status and h in status and "open checklist item" in status
    wip = srv.ok("create", {"name": "checkpoint-wip", "status": "in-progress"})["name"]
    assert wip in prompt_text(srv, "checkpoint")
    with pytest.raises(MCPError) as info:
        srv.run(srv.client.get_prompt("update-spec-status", {"spec": "999", "status": "complete"}))
    assert "spec_not_found" in str(info.value)


# ============================================================== concurrency
def test_ten_parallel_clients_each_add_a_tag(root: Path, tmp_path: Path, srv: Session) -> None:
    name = srv.ok("create", {"name": "crowded-spec", "tags": ["base"]})["name"]
    path = readme(root, name)
    # Each client starts its own server without --project, from a subfolder: the
    # project is found by searching upward.
    params = server_params(root, tmp_path / "home", cwd=root / "specs", project=False)

    async def one(i: int) -> tuple[bool, dict[str, Any]]:
        async with new_client(params, "legacy" if i % 2 else "auto") as c:
            return decode(await c.call_tool("update", {"spec": name, "add_tags": [f"agent-{i}"]}))

    async def all_of_them() -> list[tuple[bool, dict[str, Any]]]:
        return await asyncio.gather(*(one(i) for i in range(10)))

    results = asyncio.run(all_of_them())
    assert all(not err for err, _ in results), results
    tags = frontmatter(path)["tags"]
    assert sorted(tags) == sorted(["base", *(f"agent-{i}" for i in range(10))])
    # Each result's hash was the file's hash right after that write; the last is current.
    assert sha(path) in {p["content_hash"] for _, p in results}

    # One client, ten concurrent calls: the server runs them on worker threads at once.
    async def burst() -> list[tuple[bool, dict[str, Any]]]:
        async with new_client(params) as c:
            calls = (c.call_tool("update", {"spec": name, "add_tags": [f"burst-{i}"]}) for i in range(10))
            return [decode(r) for r in await asyncio.gather(*calls)]

    assert all(not err for err, _ in asyncio.run(burst()))
    tags = frontmatter(path)["tags"]
    assert len(tags) == 21 and {f"burst-{i}" for i in range(10)} <= set(tags)


# ================================================================== startup
def test_other_commands_never_import_the_mcp_sdk(root: Path) -> None:
    code = (
        "import io, contextlib, json, sys\n"
        "from leanspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['--project', {str(root)!r}, 'list'])\n"
        "print(json.dumps([rc, sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'leanspec.mcp')))]))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    rc, mods = json.loads(p.stdout.strip().splitlines()[-1])
    assert rc == 0 and mods == []


def test_wrong_project_fails_fast(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "mcp", "--project", str(tmp_path / "missing")],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert p.returncode == 3 and "does not exist" in p.stderr and p.stdout == ""


def test_server_without_a_project_answers_with_errors(tmp_path: Path) -> None:
    lonely = tmp_path / "nowhere"
    lonely.mkdir()
    params = server_params(lonely, tmp_path / "home", project=False)

    async def go() -> dict[str, Any]:
        async with new_client(params) as c:
            err, payload = decode(await c.call_tool("list", {}))
            assert err
            return payload["error"]

    e = asyncio.run(go())
    assert e["code"] == "project_not_found" and "--project" in e["hint"]


def test_an_unexpected_exception_is_an_internal_tool_error(root: Path) -> None:
    """The error funnel itself: a crash inside a tool (here one added for the test to
    the real server) becomes an `internal` tool error, and the next call works."""
    from leanspec.mcp.server import build_server

    server = build_server(root)

    def explode() -> dict[str, Any]:
        raise RuntimeError("boom")

    server.add_tool(explode, name="explode", description="always crashes")

    async def go() -> tuple[tuple[bool, dict[str, Any]], tuple[bool, dict[str, Any]]]:
        async with Client(server) as c:
            first = decode(await c.call_tool("explode", {}))
            second = decode(await c.call_tool("list", {"limit": 1}))
            return first, second

    (err, payload), (err2, payload2) = asyncio.run(go())
    assert err and payload["error"]["code"] == "internal" and "boom" in payload["error"]["message"]
    assert payload["error"]["hint"] and not err2 and payload2["total"] >= 11
