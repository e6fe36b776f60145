"""History and team-scale commands: backfill, migrate, open, check, merge-driver."""

from __future__ import annotations

import os
from typing import Any

from ._app import Ctx, Outcome, Progress

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "backfill",
        parents=[common],
        help="fill created_at/updated_at/completed_at (and more) from git history",
        description="Derive timestamps from one pass over the git history. Only missing fields are filled unless --force.",
    )
    p.add_argument("specs", nargs="*", help="specs to backfill (default: all)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--force", action="store_true", help="overwrite existing timestamps with the history's")
    p.add_argument("--assignee", action="store_true", help="also set a missing assignee to the first commit's author")
    p.add_argument("--transitions", action="store_true", help="also write the status transitions")
    p.add_argument("--all", action="store_true", help="--assignee and --transitions together")
    p.add_argument("--bootstrap", action="store_true", help="also set a missing status and created date")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser(
        "migrate",
        parents=[common],
        help="import specs from Spec Kit, OpenSpec, ADRs or Backlog.md",
        description="Import specs from another tool's files. Sources are read, never changed; re-running skips what was imported.",
    )
    p.add_argument("path", help="folder holding .specify/, specs/, openspec/, doc/adr/ or backlog/")
    p.add_argument(
        "--from",
        dest="source",
        choices=("speckit", "openspec", "adr", "backlog"),
        help="source format (default: detect)",
    )
    p.add_argument("--dry-run", action="store_true", help="list what would be created; write nothing")
    p.add_argument("--limit", type=int, metavar="N", help="import at most N specs")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "open",
        parents=[common],
        help="open a spec in your editor",
        description="Open a spec's README (or 045/DESIGN.md) in $VISUAL or $EDITOR.",
    )
    p.add_argument("spec")
    p.add_argument("-e", "--editor", help="editor command (overrides $VISUAL/$EDITOR)")
    p.set_defaults(func=cmd_open)

    p = sub.add_parser(
        "check",
        parents=[common],
        help="find duplicate spec numbers (here and across git branches)",
        description="Report spec numbers used twice in this project, and numbers used with different folder names on different local git branches. Exit 1 when any.",
    )
    p.add_argument("--fix", action="store_true", help="renumber the newer duplicate and rewrite references to it")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--branches",
        dest="branches",
        action="store_true",
        default=None,
        help="also compare local git branches (default inside a git repository)",
    )
    g.add_argument("--no-branches", dest="branches", action="store_false", help="only check this working tree")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "merge-driver",
        parents=[common],
        help="git merge driver for spec files (--install to register it)",
        description="Called by git as `lean-spec merge-driver %%O %%A %%B %%P`: merges spec frontmatter field by field and the body line by line.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="BASE OURS THEIRS [PATH] as passed by git")
    p.add_argument("--install", action="store_true", help="register the driver in .gitattributes and .git/config")
    p.set_defaults(func=cmd_merge_driver)


# ====================================================================== commands
def cmd_backfill(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows.backfill import backfill

    prog = Progress(ctx, "backfill")
    try:
        rep = backfill(
            ctx.project,
            a.specs,
            dry_run=a.dry_run,
            force=a.force,
            assignee=a.assignee or a.all,
            transitions=a.transitions or a.all,
            bootstrap=a.bootstrap,
            progress=prog,
        )
    finally:
        prog.done()
    data = rep.to_dict()
    lines: list[str] = []
    verb = "would set" if a.dry_run else "set"
    for it in rep.items:
        if not it.changes:
            continue
        mark = ctx.c("~ ", "yellow") if a.dry_run else ctx.c("✓ ", "green")
        keys = ", ".join(f"{k}={_short(v)}" for k, v in it.changes.items())
        lines.append(f"{mark}{ctx.c(it.name, 'bold')}: {verb} {keys}")
    for e in rep.errors:
        lines.append(ctx.c("✗ ", "red") + f"{e['spec']}: {e['message']}")
    n = len(rep.changed)
    summary = (
        f"{n} spec{'s' if n != 1 else ''} {'would change' if a.dry_run else 'updated'}; {rep.commits} commits read"
    )
    if data["no_history"]:
        summary += f"; {len(data['no_history'])} without git history"
    lines.append(ctx.c(summary, "gray"))
    if a.dry_run:
        lines.append(ctx.c("dry run: nothing was written", "gray"))
    return Outcome(data, lines, 1 if rep.errors else 0)


def _short(v: Any) -> str:
    if isinstance(v, list):
        return f"[{len(v)} entries]"
    return str(v)


def cmd_migrate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows.migrate import migrate

    prog = Progress(ctx, "migrate")
    try:
        rep = migrate(ctx.project, a.path, source=a.source, dry_run=a.dry_run, limit=a.limit, progress=prog)
    finally:
        prog.done()
    lines: list[str] = []
    for c in rep.created:
        files = f" (+{', '.join(c['files'])})" if c["files"] else ""
        if a.dry_run:
            lines.append(
                f"{ctx.c('~ ', 'yellow')}would create {ctx.c(c['name'], 'bold')} [{c['status']}] from {c['source']}{files}"
            )
        else:
            lines.append(f"{ctx.c('✓ ', 'green')}{ctx.c(c['spec'], 'bold')} [{c['status']}] from {c['source']}{files}")
    for s in rep.skipped:
        if not ctx.quiet:
            lines.append(ctx.c(f"= {s['source']}: already imported as {s['spec']}", "gray"))
    for e in rep.errors:
        lines.append(ctx.c("✗ ", "red") + f"{e['source']}: {e['message']}")
    n = len(rep.created)
    lines.append(
        ctx.c(
            f"{n} spec{'s' if n != 1 else ''} {'would be created' if a.dry_run else 'created'} from {', '.join(rep.formats)}; "
            f"{len(rep.skipped)} already imported",
            "gray",
        )
    )
    return Outcome(rep.to_dict(), lines, 1 if rep.errors else 0, [f"warning: {w}" for w in rep.warnings])


def cmd_open(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    import shlex
    import shutil
    import subprocess

    from ..core.errors import InvalidInput

    p = ctx.project
    spec_ref, filename = p.store.split_file_ref(a.spec)
    if filename is not None:
        name, rel, _text = p.read(a.spec)
    else:
        s = p.get(spec_ref)
        name, rel = s.name, s.path
    path = p.root / rel
    editor = a.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        for opener in ("xdg-open", "open"):
            if shutil.which(opener):
                editor = opener
                break
    if not editor:
        raise InvalidInput("no editor configured", hint="set $EDITOR (or $VISUAL), or pass --editor CMD")
    try:
        argv = shlex.split(editor)
    except ValueError as exc:
        raise InvalidInput(f"cannot parse the editor command {editor!r}: {exc}") from None
    if not argv:
        raise InvalidInput("the editor command is empty", hint="set $EDITOR, or pass --editor CMD")
    try:
        rc = subprocess.run([*argv, str(path)]).returncode
    except OSError as exc:
        raise InvalidInput(f"cannot run editor {argv[0]!r}: {exc.strerror or exc}") from None
    data = {"ok": rc == 0, "spec": name, "path": rel, "editor": editor, "exit_code": rc}
    if rc != 0:
        return Outcome(data, f"editor {argv[0]} exited with status {rc}", 1)
    return Outcome(data, "" if ctx.quiet else f"opened {rel} with {argv[0]}")


def cmd_check(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows import gitutil

    p = ctx.project
    use_branches = a.branches
    if use_branches is None:
        use_branches = gitutil.is_repo(p.root)
    elif use_branches and not gitutil.is_repo(p.root):
        raise gitutil.NotARepo(
            f"--branches: {p.root} is not inside a git repository", hint="drop --branches, or run `git init`"
        )
    fixed: list[dict[str, str]] = []
    if a.fix:
        losers: list[str] = []
        avoid: set[int] = set()
        if use_branches:
            before, avoid = gitutil.branch_conflicts(p.root, p.store.specs_dir, _local_names(p))
            losers = gitutil.branch_losers(p.root, p.store.specs_dir, before, _local_paths(p), p.config.default_file)
        fixed = p.store.fix_duplicates(avoid=avoid, also=losers)
    dups: Any = p.duplicates()  # (Project.list shadows `list` in its annotations)
    conflicts: list[dict[str, Any]] = []
    if use_branches:
        conflicts, _n = gitutil.branch_conflicts(p.root, p.store.specs_dir, _local_names(p))
    ok = not dups and not conflicts
    same_slug: Any = p.duplicate_slugs()  # a warning: `ok` is about numbers
    data: dict[str, Any] = {"ok": ok, "duplicates": dups, "branch_conflicts": conflicts, "duplicate_slugs": same_slug}
    if a.fix:
        data["fixed"] = fixed
    lines: list[str] = []
    for r in fixed:
        lines.append(ctx.c("✓ ", "green") + f"renumbered {r['from']} → {r['to']}")
    for d in dups:
        lines.append(ctx.c("✗ ", "red") + f"number {d['number']:03d} is used by: {', '.join(d['specs'])}")
    for c in conflicts:
        where = ", ".join(f"{e['name']} ({e['branch']})" for e in c["entries"])
        lines.append(ctx.c("✗ ", "red") + f"number {c['number']:03d} differs across branches: {where}")
    for d in same_slug:
        lines.append(
            ctx.c("⚠ ", "yellow") + f"name {d['slug']} is used by: {', '.join(d['specs'])} (refer to them by number)"
        )
    if ok:
        if not ctx.quiet:
            scope = " in this working tree or across local branches" if use_branches else ""
            lines.append(ctx.c("✓ ", "green") + f"no duplicate spec numbers{scope}")
    elif not a.fix:
        lines.append(ctx.c("run `lean-spec check --fix` to renumber the newer spec and rewrite references", "gray"))
    elif conflicts:
        # What is left is the older side of each clash: the newer spec lives elsewhere.
        here = gitutil.current_branch(p.root) or gitutil.WORKTREE
        others = sorted({e["branch"] for c in conflicts for e in c["entries"] if e["branch"] != here})
        lines.append(
            ctx.c(f"the newer spec of each clash is on {', '.join(others)}: run `lean-spec check --fix` there", "gray")
        )
    if ctx.quiet and not ok:
        lines = [ln for ln in lines if "✗" in ln]
    return Outcome(data, lines, 0 if ok else 1)


def _local_names(p: Any) -> list[tuple[str, int]]:
    return [(e.name, e.number) for e in p.store.entries() if e.number is not None]


def _local_paths(p: Any) -> dict[str, str]:
    return {e.name: p.store.readme_path(e).as_posix() for e in p.store.entries()}


def cmd_merge_driver(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput
    from ..workflows.merge import install_merge_driver, run_driver

    if a.install:
        if a.files:
            raise InvalidInput("--install takes no file arguments")
        msgs = install_merge_driver(ctx.project)
        return Outcome({"ok": True, "messages": msgs}, [ctx.c("✓ ", "green") + m for m in msgs])
    if len(a.files) not in (3, 4):
        raise InvalidInput(
            "merge-driver needs BASE OURS THEIRS [PATH] (git passes %O %A %B %P)",
            hint="run `lean-spec merge-driver --install` to register it with git",
        )
    base, ours, theirs = a.files[:3]
    where = a.files[3] if len(a.files) == 4 else ours
    conflicted = run_driver(base, ours, theirs)
    data = {"ok": not conflicted, "path": where, "conflicted": conflicted}
    err = (
        [f"lean-spec merge-driver: conflict in {where} (body edits overlap; resolve the markers)"] if conflicted else []
    )
    return Outcome(data, "", 1 if conflicted else 0, err)
