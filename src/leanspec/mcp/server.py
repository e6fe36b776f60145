"""Build and run the LeanSpec MCP server (official ``mcp`` SDK, ``MCPServer``).

``build_server(root)`` returns a ready server (tests connect to it in-process or over
stdio); ``serve(root)`` runs it on stdin/stdout. Nothing here writes to stdout: the SDK
diverts fd 1 to stderr while serving, and logging goes to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from mcp.types import Resource as MCPResource
from mcp.types import Tool as MCPTool

from .. import __version__
from .context import ProjectHolder
from .errors import error_payload, tool_error
from .handshake import INSTRUCTIONS, SERVER_NAME, SERVER_TITLE
from .prompts import register_prompts
from .resources import register_resources, spec_resources
from .tools import register_tools


def slim_schema(node: Any) -> Any:
    """Drop what pydantic adds but an agent does not need (titles, ``anyOf [X, null]``
    with a null default): the tool list is read on every session, so it is kept small.
    Validation still runs on the full model, so nothing is loosened or tightened."""
    if isinstance(node, list):
        return [slim_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("properties", "$defs") and isinstance(v, dict):
            out[k] = {name: slim_schema(sub) for name, sub in v.items()}
        elif k == "title" and isinstance(v, str) or k == "default" and v is None:
            continue
        else:
            out[k] = slim_schema(v)
    variants = out.get("anyOf")
    if isinstance(variants, list):
        rest = [x for x in variants if x != {"type": "null"}]
        if len(rest) == 1 and isinstance(rest[0], dict):
            del out["anyOf"]
            out = {**rest[0], **out}
        elif len(rest) != len(variants):
            out["anyOf"] = rest
    return out


class LeanSpecServer(MCPServer):
    """``MCPServer`` with one error funnel and compact JSON results."""

    tool_names: list[str]
    holder: ProjectHolder

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            return tool_error(error_payload(exc, name, self.tool_names))
        if isinstance(result, CallToolResult) and result.structured_content is not None and not result.is_error:
            # The SDK pretty-prints the text copy; agents pay for every space.
            text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"), default=str)
            result = CallToolResult(
                content=[TextContent(type="text", text=text)], structured_content=result.structured_content
            )
        return result

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        return [t.model_copy(update={"input_schema": slim_schema(t.input_schema)}) for t in tools]

    async def list_resources(self) -> list[MCPResource]:
        static = await super().list_resources()
        # Reading the specs is blocking file I/O: keep it off the event loop.
        specs = await anyio.to_thread.run_sync(spec_resources, self.holder)
        return [*static, *specs]


def build_server(root: str | Path | None = None, *, specs_dir: str | None = None) -> LeanSpecServer:
    holder = ProjectHolder(root, specs_dir=specs_dir)
    server = LeanSpecServer(
        SERVER_NAME,
        title=SERVER_TITLE,
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )
    server.holder = holder
    server.tool_names = register_tools(server, holder)
    register_resources(server, holder)
    register_prompts(server, holder)
    return server


def serve(root: str | Path | None = None, *, specs_dir: str | None = None) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="lean-spec mcp: %(message)s")
    build_server(root, specs_dir=specs_dir).run("stdio")
