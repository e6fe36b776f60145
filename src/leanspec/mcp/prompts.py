"""MCP prompts (LeanSpec's five): each one is a ready-to-send user message that embeds
the project's current state, so the agent starts from facts rather than a blank page,
and names the tools to use next.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from mcp.server import MCPServer
from mcp.shared.exceptions import MCPError
from pydantic import Field

from ..core.errors import LeanSpecError
from ..core.model import Spec
from ..core.untrusted import prompt_value as _v
from .context import ProjectHolder
from .errors import DEFAULT_HINTS

INVALID_PARAMS = -32602
PROMPT_NAMES = (
    "project-progress-overview",
    "plan-project-roadmap",
    "create-spec",
    "update-spec-status",
    "checkpoint",
)


def _fail(exc: LeanSpecError) -> MCPError:
    hint = exc.hint or DEFAULT_HINTS.get(exc.code, "")
    return MCPError(INVALID_PARAMS, f"{exc.code}: {exc.message}", data={"code": exc.code, "hint": hint, **exc.details})


# Spec-supplied values (names, titles, statuses, assignees, links) are quoted through
# ``_v`` (``untrusted.prompt_value``): one line, no control characters, at most 200
# characters. A prompt is sent as the user's own message, so a hostile title must not
# add lines or paragraphs to it (docs/security.md).
def _line(s: Spec) -> str:
    bits = [_v(s.status)]
    if s.priority:
        bits.append(_v(s.priority))
    if s.assignee:
        bits.append(f"@{_v(s.assignee)}")
    done, total = s.checklist
    if total:
        bits.append(f"{done}/{total} checked")
    return f"- {_v(s.name)}: {_v(s.title)} ({', '.join(bits)})"


def _specs(holder: ProjectHolder) -> list[Spec]:
    try:
        return holder.get().load(include_archived=False).specs
    except LeanSpecError as exc:
        raise _fail(exc) from None


def _counts(specs: list[Spec]) -> str:
    by = Counter(s.status for s in specs)
    total = len(specs)
    done = by.get("complete", 0)
    rate = f"{100 * done / total:.0f}%" if total else "n/a"
    parts = ", ".join(f"{_v(k, 40)} {v}" for k, v in sorted(by.items()))
    return f"{total} active specs ({parts}); completion {rate}."


def _section(title: str, specs: list[Spec], limit: int = 15) -> str:
    if not specs:
        return f"{title}: none."
    lines = [_line(s) for s in specs[:limit]]
    if len(specs) > limit:
        lines.append(f"- … and {len(specs) - limit} more (call `list`)")
    return f"{title}:\n" + "\n".join(lines)


def _prio(s: Spec) -> int:
    return {"critical": 0, "high": 1, "medium": 2, "low": 3}.get(s.priority or "", 4)


def register_prompts(server: MCPServer, holder: ProjectHolder) -> None:
    @server.prompt(
        "project-progress-overview",
        title="Project progress overview",
        description="Summarise where the project stands: counts, work in progress, what is next.",
    )
    def overview() -> str:
        specs = _specs(holder)
        wip = [s for s in specs if s.status == "in-progress"]
        nxt = sorted((s for s in specs if s.status == "planned"), key=_prio)
        return "\n\n".join(
            [
                "Give me an overview of this project's progress, based on its LeanSpec specs.",
                "Current state: " + _counts(specs),
                _section("In progress", wip),
                _section("Planned, by priority", nxt, 10),
                "Use the `stats` tool for velocity and insights and the `board` tool for the full picture. "
                "Report: what is done, what is in flight (and stalled), the top 3 next specs, and any risks "
                "(overdue, blocked by dependencies — check with `deps`).",
            ]
        )

    @server.prompt(
        "plan-project-roadmap",
        title="Plan a roadmap",
        description="Turn a goal into an ordered set of specs with dependencies.",
    )
    def roadmap(goal: Annotated[str, Field(description="what the project should achieve")]) -> str:
        specs = _specs(holder)
        open_specs = sorted((s for s in specs if s.status in ("planned", "in-progress", "draft")), key=_prio)
        return "\n\n".join(
            [
                f"Plan a roadmap to reach this goal: {goal}",
                "Current state: " + _counts(specs),
                _section("Open specs", open_specs, 20),
                "Steps: 1) `search` for specs related to the goal and reuse them; 2) list the missing pieces, each "
                "small enough for one spec (under ~2000 tokens); 3) order them and state dependencies; "
                "4) after I confirm, `create` each spec (status planned, a priority) and `link` the dependencies; "
                "5) show the result with `deps` (mode upstream) for the final spec.",
            ]
        )

    @server.prompt(
        "create-spec",
        title="Create a spec",
        description="Spec creation workflow: check for duplicates, create, link dependencies, fill sections.",
    )
    def create_spec(
        description: Annotated[str, Field(description="what the spec is about")],
        name: Annotated[str | None, Field(description="kebab-case name, if already chosen")] = None,
    ) -> str:
        specs = _specs(holder)
        recent = sorted(specs, key=lambda s: s.number or 0, reverse=True)[:10]
        naming = f"Use the name `{name}`." if name else "Pick a short kebab-case name (no number; it is allocated)."
        return "\n\n".join(
            [
                f"Create a LeanSpec spec for: {description}",
                naming,
                _section("Most recent specs (for naming style and possible dependencies)", recent, 10),
                "Workflow: 1) `search` for existing specs on this topic; if one covers it, update that instead; "
                "2) `create` with a title, priority and tags (status planned unless told otherwise); "
                "3) `link` it to the specs it depends on; 4) fill Overview, Design and Plan with `update` "
                "section_updates (Plan as a `- [ ]` checklist), passing expected_hash from the previous result; "
                "5) check its size with `tokens` and split into sub-spec files if over ~3500 tokens.",
            ]
        )

    @server.prompt(
        "update-spec-status",
        title="Update a spec's status",
        description="Move a spec to a new status the SDD way: check the checklist, then update with its hash.",
    )
    def update_status(
        spec: Annotated[str, Field(description="spec reference: 045, folder name or slug")],
        status: Annotated[str, Field(description="new status: planned, in-progress, complete or archived")],
    ) -> str:
        try:
            s = holder.get().get(spec)
        except LeanSpecError as exc:
            raise _fail(exc) from None
        done, total = s.checklist
        name = _v(s.name)
        lines = [
            f'Update spec {name} ("{_v(s.title)}") from {_v(s.status)} to {status}.',
            f"Its content_hash is {s.content_hash[:12]}; checklist {done}/{total} checked.",
        ]
        if status == "complete" and done < total:
            lines.append(
                f"It still has {total - done} open checklist item(s). `view` it, confirm each item is really done and "
                "check it with `update` checklist_toggles; only use force: true if I agree the rest is out of scope."
            )
        if s.depends_on:
            deps = ", ".join(_v(d) for d in s.depends_on[:20]) + (", …" if len(s.depends_on) > 20 else "")
            lines.append("It depends on: " + deps + ". Check they are complete with `deps`.")
        lines.append(
            f'Then call `update` with {{"spec": "{name}", "status": "{status}", "expected_hash": "{s.content_hash[:12]}"}}. '
            "If it answers `conflict`, re-read the spec and try again."
        )
        return "\n\n".join(lines)

    @server.prompt(
        "checkpoint",
        title="SDD checkpoint",
        description="Spec-driven-development check: are the specs in sync with the work?",
    )
    def checkpoint() -> str:
        specs = _specs(holder)
        wip = [s for s in specs if s.status == "in-progress"]
        unfinished = [s for s in specs if s.status == "complete" and s.checklist[0] < s.checklist[1]]
        return "\n\n".join(
            [
                "SDD checkpoint. Before continuing, make sure the specs match the work.",
                _section("Specs in progress", wip),
                _section("Complete specs with unchecked items", unfinished),
                "For the spec you are working on: 1) is its status right? 2) check off the Plan/Test items you "
                "finished (`update` checklist_toggles); 3) record design decisions that changed (`update` "
                "section_updates); 4) new work discovered? `create` a spec rather than growing this one; "
                "5) run `validate` on it. Never start coding a feature that has no spec.",
            ]
        )
