"""Deterministic benchmark corpus: N specs shaped like the real LeanSpec project in
../shared/fixtures/leanspec-dec2025 (READMEs of 2-20 KB, ~9 KB on average, so 10,000
specs are ~90 MB; several sections, checklists, code fences, 1-6 tags from a shared
pool, dependencies on earlier specs, parents, sub-spec files, archived specs).

Same seed and N give byte-identical projects, so runs on different machines (and
different tools) read the same corpus.

    python bench/gen.py --n 1000 --out /tmp/corpus-1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
from pathlib import Path

WORDS = [
    "spec",
    "agent",
    "cache",
    "index",
    "token",
    "status",
    "board",
    "search",
    "parse",
    "render",
    "folder",
    "atomic",
    "durable",
    "lock",
    "write",
    "read",
    "project",
    "config",
    "template",
    "schema",
    "field",
    "priority",
    "tag",
    "dependency",
    "parent",
    "child",
    "archive",
    "validate",
    "stats",
    "velocity",
    "context",
    "engineering",
    "workflow",
    "review",
    "release",
    "version",
    "migration",
    "server",
    "client",
    "request",
    "response",
    "stream",
    "event",
    "sync",
    "realtime",
    "dashboard",
    "graph",
    "cycle",
    "order",
    "filter",
    "sort",
    "query",
    "fuzzy",
    "phrase",
    "score",
    "snippet",
    "highlight",
    "markdown",
    "frontmatter",
    "yaml",
    "json",
    "header",
    "section",
    "checklist",
    "item",
    "plan",
    "design",
    "test",
    "implementation",
    "rationale",
    "performance",
    "memory",
    "latency",
    "throughput",
    "consistency",
    "recovery",
    "crash",
    "rename",
    "fsync",
    "journal",
    "manifest",
    "inode",
    "timestamp",
    "granularity",
    "racy",
    "concurrent",
    "process",
    "thread",
    "queue",
    "batch",
    "incremental",
    "persistent",
    "transparent",
    "fallback",
    "rebuild",
]
TAGS = [
    "cli",
    "mcp",
    "web",
    "ux",
    "api",
    "core",
    "perf",
    "docs",
    "testing",
    "search",
    "validation",
    "tooling",
    "dx",
    "ai",
    "agents",
    "architecture",
    "storage",
    "config",
    "templates",
    "release",
    "v0.2.0",
    "v0.3.0",
    "quality",
    "security",
    "analytics",
    "visualization",
    "refactor",
    "bug",
    "feature",
    "infra",
    "git",
    "integration",
    "devops",
    "planning",
    "ops",
]
STATUSES = ("planned", "in-progress", "complete", "complete", "complete", "draft")
PRIORITIES = ("low", "medium", "medium", "high", "critical")
SECTIONS = ("Overview", "Problem", "Design", "Plan", "Test", "Notes", "Implementation", "Rationale")
SUB_FILES = ("DESIGN.md", "IMPLEMENTATION.md", "TESTING.md", "RATIONALE.md", "CONFIGURATION.md")
TEMPLATE = """---
status: planned
created: '{date}'
tags: []
priority: medium
---

# {name}

> **Status**: {status} · **Priority**: {priority} · **Created**: {date}

## Overview

<!-- What are we solving? Why now? -->

## Design

## Plan

- [ ] Task 1
- [ ] Task 2

## Test

- [ ] Test criteria 1

## Notes
"""
EMOJI = {"draft": "📝", "planned": "🗓️", "in-progress": "⏳", "complete": "✅", "archived": "📦"}


def sentence(r: random.Random, lo: int = 6, hi: int = 18) -> str:
    ws = [r.choice(WORDS) for _ in range(r.randint(lo, hi))]
    return ws[0].capitalize() + " " + " ".join(ws[1:]) + "."


def paragraph(r: random.Random) -> str:
    return " ".join(sentence(r) for _ in range(r.randint(2, 6)))


def slug(r: random.Random) -> str:
    return "-".join(r.choice(WORDS) for _ in range(r.randint(2, 4)))


def body_text(
    r: random.Random, title: str, status: str, priority: str, created: str, tags: list[str], target: int
) -> tuple[str, int]:
    out = [
        f"# {title}",
        "",
        f"> **Status**: {EMOJI[status]} {status.replace('-', ' ').title()} · **Priority**: {priority.title()} · "
        f"**Created**: {created} · **Tags**: {', '.join(tags)}",
        "",
    ]
    size = sum(len(x) + 1 for x in out)
    checks = 0
    secs = list(SECTIONS)
    i = 0
    while size < target:
        name = secs[i % len(secs)] if i < len(secs) else f"{r.choice(secs)} {i}"
        i += 1
        block = [f"## {name}", ""]
        kind = r.random()
        if name.startswith(("Plan", "Test")) or kind < 0.25:
            for _ in range(r.randint(3, 12)):
                mark = "x" if status == "complete" or r.random() < 0.4 else " "
                block.append(f"- [{mark}] {sentence(r, 3, 9)}")
                checks += 1
        elif kind < 0.35:
            block += [
                "```python",
                *(f"    {r.choice(WORDS)}_{j} = {r.randint(0, 999)}" for j in range(r.randint(3, 10))),
                "```",
            ]
        else:
            for _ in range(r.randint(1, 3)):
                block += [paragraph(r), ""]
            if r.random() < 0.3:
                block += [f"### {sentence(r, 2, 4)[:-1]}", "", paragraph(r)]
        block.append("")
        out += block
        size += sum(len(x) + 1 for x in block)
    return "\n".join(out), checks


def generate(root: Path, n: int, seed: int = 1) -> dict[str, int]:
    """Write a project with ``n`` specs under ``root`` (replaced if it exists)."""
    r = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    specs = root / "specs"
    (specs / "archived").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    cfg = {
        "template": "spec-template.md",
        "specsDir": "specs",
        "structure": {
            "pattern": "flat",
            "prefix": "",
            "dateFormat": "YYYYMMDD",
            "sequenceDigits": 3,
            "defaultFile": "README.md",
        },
    }
    (root / ".lean-spec" / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    # The fixture's template (LeanSpec 0.3.0's create refuses to run without it).
    (root / ".lean-spec" / "templates").mkdir()
    (root / ".lean-spec" / "templates" / "spec-template.md").write_text(TEMPLATE)
    names: list[str] = []
    total_bytes = 0
    archived = sub_count = 0
    for num in range(1, n + 1):
        name = f"{num:03d}-{slug(r)}"
        names.append(name)
        is_archived = r.random() < 0.08
        status = "archived" if is_archived and r.random() < 0.5 else r.choice(STATUSES)
        priority = r.choice(PRIORITIES)
        day = 1 + (num * 7) % 700
        created = f"{2024 + day // 365}-{1 + (day % 365) // 31:02d}-{1 + day % 28:02d}"
        tags = sorted(set(r.sample(TAGS, r.randint(1, 6))))
        fm = [
            "---",
            f"status: {status}",
            f"created: '{created}'",
            "tags:",
            *(f"  - {t}" for t in tags),
            f"priority: {priority}",
        ]
        if names[:-1] and r.random() < 0.35:
            deps = sorted(set(r.sample(names[:-1], min(len(names) - 1, r.randint(1, 3)))))
            fm += ["depends_on:", *(f"  - {d}" for d in deps)]
        if names[:-1] and r.random() < 0.1:
            fm.append(f"parent: {r.choice(names[:-1])}")
        if r.random() < 0.2:
            fm.append(f"assignee: {r.choice(('alice', 'bob', 'carol', 'dave'))}")
        fm += [
            f"created_at: '{created}T{num % 24:02d}:{num % 60:02d}:00.000Z'",
            f"updated_at: '{created}T23:{num % 60:02d}:00.000Z'",
        ]
        if status == "complete":
            fm += [f"completed_at: '{created}T23:59:00.000Z'", f"completed: '{created}'"]
        if r.random() < 0.5:
            fm += ["transitions:", "  - status: in-progress", f"    at: '{created}T12:00:00.000Z'"]
        fm.append("---")
        # Sizes: log-uniform between 2 KB and 20 KB (mean ~8-9 KB, like the fixture).
        target = int(2000 * (10 ** r.random()))
        title = sentence(r, 2, 6)[:-1]
        body, _checks = body_text(r, title, status if status in EMOJI else "planned", priority, created, tags, target)
        text = "\n".join(fm) + "\n\n" + body
        d = (specs / "archived" / name) if is_archived else (specs / name)
        archived += is_archived
        d.mkdir()
        data = text.encode("utf-8")
        (d / "README.md").write_bytes(data)
        total_bytes += len(data)
        if r.random() < 0.25:
            for fn in r.sample(SUB_FILES, r.randint(1, 3)):
                sub = f"# {fn[:-3].title()}\n\n" + "\n\n".join(paragraph(r) for _ in range(r.randint(2, 8))) + "\n"
                (d / fn).write_text(sub)
                sub_count += 1
    return {"specs": n, "archived": archived, "sub_spec_files": sub_count, "readme_bytes": total_bytes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, required=True, help="number of specs")
    ap.add_argument("--out", required=True, help="project folder to (re)create")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    info = generate(Path(a.out), a.n, a.seed)
    print(json.dumps({"root": os.path.abspath(a.out), "seed": a.seed, **info}))


if __name__ == "__main__":
    main()
