"""Project commands: init, templates, examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._app import Ctx, Outcome

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="set up LeanSpec in this folder (or create a demo project)",
        description="Create .lean-spec/config.json, a spec template, specs/ and AGENTS.md. Existing files are kept unless --force.",
    )
    p.add_argument("path", nargs="?", help="folder to initialise (default: current folder, or --project)")
    p.add_argument("-y", "--yes", action="store_true", help="no questions (init never prompts; kept for compatibility)")
    p.add_argument("-f", "--force", action="store_true", help="overwrite existing config, templates and AGENTS.md (never specs)")
    p.add_argument("--template", default="standard", help="standard (one README) or detailed (README + DESIGN/PLAN/TEST)")
    p.add_argument("--example", nargs="?", const="api-refactor", help="create a demo project (see --list)")
    p.add_argument("--name", help="folder name for --example (default: the example's name)")
    p.add_argument("--list", action="store_true", help="list the demo projects")
    p.add_argument("--agent-tools", help="claude,gemini,copilot|all|none: symlink CLAUDE.md etc. to AGENTS.md")
    p.add_argument("--mcp-config", help="claude-code,vscode,cursor,windsurf|all: write MCP client config files")
    p.add_argument("--git-merge", action="store_true", help="register the spec merge driver in .gitattributes and git config")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "templates",
        parents=[common],
        help="list, show, add, remove or copy spec templates",
        description="Manage templates in .lean-spec/templates/. Actions: list (default), show NAME, add NAME FILE, remove NAME, copy SRC DEST.",
    )
    p.add_argument("action", nargs="?", default="list", choices=("list", "show", "add", "remove", "copy"))
    p.add_argument("name", nargs="?", help="template name")
    p.add_argument("file", nargs="?", help="file or folder to add (add), or the new name (copy)")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("examples", parents=[common], help="list the demo projects for init --example")
    p.set_defaults(func=cmd_examples)

    p = sub.add_parser(
        "capabilities",
        parents=[common],
        help="describe fields, allowed values, link types and operations (for agents: use --json)",
        description="What this project's specs can hold (fields, allowed values, semantic roles, link types), "
        "the status rules, and the commands and MCP tools. LeanSpec 2026's JSON shape plus workflow and operations.",
    )
    p.set_defaults(func=cmd_capabilities)


def cmd_capabilities(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows.capabilities import describe

    data = describe(ctx.project.config)
    caps = data["capabilities"]
    yes = {True: "yes", False: "no"}
    ops = " ".join(f"{k}={yes[bool(caps['supports_' + k])]}" for k in ("create", "update", "delete", "search", "webhooks"))
    lines = [f"Adapter: {data['adapter']}", f"Operations: {ops}", f"Default schema: {caps['default_schema']}", "Fields:"]
    for f in data["schema"]["fields"]:
        kind = f["kind"]
        desc = kind["kind"]
        if kind["kind"] == "enum":
            flags = ",".join(k for k in ("multi", "allow_custom", "dynamic") if kind.get(k)).replace("allow_custom", "custom")
            opts = ", ".join(o["value"] for o in kind.get("options", []))
            desc = f"enum [{opts}]" + (f" ({flags})" if flags and opts else "") if opts else f"enum [{flags}]"
        extra = (" *required*" if f.get("required") else "") + (f" ({f['semantic']})" if f.get("semantic") else "")
        extra += " [section]" if f.get("display") == "section" else ""
        lines.append(f"  {f['key']:<10} {f['label']:<10} {desc}{extra}")
    lines.append("Link types:")
    for lt in data["schema"]["link_types"]:
        lines.append(f"  {lt['key']} {lt['label']} ⇄ {lt.get('inverse_key', '')}")
    lines.append("Guards:")
    for k, v in data["workflow"]["guards"].items():
        lines.append(f"  {k}: {v}")
    lines.append("Commands (MCP tool):")
    for o in data["operations"]:
        tool = f" ({o['mcp_tool']})" if o["mcp_tool"] else ""
        lines.append(f"  {o['command']}{tool}: {o['does']}")
    return Outcome(data, lines)


def cmd_examples(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows.examples import EXAMPLES

    data = [{"name": e.name, "summary": e.summary, "specs": len(e.specs)} for e in EXAMPLES.values()]
    lines = [f"{ctx.c(e.name, 'bold'):<20}  {e.summary} ({len(e.specs)} specs)" for e in EXAMPLES.values()]
    lines.append("Create one with: lean-spec init --example NAME")
    return Outcome({"examples": data}, lines)


def cmd_init(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows import scaffold

    if a.list:
        return cmd_examples(ctx, a)
    base = Path(a.path or getattr(a, "project", None) or ".")
    if a.example:
        dest = base / (a.name or a.example) if not a.path else base
        store, rep = scaffold.create_example(dest, a.example)
        lines = [
            ctx.c(f"✓ Created the {a.example} demo project in {store.root}", "green"),
            f"  {len(rep.created)} files, {sum(1 for c in rep.created if c.endswith('README.md') and '/specs/' in '/' + c)} specs",
            f"Next: lean-spec -C {dest} board",
        ]
        return Outcome(rep.to_dict(), lines)
    tools = scaffold.parse_agent_tools(a.agent_tools)
    if a.mcp_config:
        from ..workflows.mcpconfig import parse_clients

        parse_clients(a.mcp_config)  # an unknown client fails before anything is written
    if a.git_merge:
        from ..workflows.gitutil import require_repo

        probe = base if base.exists() else next(p for p in base.resolve().parents if p.exists())
        require_repo(probe)  # not a git repository: fail before anything is written
    store, rep = scaffold.init_project(base, template=a.template, force=a.force, agent_tools=tools)
    if a.mcp_config:
        from ..project import Project
        from ..workflows.mcpconfig import write_mcp_configs  # type: ignore[import-not-found]

        written = write_mcp_configs(Project(store), [c.strip() for c in a.mcp_config.split(",") if c.strip()])
        rep.created.extend(written)
    if a.git_merge:
        from ..project import Project
        from ..workflows.merge import install_merge_driver  # type: ignore[import-not-found]

        rep.created.extend(install_merge_driver(Project(store)))
    lines = [ctx.c(f"✓ LeanSpec initialised in {store.root}", "green")]
    lines += [f"  created  {c}" for c in rep.created]
    lines += [f"  kept     {s}" for s in rep.skipped]
    lines += [f"  note: {n}" for n in rep.notes]
    lines.append("Next: lean-spec create my-first-spec")
    return Outcome(rep.to_dict(), lines)


def cmd_templates(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput
    from ..workflows import scaffold

    store = ctx.project.store
    if a.action == "list":
        items = scaffold.list_templates(store)
        lines = [
            f"{ctx.c(str(i['name']), 'bold'):<24} {i['kind']:<8} {i['file'] or '(bundled)'}{'  ← default' if i['default'] else ''}"
            for i in items
        ]
        return Outcome({"templates": items}, lines)
    if not a.name:
        raise InvalidInput(f"templates {a.action} needs a template name")
    name = a.name.strip()
    if a.action == "show":
        files = scaffold.template_files(store, name)
        text = "\n".join(f"==> {fn} <==\n{t}" if len(files) > 1 else t for fn, t in files.items())
        return Outcome({"name": name, "files": files}, text)
    if a.action == "add":
        if not a.file:
            raise InvalidInput("templates add NAME FILE: name a file or folder to copy")
        written = scaffold.add_template(store, name, Path(a.file))
        return Outcome({"ok": True, "name": name, "written": written}, [f"✓ added template {name}", *written])
    if a.action == "remove":
        scaffold.remove_template(store, name)
        return Outcome({"ok": True, "removed": name}, f"✓ removed template {name}")
    if not a.file:  # copy SRC DEST
        raise InvalidInput("templates copy SRC DEST: name the new template")
    written = scaffold.copy_template(store, name, a.file)
    return Outcome({"ok": True, "from": name, "to": a.file.strip(), "written": written}, [f"✓ copied {name} → {a.file.strip()}"])
