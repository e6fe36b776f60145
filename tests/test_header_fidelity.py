"""LeanSpec 2026 fidelity: a spec without a ``> **Status**:`` header line (LeanSpec
0.3.0 writes none) keeps its body byte for byte on metadata changes; only frontmatter
lines change. A spec that has the line (the December-2025 era) gets it updated in
place, and ``statusHeader.insert`` opts in to adding one. Also: the update rules run
without a disk (``rules.update`` over a ``Document`` and an in-memory world)."""

from __future__ import annotations

import datetime as _dt
import difflib
import json
from pathlib import Path

from leanspec.core.config import Config
from leanspec.core.frontmatter import Document
from leanspec.core.model import ListResult
from leanspec.core.refs import Entry
from leanspec.rules.update import UpdateOps, apply_update

SPEC_2026 = """---
status: planned
created: 2026-02-11
priority: high
tags:
- tui
- ux
created_at: 2026-02-11T09:12:44.123456789Z
updated_at: 2026-02-11T09:12:44.123456789Z
---
# TUI sidebar

## Overview

Sidebar with the spec tree.

## Plan

- [ ] Tree widget
- [ ] Keyboard focus
"""

SPEC_2025 = """---
status: planned
created: '2025-12-01'
priority: medium
tags:
  - api
---

# Old spec

> **Status**: 📅 Planned · **Priority**: Medium · **Created**: 2025-12-01 · **Tags**: api

## Overview

Text.
"""


def _project(root: Path, name: str, text: str, config: dict | None = None) -> Path:
    (root / ".lean-spec").mkdir(parents=True)
    if config is not None:
        (root / ".lean-spec" / "config.json").write_text(json.dumps(config))
    d = root / "specs" / name
    d.mkdir(parents=True)
    (d / "README.md").write_text(text)
    return d / "README.md"


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def test_2026_spec_body_untouched_by_tag_and_status_updates(tmp_path: Path, cli) -> None:
    readme = _project(tmp_path / "p", "369-tui-sidebar", SPEC_2026)
    root = tmp_path / "p"
    r = cli(root, "update", "369", "--add-tags", "sidebar", "--remove-tags", "ux")
    assert r.code == 0, r.err
    r = cli(root, "update", "369", "--status", "in-progress", "--priority", "critical", "--assignee", "ana")
    assert r.code == 0, r.err
    after = readme.read_text()
    assert _body(after) == _body(SPEC_2026)  # not one byte of the body changed
    assert "**Status**" not in after
    changed = _changed_lines(SPEC_2026, after)
    fm_end = after.index("\n---\n")
    for line in changed:
        if line.startswith("+"):
            assert after.index(line[1:] + "\n") < fm_end, f"a changed line outside the frontmatter: {line!r}"
    assert "+- sidebar" in changed and "-- ux" in changed and "+status: in-progress" in changed


def test_2025_header_line_is_updated_in_place(tmp_path: Path, cli) -> None:
    readme = _project(tmp_path / "p", "001-old-spec", SPEC_2025)
    assert cli(tmp_path / "p", "update", "1", "--status", "in-progress").code == 0
    after = readme.read_text()
    header = [line for line in after.splitlines() if line.startswith("> **Status**")]
    assert len(header) == 1 and "In Progress" in header[0]
    body_changes = [c for c in _changed_lines(_body(SPEC_2025), _body(after))]
    assert len(body_changes) == 2 and all("**Status**" in c for c in body_changes)


def test_insert_is_opt_in(tmp_path: Path, cli) -> None:
    readme = _project(tmp_path / "p", "369-tui-sidebar", SPEC_2026, config={"statusHeader": {"insert": True}})
    assert cli(tmp_path / "p", "update", "369", "--status", "in-progress").code == 0
    assert "> **Status**" in readme.read_text()


class _World:
    """An in-memory project for the update rules."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.clock = lambda: _dt.datetime(2026, 3, 1, 12, 0, tzinfo=_dt.UTC)

    def entries(self) -> list[Entry]:
        return []

    def resolve(self, ref: str, entries: object = None) -> Entry:
        raise AssertionError("no lookups expected")

    def load_all(self, *, include_archived: bool = True) -> ListResult:
        return ListResult([], [])


def test_rules_apply_without_a_disk() -> None:
    doc = Document.parse(SPEC_2026, path="369-tui-sidebar/README.md")
    e = Entry("369-tui-sidebar", 369, Path("/nonexistent/369-tui-sidebar"), "369-tui-sidebar", False, None)
    changed = apply_update(_World(Config()), doc, e, None, UpdateOps(status="in-progress", add_tags=["x"]), False)
    assert changed == ["status", "tags"]
    assert doc.data["status"] == "in-progress" and doc.data["tags"] == ["tui", "ux", "x"]
    assert doc.data["transitions"][-1] == {"status": "in-progress", "at": "2026-03-01T12:00:00.000Z"}
    assert _body(doc.render()) == _body(SPEC_2026)
