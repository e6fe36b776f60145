"""init, examples and templates, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import cli_inprocess, cli_subprocess


def test_init_creates_project_files(tmp_path: Path) -> None:
    root = tmp_path / "p"
    r = cli_inprocess(None, "init", str(root), "--json")
    assert r.code == 0, r.err
    data = r.json
    assert data["ok"] is True
    cfg = json.loads((root / ".lean-spec" / "config.json").read_text())
    assert cfg["specsDir"] == "specs" and cfg["structure"]["sequenceDigits"] == 3
    assert (root / ".lean-spec" / "templates" / "spec-template.md").is_file()
    assert (root / "specs").is_dir()
    assert "lean-spec" in (root / "AGENTS.md").read_text()
    assert "*.lock" in (root / ".lean-spec" / ".gitignore").read_text()
    # The new project works end to end with the template.
    r = cli_inprocess(root, "create", "first-spec", "--json")
    assert r.code == 0, r.err
    readme = (root / "specs" / "001-first-spec" / "README.md").read_text()
    assert "# First Spec" in readme and "## Overview" in readme and "{name}" not in readme


def test_init_keeps_existing_files_unless_forced(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "AGENTS.md").write_text("my own instructions\n")
    r = cli_inprocess(None, "init", str(root), "--json")
    assert r.code == 0
    assert "AGENTS.md" in r.json["skipped"]
    assert (root / "AGENTS.md").read_text() == "my own instructions\n"
    cfg_before = (root / ".lean-spec" / "config.json").read_bytes()
    r = cli_inprocess(None, "init", str(root), "--json")
    assert ".lean-spec/config.json" in r.json["skipped"]
    assert (root / ".lean-spec" / "config.json").read_bytes() == cfg_before
    r = cli_inprocess(None, "init", str(root), "--force", "--json")
    assert "AGENTS.md" in r.json["created"]
    assert "lean-spec" in (root / "AGENTS.md").read_text()


def test_init_agent_tool_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "p"
    r = cli_inprocess(None, "init", str(root), "--agent-tools", "claude,copilot")
    assert r.code == 0, r.err
    assert os.readlink(root / "CLAUDE.md") == "AGENTS.md"
    assert (root / ".github" / "copilot-instructions.md").read_text() == (root / "AGENTS.md").read_text()
    bad = cli_inprocess(None, "init", str(tmp_path / "q"), "--agent-tools", "emacs")
    assert bad.code == 2 and "unknown agent tool" in bad.err


def test_detailed_template_creates_sub_specs(tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert cli_inprocess(None, "init", str(root), "--template", "detailed").code == 0
    r = cli_inprocess(root, "create", "big-feature", "--json")
    assert r.code == 0, r.err
    d = root / "specs" / "001-big-feature"
    assert sorted(p.name for p in d.iterdir()) == ["DESIGN.md", "PLAN.md", "README.md", "TEST.md"]
    assert "Big Feature: Design" in (d / "DESIGN.md").read_text()
    assert r.json["spec"]["sub_specs"] == ["DESIGN.md", "PLAN.md", "TEST.md"]


def test_example_project_is_a_working_board(tmp_path: Path) -> None:
    r = cli_subprocess(None, "init", "--example", "api-refactor", "--name", str(tmp_path / "demo"), "--json")
    assert r.code == 0, r.err
    root = tmp_path / "demo"
    r = cli_subprocess(root, "list", "--json")
    specs = {s["name"]: s for s in r.json["specs"]}
    assert len(specs) == 6
    auth = specs["003-auth-module"]
    assert auth["status"] == "in-progress" and auth["depends_on"] == ["002-endpoint-inventory"]
    assert auth["parent"] == "001-api-refactor-umbrella" and auth["sub_specs"] == ["DESIGN.md"]
    assert r.json["problems"] == []
    # Example into an existing non-empty folder is refused and changes nothing.
    again = cli_subprocess(None, "init", "--example", "api-refactor", "--name", str(root))
    assert again.code == 2 and "not empty" in again.err


def test_examples_and_unknown_example(tmp_path: Path) -> None:
    r = cli_inprocess(None, "examples", "--json")
    assert {e["name"] for e in r.json["examples"]} == {"api-refactor", "dark-theme", "dashboard-widgets"}
    r = cli_inprocess(None, "init", "--example", "nope", "--name", str(tmp_path / "x"))
    assert r.code == 2 and "unknown example" in r.err
    assert not (tmp_path / "x").exists()


def test_templates_lifecycle(tmp_path: Path) -> None:
    root = tmp_path / "p"
    cli_inprocess(None, "init", str(root))
    r = cli_inprocess(root, "templates", "--json")
    names = {t["name"] for t in r.json["templates"]}
    assert {"spec-template", "standard", "detailed"} <= names
    assert cli_inprocess(root, "templates", "copy", "standard", "bugfix").code == 0
    tfile = root / ".lean-spec" / "templates" / "bugfix.md"
    tfile.write_text(tfile.read_text().replace("## Overview", "## Bug\n\nSteps to reproduce.\n\n## Overview"))
    r = cli_inprocess(root, "create", "crash-on-login", "--template", "bugfix", "--json")
    assert r.code == 0, r.err
    assert "Steps to reproduce." in (root / "specs" / "001-crash-on-login" / "README.md").read_text()
    shown = cli_inprocess(root, "templates", "show", "bugfix")
    assert "Steps to reproduce." in shown.out
    # copy onto an existing name is refused
    assert cli_inprocess(root, "templates", "copy", "standard", "bugfix").code == 2
    assert cli_inprocess(root, "templates", "remove", "bugfix").code == 0
    assert not tfile.exists()
    assert cli_inprocess(root, "templates", "remove", "bugfix").code == 1
    assert cli_inprocess(root, "templates", "show", "../../etc/passwd").code == 2
    src = tmp_path / "adr.md"
    src.write_text("---\nstatus: planned\ncreated: '{date}'\n---\n\n# {name}\n\n## Decision\n")
    assert cli_inprocess(root, "templates", "add", "adr", str(src)).code == 0
    r = cli_inprocess(root, "create", "use-postgres", "-T", "adr", "--json")
    assert r.code == 0, r.err
    assert "## Decision" in (root / "specs" / "002-use-postgres" / "README.md").read_text()
