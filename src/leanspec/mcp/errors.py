"""The one place where failures become MCP tool errors.

Every failing tool call returns ``isError: true`` with a JSON payload
``{"error": {"code", "message", "hint", "details"}}`` (also as ``structuredContent``).
``code`` is the stable ``LeanSpecError.code`` (docs/architecture.md); arguments that do
not match the tool's input schema are ``invalid_input`` too (``details.errors`` names
them). The MCP layer adds two codes: ``unknown_tool`` and ``internal`` (a bug; the
server keeps serving).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from ..core.errors import LeanSpecError
from ..core.untrusted import json_text_safe
from .shape import lean

log = logging.getLogger("leanspec.mcp")

# A next step for codes whose exceptions often come without one.
DEFAULT_HINTS: dict[str, str] = {
    "invalid_input": "fix the argument named in the message and call again",
    "spec_not_found": "call `list` or `search` to find the spec's name or number",
    "ambiguous_spec": "use the full folder name (e.g. 045-unified-dashboard) from details.candidates",
    "file_not_found": "call `files` to see the spec's files",
    "malformed_spec": "fix the file's frontmatter (call `validate` for details), or rewrite it with `update` content",
    "conflict": "the spec changed since you read it: call `view` again and redo the edit with the new content_hash",
    "busy": "another writer holds the project lock; retry in a moment",
    "invalid_relationship": "call `deps` or `relationships` to see the current links",
    "completion_blocked": "tick the items in details.items (update checklist_toggles) and complete the children in "
    "details.open_children first, or pass force: true",
    "draft_transition": "set status planned first (that approves the draft), or pass force: true",
    "duplicate_slug": "use the existing spec (details.existing), pick another name, or pass allow_duplicate: true",
    "no_match": "call `view` and copy the exact text, heading or checklist item",
    "write_failed": "check the file's permissions and free disk space",
    "search_syntax": "quote phrases, balance parentheses, and use AND/OR/NOT between terms",
    "template_error": "omit `template` to use the default, or check .lean-spec/templates/",
    "config_error": "fix .lean-spec/config.json (or config.yaml)",
    "project_not_found": "start the server with `lean-spec mcp --project DIR`",
    "blocked": "the spec has open dependencies (details.open_dependencies): claim another, or pass force: true",
    "nothing_ready": "no spec is ready: call `list` to see blocked specs, or `next` later",
    "git_error": "backfill reads git history: the project must be inside a git repository with git installed",
}


def error_payload(exc: BaseException, tool: str, tool_names: Iterable[str] = ()) -> dict[str, Any]:
    """``{code, message, hint, details}`` for anything a tool call can raise."""
    cause = exc.__cause__ if isinstance(exc, ToolError) and exc.__cause__ is not None else exc
    if isinstance(cause, LeanSpecError):
        out = cause.to_dict()
        hint = out.get("hint") or ""
        # Core hints speak CLI ("run `lean-spec list`", "--force"); agents need tool words.
        if cause.code in DEFAULT_HINTS and (not hint or "lean-spec " in hint or "--" in hint):
            out["hint"] = DEFAULT_HINTS[cause.code]
        out.setdefault("hint", "")
        out.setdefault("details", {})
        return out
    if isinstance(cause, ValidationError):
        problems: dict[str, str] = {}
        for err in cause.errors():
            # Keep argument names and list indexes; drop pydantic's union-member labels.
            parts = [str(p) for p in err.get("loc", ()) if isinstance(p, int) or str(p).isidentifier()]
            arg = ".".join(parts) or "(arguments)"
            problems.setdefault(arg, err.get("msg", "invalid value"))
        summary = "; ".join(f"{a}: {m}" for a, m in list(problems.items())[:5])
        return {
            "code": "invalid_input",
            "message": f"invalid arguments for `{tool}`: {summary}",
            "hint": "check the tool's input schema (tools/list) and call again",
            "details": {"errors": [{"argument": a, "problem": m} for a, m in problems.items()]},
        }
    if isinstance(exc, ToolError) and exc.__cause__ is None and str(exc).startswith("Unknown tool"):
        names = sorted(tool_names)
        return {
            "code": "unknown_tool",
            "message": f"unknown tool `{tool}`",
            "hint": "available tools: " + ", ".join(names),
            "details": {"tools": names},
        }
    log.error("tool %r failed unexpectedly", tool, exc_info=cause)
    return {
        "code": "internal",
        "message": f"`{tool}` failed: {type(cause).__name__}: {cause}",
        "hint": "this is a bug in lean-spec (details are in the server's stderr); the server is still running",
        "details": {},
    }


def tool_error(payload: dict[str, Any]) -> CallToolResult:
    body = {"error": lean(payload)}
    return CallToolResult(
        content=[TextContent(type="text", text=json_text_safe(json.dumps(body, ensure_ascii=False, separators=(",", ":"))))],
        is_error=True,
    )


def resource_error(exc: LeanSpecError) -> ResourceError:
    """Resources have no tool-error channel: map to the protocol error (-32602 for
    not-found, -32603 otherwise) with the same code, message and hint in the text."""
    text = f"{exc.code}: {exc.message}"
    hint = exc.hint or DEFAULT_HINTS.get(exc.code)
    if hint:
        text += f" (hint: {hint})"
    if exc.code in ("spec_not_found", "file_not_found", "project_not_found"):
        return ResourceNotFoundError(text)
    return ResourceError(text)
