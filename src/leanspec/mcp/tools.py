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
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..core.errors import InvalidInput, LeanSpecError
from ..core.model import Spec
from ..project import Project, UpdateOps
from ..workflows import claims as claims_api
from .args import (
    DESTRUCTIVE,
    IDEMPOTENT_WRITE,
    READ,
    WRITE,
    ChecklistToggle,
    ExpectedHash,
    FieldsArg,
    FileRef,
    IfAssignee,
    IfStatus,
    Limit,
    Offset,
    Priority,
    Replacement,
    SectionUpdate,
    SpecList,
    SpecRef,
    Status,
)
from .claim_tools import register_claims
from .context import ProjectHolder
from .shape import (
    LIST_FIELDS,
    MAX_MATCHES,
    SEARCH_FIELDS,
    board_view,
    compact,
    csv_values,
    field_list,
    page,
    select,
    written,
)

if TYPE_CHECKING:
    pass

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------- registration
# Only what differs from the protocol's defaults (readOnly false, destructive true,
# idempotent false, openWorld true): tools/list is paid for on every session.
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
        "List specs' metadata (no bodies). Filters AND together. Paginated (`total`, `next_offset`).",
        READ,
    )
    def list_specs(
        status: Annotated[
            Status | list[Status] | None, Field(description="any of these")
        ] = None,
        tags: Annotated[list[str] | str | None, Field(description="all of these")] = None,
        priority: Annotated[Priority | list[Priority] | None, Field(description="any of these")] = None,
        assignee: Annotated[str | None, Field()] = None,
        where: Annotated[dict[str, str] | None, Field(description="custom field filters {key: value}")] = None,
        fields: FieldsArg = None,
        include_archived: Annotated[bool, Field()] = False,
        sort: Literal["id", "created", "updated", "name", "title", "status", "priority"] = "id",
        order: Literal["asc", "desc"] | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        if isinstance(fields, dict):  # before `where`, `fields` was the filter: still accepted
            where, fields = {**fields, **(where or {})}, None
        keys = field_list(fields, LIST_FIELDS)
        specs, problems = project().list(
            status=status,
            tags=tags,
            priority=priority,
            assignee=assignee,
            fields=where,
            include_archived=include_archived,
            sort=sort,
            order=order,
        )
        pg = page(specs, limit, offset)  # page first: only the page's specs become dicts
        out = {"specs": [compact(s, keys) for s in pg.pop("items")], **pg}
        if problems:
            out["problems"] = [p.to_dict() for p in problems]
        return out

    # ------------------------------------------------------------------ view
    @tool(
        "view",
        "One spec: metadata, body (`content`), content_hash (update's expected_hash). 045/DESIGN.md: a sub-spec.",
        READ,
    )
    def view(
        spec: FileRef,
        raw: Annotated[bool, Field(description="add the file as stored as `raw`")] = False,
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
        "Create a spec (number allocated atomically). An existing name is refused unless allow_duplicate.",
        WRITE,
    )
    def create(
        name: Annotated[
            str, Field(min_length=1, description="kebab-case name: the folder slug")
        ],
        title: Annotated[str | None, Field()] = None,
        description: Annotated[str | None, Field(description="fills the Overview section")] = None,
        status: Status | None = None,
        priority: Priority | None = None,
        tags: Annotated[list[str] | str | None, Field()] = None,
        assignee: str | None = None,
        template: Annotated[
            str | None, Field(description="standard, detailed or a project template")
        ] = None,
        depends_on: SpecList = None,
        parent: Annotated[str | None, Field(description="umbrella spec")] = None,
        content: Annotated[
            str | None, Field(description="markdown instead of the template")
        ] = None,
        fields: Annotated[dict[str, Any] | None, Field(description="custom fields")] = None,
        allow_duplicate: Annotated[bool, Field(description="even if the name exists")] = False,
    ) -> dict[str, Any]:
        res = project().create(
            name,
            title=title,
            description=description,
            status=status,
            priority=priority,
            tags=csv_values(tags),
            assignee=assignee,
            template=template,
            depends_on=csv_values(depends_on),
            parent=parent,
            content=content,
            fields=fields,
            allow_duplicate=allow_duplicate,
        )
        return written(res)

    # ------------------------------------------------------------------ update
    @tool(
        "update",
        "Change one spec atomically: metadata, replacements, sections, checklist or whole content. Completing "
        "with open items/children is refused (listed) unless force. 045/DESIGN.md: `content` only.",
        WRITE,
    )
    def update(
        spec: FileRef,
        status: Status | None = None,
        priority: Priority | None = None,
        assignee: Annotated[str | None, Field(description="'' clears it")] = None,
        title: str | None = None,
        tags: Annotated[list[str] | None, Field(description="replaces all tags")] = None,
        add_tags: Annotated[list[str] | str | None, Field()] = None,
        remove_tags: Annotated[list[str] | str | None, Field()] = None,
        fields: Annotated[
            dict[str, Any] | None,
            Field(description="custom fields to set; null deletes"),
        ] = None,
        replacements: Annotated[
            list[Replacement] | None, Field(description="in order")
        ] = None,
        section_updates: Annotated[
            list[SectionUpdate] | None, Field()
        ] = None,
        checklist_toggles: Annotated[
            list[ChecklistToggle] | None, Field()
        ] = None,
        content: Annotated[
            str | None, Field(description="the whole body (whole file if it starts with ---)")
        ] = None,
        expected_hash: ExpectedHash = None,
        force: Annotated[
            bool, Field(description="complete despite open items/children")
        ] = False,
        if_status: IfStatus = None,
        if_assignee: IfAssignee = None,
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
            return written(p.write_content(spec, content, expected_hash=expected_hash))
        ops = UpdateOps(
            status=status,
            priority=priority,
            assignee=assignee,
            title=title,
            tags=list(tags) if tags is not None else None,
            add_tags=csv_values(add_tags),
            remove_tags=csv_values(remove_tags),
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
        res = p.update(
            spec_ref, ops, expected_hash=expected_hash, force=force, if_status=if_status, if_assignee=if_assignee
        )
        out = written(res)
        if "status" in res.changed and (warnings := claims_api.start_warnings(p, res.spec)):
            out["warnings"] = warnings
        return out

    # ------------------------------------------------------------------ search
    @tool(
        "search",
        'Full-text search, best first. Syntax: words (AND), "phrase", OR, NOT, (), term~ (fuzzy), status: tag: '
        "priority: assignee: title: created:>2025-11-01.",
        READ,
    )
    def search(
        query: Annotated[str, Field(min_length=1)],
        include_archived: Annotated[bool, Field()] = False,
        fields: Annotated[
            list[str] | str | None, Field(description="keys per spec (default name,title,status,priority,tags)")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="page size")] = 10,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        keys = field_list(fields, SEARCH_FIELDS)
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
            {**r, "spec": select(_as_dict(r["spec"]), keys), "matches": list(r.get("matches", []))[:MAX_MATCHES]}
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
        "A spec's dependencies: upstream, downstream, both, or impact (all a change affects).",
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
        "Make `spec` depend on each of `depends_on` (cycles refused).",
        IDEMPOTENT_WRITE,
    )
    def link(
        spec: SpecRef,
        depends_on: Annotated[list[str] | str, Field(description="specs, list or comma-separated")],
        expected_hash: ExpectedHash = None,
    ) -> dict[str, Any]:
        targets = csv_values(depends_on)
        if not targets:
            raise InvalidInput("depends_on is empty: name at least one spec to depend on")
        return written(project().link(spec, targets, expected_hash=expected_hash))

    @tool(
        "unlink",
        "Remove depends_on links from `spec`: the listed ones, or all.",
        IDEMPOTENT_WRITE,
    )
    def unlink(
        spec: SpecRef,
        depends_on: SpecList = None,
        all: Annotated[bool, Field(description="remove every dependency")] = False,
        expected_hash: ExpectedHash = None,
    ) -> dict[str, Any]:
        targets = csv_values(depends_on)
        if not targets and not all:
            raise InvalidInput("pass depends_on (the links to remove) or all: true")
        return written(project().unlink(spec, targets, all=all, expected_hash=expected_hash))

    # ------------------------------------------------------------------ archive
    @tool(
        "archive",
        "Archive a spec (status archived, moved to specs/archived/).",
        DESTRUCTIVE,
    )
    def archive(spec: SpecRef, expected_hash: ExpectedHash = None) -> dict[str, Any]:
        return written(project().archive(spec, expected_hash=expected_hash))

    # ------------------------------------------------------------------ board
    @tool(
        "board",
        'Kanban columns of lines "NNN Title (priority) @assignee #tags" + summary; complete ones only counted.',
        READ,
    )
    def board(
        group_by: Literal["status", "priority", "assignee", "tag", "parent"] = "status",
        include_archived: bool = False,
        show_complete: Annotated[bool, Field()] = False,
        cards: Annotated[Literal["line", "object"], Field()] = "line",
        limit_per_group: Annotated[int, Field(ge=1, le=500, description="max cards per column")] = 50,
    ) -> dict[str, Any]:
        p = project()
        specs = p.load(include_archived=True).specs
        return board_view(
            specs,
            group_by=group_by,
            include_archived=include_archived,
            show_complete=show_complete,
            cards=cards,
            limit_per_group=limit_per_group,
            readiness=claims_api.readiness(p),  # blocked cards, claim holders
        )

    # ------------------------------------------------------------------ stats
    @tool(
        "stats",
        "Counts by status, priority, tag; completion, velocity, insights.",
        READ,
    )
    def stats() -> dict[str, Any]:
        from ..insight.stats import compute_stats

        return _as_dict(compute_stats(project().load(include_archived=True).specs))

    # ------------------------------------------------------------------ tokens
    @tool(
        "tokens",
        "Token counts of a spec and its sub-spec files.",
        READ,
    )
    def tokens(spec: SpecRef, include_sub_specs: bool = True) -> dict[str, Any]:
        from ..insight.tokens import spec_tokens

        return _as_dict(spec_tokens(project(), spec, include_sub_specs=include_sub_specs))

    # ------------------------------------------------------------------ validate
    @tool(
        "validate",
        "Check specs (frontmatter, structure, size; check_deps: unlisted mentions). No specs = all.",
        READ,
    )
    def validate(
        specs: SpecList = None,
        check_deps: bool = False,
        rules: Annotated[list[str] | None, Field(description="only run these rules")] = None,
        strict: Annotated[bool, Field(description="treat warnings as errors")] = False,
        max_lines: Annotated[int | None, Field(ge=1, description="default: config, 400")] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="at most this many issues, errors first")] = 100,
    ) -> dict[str, Any]:
        from ..insight.validate import validate_project

        refs = csv_values(specs) or None
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
        "A spec's files (README, sub-spec files) with sizes.",
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
        "Duplicate numbers/names, unloadable specs; fix renumbers duplicates.",
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
                "duplicate_slugs": p.duplicate_slugs(),
                "problems": [x.to_dict() for x in problems],
            }
        )
        return out

    # ------------------------------------------------------------------ relationships
    @tool(
        "relationships",
        "View (default) or add/remove a spec's parent, children, depends_on, required_by (`type`, `target`).",
        WRITE,
    )
    def relationships(
        spec: SpecRef,
        action: Literal["view", "add", "remove"] = "view",
        type: Annotated[
            Literal["parent", "child", "depends_on"] | None, Field()
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
        out = written(res)
        out["relationships"] = _relationships_view(p, p.get(s.name))
        return out

    @tool(
        "children",
        "The child specs of an umbrella (parent) spec.",
        READ,
    )
    def children(spec: SpecRef) -> dict[str, Any]:
        p = project()
        s = p.get(spec)
        kids = p.children(s.name)
        return {"spec": s.name, "children": [compact(k) for k in kids], "total": len(kids)}

    _register_backfill(tool, project)
    register_claims(tool, project)
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
        "Fill missing timestamps (and optionally assignee, transitions) from git history.",
        IDEMPOTENT_WRITE,
    )
    def backfill(
        specs: SpecList = None,
        dry_run: Annotated[bool, Field(description="write nothing")] = False,
        force: Annotated[bool, Field(description="overwrite timestamps")] = False,
        include_assignee: Annotated[bool, Field(description="first author")] = False,
        include_transitions: Annotated[bool, Field()] = False,
    ) -> dict[str, Any]:
        from ..workflows.backfill import backfill as run_backfill

        report = run_backfill(
            project(),
            csv_values(specs),
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
