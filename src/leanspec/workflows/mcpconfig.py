"""MCP client configuration files (``lean-spec init --mcp-config ...``).

Writes the project-level config of each AI client so it starts ``lean-spec mcp``:

=============  ======================  ================  =============================
client         file                    servers key       entry
=============  ======================  ================  =============================
claude-code    ``.mcp.json``           ``mcpServers``    command + args
vscode         ``.vscode/mcp.json``    ``servers``       type stdio, --project
                                                         ``${workspaceFolder}``
cursor         ``.cursor/mcp.json``    ``mcpServers``    command + args
windsurf       ``.windsurf/mcp.json``  ``mcpServers``    command + args
=============  ======================  ================  =============================

Existing files are merged: other servers and other top-level keys stay, and keys the
user added to our own entry (``env``...) are kept. All files are parsed before any is
written, so a malformed file means nothing is written. Each file is replaced atomically
under the project lock. Core module: no ``mcp`` import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from ..project import Project

SERVER_NAME = "lean-spec"
# `lean-spec` on PATH, not this machine's interpreter path: the files are usually
# committed and must work for every checkout.
DEFAULT_COMMAND = ("lean-spec", "mcp")


@dataclass(frozen=True)
class ClientSpec:
    name: str
    path: str
    servers_key: str
    vscode_style: bool = False


CLIENTS: dict[str, ClientSpec] = {
    "claude-code": ClientSpec("claude-code", ".mcp.json", "mcpServers"),
    "vscode": ClientSpec("vscode", ".vscode/mcp.json", "servers", vscode_style=True),
    "cursor": ClientSpec("cursor", ".cursor/mcp.json", "mcpServers"),
    "windsurf": ClientSpec("windsurf", ".windsurf/mcp.json", "mcpServers"),
}
ALIASES = {
    "claude": "claude-code",
    "claudecode": "claude-code",
    "code": "vscode",
    "vs-code": "vscode",
    "copilot": "vscode",
}


def parse_clients(clients: Sequence[str] | str) -> list[str]:
    """``["claude-code", "vscode"]``, ``"cursor,windsurf"``, ``"all"`` or ``"none"`` ->
    canonical client names in a stable order."""
    items = [clients] if isinstance(clients, str) else list(clients)
    names: list[str] = []
    for item in items:
        for raw in str(item).split(","):
            n = raw.strip().lower()
            if not n:
                continue
            if n == "none":
                continue
            if n == "all":
                names.extend(CLIENTS)
                continue
            n = ALIASES.get(n, n)
            if n not in CLIENTS:
                raise InvalidInput(
                    f"unknown MCP client {raw.strip()!r}: use {', '.join(CLIENTS)}, all or none",
                    details={"allowed": [*CLIENTS, "all", "none"]},
                )
            names.append(n)
    return [c for c in CLIENTS if c in names]


def server_entry(client: str, command: Sequence[str] = DEFAULT_COMMAND) -> dict[str, Any]:
    spec = CLIENTS[client]
    cmd, *args = list(command)
    if spec.vscode_style:
        # VS Code may start servers outside the workspace folder; tell it where we are.
        return {"type": "stdio", "command": cmd, "args": [*args, "--project", "${workspaceFolder}"]}
    return {"command": cmd, "args": args}


def _load(project: Project, rel: str) -> dict[str, Any] | None:
    # Under the containment rule: a config file (or folder) symlinked out of the
    # project is never read (docs/security.md).
    text = project.store.read_project_file(rel)
    if text is None:
        return None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{rel} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            hint=f"fix {rel} (comments and trailing commas are not JSON), then run again; nothing was written",
            details={"path": rel},
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{rel} must contain a JSON object", hint="fix the file; nothing was written", details={"path": rel}
        )
    return data


def plan_mcp_configs(
    project: Project, clients: Sequence[str] | str, command: Sequence[str] = DEFAULT_COMMAND
) -> list[dict[str, Any]]:
    """What ``write_mcp_configs`` would do: ``[{client, path, data, changed}]``. Raises
    ``ConfigError`` if any existing file is malformed (so nothing gets written)."""
    out = []
    for client in parse_clients(clients):
        spec = CLIENTS[client]
        current = _load(project, spec.path)
        data: dict[str, Any] = dict(current or {})
        servers = data.get(spec.servers_key)
        if servers is None:
            servers = {}
        elif not isinstance(servers, dict):
            raise ConfigError(
                f"{spec.path}: {spec.servers_key!r} must be a JSON object",
                hint="fix the file; nothing was written",
                details={"path": spec.path},
            )
        servers = dict(servers)
        mine = servers.get(SERVER_NAME)
        entry = {**(mine if isinstance(mine, dict) else {}), **server_entry(client, command)}
        servers[SERVER_NAME] = entry
        data[spec.servers_key] = servers
        out.append({"client": client, "path": spec.path, "data": data, "changed": data != current})
    return out


def write_mcp_configs(
    project: Project, clients: Sequence[str] | str, *, command: Sequence[str] = DEFAULT_COMMAND
) -> list[str]:
    """Write or merge the config file of each client; returns the relative paths of the
    files that now configure ``lean-spec`` (written, or already up to date)."""
    with project.store.transaction():
        # Plan under the lock, so two concurrent runs cannot drop each other's merge.
        plans = plan_mcp_configs(project, clients, command)
        for plan in plans:
            if plan["changed"]:
                text = json.dumps(plan["data"], indent=2, ensure_ascii=False) + "\n"
                project.store.write_project_file(plan["path"], text.encode("utf-8"))
    return [plan["path"] for plan in plans]
