"""Helpers for the insight tests (board, stats, graph, CLI): write spec files directly
(plain frontmatter markdown, no leanspec code involved) and read them back
independently, so expected numbers never come from the code under test."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import yaml

UTC = dt.UTC


def ts(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def _dump(fm: dict[str, Any]) -> str:
    """Fast, plain YAML (block lists, quoted strings) — like the files TS writes."""
    out = []
    for k, v in fm.items():
        if v is None:
            continue
        if isinstance(v, list):
            if not v:
                out.append(f"{k}: []")
                continue
            out.append(f"{k}:")
            for item in v:
                if isinstance(item, dict):
                    first = True
                    for ik, iv in item.items():
                        out.append(f"  {'- ' if first else '  '}{ik}: {_yaml_scalar(iv)}")
                        first = False
                else:
                    out.append(f"  - {_yaml_scalar(item)}")
        else:
            out.append(f"{k}: {_yaml_scalar(v)}")
    return "\n".join(out)


def write_spec(
    root: Path,
    number: int,
    slug: str,
    fm: dict[str, Any],
    *,
    title: str | None = None,
    archived: bool = False,
    body: str = "",
) -> Path:
    base = root / "specs" / ("archived" if archived else "")
    d = base / f"{number:03d}-{slug}"
    d.mkdir(parents=True, exist_ok=True)
    t = title or slug.replace("-", " ").title()
    text = f"---\n{_dump(fm)}\n---\n\n# {t}\n\n## Overview\n\n{body or 'Generated for tests.'}\n"
    (d / "README.md").write_text(text, encoding="utf-8")
    return d


def new_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / ".lean-spec").mkdir(exist_ok=True)
    return root


def read_frontmatters(root: Path) -> list[dict[str, Any]]:
    """Every spec's frontmatter via PyYAML, plus ``_name`` and ``_archived_dir``."""
    out = []
    specs = root / "specs"
    for readme in sorted(specs.rglob("README.md")):
        if readme.parent == specs:
            continue
        text = readme.read_text(encoding="utf-8")
        _, fm_text, _body = text.split("---", 2)
        fm = yaml.safe_load(fm_text) or {}
        fm["_name"] = readme.parent.name
        fm["_archived_dir"] = "archived" in readme.relative_to(specs).parts[:-1]
        out.append(fm)
    return out


def column_of(fm: dict[str, Any]) -> str:
    """The board column a spec belongs in, computed independently of leanspec."""
    st = str(fm.get("status", "planned")).lower()
    if fm["_archived_dir"] or st == "archived":
        return "archived"
    return st if st in ("draft", "planned", "in-progress", "complete") else "planned"


STATUS_WEIGHTS = [("planned", 30), ("in-progress", 15), ("complete", 40), ("draft", 5), ("archived", 5), ("bogus", 5)]
TAGS = ["api", "ui", "cli", "mcp", "perf", "security", "docs", "infra", "search", "auth", "db", "ux"]
PEOPLE = ["alice", "bob", "chen", "dana", None, None]


def generate_project(root: Path, n: int = 1000, *, seed: int = 7, now: dt.datetime | None = None) -> Path:
    """``n`` specs with realistic statuses, priorities, tags, assignees, timestamps,
    transitions, due dates, parents and an acyclic depends_on graph (refs mostly by
    folder name, some by bare number, a few to specs that do not exist)."""
    rng = random.Random(seed)
    now = now or dt.datetime.now(UTC)
    new_project(root)
    names: list[str] = []
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    for i in range(1, n + 1):
        slug = f"feature-{i}-{rng.choice(TAGS)}"
        name = f"{i:03d}-{slug}"
        status = rng.choice(statuses)
        created = now - dt.timedelta(days=rng.uniform(1, 150))
        fm: dict[str, Any] = {
            "status": status,
            "created": created.date().isoformat(),
            "priority": rng.choice(["low", "medium", "medium", "high", "critical", None]),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
        }
        who = rng.choice(PEOPLE)
        if who:
            fm["assignee"] = who
        deps = []
        if names and rng.random() < 0.6:
            for _ in range(rng.randint(1, 3)):
                j = rng.randrange(len(names))
                r = rng.random()
                if r < 0.1:
                    deps.append(f"{j + 1:03d}")  # bare number
                elif r < 0.13:
                    deps.append(f"{9000 + j}-missing-spec")
                else:
                    deps.append(names[j])
        if deps:
            fm["depends_on"] = list(dict.fromkeys(deps))
        if names and rng.random() < 0.1:
            fm["parent"] = names[rng.randrange(min(len(names), 20))]
        if rng.random() < 0.3:
            fm["due"] = (created + dt.timedelta(days=rng.randint(5, 90))).date().isoformat()
        fm["created_at"] = ts(created)
        trans = []
        if status in ("in-progress", "complete", "archived"):
            started = created + dt.timedelta(days=rng.uniform(0, 10))
            if started < now:
                trans.append({"status": "in-progress", "at": ts(started)})
                if status in ("complete", "archived"):
                    done = started + dt.timedelta(days=rng.uniform(0.1, 20))
                    if done < now:
                        trans.append({"status": "complete", "at": ts(done)})
                        fm["completed_at"] = ts(done)
                        fm["completed"] = done.date().isoformat()
        if trans:
            fm["transitions"] = trans
            fm["updated_at"] = trans[-1]["at"]
        archived_dir = status == "archived" and rng.random() < 0.5
        if archived_dir:
            fm["status"] = "complete" if "completed_at" in fm else "planned"
        write_spec(root, i, slug, fm, archived=archived_dir)
        names.append(name)
    return root
