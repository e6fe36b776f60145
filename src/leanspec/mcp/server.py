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
from mcp.types import Tool as MCPTool

from .. import __version__
from ..core.untrusted import json_text_safe
from .context import ProjectHolder
from .errors import error_payload, tool_error
from .handshake import INSTRUCTIONS, SERVER_NAME, SERVER_TITLE
from .prompts import register_prompts
from .resources import register_resources
from .shape import lean, unknown_arguments
from .tools import register_tools


def slim_schema(node: Any) -> Any:
    """Drop what pydantic adds but an agent does not need (titles, ``anyOf [X, null]``
    with a null default, ``type`` next to ``enum``, ``minLength: 1``, ``default: false``)
    and write "X or a list of X" once: the tool list is read on every session, so it is
    kept small. Validation still runs on the full model, so nothing is loosened or
    tightened."""
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
        rest = out.get("anyOf", [])
        # "X or a list of X" (status, tags, depends_on...): one type list, X stated once.
        if len(rest) == 2 and all(isinstance(x, dict) for x in rest):
            arr = next((x for x in rest if x.get("type") == "array"), None)
            one = next((x for x in rest if x is not arr), None)
            if arr is not None and one is not None and arr.get("items") == one and isinstance(one.get("type"), str):
                del out["anyOf"]
                out = {"type": [one["type"], "array"], "items": one, **out}
    if out.get("default") is False and out.get("type") == "boolean":
        del out["default"]  # absent means false
    if "enum" in out and out.get("type") == "string":
        del out["type"]  # the values say it
    if out.get("minLength") == 1:
        del out["minLength"]  # the server refuses empty strings anyway (invalid_input)
    return out


class LeanSpecServer(MCPServer):
    """``MCPServer`` with one error funnel, argument-name checks and lean text results."""

    tool_names: list[str]
    holder: ProjectHolder
    _params: dict[str, list[str]] | None = None

    async def tool_params(self) -> dict[str, list[str]]:
        if self._params is None:
            self._params = {t.name: list((t.input_schema or {}).get("properties", {})) for t in await self.list_tools()}
        return self._params

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        from ..core.errors import PayloadTooLarge
        from ..insight.budget import Budget, activate

        if name == TOO_LARGE_TOOL:
            exc = PayloadTooLarge(
                f"tool call too large: {arguments.get('reason', '')}",
                hint="send smaller arguments (edit a spec section by section)",
                details={k: v for k, v in arguments.items() if k != "reason"},
            )
            return tool_error(error_payload(exc, name, self.tool_names))
        valid = (await self.tool_params()).get(name)
        if valid is not None:
            refused = unknown_arguments(name, arguments or {}, valid)
            if refused is not None:
                return tool_error(refused)
        # The tool runs in a worker thread under this call's budget: when the client
        # cancels the request (notifications/cancelled) or the server stops, the budget
        # is cancelled and a long search stops at its next check instead of running on.
        with activate(Budget()) as budget:
            box: list[Any] = []
            done = anyio.Event()
            try:
                async with anyio.create_task_group() as tg:

                    async def work() -> None:
                        try:
                            box.append(await super(LeanSpecServer, self).call_tool(name, arguments, context))
                        finally:
                            done.set()

                    tg.start_soon(work)
                    try:
                        await done.wait()
                    except anyio.get_cancelled_exc_class():
                        # The thread is not interruptible: tell it to stop at its next check.
                        budget.cancel("the client cancelled the request")
                        raise
            except BaseExceptionGroup as group:
                if len(group.exceptions) == 1 and isinstance(group.exceptions[0], Exception):
                    exc0 = group.exceptions[0]
                    if isinstance(exc0, ToolError):
                        return tool_error(error_payload(exc0, name, self.tool_names))
                    raise exc0 from None
                raise
            result = box[0]
        if isinstance(result, CallToolResult) and result.structured_content is not None and not result.is_error:
            # Sent once, as compact JSON text (see docs/mcp.md "Results"): every client
            # reads text blocks; a structured copy would double the tokens. DEL, C1 and
            # bidi controls from spec text are sent as \u escapes (docs/security.md).
            text = json_text_safe(
                json.dumps(lean(result.structured_content), ensure_ascii=False, separators=(",", ":"), default=str)
            )
            result = CallToolResult(content=[TextContent(type="text", text=text)])
        return result

    async def run_stdio_async(self) -> None:
        """``MCPServer.run_stdio_async`` with a bounded reader on stdin. fd 0 is pointed
        at the null device while serving (as the SDK does), so a child process (git)
        never reads the wire."""
        import os

        from mcp.server.stdio import stdio_server

        wire = os.dup(0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        try:
            async with stdio_server(stdin=BoundedStdin(wire)) as (read_stream, write_stream):  # type: ignore[arg-type]
                await self._lowlevel_server.run(
                    read_stream, write_stream, self._lowlevel_server.create_initialization_options()
                )
        finally:
            os.dup2(wire, 0)
            os.close(wire)

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        # No output schemas: results are JSON text only, and the schemas cost tokens.
        return [
            t.model_copy(update={"input_schema": slim_schema(t.input_schema), "output_schema": None}) for t in tools
        ]


TOO_LARGE_TOOL = "__leanspec_too_large__"
MAX_MESSAGE = 16 * 1024 * 1024  # one JSON-RPC message (a line on stdin)


class BoundedStdin:
    """The lines of the MCP wire, each at most ``MAX_MESSAGE`` bytes and structurally
    bounded (``core.jsonguard``) *before* the SDK parses it. An oversized or
    over-complex request is replaced by a small one with the same id, so the client
    gets an error answer (a ``payload_too_large`` tool error for ``tools/call``,
    "method not found" otherwise) instead of a server that parses gigabytes."""

    def __init__(self, fd: int) -> None:
        import os

        self.f = os.fdopen(fd, "rb", buffering=1 << 16, closefd=False)

    def __aiter__(self) -> BoundedStdin:
        return self

    async def __anext__(self) -> str:
        while True:
            line = await anyio.to_thread.run_sync(self._read, abandon_on_cancel=True)
            if line is None:
                raise StopAsyncIteration
            if line.strip():
                return line

    def _read(self) -> str | None:
        from ..core.errors import LeanSpecError
        from ..core.jsonguard import check_object

        raw = self.f.readline(MAX_MESSAGE + 1)
        if not raw:
            return None
        if len(raw) > MAX_MESSAGE and not raw.endswith(b"\n"):
            head, size = raw[:4096], len(raw)
            while True:  # drop the rest of the line without keeping it
                more = self.f.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            return _replacement(head, f"{size} bytes (at most {MAX_MESSAGE})", {"bytes": size, "limit": MAX_MESSAGE})
        try:
            check_object(raw, what="MCP message")
        except LeanSpecError as exc:
            return _replacement(raw[:4096], exc.message, exc.details)
        return raw.decode("utf-8", errors="replace")


def _replacement(head: bytes, reason: str, details: dict[str, Any]) -> str:
    import re

    m = re.search(rb'"id"\s*:\s*(-?[0-9]{1,18}|"[^"\\]{0,200}")', head)
    if m is None:
        return ""  # a notification (no id): nothing to answer
    rid = json.loads(m.group(1))
    if re.search(rb'"method"\s*:\s*"tools/call"', head):
        msg: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": rid,
            "method": "tools/call",
            "params": {"name": TOO_LARGE_TOOL, "arguments": {"reason": reason, **details}},
        }
    else:
        msg = {"jsonrpc": "2.0", "id": rid, "method": "leanspec/request_too_large", "params": {"reason": reason}}
    return json.dumps(msg) + "\n"


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
