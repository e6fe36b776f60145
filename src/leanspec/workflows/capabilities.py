"""``lean-spec capabilities``: what this project's specs can hold and what the tool can
do with them, in LeanSpec 2026's JSON shape (``{adapter, capabilities, schema}``: the
fields with their kinds, allowed values and semantic roles, and the link types), plus
``operations``: the commands and MCP tools, so an agent can learn the vocabulary from
one call instead of guessing it.
"""

from __future__ import annotations

from typing import Any

from ..core.config import Config
from ..core.model import PRIORITIES, STATUSES

_STATUS_INFO = {
    "draft": ("#6b7280", "file-text", "being written; move to planned to approve it"),
    "planned": ("#3b82f6", "calendar", "approved, not started"),
    "in-progress": ("#f59e0b", "loader", "being built"),
    "complete": ("#10b981", "check-circle", "done and verified (open checklist items block it unless forced)"),
    "archived": ("#9ca3af", "archive", "no longer active; hidden from list and board"),
}
_PRIORITY_COLOURS = {"low": "#6b7280", "medium": "#3b82f6", "high": "#f59e0b", "critical": "#ef4444"}

#: (command, MCP tool or None, what it does) — the operations an agent uses.
OPERATIONS: tuple[tuple[str, str | None, str], ...] = (
    ("board", "board", "specs by status, complete ones counted"),
    ("list", "list", "filter specs (status, tags, priority, assignee, custom fields)"),
    ("search", "search", "full-text search with field filters"),
    ("view", "view", "read one spec and its content_hash"),
    ("create", "create", "new spec; an existing name is refused unless --allow-duplicate"),
    ("update", "update", "status, priority, tags, assignee, fields, body edits, checklist ticks; --expected-hash"),
    ("link", "link", "add depends_on links"),
    ("unlink", "unlink", "remove depends_on links"),
    ("rel", "relationships", "parent / child / depends_on"),
    ("children", "children", "child specs of an umbrella spec"),
    ("deps", "deps", "upstream / downstream / impact"),
    ("archive", "archive", "archive a spec"),
    ("claim", "claim", "take a spec for yourself with a lease before working on it"),
    ("release", "release", "give a claimed spec back (or let the lease expire)"),
    ("next", "next", "the next ready spec (not blocked, not claimed)"),
    ("claims", None, "who holds which spec"),
    ("validate", "validate", "check specs; open items on complete specs are warnings by default"),
    ("check", "check", "duplicate numbers and names"),
    ("tokens", "tokens", "token count of a spec"),
    ("stats", "stats", "project statistics"),
    ("capabilities", None, "this description"),
)


def _enum(values: list[dict[str, Any]], *, multi: bool = False, custom: bool = False, dynamic: bool = False) -> dict[str, Any]:
    return {"kind": "enum", "options": values, "multi": multi, "allow_custom": custom, "dynamic": dynamic}


def describe(config: Config) -> dict[str, Any]:
    """The capabilities JSON for a project with this configuration."""
    statuses = [s for s in STATUSES if s != "archived" and (s != "draft" or config.draft_enabled)]
    status_opts = []
    for s in STATUSES:
        colour, icon, desc = _STATUS_INFO.get(s, ("#6b7280", "file", s))
        opt = {"value": s, "label": s.replace("-", " ").title(), "color": colour, "icon": icon, "description": desc}
        status_opts.append(opt)
    fields: list[dict[str, Any]] = [
        {"key": "status", "label": "Status", "kind": _enum(status_opts), "display": "inline", "required": True,
         "semantic": "status"},
        {"key": "priority", "label": "Priority",
         "kind": _enum([{"value": p, "label": p.title(), "color": _PRIORITY_COLOURS.get(p, "#6b7280")} for p in PRIORITIES]),
         "display": "inline", "required": False, "semantic": "priority"},
        {"key": "tags", "label": "Tags", "kind": _enum([], multi=True, custom=True, dynamic=True), "display": "inline",
         "required": False, "semantic": "tags"},
        {"key": "assignee", "label": "Assignee", "kind": _enum([], custom=True, dynamic=True), "display": "inline",
         "required": False, "semantic": "assignee", "placeholder": "@username"},
        {"key": "reviewer", "label": "Reviewer", "kind": _enum([], custom=True, dynamic=True), "display": "inline",
         "required": False, "semantic": "reviewer", "placeholder": "@username"},
        {"key": "due", "label": "Due", "kind": {"kind": "text"}, "display": "inline", "required": False,
         "semantic": "due_date", "placeholder": "YYYY-MM-DD"},
        {"key": "created", "label": "Created", "kind": {"kind": "text"}, "display": "inline", "required": True},
        {"key": "content", "label": "Content", "kind": {"kind": "long_text"}, "display": "section", "required": False},
    ]  # fmt: skip
    return {
        "adapter": "markdown",
        "capabilities": {
            "name": "markdown",
            "supports_create": True,
            "supports_update": True,
            "supports_delete": True,
            "supports_search": True,
            "supports_webhooks": False,
            "default_schema": "leanspec:markdown",
        },
        "schema": {
            "id": "leanspec:markdown",
            "name": "Markdown",
            "fields": fields,
            "link_types": [
                {"key": "parent", "label": "Parent", "inverse_key": "child", "inverse_label": "Child"},
                {"key": "depends_on", "label": "Depends on", "inverse_key": "blocked_by", "inverse_label": "Blocked by"},
            ],
        },
        "workflow": {
            "statuses": list(STATUSES),
            "new_spec_statuses": statuses,
            "transitions": "any status may follow any other, except where a guard refuses it",
            "guards": {
                "complete": "open checklist items and incomplete child specs refuse it (completion_blocked) unless force"
                if config.enforce_checklist
                else "incomplete child specs refuse it (completion_blocked) unless force",
                "draft": "a draft moves to planned before in-progress or complete (draft_transition) unless force",
            },
            "expected_hash": "content_hash as shown (12 hex), the full SHA-256, or a prefix of at least 8 hex digits",
        },
        "operations": [
            {"command": f"lean-spec {cmd}", "mcp_tool": tool, "does": does} for cmd, tool, does in OPERATIONS
        ],
    }
