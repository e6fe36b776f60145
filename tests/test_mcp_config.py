"""``leanspec.workflows.mcpconfig``: the MCP client config files that ``lean-spec init
--mcp-config`` writes, merged into what is there, atomically, or not at all."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from leanspec.core.errors import ConfigError, InvalidInput
from leanspec.project import Project
from leanspec.workflows.mcpconfig import CLIENTS, parse_clients, write_mcp_configs

FILES = {
    "claude-code": ".mcp.json",
    "vscode": ".vscode/mcp.json",
    "cursor": ".cursor/mcp.json",
    "windsurf": ".windsurf/mcp.json",
}


def load(root: Path, rel: str) -> dict[str, Any]:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def test_all_writes_every_client_file(empty_project: Path) -> None:
    p = Project.open(empty_project)
    written = write_mcp_configs(p, ["all"])
    assert written == list(FILES.values())
    for client, rel in FILES.items():
        data = load(empty_project, rel)
        key = "servers" if client == "vscode" else "mcpServers"
        entry = data[key]["lean-spec"]
        assert entry["command"] == "lean-spec" and entry["args"][0] == "mcp"
    vs = load(empty_project, ".vscode/mcp.json")["servers"]["lean-spec"]
    assert vs["type"] == "stdio" and vs["args"] == ["mcp", "--project", "${workspaceFolder}"]
    assert load(empty_project, ".mcp.json")["mcpServers"]["lean-spec"]["args"] == ["mcp"]
    # No temp files left beside the targets.
    leftovers = [q.name for q in empty_project.rglob("*") if ".lstmp-" in q.name]
    assert leftovers == []


def test_merges_with_existing_servers_and_keeps_user_keys(empty_project: Path) -> None:
    root = empty_project
    (root / ".vscode").mkdir()
    (root / ".vscode/mcp.json").write_text(
        json.dumps(
            {
                "inputs": [{"id": "token", "type": "promptString"}],
                "servers": {
                    "github": {"type": "http", "url": "https://example.invalid/mcp"},
                    "lean-spec": {"command": "old-lean-spec", "env": {"LEANSPEC_LOCK_TIMEOUT": "30"}},
                },
            }
        )
    )
    (root / ".mcp.json").write_text('{"mcpServers": {"db": {"command": "db-mcp", "args": ["--ro"]}}, "x": 1}\n')
    write_mcp_configs(Project.open(root), "vscode,claude-code")
    vs = load(root, ".vscode/mcp.json")
    assert vs["inputs"] == [{"id": "token", "type": "promptString"}]
    assert vs["servers"]["github"] == {"type": "http", "url": "https://example.invalid/mcp"}
    assert vs["servers"]["lean-spec"]["command"] == "lean-spec"
    assert vs["servers"]["lean-spec"]["env"] == {"LEANSPEC_LOCK_TIMEOUT": "30"}  # the user's key stays
    cc = load(root, ".mcp.json")
    assert cc["x"] == 1 and cc["mcpServers"]["db"] == {"command": "db-mcp", "args": ["--ro"]}
    assert cc["mcpServers"]["lean-spec"] == {"command": "lean-spec", "args": ["mcp"]}
    assert not (root / ".cursor").exists() and not (root / ".windsurf").exists()


def test_second_run_changes_nothing(empty_project: Path) -> None:
    p = Project.open(empty_project)
    write_mcp_configs(p, "all")
    before = {rel: ((empty_project / rel).read_bytes(), (empty_project / rel).stat().st_ino) for rel in FILES.values()}
    assert write_mcp_configs(p, "all") == list(FILES.values())
    after = {rel: ((empty_project / rel).read_bytes(), (empty_project / rel).stat().st_ino) for rel in FILES.values()}
    assert after == before  # same bytes, same inode: not even rewritten


def test_malformed_existing_file_means_nothing_is_written(empty_project: Path) -> None:
    root = empty_project
    (root / ".cursor").mkdir()
    bad = '{"mcpServers": {"x": 1},}\n'  # trailing comma
    (root / ".cursor/mcp.json").write_text(bad)
    with pytest.raises(ConfigError) as info:
        write_mcp_configs(Project.open(root), "all")
    assert ".cursor/mcp.json" in info.value.message and "line 1" in info.value.message
    assert (root / ".cursor/mcp.json").read_text() == bad
    assert not (root / ".mcp.json").exists() and not (root / ".vscode").exists() and not (root / ".windsurf").exists()

    (root / ".cursor/mcp.json").write_text('["not", "an", "object"]')
    with pytest.raises(ConfigError):
        write_mcp_configs(Project.open(root), "cursor")
    (root / ".cursor/mcp.json").write_text('{"mcpServers": []}')
    with pytest.raises(ConfigError):
        write_mcp_configs(Project.open(root), "cursor")
    assert (root / ".cursor/mcp.json").read_text() == '{"mcpServers": []}'


def test_client_names() -> None:
    assert parse_clients("all") == list(CLIENTS)
    assert parse_clients(["cursor", "claude"]) == ["claude-code", "cursor"]
    assert parse_clients("windsurf, vscode,windsurf") == ["vscode", "windsurf"]
    assert parse_clients("none") == []
    with pytest.raises(InvalidInput) as info:
        parse_clients("claude-code,emacs")
    assert "emacs" in info.value.message and "vscode" in info.value.message


def test_none_writes_nothing(empty_project: Path) -> None:
    assert write_mcp_configs(Project.open(empty_project), "none") == []
    assert not (empty_project / ".mcp.json").exists()


def test_written_config_starts_a_working_server(empty_project: Path, tmp_path: Path, cli: Any) -> None:
    """Launch exactly what the VS Code file says (lean-spec from this environment,
    ${workspaceFolder} filled in the way VS Code does) and talk to it."""
    pytest.importorskip("mcp")
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    root = empty_project
    assert cli(root, "create", "configured-spec").code == 0
    write_mcp_configs(Project.open(root), "vscode")
    entry = load(root, ".vscode/mcp.json")["servers"]["lean-spec"]
    exe = Path(sys.executable).parent / entry["command"]
    if not exe.exists():
        pytest.skip("the lean-spec script is not installed next to this interpreter")
    args = [a.replace("${workspaceFolder}", str(root)) for a in entry["args"]]
    params = StdioServerParameters(
        command=str(exe), args=args, cwd=str(tmp_path), env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    )

    async def go() -> dict[str, Any]:
        async with Client(params, mode="legacy", cache=None, read_timeout_seconds=120) as c:
            res = await c.call_tool("list", {})
            assert not res.is_error
            return json.loads(res.content[0].text)  # results are sent once, as JSON text (docs/mcp.md)

    out = asyncio.run(go())
    assert [s["name"] for s in out["specs"]] == ["001-configured-spec"]


def test_init_mcp_config_cli(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    r = cli(root, "init", "--mcp-config", "claude-code,vscode")
    assert r.code == 0, r.err
    assert load(root, ".mcp.json")["mcpServers"]["lean-spec"]["args"] == ["mcp"]
    assert "lean-spec" in load(root, ".vscode/mcp.json")["servers"]
    assert not (root / ".cursor").exists()

    other = tmp_path / "other"
    other.mkdir()
    bad = cli(other, "init", "--mcp-config", "emacs")
    assert bad.code != 0 and "emacs" in bad.err
    assert list(other.iterdir()) == []  # refused before anything was written
