"""Project scaffolding: ``init`` (config, templates, AGENTS.md, agent symlinks) and the
demo projects. Every file is written through the store (lock + atomic write)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core import confine, templates
from ..core.config import CONFIG_DIR
from ..core.errors import InvalidInput, TemplateError
from ..store.store import Store

AGENT_LINKS = {
    "claude": "CLAUDE.md",
    "gemini": "GEMINI.md",
    "copilot": ".github/copilot-instructions.md",
}

SKILL_PATH = ".agents/skills/leanspec/SKILL.md"

AGENTS_MD = """# AI Agent Instructions

Project: {project_name}

This project uses **spec-driven development** with LeanSpec-compatible specs in
`{specs_dir}/`. A spec is a folder `NNN-name/` with a `README.md` (YAML frontmatter for
status, priority, tags, dependencies; markdown for the content) and optional sub-spec
files such as `DESIGN.md`.

## Working with specs

Use the `lean-spec` CLI (or its MCP server, `lean-spec mcp`) instead of editing
frontmatter by hand: every command is atomic and safe to run in parallel.
`lean-spec capabilities --json` lists the fields, allowed values and operations.

| Task | Command | MCP tool |
| --- | --- | --- |
| See what is going on | `lean-spec board`, `lean-spec list --status in-progress` | `board`, `list` |
| Find related work | `lean-spec search "query"` | `search` |
| Read a spec | `lean-spec view 012` (or `012/DESIGN.md`) | `view` |
| Start a spec | `lean-spec create my-feature --priority high --tags api` | `create` |
| Change status | `lean-spec update 012 --status in-progress` | `update` |
| Tick a checklist item | `lean-spec update 012 --check "write tests"` | `update` (`checklist_toggles`) |
| Record a dependency | `lean-spec link 012 --depends-on 007` | `link` |
| Check health | `lean-spec validate`, `lean-spec check` | `validate`, `check` |

Add `--json` to any command for machine-readable output.

{agent_loop}
## Rules

1. Before starting work, search for an existing spec; create one if the work is not trivial
   (`create` refuses a name that already exists: update that spec instead).
2. Claim a spec before working on it and release it when you stop (see above).
3. Set a spec to `in-progress` when you start and `complete` when its checklist is done.
4. Keep each spec under ~400 lines; move detail into sub-spec files.
5. Never renumber or rename spec folders by hand; use `lean-spec check --fix` for duplicates.
"""

AGENT_LOOP = """## Agent loop: claim → work → release

Several agents (and people) may work on this project at once. Claims keep two of them
off the same spec:

1. **Pick**: `lean-spec next` (MCP `next`) names a ready spec: planned, not blocked by an
   unfinished `depends_on`, not claimed. Or choose one from `lean-spec board`.
2. **Claim** it: `lean-spec claim 012` (MCP `claim`). The claim is a lease: it expires
   unless renewed, so a crashed agent does not hold a spec forever. A spec someone else
   holds is refused; pick another. `lean-spec claims` lists who holds what.
3. **Work**: `lean-spec view 012` gives the content and its `content_hash`; move it to
   `in-progress`; edit with `lean-spec update 012 ... --expected-hash HASH` (MCP `update`
   with `expected_hash`) so a concurrent change is refused (`conflict`) instead of lost:
   re-read and redo. Tick checklist items as they are done, with evidence.
4. **Finish**: `lean-spec update 012 --status complete`. If it is refused
   (`completion_blocked`), the error lists every open item (section, line, text) and
   every unfinished child: finish them, or pass `--force` only if they truly no longer
   apply.
5. **Release**: `lean-spec release 012` (MCP `release`), also when you stop without
   finishing, so the next agent can pick it up.

Errors carry a stable `code`, a `hint` (what to do next) and `details` (candidates,
open items, current hash): read them instead of retrying blindly.
"""

SKILL_MD = """---
name: leanspec
description: Spec-driven development with LeanSpec specs (markdown folders specs/NNN-name/ with YAML frontmatter). Use when planning, starting, doing or finishing work that has or needs a spec - find specs, claim one, keep it current, complete it, release it. Talks to the project through the lean-spec CLI or its MCP server.
---

# LeanSpec: spec coding

Specs are durable artifacts: the plan, the decisions and the checklist of a piece of work,
kept next to the code. This skill never hard-codes field values: the project says what
they are.

## Start every session with capability discovery

Run `lean-spec capabilities --json`. Use only its status and priority values, field keys,
link types and operations (`operations` pairs each command with its MCP tool).

## Core principles

- Specs are durable; keep them current as the work changes.
- Discovery first: `board`, `search` before `create`; extend or link rather than duplicate
  (`create` refuses a name that exists).
- Intent before implementation; verify against the code, not memory.
- Never edit frontmatter by hand: status, priority, tags, assignee, links go through
  `update`, `link`, `rel`.

## The loop: claim → work → release

1. **Pick**: `lean-spec next` (MCP `next`) gives a ready, unclaimed spec; or choose from `lean-spec board`.
2. **Claim**: `lean-spec claim NNN` (MCP `claim`) before touching it. Claims are leases that
   expire; a spec held by someone else is refused - pick another. `lean-spec claims` lists them.
3. **Work**: `lean-spec view NNN` (keep its `content_hash`); move it to the "work underway"
   status; edit with `update` passing `--expected-hash` (MCP `expected_hash`). A `conflict`
   means someone changed it: re-read, redo. Tick checklist items only with evidence.
   Out-of-scope work becomes a new linked spec.
4. **Finish**: set the "done" status. `completion_blocked` lists every open item
   (section, line, text) and open child: finish them or justify `--force`.
5. **Release**: `lean-spec release NNN` (MCP `release`), also when stopping early.

## Relationships

- `parent`: the spec is part of an umbrella (would it make sense without it? no → parent).
- `depends_on`: it needs another spec finished first. Never both for one pair.

## Context economy

- Keep a spec under ~2,000 tokens (`lean-spec tokens NNN`); split detail into sub-spec files.
- Ask for what you need: `list --json` with filters, MCP `list`/`search` with `fields`;
  `board` counts complete specs instead of listing them.

## Errors

Every error has a stable `code`, a `hint` and `details` (close-match suggestions for a
mistyped spec, the sections or checklist items that exist, the current hash). Act on them.
"""


@dataclass
class InitReport:
    root: str
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"ok": True, "root": self.root, "created": self.created, "skipped": self.skipped, "notes": self.notes}


def default_config(template_ref: str) -> dict[str, object]:
    return {
        "template": template_ref,
        "templates": {"default": template_ref},
        "specsDir": "specs",
        "structure": {
            "pattern": "flat",
            "prefix": "",
            "dateFormat": "YYYYMMDD",
            "sequenceDigits": 3,
            "defaultFile": "README.md",
        },
        "features": {"aiAgents": True, "examples": True},
        "validation": {"maxLines": 400, "warnLines": 300, "maxTokens": 5000, "warnTokens": 3500},
    }


def parse_agent_tools(value: str | None) -> list[str]:
    if not value or value == "none":
        return []
    if value == "all":
        return list(AGENT_LINKS)
    tools = [t.strip().lower() for t in value.split(",") if t.strip()]
    for t in tools:
        if t not in AGENT_LINKS:
            raise InvalidInput(f"unknown agent tool {t!r} (use {', '.join(AGENT_LINKS)}, all or none)")
    return tools


def init_project(
    root: Path,
    *,
    template: str = "standard",
    force: bool = False,
    agent_tools: list[str] | None = None,
    project_name: str | None = None,
) -> tuple[Store, InitReport]:
    """Create ``.lean-spec/config.json``, templates, ``specs/`` and ``AGENTS.md``.

    Existing files are kept (listed as skipped) unless ``force``; specs are never touched.
    """
    if template not in templates.BUILTIN:
        raise InvalidInput(f"unknown template {template!r} (use {', '.join(templates.BUILTIN)})")
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_DIR).mkdir(exist_ok=True)
    store = Store(root)
    rep = InitReport(str(store.root))
    files = templates.builtin_files(template)
    if template == "standard":
        template_ref = "spec-template.md"
        tfiles = {f"{CONFIG_DIR}/templates/spec-template.md": files["README.md"]}
    else:
        template_ref = template
        tfiles = {f"{CONFIG_DIR}/templates/{template}/{n}": t for n, t in files.items()}

    def put(rel: str, text: str) -> None:
        if store.write_project_file(rel, text.encode("utf-8"), overwrite=force):
            rep.created.append(rel)
        else:
            rep.skipped.append(rel)

    put(f"{CONFIG_DIR}/config.json", json.dumps(default_config(template_ref), indent=2) + "\n")
    for rel, text in tfiles.items():
        put(rel, text)
    store = Store(root)  # re-read the config just written
    specs_dir = store.specs_dir
    if not specs_dir.exists():
        specs_dir.mkdir(parents=True)
        rep.created.append(store.config.specs_dir + "/")
    name = project_name or store.root.name
    agents = AGENTS_MD.format(project_name=name, specs_dir=store.config.specs_dir, agent_loop=AGENT_LOOP)
    if (store.root / "AGENTS.md").exists() and not force:
        rep.skipped.append("AGENTS.md")
        rep.notes.append("AGENTS.md exists and was left as is (use --force to replace it)")
    else:
        put("AGENTS.md", agents)
    # The installable agent skill (the layout LeanSpec's own skill uses).
    put(SKILL_PATH, SKILL_MD)
    for tool in agent_tools or []:
        rel = AGENT_LINKS[tool]
        target = "AGENTS.md" if "/" not in rel else "../AGENTS.md"
        if store.symlink_project_file(rel, target):
            rep.created.append(rel)
        else:
            rep.skipped.append(rel)
    return store, rep


def create_example(dest: Path, example: str) -> tuple[Store, InitReport]:
    """A new demo project at ``dest`` (which must not exist or be empty)."""

    from .examples import EXAMPLES, latest_date, spec_markdown

    ex = EXAMPLES.get(example)
    if ex is None:
        raise InvalidInput(f"unknown example {example!r} (have: {', '.join(EXAMPLES)})")
    if dest.exists() and any(dest.iterdir()):
        raise InvalidInput(f"{dest} already exists and is not empty", hint="pass another --name")
    store, rep = init_project(dest, project_name=example)
    # Keep the demo's history recent: its last event lands two days before today.
    shift = (store.clock().date() - latest_date(ex)).days - 2
    by_slug: dict[str, str] = {}
    for s in ex.specs:
        deps = [by_slug[d] for d in s.depends_on]
        parent = by_slug.get(s.parent) if s.parent else None
        res = store.create(s.name, title=s.title, content=spec_markdown(s, deps, parent, shift))
        by_slug[s.name] = res.spec.name
        for fn, text in s.sub_specs.items():
            store.write_file(res.spec.name, fn, text)
        rep.created.append(res.spec.path)
    return store, rep


# ================================================================ template management
def _template_name(name: str) -> str:
    n = name.strip()
    if not n or "/" in n or "\\" in n or n.startswith(".") or ".." in n:
        raise InvalidInput(f"invalid template name {name!r}")
    return n


def _templates_rel(store: Store) -> str:
    return store.templates_dir().relative_to(store.root).as_posix()


def list_templates(store: Store) -> list[dict[str, object]]:
    """Project templates (files and folders), config aliases, then the bundled ones."""
    tdir, cfg, rel_dir = store.templates_dir(), store.config, _templates_rel(store)
    out: list[dict[str, object]] = []
    seen = set()
    default = cfg.templates.get("default", cfg.template)
    # A templates folder symlinked out of the project is not listed (containment).
    if tdir.is_dir() and confine.inside(os.path.realpath(tdir), os.path.realpath(store.templates_base())):
        for p in sorted(tdir.iterdir()):
            if p.name.startswith("."):
                continue
            name = p.stem if p.is_file() else p.name
            seen.add(name)
            out.append(
                {
                    "name": name,
                    "file": f"{rel_dir}/{p.name}",
                    "kind": "folder" if p.is_dir() else "file",
                    "default": p.name == default or name == default,
                    "builtin": False,
                }
            )
    for name, ref in cfg.templates.items():
        if name != "default" and name not in seen:
            out.append({"name": name, "file": f"{rel_dir}/{ref}", "kind": "alias", "default": False, "builtin": False})
    for b in templates.BUILTIN:
        out.append({"name": b, "file": None, "kind": "builtin", "default": False, "builtin": True})
    return out


def _find_project_template(store: Store, name: str) -> tuple[str, dict[str, str]] | None:
    for cand in (store.config.templates.get(name), name, name + ".md"):
        if cand:
            # Under the containment rule: inside .lean-spec/, never through a
            # .lean-spec/templates symlinked out of the project (docs/security.md).
            files = templates.project_template_files(store.templates_dir(), cand, store.templates_base())
            if files is not None:
                return cand, files
    return None


def template_files(store: Store, name: str) -> dict[str, str]:
    """{filename: text} of a project template, else a bundled one."""
    n = _template_name(name)
    found = _find_project_template(store, n)
    if found:
        return found[1]
    if n in templates.BUILTIN:
        return templates.builtin_files(n)
    raise TemplateError(f"template not found: {n}", hint="run `lean-spec templates` to list templates")


def add_template(store: Store, name: str, source: Path) -> list[str]:
    """Copy a template file or folder into ``.lean-spec/templates/`` (replacing one of that name)."""
    n, rel_dir = _template_name(name), _templates_rel(store)
    if source.is_dir():
        files = templates.project_template_files(source.parent, source.name) or {}
        return [
            f"{rel_dir}/{n}/{fn}" for fn, t in files.items() if store.write_project_file(f"{rel_dir}/{n}/{fn}", t.encode("utf-8"))
        ]
    if not source.is_file():
        raise InvalidInput(f"no such file or folder: {source}")
    try:
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{source} is not UTF-8 text") from None
    target = f"{rel_dir}/{n if n.endswith('.md') else n + '.md'}"
    store.write_project_file(target, text.encode("utf-8"))
    return [target]


def remove_template(store: Store, name: str) -> None:
    found = _find_project_template(store, _template_name(name))
    if not found:
        raise TemplateError(f"template not found: {name}")
    store.remove_project_file(f"{_templates_rel(store)}/{found[0]}")


def copy_template(store: Store, source: str, dest: str) -> list[str]:
    """Copy a project or bundled template under a new name; an existing name is refused."""
    files = template_files(store, source)
    d, rel_dir = _template_name(dest), _templates_rel(store)
    if len(files) == 1:
        targets = {f"{rel_dir}/{d if d.endswith('.md') else d + '.md'}": next(iter(files.values()))}
    else:
        targets = {f"{rel_dir}/{d}/{fn}": t for fn, t in files.items()}
    for rel, text in targets.items():
        if not store.write_project_file(rel, text.encode("utf-8"), overwrite=False):
            raise InvalidInput(f"{rel} already exists")
    return list(targets)
