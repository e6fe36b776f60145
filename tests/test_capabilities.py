"""`lean-spec capabilities` and the agent guidance `init` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_capabilities_json_shape(empty_project: Path, cli: Any) -> None:
    r = cli(empty_project, "--json", "capabilities")
    assert r.code == 0
    d = r.json
    assert {"adapter", "capabilities", "schema", "workflow", "operations"} <= set(d)
    caps = d["capabilities"]
    assert caps["name"] == d["adapter"] == "markdown" and caps["default_schema"] == d["schema"]["id"]
    assert set(caps) == {
        "name", "supports_create", "supports_update", "supports_delete", "supports_search", "supports_webhooks",
        "default_schema",
    }  # fmt: skip
    fields = {f["key"]: f for f in d["schema"]["fields"]}
    status = fields["status"]
    assert status["required"] and status["semantic"] == "status" and status["kind"]["kind"] == "enum"
    assert [o["value"] for o in status["kind"]["options"]] == ["draft", "planned", "in-progress", "complete", "archived"]
    assert [o["value"] for o in fields["priority"]["kind"]["options"]] == ["low", "medium", "high", "critical"]
    assert fields["tags"]["kind"]["multi"] and fields["tags"]["kind"]["allow_custom"]
    assert fields["content"]["display"] == "section"
    assert {lt["key"]: lt.get("inverse_key") for lt in d["schema"]["link_types"]} == {
        "parent": "child",
        "depends_on": "blocked_by",
    }
    ops = {o["command"]: o["mcp_tool"] for o in d["operations"]}
    assert ops["lean-spec claim"] == "claim" and ops["lean-spec release"] == "release" and ops["lean-spec next"] == "next"
    assert ops["lean-spec rel"] == "relationships" and ops["lean-spec capabilities"] is None
    # `draft` is offered for new specs only when the project enables it.
    assert "draft" not in d["workflow"]["new_spec_statuses"]
    (empty_project / ".lean-spec" / "config.json").write_text('{"draftStatus": {"enabled": true}}')
    assert "draft" in cli(empty_project, "--json", "capabilities").json["workflow"]["new_spec_statuses"]

    text = cli(empty_project, "capabilities")
    assert text.code == 0 and "Adapter: markdown" in text.out and "depends_on Depends on ⇄ blocked_by" in text.out


def test_init_writes_agent_loop_and_skill(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "p"
    r = cli(None, "--json", "init", str(root))
    assert r.code == 0 and ".agents/skills/leanspec/SKILL.md" in r.json["created"]
    skill = (root / ".agents/skills/leanspec/SKILL.md").read_text()
    head = skill.splitlines()[:20]
    assert head[0] == "---" and any(x.startswith("name: leanspec") for x in head)
    assert any(x.startswith("description: ") for x in head)
    assert "lean-spec capabilities --json" in skill
    for word in ("lean-spec claim", "lean-spec release", "lean-spec next", "--expected-hash", "completion_blocked"):
        assert word in skill, word
    agents = (root / "AGENTS.md").read_text()
    assert "claim → work → release" in agents and "lean-spec claim 012" in agents and "MCP `release`" in agents
    # Kept on a second init, replaced with --force.
    (root / ".agents/skills/leanspec/SKILL.md").write_text("mine\n")
    assert ".agents/skills/leanspec/SKILL.md" in cli(None, "--json", "init", str(root)).json["skipped"]
    assert (root / ".agents/skills/leanspec/SKILL.md").read_text() == "mine\n"
    cli(None, "init", str(root), "--force")
    assert "name: leanspec" in (root / ".agents/skills/leanspec/SKILL.md").read_text()
