"""MCP resources: ``spec://{spec}`` (and ``spec://{spec}/{file}``), ``board://kanban``,
``stats://overview``. Resources are for clients that let a person attach context; agents
usually call the tools, which return the same data.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server import MCPServer

from ..core.errors import LeanSpecError
from ..core.untrusted import json_text_safe
from .context import ProjectHolder
from .errors import resource_error

#: Cards per column in ``board://kanban`` (the `board` tool pages further).
BOARD_CAP = 30
RESOURCE_URIS = ("spec://{spec}", "spec://{spec}/{file}", "board://kanban", "stats://overview")


def _json(data: Any) -> str:
    return json_text_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str))


def register_resources(server: MCPServer, holder: ProjectHolder) -> None:
    @server.resource(
        "spec://{spec}",
        name="spec",
        title="Spec",
        description="A spec's README exactly as stored (frontmatter and markdown). {spec}: 045, folder name, slug.",
        mime_type="text/markdown",
    )
    def spec_resource(spec: str) -> str:
        try:
            _name, _rel, text = holder.get().read(spec)
        except LeanSpecError as exc:
            raise resource_error(exc) from None
        return text

    @server.resource(
        "spec://{spec}/{file}",
        name="spec-file",
        title="Spec sub-file",
        description="A sub-spec file of a spec, e.g. spec://045/DESIGN.md.",
        mime_type="text/markdown",
    )
    def spec_file_resource(spec: str, file: str) -> str:
        try:
            _name, _rel, text = holder.get().read(f"{spec}/{file}")
        except LeanSpecError as exc:
            raise resource_error(exc) from None
        return text

    @server.resource(
        "board://kanban",
        name="board",
        title="Kanban board",
        description="Specs grouped by status (JSON, the `board` tool's default answer: complete specs counted, "
        f"at most {BOARD_CAP} cards a column).",
        mime_type="application/json",
    )
    def board_resource() -> str:
        from .shape import board_view

        try:
            specs = holder.get().load(include_archived=True).specs
        except LeanSpecError as exc:
            raise resource_error(exc) from None
        return _json(board_view(specs, limit_per_group=BOARD_CAP))

    @server.resource(
        "stats://overview",
        name="stats",
        title="Project statistics",
        description="Counts by status/priority/tag, completion rate, velocity and insights (JSON, like `stats`).",
        mime_type="application/json",
    )
    def stats_resource() -> str:
        from ..insight.stats import compute_stats

        try:
            specs = holder.get().load(include_archived=True).specs
        except LeanSpecError as exc:
            raise resource_error(exc) from None
        st = compute_stats(specs)
        return _json(st.to_dict() if hasattr(st, "to_dict") else st)
