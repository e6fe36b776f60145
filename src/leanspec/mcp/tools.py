"""The MCP tools: one per LeanSpec verb, thin wrappers over ``Project`` and the pure
analysis modules. Names follow LeanSpec's TS server (list, view, create, ...);
arguments and results are snake_case like ``Spec.to_dict()``, the JSON shape shared
with ``lean-spec --json`` and the HTTP API.

Tools raise ``LeanSpecError``; ``errors.py`` turns every failure into a tool error.
Read tools return metadata, never bodies, except ``view``. Every write returns the
``WriteResult`` shape, whose ``content_hash`` is the file's new SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..core.errors import InvalidInput, LeanSpecError
from ..core.model import Spec
from ..project import Project, UpdateOps
from .context import ProjectHolder

# ----------------------------------------------------------------- argument types
Status = Literal["draft", "planned", "in-progress", "complete", "archived"]
Priority = Literal["low", "medium", "high", "critical"]
SpecRef = Annotated[
    str,
    Field(
        description="Spec reference: number (45 or 045), folder name (045-unified-dashboard), slug or exact title",
        min_length=1,
    ),
]
FileRef = Annotated[
    str,
    Field(
        description="Spec reference (045, 045-unified-dashboard, slug) or a sub-spec file as 045/DESIGN.md",
        min_length=1,
    ),
]
ExpectedHash = Annotated[
    str | None,
    Field(
        description="content_hash you last read (full SHA-256 or 12+ hex prefix); if the file changed since, "
        "nothing is written and a `conflict` error carries details.current_hash",
    ),
]
Limit = Annotated[int, Field(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Field(ge=0, description="skip this many results; pass the previous next_offset")]
SpecList = Annotated[
    list[str] | str | None,
    Field(description="spec references, as a list or a comma-separated string"),
]


class Replacement(BaseModel):
    old_string: str = Field(min_length=1, description="exact text to find in the body")
    new_string: str = Field(description="replacement text")
    match_mode: Literal["unique", "all", "first"] = Field(
        "unique", description="unique: exactly one occurrence must exist (default); all; first"
    )


class SectionUpdate(BaseModel):
    section: str = Field(min_length=1, description="heading text of the section, e.g. Plan or '## Plan'")
    content: str = Field(description="markdown for the section body")
    mode: Literal["replace", "append", "prepend"] = Field("replace", description="replace (default), append or prepend")


class ChecklistToggle(BaseModel):
    item_text: str = Field(min_length=1, description="text identifying one checklist item (substring match)")
    checked: bool = Field(True, description="true checks the box, false unchecks it")


# ----------------------------------------------------------------- result helpers
MAX_MATCHES = 5
CARD_KEYS = ("name", "number", "title", "status", "priority", "tags", "assignee", "parent", "depends_on", "checklist")


def compact(spec: Spec) -> dict[str, Any]:
    """The list shape: ``Spec.to_dict()`` without content (metadata only)."""
    return spec.to_dict()


def card(d: dict[str, Any]) -> dict[str, Any]:
    """An even smaller shape for board columns, where many specs are shown at once."""
    return {k: d.get(k) for k in CARD_KEYS if k in d}


def spec_card(s: Spec) -> dict[str, Any]:
    """``card(s.to_dict())`` without building the full dict (same keys, same values)."""
    from ..insight.board import text_card

    done, total = s.checklist
    return {
        **text_card(s),
        "parent": s.parent,
        "depends_on": s.depends_on,
        "checklist": {"done": done, "total": total},
    }


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    chunk = items[offset : offset + limit]
    nxt = offset + len(chunk)
    return {
        "total": len(items),
        "offset": offset,
        "limit": limit,
        "next_offset": nxt if nxt < len(items) else None,
        "items": chunk,
    }


def _csv(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [p.strip() for v in values for p in str(v).split(",") if p.strip()]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------- registration
READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
IDEMPOTENT_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)


def register_tools(server: MCPServer, holder: ProjectHolder) -> list[str]:
    """Register every tool on ``server``; returns the tool names in order."""
    names: list[str] = []

    def tool(name: str, description: str, annotations: ToolAnnotations) -> Callable[[Callable[..., Any]], Any]:
        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            server.add_tool(fn, name=name, description=description, annotations=annotations)
            names.append(name)
            return fn

        return deco

    def project() -> Project:
        return holder.get()

    # ------------------------------------------------------------------ list
    @tool(
        "list",
        "List specs as compact metadata (no bodies), newest first. Filters combine with AND; `tags` must all match. "
        "Paginated: returns `total` and `next_offset` (null on the last page). Use `view` to read a spec.",
        READ,
    )
    def list_specs(
        status: Annotated[
            Status | list[Status] | None, Field(description="keep specs with any of these statuses")
        ] = None,
        tags: Annotated[list[str] | str | None, Field(description="keep specs having all these tags")] = None,
        priority: Annotated[Priority | list[Priority] | None, Field(description="keep any of these priorities")] = None,
        assignee: Annotated[str | None, Field(description="keep specs assigned to this person")] = None,
        fields: Annotated[
            dict[str, str] | None, Field(description="custom frontmatter field filters {key: value}")
        ] = None,
        include_archived: Annotated[bool, Field(description="also list archived specs")] = False,
        sort: Literal["id", "created", "updated", "name", "title", "status", "priority"] = "id",
        order: Literal["asc", "desc"] | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        specs, problems = project().list(
            status=status,
            tags=tags,
            priority=priority,
            assignee=assignee,
            fields=fields,
            include_archived=include_archived,
            sort=sort,
            order=order,
        )
        pg = page(specs, limit, offset)  # page first: only the page's specs become dicts
        out = {"specs": [compact(s) for s in pg.pop("items")], **pg}
        if problems:
            out["problems"] = [p.to_dict() for p in problems]
        return out

    # ------------------------------------------------------------------ view
    @tool(
        "view",
        "Read one spec: metadata plus its markdown body (`content`) and `content_hash` (pass it as expected_hash "
        "to `update`). `045/DESIGN.md` reads a sub-spec file. raw: true adds the file exactly as stored.",
        READ,
    )
    def view(
        spec: FileRef,
        raw: Annotated[bool, Field(description="include the whole file (frontmatter too) as `raw`")] = False,
    ) -> dict[str, Any]:
        p = project()
        spec_ref, filename = p.store.split_file_ref(spec)
        if filename is not None:
            name, rel, text = p.read(spec)
            return {"spec": name, "file": filename, "path": rel, "content": text, "content_hash": _sha(text)}
        s = p.get(spec_ref)
        out: dict[str, Any] = {"spec": s.to_dict(content=True)}
        if raw:
            # Two reads: make sure `raw` is the very file `content_hash` describes.
            for _ in range(5):
                _name, _rel, text = p.read(s.name)
                if _sha(text) == s.content_hash:
                    break
                s = p.get(s.name)
            out = {"spec": s.to_dict(content=True), "raw": text}
        return out

    # ------------------------------------------------------------------ create
    @tool(
        "create",
        "Create a spec. The next number is allocated atomically (never a duplicate); status defaults to planned and "
        "an explicit status is honoured. Returns the new spec and its content_hash.",
        WRITE,
    )
    def create(
        name: Annotated[
            str, Field(min_length=1, description="short kebab-case name, becomes the folder slug (no number)")
        ],
        title: Annotated[str | None, Field(description="human title (default: from the name)")] = None,
        description: Annotated[str | None, Field(description="fills the Overview section")] = None,
        status: Status | None = None,
        priority: Priority | None = None,
        tags: Annotated[list[str] | str | None, Field(description="tags, as a list or comma-separated")] = None,
        assignee: str | None = None,
        template: Annotated[
            str | None, Field(description="template name (standard, detailed, or a project template)")
        ] = None,
        depends_on: SpecList = None,
        parent: Annotated[str | None, Field(description="umbrella spec this one belongs to")] = None,
        content: Annotated[
            str | None, Field(description="full markdown instead of the template (frontmatter optional)")
        ] = None,
        fields: Annotated[dict[str, Any] | None, Field(description="custom frontmatter fields {key: value}")] = None,
    ) -> dict[str, Any]:
        res = project().create(
            name,
            title=title,
            description=description,
            status=status,
            priority=priority,
            tags=_csv(tags),
            assignee=assignee,
            template=template,
            depends_on=_csv(depends_on),
            parent=parent,
            content=content,
            fields=fields,
        )
        return res.to_dict()

    # ------------------------------------------------------------------ update
    @tool(
        "update",
        "Change one spec in one atomic write: metadata (status, priority, assignee, tags, fields), exact-text "
        "replacements, section edits, checklist toggles, or the whole content. Pass expected_hash (the "
        "content_hash from `view`) to refuse stale edits. Completing with open checklist items or incomplete "
        "children needs force: true. Returns the new content_hash. For a sub-spec file (045/DESIGN.md) only "
        "`content` is allowed.",
        WRITE,
    )
    def update(
        spec: FileRef,
        status: Status | None = None,
        priority: Priority | None = None,
        assignee: Annotated[str | None, Field(description="new assignee; empty string clears it")] = None,
        title: str | None = None,
        tags: Annotated[list[str] | None, Field(description="replace all tags with these")] = None,
        add_tags: Annotated[list[str] | str | None, Field(description="tags to add (kept if present)")] = None,
        remove_tags: Annotated[list[str] | str | None, Field(description="tags to remove")] = None,
        fields: Annotated[
            dict[str, Any] | None,
            Field(description="custom frontmatter fields to set {key: value}; null deletes a key"),
        ] = None,
        replacements: Annotated[
            list[Replacement] | None, Field(description="exact-text replacements in the body, in order")
        ] = None,
        section_updates: Annotated[
            list[SectionUpdate] | None, Field(description="replace/append/prepend section bodies")
        ] = None,
        checklist_toggles: Annotated[
            list[ChecklistToggle] | None, Field(description="check or uncheck checklist items")
        ] = None,
        content: Annotated[
            str | None, Field(description="replace the whole body (or the whole file if it starts with ---)")
        ] = None,
        expected_hash: ExpectedHash = None,
        force: Annotated[
            bool, Field(description="complete despite open checklist items or incomplete children")
        ] = False,
    ) -> dict[str, Any]:
        p = project()
        spec_ref, filename = p.store.split_file_ref(spec)
        if filename is not None:
            others = [
                status,
                priority,
                assignee,
                title,
                tags,
                add_tags,
                remove_tags,
                fields,
                replacements,
                section_updates,
                checklist_toggles,
            ]
            if content is None or any(v not in (None, [], {}) for v in others):
                raise InvalidInput(
                    f"{spec} is a sub-spec file: only `content` (and expected_hash) can be written",
                    hint="pass the whole new file as content, or drop the /FILE part to edit the README",
                )
            return p.write_content(spec, content, expected_hash=expected_hash).to_dict()
        ops = UpdateOps(
            status=status,
            priority=priority,
            assignee=assignee,
            title=title,
            tags=list(tags) if tags is not None else None,
            add_tags=_csv(add_tags),
            remove_tags=_csv(remove_tags),
            fields=dict(fields or {}),
            replacements=[(r.old_string, r.new_string, r.match_mode) for r in replacements or []],
            sections=[(s.section, s.content, s.mode) for s in section_updates or []],
            checks=[(c.item_text, c.checked) for c in checklist_toggles or []],
            content=content,
        )
        if ops.is_empty():
            raise InvalidInput(
                "nothing to update: pass at least one change",
                hint='e.g. {"spec": "045", "status": "in-progress"}',
            )
        return p.update(spec_ref, ops, expected_hash=expected_hash, force=force).to_dict()

    # ------------------------------------------------------------------ search
    @tool(
        "search",
        "Full-text search over titles, names, tags and content, best match first. Syntax: words (AND), "
        '"exact phrase", OR, NOT, parentheses, term~ (fuzzy), field filters status: tag: priority: assignee: '
        "title: created:>2025-11-01. Results carry up to 5 matching lines per spec (total_matches counts all), not bodies.",
        READ,
    )
    def search(
        query: Annotated[str, Field(min_length=1, description="search query")],
        include_archived: Annotated[bool, Field(description="also search archived specs")] = False,
        limit: Annotated[int, Field(ge=1, le=100, description="page size (1-100)")] = 10,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        from ..insight.search import search as run_search
        from ..insight.search import uses_index
        from ..insight.searchindex import synced

        p = project()
        specs = p.load(include_archived=True).specs
        # Only the page's rows get snippets and metadata built; ``total`` counts them all.
        # The index (kept in memory between calls) ranks without reading bodies.
        index = synced(p.root, specs) if uses_index(query) else None
        res = dict(run_search(specs, query, include_archived=include_archived, limit=offset + limit, index=index))
        # Cards instead of full metadata, and the best few matching lines per spec.
        results = [
            {**r, "spec": card(_as_dict(r["spec"])), "matches": list(r.get("matches", []))[:MAX_MATCHES]}
            for r in res.get("results", [])[offset:]
        ]
        total = int(res["total"])
        nxt = offset + len(results)
        res.update(
            results=results,
            total=total,
            offset=offset,
            limit=limit,
            next_offset=nxt if nxt < total else None,
        )
        return res

    # ------------------------------------------------------------------ deps
    @tool(
        "deps",
        "Dependencies of one spec: what it depends on (upstream), what depends on it (downstream), or both; "
        "mode impact adds everything affected by a change to it.",
        READ,
    )
    def deps(
        spec: SpecRef,
        mode: Literal["complete", "upstream", "downstream", "impact"] = "complete",
        depth: Annotated[int, Field(ge=1, le=20, description="how many levels to follow")] = 3,
    ) -> dict[str, Any]:
        from ..insight.graph import DependencyGraph

        p = project()
        name = p.get(spec).name
        return _as_dict(DependencyGraph(p.load(include_archived=True).specs).deps(name, mode, depth))

    # ------------------------------------------------------------------ link / unlink
    @tool(
        "link",
        "Add depends_on links: `spec` depends on each of `depends_on`. Targets must exist; self links and cycles are "
        "refused. Stores canonical folder names.",
        IDEMPOTENT_WRITE,
    )
    def link(
        spec: SpecRef,
        depends_on: Annotated[list[str] | str, Field(description="specs it depends on, as a list or comma-separated")],
        expected_hash: ExpectedHash = None,
    ) -> dict[str, Any]:
        targets = _csv(depends_on)
        if not targets:
            raise InvalidInput("depends_on is empty: name at least one spec to depend on")
        return project().link(spec, targets, expected_hash=expected_hash).to_dict()

    @tool(
        "unlink",
        "Remove depends_on links from `spec`: the listed ones, or all of them with all: true.",
        IDEMPOTENT_WRITE,
    )
    def unlink(
        spec: SpecRef,
        depends_on: SpecList = None,
        all: Annotated[bool, Field(description="remove every dependency")] = False,
        expected_hash: ExpectedHash = None,
    ) -> dict[str, Any]:
        targets = _csv(depends_on)
        if not targets and not all:
            raise InvalidInput("pass depends_on (the links to remove) or all: true")
        return project().unlink(spec, targets, all=all, expected_hash=expected_hash).to_dict()

    # ------------------------------------------------------------------ archive
    @tool(
        "archive",
        "Archive a spec: status archived (with a transition) and, by default, move it into specs/archived/. "
        "Archived specs are hidden from list/board unless include_archived is set.",
        DESTRUCTIVE,
    )
    def archive(spec: SpecRef, expected_hash: ExpectedHash = None) -> dict[str, Any]:
        return project().archive(spec, expected_hash=expected_hash).to_dict()

    # ------------------------------------------------------------------ board
    @tool(
        "board",
        "Kanban view: specs grouped by status (or priority, assignee, tag, parent) as small cards "
        "(name, title, status, priority, tags, assignee), with counts and a summary.",
        READ,
    )
    def board(
        group_by: Literal["status", "priority", "assignee", "tag", "parent"] = "status",
        include_archived: bool = False,
        limit_per_group: Annotated[int, Field(ge=1, le=500, description="at most this many cards per column")] = 50,
    ) -> dict[str, Any]:
        from ..insight.board import build_board

        specs = project().load(include_archived=True).specs
        # Cards straight from the specs (the CARD_KEYS fields): no full to_dict() per spec.
        b = dict(build_board(specs, group_by=group_by, include_archived=include_archived, card=spec_card))
        groups = []
        for g in b.get("groups", []):
            g = dict(g)
            cards = [card(_as_dict(s)) for s in g.get("specs", [])]
            g["specs"] = cards[:limit_per_group]
            if len(cards) > limit_per_group:
                g["truncated"] = len(cards) - limit_per_group
            groups.append(g)
        b["groups"] = groups
        return b

    # ------------------------------------------------------------------ stats
    @tool(
        "stats",
        "Project statistics: totals by status, priority and tag, completion rate, velocity, and insights "
        "(overdue, stale in-progress, critical not started).",
        READ,
    )
    def stats() -> dict[str, Any]:
        from ..insight.stats import compute_stats

        return _as_dict(compute_stats(project().load(include_archived=True).specs))

    # ------------------------------------------------------------------ tokens
    @tool(
        "tokens",
        "Token count of a spec (README plus sub-spec files by default), to judge whether it should be split "
        "(LeanSpec: >3500 warn, >5000 too big).",
        READ,
    )
    def tokens(spec: SpecRef, include_sub_specs: bool = True) -> dict[str, Any]:
        from ..insight.tokens import spec_tokens

        return _as_dict(spec_tokens(project(), spec, include_sub_specs=include_sub_specs))

    # ------------------------------------------------------------------ validate
    @tool(
        "validate",
        "Check specs for problems (frontmatter, structure, size, corrupted markdown, sub-specs; check_deps adds "
        "body mentions missing from depends_on). No specs = the whole project. `ok` is false if any error.",
        READ,
    )
    def validate(
        specs: SpecList = None,
        check_deps: bool = False,
        rules: Annotated[list[str] | None, Field(description="only run these rules")] = None,
        strict: Annotated[bool, Field(description="treat warnings as errors")] = False,
        max_lines: Annotated[int | None, Field(ge=1, description="line limit per spec (default: config, 400)")] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="at most this many issues, errors first")] = 100,
    ) -> dict[str, Any]:
        from ..insight.validate import validate_project

        refs = _csv(specs) or None
        report = validate_project(
            project(), refs, check_deps=check_deps, rules=rules or None, strict=strict, max_lines=max_lines
        )
        out = _as_dict(report)
        out.setdefault("ok", bool(getattr(report, "ok", True)))
        issues = list(out.get("issues", []))
        rank = {"error": 0, "warning": 1, "info": 2}
        issues.sort(key=lambda i: rank.get(str(i.get("severity")), 3))
        out["issues"] = issues[:limit]
        if len(issues) > limit:
            out["truncated"] = len(issues) - limit
        return out

    # ------------------------------------------------------------------ files
    @tool(
        "files",
        "List a spec's files: README.md, sub-spec documents (*.md) and assets, with sizes. Read one with "
        "`view` 045/FILE.md.",
        READ,
    )
    def files(spec: SpecRef, type: Literal["all", "docs", "assets"] = "all") -> dict[str, Any]:
        p = project()
        s = p.get(spec)
        items = p.files(s.name)
        if type == "docs":
            items = [f for f in items if f["type"] == "document"]
        elif type == "assets":
            items = [f for f in items if f["type"] == "asset"]
        return {"spec": s.name, "files": items, "total": len(items)}

    # ------------------------------------------------------------------ check
    @tool(
        "check",
        "Project health: duplicate spec numbers (e.g. from parallel branches) and spec files that cannot be "
        "loaded. fix: true renumbers the later duplicate and rewrites references to it.",
        IDEMPOTENT_WRITE,
    )
    def check(fix: Annotated[bool, Field(description="renumber duplicates (writes)")] = False) -> dict[str, Any]:
        p = project()
        out: dict[str, Any] = {}
        if fix:
            out["renamed"] = [{**r, "content_hash": _hash_of(p, r["to"])} for r in p.fix_duplicates()]
        dups = p.duplicates()
        problems = p.load(include_archived=True).problems
        out.update(
            {
                "ok": not dups and not problems,
                "has_conflicts": bool(dups),
                "conflicts": dups,
                "problems": [x.to_dict() for x in problems],
            }
        )
        return out

    # ------------------------------------------------------------------ relationships
    @tool(
        "relationships",
        "View or edit one spec's relationships. action view (default) returns parent, children, depends_on and "
        "required_by. add/remove need `type` (parent, child, depends_on) and `target`.",
        WRITE,
    )
    def relationships(
        spec: SpecRef,
        action: Literal["view", "add", "remove"] = "view",
        type: Annotated[
            Literal["parent", "child", "depends_on"] | None, Field(description="relationship to add or remove")
        ] = None,
        target: Annotated[str | None, Field(description="the other spec")] = None,
    ) -> dict[str, Any]:
        p = project()
        s = p.get(spec)
        if action == "view":
            return _relationships_view(p, s)
        if type is None or (not target and not (action == "remove" and type == "parent")):
            raise InvalidInput(
                f"action {action} needs `type` (parent, child or depends_on) and `target`",
                hint='e.g. {"spec": "045", "action": "add", "type": "depends_on", "target": "012"}',
            )
        if type == "depends_on":
            res = p.link(s.name, [target or ""]) if action == "add" else p.unlink(s.name, [target or ""])
        elif type == "parent":
            if action == "add":
                res = p.set_parent(s.name, target)
            else:
                if target and s.parent and p.get(target).name != p.get(s.parent).name:
                    raise InvalidInput(f"{target} is not the parent of {s.name} (its parent is {s.parent})")
                res = p.set_parent(s.name, None)
        else:  # child: the child's own `parent` field is what changes
            child = p.get(target or "")
            if action == "add":
                res = p.set_parent(child.name, s.name)
            else:
                if not child.parent or p.get(child.parent).name != s.name:
                    raise InvalidInput(f"{child.name} is not a child of {s.name}")
                res = p.set_parent(child.name, None)
        out = res.to_dict()
        out["relationships"] = _relationships_view(p, p.get(s.name))
        return out

    @tool(
        "children",
        "The child specs of an umbrella spec (specs whose `parent` is it), as compact metadata.",
        READ,
    )
    def children(spec: SpecRef) -> dict[str, Any]:
        p = project()
        s = p.get(spec)
        kids = p.children(s.name)
        return {"spec": s.name, "children": [compact(k) for k in kids], "total": len(kids)}

    _register_backfill(tool, project)
    return names


def _relationships_view(p: Project, s: Spec) -> dict[str, Any]:
    specs = p.load(include_archived=True).specs
    required_by = [x.name for x in specs if any(d.rsplit("/", 1)[-1] == s.name for d in x.depends_on)]
    return {
        "spec": s.name,
        "parent": s.parent,
        "children": [k.name for k in p.store.children_of(s.name, specs)],
        "depends_on": s.depends_on,
        "required_by": required_by,
    }


def _hash_of(p: Project, ref: str) -> str | None:
    """The current hash of a spec another write just changed (every write reports it)."""
    try:
        return p.get(ref.rsplit("/", 1)[-1]).content_hash
    except LeanSpecError:
        return None


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, dict):
        return {"result": value}
    return value


def _register_backfill(tool: Callable[..., Any], project: Callable[[], Project]) -> None:
    @tool(
        "backfill",
        "Fill missing timestamps (created_at, updated_at, completed_at) from git history; optionally the assignee "
        "(first author) and status transitions. Only missing fields unless force. Try dry_run: true first.",
        IDEMPOTENT_WRITE,
    )
    def backfill(
        specs: SpecList = None,
        dry_run: Annotated[bool, Field(description="report what would change, write nothing")] = False,
        force: Annotated[bool, Field(description="overwrite existing timestamps with git's")] = False,
        include_assignee: Annotated[bool, Field(description="set assignee to the first commit's author")] = False,
        include_transitions: Annotated[bool, Field(description="rebuild status transitions from history")] = False,
    ) -> dict[str, Any]:
        from ..workflows.backfill import backfill as run_backfill

        report = run_backfill(
            project(),
            _csv(specs),
            dry_run=dry_run,
            force=force,
            assignee=include_assignee,
            transitions=include_transitions,
        )
        out = _as_dict(report)
        # Context economy: specs with nothing to do are counted, not listed.
        out["specs"] = [
            i for i in out.get("specs", []) if i.get("changes") or i.get("reason") not in (None, "", "no git history")
        ]
        for item in out["specs"]:
            if item.get("written"):
                item["content_hash"] = _hash_of(project(), item["name"])
        return out
