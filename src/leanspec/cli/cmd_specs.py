"""Spec commands: create, update, view, list, archive, link, unlink, rel, files, children."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.model import cli_json
from ._app import Ctx, Outcome
from ._render import spec_line, status_icon

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import argparse
    from typing import Any

# register() accepts only=COMMAND (cli._main passes it when the run's command is known).
REGISTER_ONE = True

HASH_HELP = "refuse to write unless the file's current SHA-256 (or a prefix of 8+ hex digits) matches"


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    """Add the spec commands; with ``only``, just that one (cli._main builds the one
    sub-parser a run needs: each add_argument costs argparse a formatter and
    gettext lookups, ~4 ms for the ~90 arguments here)."""
    # ------------------------------------------------------------------ create
    if only in (None, "create"):
        p = sub.add_parser("create", parents=[common], help="create a spec", description="Create a spec. The number is allocated atomically; the folder appears complete or not at all.")
        p.add_argument("name", help="spec name (becomes the slug; a leading NNN- is ignored)")
        p.add_argument("-t", "--title")
        p.add_argument("--description", help="fills the Overview section")
        p.add_argument("--tags", action="append", default=[], help="comma-separated tags (repeatable)")
        p.add_argument("-p", "--priority", help="low, medium, high or critical")
        p.add_argument("-s", "--status", help="planned (default), draft, in-progress, complete")
        p.add_argument("-a", "--assignee")
        p.add_argument("-T", "--template", help="template name (standard, detailed, or one in .lean-spec/templates)")
        p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE", help="custom frontmatter field (repeatable)")
        p.add_argument("--depends-on", action="append", default=[], metavar="SPECS", help="comma-separated specs (repeatable)")
        p.add_argument("--parent", help="umbrella spec")
        p.add_argument("--content", help="full markdown content (frontmatter optional; flags override it)")
        p.add_argument("-f", "--file", help="read the content from a file ('-' for stdin)")
        p.add_argument("--no-prefix", action="store_true", help="accepted for TS compatibility (no effect)")
        p.add_argument("--allow-duplicate", action="store_true", help="create even if a spec with this name exists (refused by default)")
        p.set_defaults(func=cmd_create)

    # ------------------------------------------------------------------ update
    if only in (None, "update"):
        p = sub.add_parser("update", parents=[common], help="update one or more specs", description="Update specs. Each spec is changed in one locked transaction; only the changed lines are rewritten.")
        p.add_argument("specs", nargs="+", help="spec references")
        p.add_argument("-s", "--status")
        p.add_argument("-p", "--priority")
        p.add_argument("-a", "--assignee", help="set the assignee ('' clears it)")
        p.add_argument("--tags", help="replace all tags (comma-separated)")
        p.add_argument("--add-tags", action="append", default=[], metavar="TAGS")
        p.add_argument("--remove-tags", action="append", default=[], metavar="TAGS")
        p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE", help="set a custom field; KEY= removes it")
        p.add_argument("--title", help="set the frontmatter title")
        p.add_argument("--replace", nargs=2, action="append", default=[], metavar=("OLD", "NEW"), help="replace exact text in the body")
        p.add_argument("--match-all", action="store_true", help="--replace every occurrence")
        p.add_argument("--match-first", action="store_true", help="--replace only the first occurrence")
        p.add_argument("--check", action="append", default=[], metavar="TEXT", help="check the checklist item containing TEXT")
        p.add_argument("--uncheck", action="append", default=[], metavar="TEXT", help="uncheck the checklist item containing TEXT")
        p.add_argument("--section", help="heading of the section to edit")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--section-content", help="replace the section's content")
        g.add_argument("--append", help="append to the section")
        g.add_argument("--prepend", help="prepend to the section")
        p.add_argument("--content", help="replace the whole body (or the whole file if it starts with ---)")
        p.add_argument("--content-file", help="read --content from a file ('-' for stdin)")
        p.add_argument("--expected-hash", help=HASH_HELP)
        p.add_argument("--if-status", metavar="STATUS", help="write only if the current status is STATUS (else conflict)")
        p.add_argument("--if-assignee", metavar="NAME", help="write only if the current assignee is NAME ('none': unassigned)")
        p.add_argument("-f", "--force", action="store_true", help="complete despite open checklist items or children")
        p.set_defaults(func=cmd_update)

    # -------------------------------------------------------------------- view
    if only in (None, "view"):
        p = sub.add_parser("view", parents=[common], help="show a spec or one of its files", description="Show a spec (045, 045-name, name) or a sub-spec file (045/DESIGN.md).")
        p.add_argument("spec")
        p.add_argument("--raw", action="store_true", help="print the file exactly as stored")
        p.set_defaults(func=cmd_view)

    # -------------------------------------------------------------------- list
    if only in (None, "list"):
        p = sub.add_parser("list", parents=[common], help="list specs", description="List specs. A malformed spec is reported, never fatal.")
        p.add_argument("--archived", action="store_true", help="include archived specs")
        p.add_argument("-s", "--status", action="append", default=[], help="filter by status (repeatable, comma-separated)")
        p.add_argument("-t", "--tag", action="append", default=[], help="filter by tag (all must match)")
        p.add_argument("-p", "--priority", action="append", default=[])
        p.add_argument("-a", "--assignee")
        p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE")
        p.add_argument("--sort", default="id", help="id, created, updated, name, title, status, priority")
        p.add_argument("--order", choices=("asc", "desc"))
        p.add_argument("-c", "--compact", action="store_true", help="one line per spec (the default text form)")
        p.add_argument("-n", "--limit", type=int, help="at most N specs")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--ready", action="store_true", help="only ready specs (what `claim` would take), in claim order")
        g.add_argument("--blocked", action="store_true", help="only specs with open or missing dependencies")
        p.add_argument("--deps", action="store_true", help="show each dependency's status")
        p.set_defaults(func=cmd_list)

    # ----------------------------------------------------------------- archive
    if only in (None, "archive"):
        p = sub.add_parser("archive", parents=[common], help="archive specs (move into specs/archived/)")
        p.add_argument("specs", nargs="+")
        p.add_argument("--dry-run", action="store_true")
        p.add_argument("--expected-hash", help=HASH_HELP)
        p.set_defaults(func=cmd_archive)

    # ------------------------------------------------------------ link/unlink
    if only in (None, "link"):
        p = sub.add_parser("link", parents=[common], help="add depends_on links (rejects unknown specs, self links, cycles)")
        p.add_argument("spec")
        p.add_argument("targets", nargs="*", help="specs this one depends on")
        p.add_argument("--depends-on", action="append", default=[], metavar="SPECS")
        p.add_argument("--expected-hash", help=HASH_HELP)
        p.set_defaults(func=cmd_link)
    if only in (None, "unlink"):
        p = sub.add_parser("unlink", parents=[common], help="remove depends_on links")
        p.add_argument("spec")
        p.add_argument("targets", nargs="*")
        p.add_argument("--depends-on", action="append", default=[], metavar="SPECS")
        p.add_argument("--all", action="store_true", help="remove every dependency")
        p.add_argument("--expected-hash", help=HASH_HELP)
        p.set_defaults(func=cmd_unlink)

    if only in (None, "rel"):
        p = sub.add_parser("rel", parents=[common], help="view or edit relationships (parent, children, depends_on)")
        p.add_argument("action", choices=("view", "add", "rm"), help="view, add or rm")
        p.add_argument("spec")
        p.add_argument("--parent", nargs="?", const="", help="set the parent (rm: clear it)")
        p.add_argument("--child", action="append", default=[], help="make these specs children of SPEC")
        p.add_argument("--depends-on", action="append", default=[], metavar="SPECS")
        p.set_defaults(func=cmd_rel)

    if only in (None, "files"):
        p = sub.add_parser("files", parents=[common], help="list a spec's files")
        p.add_argument("spec")
        p.add_argument("--type", choices=("docs", "assets"))
        p.add_argument("-s", "--size", action="store_true", help="show sizes")
        p.add_argument("--tree", action="store_true", help="tree form")
        p.set_defaults(func=cmd_files)

    if only in (None, "children"):
        p = sub.add_parser("children", parents=[common], help="list the child specs of an umbrella spec")
        p.add_argument("spec")
        p.set_defaults(func=cmd_children)


# ======================================================================= helpers
def _read_source(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    from ..core.errors import InvalidInput

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None


def _fields(items: list[str], *, allow_delete: bool) -> dict[str, Any]:
    from ..core.errors import InvalidInput

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise InvalidInput(f"--field takes KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v if v != "" or not allow_delete else None
    return out


def _csv(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


# ====================================================================== commands
def cmd_create(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    content = a.content
    if a.file:
        content = _read_source(a.file)
    res = ctx.project.create(
        a.name,
        title=a.title,
        description=a.description,
        tags=_csv(a.tags),
        priority=a.priority,
        status=a.status,
        assignee=a.assignee,
        template=a.template,
        fields=_fields(a.field, allow_delete=False),
        depends_on=_csv(a.depends_on),
        parent=a.parent,
        content=content,
        allow_duplicate=a.allow_duplicate,
    )
    s = res.spec
    return Outcome(
        {"ok": True, **res.to_dict()},
        [ctx.c("✓ Created ", "green") + ctx.c(s.name, "bold") + f"  ({s.path})"] if not ctx.quiet else [s.path],
    )


def _ops(a: argparse.Namespace) -> Any:
    from ..rules.update import UpdateOps

    mode = "all" if a.match_all else "first" if a.match_first else "unique"
    sections: list[tuple[str, str, str]] = []
    if a.section:
        if a.section_content is not None:
            sections.append((a.section, a.section_content, "replace"))
        elif a.append is not None:
            sections.append((a.section, a.append, "append"))
        elif a.prepend is not None:
            sections.append((a.section, a.prepend, "prepend"))
        else:
            from ..core.errors import InvalidInput

            raise InvalidInput("--section needs --section-content, --append or --prepend")
    content = a.content
    if a.content_file:
        content = _read_source(a.content_file)
    return UpdateOps(
        status=a.status,
        priority=a.priority,
        assignee=a.assignee,
        tags=_csv([a.tags]) if a.tags is not None else None,
        add_tags=_csv(a.add_tags),
        remove_tags=_csv(a.remove_tags),
        fields=_fields(a.field, allow_delete=True),
        replacements=[(o, n, mode) for o, n in a.replace],
        checks=[(t, True) for t in a.check] + [(t, False) for t in a.uncheck],
        sections=sections,
        content=content,
        title=a.title,
    )


def cmd_update(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput, LeanSpecError

    ops = _ops(a)
    if ops.is_empty():
        raise InvalidInput("nothing to update: pass --status, --priority, --add-tags, --replace, ...")
    if a.expected_hash and len(a.specs) > 1:
        raise InvalidInput("--expected-hash applies to one spec at a time")
    results: list[dict[str, Any]] = []
    lines: list[str] = []
    errors: list[dict[str, Any]] = []
    warnings: list[str] = []
    for ref in a.specs:
        try:
            r = ctx.project.update(
                ref, ops, expected_hash=a.expected_hash, force=a.force, if_status=a.if_status, if_assignee=a.if_assignee
            )
        except LeanSpecError as exc:
            if len(a.specs) == 1:
                raise
            errors.append({"spec": ref, **exc.to_dict()})
            lines.append(ctx.c("✗ ", "red") + f"{ref}: {exc.message}")
            continue
        d = r.to_dict()
        if "status" in r.changed and r.spec.status == "in-progress" and r.spec.depends_on:
            from ..workflows import claims as claims_api

            w = claims_api.start_warnings(ctx.project, r.spec)
            if w:
                d["warnings"] = w
                warnings.extend(w)
        results.append(d)
        if r.written:
            lines.append(ctx.c("✓ Updated ", "green") + ctx.c(r.spec.name, "bold") + f"  ({', '.join(r.changed)})")
        else:
            lines.append(f"= {r.spec.name}: no changes")
    if len(a.specs) > 1:
        lines.append(f"{len(results)} updated, {len(errors)} failed")
    data: Any = results[0] if len(a.specs) == 1 else {"ok": not errors, "results": results, "errors": errors}
    if len(a.specs) == 1:
        data = {"ok": True, **data}
    if warnings:
        data["warnings"] = warnings
    return Outcome(data, lines, 1 if errors else 0, [f"warning: {w}" for w in warnings])


def cmd_view(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..store.leases import LeaseStore

    p = ctx.project
    spec_ref, filename = p.store.split_file_ref(a.spec)
    if filename is not None or a.raw:
        name, rel, text = p.read(a.spec)
        data: dict[str, Any] = {"spec": name, "path": rel, "content": text}
        if filename is None:
            from ..core.errors import MalformedSpec

            # --raw is how you look at a spec whose YAML is broken, to fix it.
            try:
                data["spec_data"] = p.get(spec_ref).to_dict()
            except MalformedSpec as exc:
                data["spec_data"] = None
                data["problem"] = exc.to_dict()
        return Outcome(data, text)
    s = p.get(spec_ref)
    d = s.to_dict(content=True)
    lines = [
        ctx.c(s.title, "bold"),
        ctx.c(s.name, "gray") + f"  {s.path}",
        f"Status: {status_icon(s.status)} {s.status}   Priority: {s.priority or '-'}   Created: {s.created or '-'}",
    ]
    if s.tags:
        lines.append("Tags: " + ", ".join(s.tags))
    if s.assignee:
        lines.append("Assignee: " + s.assignee)
    # Text only: the JSON stays Spec.to_dict(), the same object as MCP `view` and the
    # HTTP API (tests/test_parity.py); `claims --json` and `list --deps --json` carry these.
    # The claims machinery (git, json) only when this clone has a lease at all.
    lease = None
    if LeaseStore.for_root(p.root).any():
        from ..workflows import claims as claims_api

        lease = claims_api.leases(p).get(s.name)
    if lease is not None:
        from .cmd_claims import lease_text

        lines.append("Claimed by: " + lease_text(lease.to_dict(claims_api.claims_now_of(p))))
    if s.depends_on:
        from ..workflows import claims as claims_api

        lines.append("Depends on: " + ", ".join(_dep_text(x) for x in claims_api.readiness(p).deps(s)))
    if s.parent:
        lines.append("Parent: " + s.parent)
    if s.sub_specs:
        lines.append("Files: " + ", ".join(s.sub_specs))
    done, total = s.checklist
    if total:
        lines.append(f"Checklist: {done}/{total}")
    lines.append(ctx.c("─" * 60, "gray"))
    lines.append(s.body.strip("\n"))
    return Outcome(d, lines)


def cmd_list(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..store.leases import LeaseStore

    specs, problems = ctx.project.list(
        status=_csv(a.status),
        tags=_csv(a.tag),
        priority=_csv(a.priority),
        assignee=a.assignee,
        fields=a.field,
        include_archived=a.archived,
        sort=a.sort,
        order=a.order,
    )
    r = None
    if a.ready or a.blocked or a.deps:
        from ..workflows import claims as claims_api

        r = claims_api.readiness(ctx.project)
        if a.ready:
            keep = {s.name for s in r.ready()}
            specs = [s for s in sorted(specs, key=_claim_order) if s.name in keep]
        elif a.blocked:
            specs = [s for s in specs if r.is_blocked(s)]
    total = len(specs)
    if a.limit is not None:
        specs = specs[: max(0, a.limit)]
    leases: dict[str, Any] = {}
    now = None
    if LeaseStore.for_root(ctx.project.root).any():  # the claims machinery only when needed
        from ..workflows import claims as claims_api

        leases = claims_api.leases(ctx.project)
        now = claims_api.claims_now_of(ctx.project) if leases else None
    # Most reasons already start with the path; do not print it twice.
    warn = [f"warning: {p.reason}" if p.reason.startswith(p.path) else f"warning: {p.path}: {p.reason}" for p in problems]
    if ctx.json and not leases and not (a.deps or a.blocked):
        # The common agent call: each spec's JSON joined as it is (a cached spec keeps
        # its to_dict() encoded), the same text as encoding the dict below.
        specs_json = ",".join([s.json_text() for s in specs])
        problems_json = cli_json([p.to_dict() for p in problems]) if problems else "[]"
        text = f'{{"specs":[{specs_json}],"total":{total},"problems":{problems_json}}}'
        return Outcome(None, [], 0, warn, json_text=text)
    # Render only the form that is printed (each costs ~10-50 ms per 1,000 specs).
    data = {
        "specs": [_list_dict(s, leases, r if (a.deps or a.blocked) else None, now) for s in specs] if ctx.json else [],
        "total": total,
        "problems": [p.to_dict() for p in problems],
    }
    lines = [] if ctx.json else [_list_line(ctx, s, leases, r if (a.deps or a.blocked) else None, now) for s in specs]
    lines.append(ctx.c(f"{total} spec{'s' if total != 1 else ''}", "gray"))
    return Outcome(data, lines, 0, warn)


def _claim_order(s: Any) -> Any:
    from ..core.facts import card_key

    return card_key(s)


def _dep_text(d: dict[str, Any]) -> str:
    return f"{d['name']} ({'✓ ' if d['done'] else ''}{d['status']})"


def _list_dict(s: Any, leases: dict[str, Any], r: Any, now: Any) -> dict[str, Any]:
    d = s.to_dict()
    lease = leases.get(s.name)
    if lease is not None:
        d["lease"] = lease.to_dict(now)
    if r is not None:
        d["dependencies"] = r.deps(s)
        d["blocked"] = r.is_blocked(s)
    return d


def _list_line(ctx: Ctx, s: Any, leases: dict[str, Any], r: Any, now: Any) -> str:
    line = spec_line(ctx, s)
    lease = leases.get(s.name)
    if lease is not None:
        from .cmd_claims import lease_text

        line += ctx.c(f"  [claimed: {lease_text(lease.to_dict(now))}]", "cyan")
    if r is not None and s.depends_on:
        if r.is_blocked(s):
            line += ctx.c("  [blocked]", "red")
        line += ctx.c("  deps: " + ", ".join(_dep_text(x) for x in r.deps(s)), "gray")
    return line


def cmd_archive(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import LeanSpecError

    results, errors, lines = [], [], []
    for ref in a.specs:
        try:
            if a.dry_run:
                s = ctx.project.get(ref)
                results.append({"name": s.name, "would_archive": not s.archived_dir})
                lines.append(f"would archive {s.name}")
                continue
            r = ctx.project.archive(ref, expected_hash=a.expected_hash)
        except LeanSpecError as exc:
            if len(a.specs) == 1:
                raise
            errors.append({"spec": ref, **exc.to_dict()})
            lines.append(ctx.c("✗ ", "red") + f"{ref}: {exc.message}")
            continue
        results.append(r.to_dict())
        lines.append(ctx.c("✓ ", "green") + r.message + f"  ({r.spec.path})")
    return Outcome({"ok": not errors, "results": results, "errors": errors}, lines, 1 if errors else 0)


def cmd_link(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput

    targets = _csv(a.targets + a.depends_on)
    if not targets:
        raise InvalidInput("name at least one spec to depend on (--depends-on A,B)")
    r = ctx.project.link(a.spec, targets, expected_hash=a.expected_hash)
    msg = f"✓ {r.spec.name} depends on {', '.join(r.spec.depends_on)}" if r.written else "ℹ dependencies already exist"
    return Outcome({"ok": True, **r.to_dict()}, msg)


def cmd_unlink(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput

    targets = _csv(a.targets + a.depends_on)
    if not targets and not a.all:
        raise InvalidInput("name the dependencies to remove (--depends-on A,B) or pass --all")
    r = ctx.project.unlink(a.spec, targets, all=a.all, expected_hash=a.expected_hash)
    msg = f"✓ removed dependencies from {r.spec.name}" if r.written else "ℹ nothing to remove"
    return Outcome({"ok": True, **r.to_dict()}, msg)


def cmd_rel(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput
    from ..rules.update import UpdateOps

    p = ctx.project
    if a.action == "view":
        s = p.get(a.spec)
        kids = p.children(s.name)
        specs = p.load().specs
        required_by = [o.name for o in specs if s.name in [d.rsplit("/", 1)[-1] for d in o.depends_on]]
        data = {
            "spec": s.name,
            "parent": s.parent,
            "children": [k.name for k in kids],
            "depends_on": s.depends_on,
            "required_by": required_by,
        }
        lines = [ctx.c(s.name, "bold")]
        lines.append(f"  parent:      {s.parent or '-'}")
        lines.append(f"  children:    {', '.join(k.name for k in kids) or '-'}")
        lines.append(f"  depends on:  {', '.join(s.depends_on) or '-'}")
        lines.append(f"  required by: {', '.join(required_by) or '-'}")
        return Outcome(data, lines)
    results = []
    deps = _csv(a.depends_on)
    if a.action == "add":
        if a.parent is None and not a.child and not deps:
            raise InvalidInput("rel add needs --parent, --child or --depends-on")
        if a.parent == "":
            raise InvalidInput("rel add --parent needs a spec (use `rel rm SPEC --parent` to clear it)")
        if a.parent:
            results.append(p.set_parent(a.spec, a.parent))
        for c in _csv(a.child):
            results.append(p.set_parent(c, a.spec))
        if deps:
            results.append(p.link(a.spec, deps))
    else:
        if a.parent is None and not a.child and not deps:
            raise InvalidInput("rel rm needs --parent, --child or --depends-on")
        if a.parent is not None:
            results.append(p.update(a.spec, UpdateOps(parent="")))
        me = p.get(a.spec).name
        for c in _csv(a.child):
            child = p.get(c)
            if child.parent and child.parent.rsplit("/", 1)[-1] == me:
                results.append(p.update(c, UpdateOps(parent="")))
        if deps:
            results.append(p.unlink(a.spec, deps))
    lines = [f"✓ {r.spec.name}: {', '.join(r.changed) or 'no changes'}" for r in results]
    return Outcome({"ok": True, "results": [r.to_dict() for r in results]}, lines)


def cmd_files(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    files = ctx.project.files(a.spec)
    if a.type == "docs":
        files = [f for f in files if f["type"] == "document"]
    elif a.type == "assets":
        files = [f for f in files if f["type"] == "asset"]
    lines = []
    for i, f in enumerate(files):
        prefix = ("└── " if i == len(files) - 1 else "├── ") if a.tree else ""
        size = f"  {f['size']:>8} B" if a.size else ""
        lines.append(f"{prefix}{f['name']}{size}")
    return Outcome({"spec": ctx.project.get(a.spec).name, "files": files}, lines)


def cmd_children(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    s = ctx.project.get(a.spec)
    kids = ctx.project.children(s.name)
    lines = [spec_line(ctx, k) for k in kids] or [f"{s.name} has no children"]
    return Outcome({"spec": s.name, "children": [k.to_dict() for k in kids]}, lines)
