"""Project scaffolding: ``init`` (config, templates, AGENTS.md, agent symlinks) and the
demo projects. Every file is written through the store (lock + atomic write)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import templates
from .config import CONFIG_DIR
from .errors import InvalidInput
from .store import Store

AGENT_LINKS = {
    "claude": "CLAUDE.md",
    "gemini": "GEMINI.md",
    "copilot": ".github/copilot-instructions.md",
}

AGENTS_MD = """# AI Agent Instructions

Project: {project_name}

This project uses **spec-driven development** with LeanSpec-compatible specs in
`{specs_dir}/`. A spec is a folder `NNN-name/` with a `README.md` (YAML frontmatter for
status, priority, tags, dependencies; markdown for the content) and optional sub-spec
files such as `DESIGN.md`.

## Working with specs

Use the `lean-spec` CLI (or its MCP server, `lean-spec mcp`) instead of editing
frontmatter by hand: every command is atomic and safe to run in parallel.

| Task | Command |
| --- | --- |
| See what is going on | `lean-spec board`, `lean-spec list --status in-progress` |
| Find related work | `lean-spec search "query"` |
| Read a spec | `lean-spec view 012` (or `012/DESIGN.md`) |
| Start a spec | `lean-spec create my-feature --priority high --tags api` |
| Change status | `lean-spec update 012 --status in-progress` |
| Tick a checklist item | `lean-spec update 012 --check "write tests"` |
| Record a dependency | `lean-spec link 012 --depends-on 007` |
| Check health | `lean-spec validate`, `lean-spec check` |

Add `--json` to any command for machine-readable output.

## Rules

1. Before starting work, search for an existing spec; create one if the work is not trivial.
2. Set a spec to `in-progress` when you start and `complete` when its checklist is done.
3. Keep each spec under ~400 lines; move detail into sub-spec files.
4. Never renumber or rename spec folders by hand; use `lean-spec check --fix` for duplicates.
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
    agents = AGENTS_MD.format(project_name=name, specs_dir=store.config.specs_dir)
    if (store.root / "AGENTS.md").exists() and not force:
        rep.skipped.append("AGENTS.md")
        rep.notes.append("AGENTS.md exists and was left as is (use --force to replace it)")
    else:
        put("AGENTS.md", agents)
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
