"""Errors an agent can act on in one step (issue 11, part B): each refusal names what
exists, what is open, or what was probably meant. CLI in-process; MCP over stdio."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

SPEC = """---
status: {status}
created: '2026-01-02'
priority: medium
---

# {title}

## Overview

Text.

## Plan

- [x] design
- [ ] build it

## Testing

- [ ] write tests
"""


def write(root: Path, name: str, status: str = "planned", extra: str = "") -> Path:
    d = root / "specs" / name
    d.mkdir(parents=True)
    text = SPEC.format(status=status, title=name.split("-", 1)[1].title())
    if extra:
        text = text.replace("priority: medium\n", f"priority: medium\n{extra}\n")
    (d / "README.md").write_text(text)
    return d / "README.md"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_create_refuses_a_duplicate_name_and_check_reports_them(empty_project: Path, cli: Any) -> None:
    assert cli(empty_project, "create", "rate-limiter").code == 0
    r = cli(empty_project, "--json", "create", "Rate-Limiter")
    assert r.code == 8 and r.json["error"]["code"] == "duplicate_slug"
    assert r.json["error"]["details"]["existing"] == ["001-rate-limiter"]
    assert sorted(p.name for p in (empty_project / "specs").iterdir()) == ["001-rate-limiter"]  # nothing written
    assert cli(empty_project, "create", "rate-limiter", "--allow-duplicate").code == 0
    r = cli(empty_project, "--json", "check", "--no-branches")
    assert r.code == 0 and r.json["duplicate_slugs"] == [
        {"slug": "rate-limiter", "specs": ["001-rate-limiter", "002-rate-limiter"]}
    ]


def test_typo_reference_gets_close_matches(empty_project: Path, cli: Any) -> None:
    write(empty_project, "012-rate-limiter")
    write(empty_project, "013-token-bucket")
    r = cli(empty_project, "--json", "view", "rate-limitr")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"
    assert r.json["error"]["details"]["suggestions"] == ["012-rate-limiter"]
    assert "012-rate-limiter" in r.json["error"]["hint"]


def test_expected_hash_prefixes(empty_project: Path, cli: Any) -> None:
    path = write(empty_project, "001-alpha")
    h = sha(path)
    # A prefix of at least 8 hex digits that matches the current hash is no conflict.
    assert cli(empty_project, "update", "001", "--priority", "high", "--expected-hash", h[:8]).code == 0
    h = sha(path)
    r = cli(empty_project, "--json", "update", "001", "--priority", "low", "--expected-hash", h[:6])
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input" and sha(path) == h
    r = cli(empty_project, "--json", "update", "001", "--priority", "low", "--expected-hash", "zz" + h[2:12])
    assert r.json["error"]["code"] == "invalid_input"
    stale = "0" * 12 if not h.startswith("0" * 12) else "1" * 12
    r = cli(empty_project, "--json", "update", "001", "--priority", "low", "--expected-hash", stale)
    assert r.code == 5 and r.json["error"]["code"] == "conflict" and r.json["error"]["details"]["current_hash"] == h
    assert cli(empty_project, "update", "001", "--priority", "low", "--expected-hash", h.upper()).code == 0


def test_completion_error_lists_every_item_and_child_at_once(empty_project: Path, cli: Any) -> None:
    path = write(empty_project, "001-umbrella", "in-progress")
    write(empty_project, "002-part", "planned", "parent: 001-umbrella")
    write(empty_project, "003-done-part", "complete", "parent: 001-umbrella")
    before = path.read_bytes()
    r = cli(empty_project, "--json", "update", "001", "--status", "complete")
    assert r.code == 7 and path.read_bytes() == before
    e = r.json["error"]
    assert e["code"] == "completion_blocked"
    lines = before.decode().split("---\n", 2)[2].splitlines()
    want = [
        {"section": "Plan", "line": lines.index("- [ ] build it") + 1, "text": "build it"},
        {"section": "Testing", "line": lines.index("- [ ] write tests") + 1, "text": "write tests"},
    ]
    assert e["details"]["items"] == want and e["details"]["open_items"] == 2
    assert e["details"]["open_children"] == [{"name": "002-part", "status": "planned"}]
    assert e["details"]["children"] == ["002-part"]
    assert "2 open checklist item(s)" in e["message"] and "002-part" in e["message"]


def test_draft_cannot_skip_planned(empty_project: Path, cli: Any) -> None:
    path = write(empty_project, "001-idea", "draft")
    before = path.read_bytes()
    r = cli(empty_project, "--json", "update", "001", "--status", "in-progress")
    assert r.code == 7 and path.read_bytes() == before
    e = r.json["error"]
    assert e["code"] == "draft_transition" and "planned" in e["hint"] and e["details"]["next"] == "planned"
    assert cli(empty_project, "update", "001", "--status", "planned").code == 0
    assert cli(empty_project, "update", "001", "--status", "in-progress").code == 0


def test_missing_section_and_item_list_what_exists(empty_project: Path, cli: Any) -> None:
    write(empty_project, "001-alpha")
    r = cli(empty_project, "--json", "update", "001", "--section", "Design", "--append", "x")
    e = r.json["error"]
    assert r.code == 1 and e["code"] == "no_match"
    assert e["details"]["sections"] == ["Alpha", "Overview", "Plan", "Testing"]
    r = cli(empty_project, "--json", "update", "001", "--check", "deploy")
    e = r.json["error"]
    assert e["code"] == "no_match" and [i["text"] for i in e["details"]["items"]] == ["design", "build it", "write tests"]
    assert e["details"]["items"][0] == {"section": "Plan", "line": e["details"]["items"][0]["line"], "text": "design", "checked": True}


def test_validate_passes_with_old_complete_specs_with_open_items(empty_project: Path, cli: Any) -> None:
    write(empty_project, "001-old-done", "complete")
    r = cli(empty_project, "--json", "validate", "--rule", "completion")
    assert r.code == 0
    assert [i["severity"] for i in r.json["issues"]] == ["warning"]


# ------------------------------------------------------------------------ MCP
def test_mcp_refuses_unknown_arguments_and_accepts_short_hashes(empty_project: Path, tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    sys.path.insert(0, str(Path(__file__).parent))
    from test_mcp_server import Session, server_params

    path = write(empty_project, "001-alpha")
    srv = Session(server_params(empty_project, tmp_path / "home"))
    try:
        err, out = srv.call("view", {"specPath": "001"})
        assert err and out["error"]["code"] == "invalid_input"
        d = out["error"]["details"]
        assert d["unknown"] == ["specPath"] and d["suggestions"] == {"specPath": "spec"} and "spec" in d["valid"]
        err, out = srv.call("update", {"spec": "1", "priority": "high", "expected_hash": sha(path)[:8]})
        assert not err and out["content_hash"] == sha(path)[:12] and out["priority"] == "high"
        err, out = srv.call("update", {"spec": "1", "priority": "low", "expected_hash": sha(path)[:5]})
        assert err and out["error"]["code"] == "invalid_input"
        err, out = srv.call("list", {"fields": ["number", "checklist"]})
        assert not err and out["specs"] == [{"name": "001-alpha", "number": 1, "checklist": {"done": 1, "total": 3}}]
        err, out = srv.call("update", {"spec": "1", "status": "complete"})
        assert err and [i["text"] for i in out["error"]["details"]["items"]] == ["build it", "write tests"]
        assert "checklist_toggles" in out["error"]["hint"]
        err, out = srv.call("create", {"name": "alpha"})
        assert err and out["error"]["code"] == "duplicate_slug" and out["error"]["details"]["existing"] == ["001-alpha"]
    finally:
        srv.close()
    assert json.loads(json.dumps(d))  # details are plain JSON
