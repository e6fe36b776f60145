"""check: duplicate spec numbers in the working tree (the real fixture has two 038s)
and numbers that collide across real local git branches; --fix renumbers and rewrites
references."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document

HAS_GIT = subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_AUTHOR_DATE": "2025-02-01T00:00:00+00:00",
        "GIT_COMMITTER_DATE": "2025-02-01T00:00:00+00:00",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    p = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def fm(path: Path) -> dict:
    return Document.parse(path.read_text(encoding="utf-8")).data


# ------------------------------------------------------------------ local duplicates
def test_fixture_duplicate_038_is_reported(fixture_project: Path, cli) -> None:
    r = cli(fixture_project, "check", "--json")
    assert r.code == 1
    data = r.json
    assert data["ok"] is False
    assert data["duplicates"] == [
        {"number": 38, "specs": ["archived/038-flat-structure-migration", "archived/038-mcp-frontmatter-bug-fix"]}
    ]
    assert data["branch_conflicts"] == []
    text = cli(fixture_project, "check", "--no-branches")
    assert text.code == 1 and "038" in text.out and "--fix" in text.out
    q = cli(fixture_project, "check", "-q")
    assert q.code == 1 and "--fix" not in q.out


def test_fix_renumbers_the_newer_one_and_rewrites_depends_on(fixture_project: Path, cli) -> None:
    # 045 depends on the newer 038 (created 2025-11-04; the other 038 is from 2025-11-03).
    r = cli(fixture_project, "link", "045", "--depends-on", "038-mcp-frontmatter-bug-fix")
    assert r.code == 0, r.err
    dependent = fixture_project / "specs" / "045-unified-dashboard" / "README.md"
    before = dependent.read_text()
    r = cli(fixture_project, "check", "--fix", "--no-branches", "--json")
    assert r.code == 0, r.out + r.err
    data = r.json
    assert data["ok"] is True and data["duplicates"] == []
    assert data["fixed"] == [
        {"from": "archived/038-mcp-frontmatter-bug-fix", "to": "archived/156-mcp-frontmatter-bug-fix"}
    ]
    archived = fixture_project / "specs" / "archived"
    assert (archived / "038-flat-structure-migration" / "README.md").is_file()
    assert not (archived / "038-mcp-frontmatter-bug-fix").exists()
    assert (archived / "156-mcp-frontmatter-bug-fix" / "README.md").is_file()
    deps = fm(dependent)["depends_on"]
    assert "156-mcp-frontmatter-bug-fix" in deps and "038-mcp-frontmatter-bug-fix" not in deps
    # Only the depends_on line (and updated_at) changed in the dependent spec.
    changed = [ln for ln in dependent.read_text().splitlines() if ln not in before.splitlines()]
    assert all("156-mcp-frontmatter-bug-fix" in ln or ln.startswith("updated_at:") for ln in changed), changed
    assert cli(fixture_project, "check", "--no-branches").code == 0
    assert cli(fixture_project, "view", "156").code == 0
    # Running --fix again changes nothing.
    r = cli(fixture_project, "check", "--fix", "--no-branches", "--json")
    assert r.code == 0 and r.json["fixed"] == []


# ------------------------------------------------------------------ across branches
def spec(root: Path, name: str, created: str, extra: str = "") -> None:
    d = root / "specs" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "README.md").write_text(f"---\nstatus: planned\ncreated: '{created}'\n{extra}---\n\n# {name}\n")


@pytest.fixture
def branches(tmp_path: Path) -> Path:
    """main has 001; feat-a and feat-b both created a 002 from main."""
    root = tmp_path / "team"
    (root / ".lean-spec").mkdir(parents=True)
    (root / ".lean-spec" / ".gitignore").write_text("*.lock\ncache/\n")
    spec(root, "001-base", "2025-01-01")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-q", "-b", "feat-a")
    spec(root, "002-alpha", "2025-02-01")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "alpha")
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-q", "-b", "feat-b")
    spec(root, "002-beta", "2025-02-03")
    spec(root, "003-uses-beta", "2025-02-04", "depends_on:\n  - 002-beta\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "beta")
    return root


@pytest.mark.skipif(not HAS_GIT, reason="git")
def test_branch_conflict_is_reported_with_branch_names(branches: Path, cli) -> None:
    r = cli(branches, "check", "--json")
    assert r.code == 1
    data = r.json
    assert data["duplicates"] == []
    assert data["branch_conflicts"] == [
        {"number": 2, "entries": [{"branch": "feat-a", "name": "002-alpha"}, {"branch": "feat-b", "name": "002-beta"}]}
    ]
    # feat-b's 003-uses-beta vs nothing else: no conflict for 003.
    text = cli(branches, "check")
    assert "002-alpha (feat-a)" in text.out and "002-beta (feat-b)" in text.out
    assert cli(branches, "check", "--no-branches").code == 0
    # From main, both unmerged feature branches are compared with each other.
    git(branches, "checkout", "-q", "main")
    r = cli(branches, "check", "--json")
    assert r.code == 1 and r.json["branch_conflicts"][0]["number"] == 2


@pytest.mark.skipif(not HAS_GIT, reason="git")
def test_fix_moves_the_newer_branch_spec_and_is_a_no_op_on_the_older_branch(branches: Path, cli) -> None:
    # On feat-a, 002-alpha is the older spec: it keeps its number.
    git(branches, "checkout", "-q", "feat-a")
    r = cli(branches, "check", "--fix", "--json")
    assert r.json["fixed"] == [] and r.code == 1
    assert (branches / "specs" / "002-alpha").is_dir()
    assert "run `lean-spec check --fix` there" in cli(branches, "check", "--fix").out
    assert "feat-b" in cli(branches, "check", "--fix").out
    # On feat-b, 002-beta is newer: it moves past every number used on any branch.
    git(branches, "checkout", "-q", "feat-b")
    r = cli(branches, "check", "--fix", "--json")
    assert r.code == 0, r.out
    assert r.json["fixed"] == [{"from": "002-beta", "to": "004-beta"}]
    assert r.json["branch_conflicts"] == []
    assert fm(branches / "specs" / "003-uses-beta" / "README.md")["depends_on"] == ["004-beta"]
    git(branches, "add", "-A")
    git(branches, "commit", "-qm", "renumber")
    git(branches, "checkout", "-q", "feat-a")
    assert cli(branches, "check").code == 0
    # Merging both now gives distinct numbers.
    git(branches, "merge", "-q", "--no-edit", "feat-b")
    r = cli(branches, "check", "--json")
    assert r.code == 0 and r.json["duplicates"] == []


def test_outside_git_branches_are_skipped_by_default(empty_project: Path, cli) -> None:
    spec(empty_project, "001-a", "2025-01-01")
    r = cli(empty_project, "check", "--json")
    assert r.code == 0 and r.json == {"ok": True, "duplicates": [], "branch_conflicts": [], "duplicate_slugs": []}
    r = cli(empty_project, "check", "--branches", "--json")
    assert r.code != 0 and "git" in r.json["error"]["message"]
