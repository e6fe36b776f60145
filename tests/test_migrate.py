"""migrate: small Spec Kit, OpenSpec, ADR and Backlog.md trees made in the test are
imported through the store; sources stay byte-for-byte unchanged; re-runs skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document


def write(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def specs(project: Path) -> dict[str, dict]:
    out = {}
    for readme in sorted((project / "specs").glob("*/README.md")) + sorted(
        (project / "specs").glob("archived/*/README.md")
    ):
        out[readme.parent.name] = Document.parse(readme.read_text(encoding="utf-8")).data
    return out


@pytest.fixture
def speckit(tmp_path: Path) -> Path:
    src = tmp_path / "sk"
    f1 = src / ".specify" / "specs" / "001-photo-albums"
    write(
        f1 / "spec.md",
        "# Feature Specification: Photo Albums\n\n**Feature Branch**: `001-photo-albums`\n"
        "**Created**: 2025-09-01\n**Status**: Draft\n\n## User Scenarios\n\nUsers group photos.\n",
    )
    write(f1 / "plan.md", "# Implementation Plan\n\nUse SQLite.\n")
    write(f1 / "tasks.md", "# Tasks\n\n- [x] T001 setup\n- [ ] T002 albums\n")
    write(f1 / "data-model.md", "# Data model\n")
    f2 = src / ".specify" / "specs" / "002-sharing"
    write(f2 / "spec.md", "# Feature Specification: Sharing\n\n**Created**: 2025-09-03\n\nShare albums.\n")
    write(f2 / "tasks.md", "- [x] T001 done\n- [X] T002 done\n")
    return src


def test_speckit_import(speckit: Path, empty_project: Path, cli) -> None:
    before = tree(speckit)
    r = cli(empty_project, "migrate", str(speckit), "--json")
    assert r.code == 0, r.out + r.err
    data = r.json
    assert data["formats"] == ["speckit"]
    assert [c["spec"] for c in data["created"]] == ["001-photo-albums", "002-sharing"]
    s = specs(empty_project)
    a = s["001-photo-albums"]
    assert a["status"] == "in-progress"  # one of two tasks done
    assert a["created"] == "2025-09-01"
    assert a["migrated_from"].endswith(".specify/specs/001-photo-albums/spec.md")
    assert "speckit" in a["tags"]
    assert s["002-sharing"]["status"] == "complete"
    folder = empty_project / "specs" / "001-photo-albums"
    assert sorted(p.name for p in folder.iterdir()) == ["DATA-MODEL.md", "PLAN.md", "README.md", "TASKS.md"]
    assert (folder / "PLAN.md").read_text() == "# Implementation Plan\n\nUse SQLite.\n"
    readme = (folder / "README.md").read_text()
    assert "# Feature Specification: Photo Albums" in readme and "Users group photos." in readme
    assert tree(speckit) == before  # sources untouched
    # Idempotent: a second run creates nothing.
    r = cli(empty_project, "migrate", str(speckit), "--json")
    assert r.code == 0 and r.json["created"] == [] and len(r.json["skipped"]) == 2
    assert len(specs(empty_project)) == 2


def test_rerun_fills_sub_specs_an_interrupted_run_missed(speckit: Path, empty_project: Path, cli) -> None:
    assert cli(empty_project, "migrate", str(speckit)).code == 0
    plan = empty_project / "specs" / "001-photo-albums" / "PLAN.md"
    plan.unlink()
    assert cli(empty_project, "migrate", str(speckit)).code == 0
    assert plan.read_text() == "# Implementation Plan\n\nUse SQLite.\n"


def test_dry_run_and_limit(speckit: Path, empty_project: Path, cli) -> None:
    r = cli(empty_project, "migrate", str(speckit), "--dry-run", "--json")
    assert r.code == 0
    assert [c["name"] for c in r.json["created"]] == ["photo-albums", "sharing"]
    assert r.json["created"][0]["files"] == ["DATA-MODEL.md", "PLAN.md", "TASKS.md"]
    assert list((empty_project / "specs").iterdir()) == []
    r = cli(empty_project, "migrate", str(speckit), "--limit", "1", "--json")
    assert r.code == 0 and len(r.json["created"]) == 1
    assert list(specs(empty_project)) == ["001-photo-albums"]


def test_openspec_import(tmp_path: Path, empty_project: Path, cli) -> None:
    src = tmp_path / "os"
    write(src / "openspec" / "project.md", "# Project\n")
    write(src / "openspec" / "specs" / "auth" / "spec.md", "# Auth Specification\n\n### Requirement: Login\n")
    ch = src / "openspec" / "changes" / "add-2fa"
    write(ch / "proposal.md", "## Why\n\nPhishing.\n\n## What Changes\n\n- add TOTP\n")
    write(ch / "tasks.md", "## 1. Implementation\n\n- [ ] 1.1 Add TOTP\n")
    write(ch / "design.md", "## Context\n\nTOTP.\n")
    write(ch / "specs" / "auth" / "spec.md", "## ADDED Requirements\n")
    arch = src / "openspec" / "changes" / "archive" / "2025-08-01-add-login"
    write(arch / "proposal.md", "## Why\n\nLogin.\n")
    before = tree(src)
    r = cli(empty_project, "migrate", str(src), "--from", "openspec", "--json")
    assert r.code == 0, r.out + r.err
    names = [c["spec"] for c in r.json["created"]]
    assert names == ["001-auth", "002-add-2fa", "003-add-login"]
    s = specs(empty_project)
    assert s["001-auth"]["status"] == "complete"
    assert s["002-add-2fa"]["status"] == "planned"
    assert s["003-add-login"]["status"] == "complete" and s["003-add-login"]["created"] == "2025-08-01"
    files = sorted(p.name for p in (empty_project / "specs" / "002-add-2fa").iterdir())
    assert files == ["DELTA-AUTH.md", "DESIGN.md", "README.md", "TASKS.md"]
    body = (empty_project / "specs" / "002-add-2fa" / "README.md").read_text()
    assert "# Add 2fa" in body and "Phishing." in body
    assert tree(src) == before


def test_adr_import(tmp_path: Path, empty_project: Path, cli) -> None:
    src = tmp_path / "adrs"
    write(
        src / "doc" / "adr" / "0001-record-architecture-decisions.md",
        "# 1. Record architecture decisions\n\nDate: 2024-05-02\n\n## Status\n\nAccepted\n\n## Context\n\nWe need records.\n",
    )
    write(
        src / "doc" / "adr" / "0002-use-postgres.md",
        "# 2. Use Postgres\n\nDate: 2024-06-10\n\n## Status\n\nSuperseded by [3. Use SQLite](0003-use-sqlite.md)\n",
    )
    write(src / "doc" / "adr" / "0003-use-sqlite.md", "# 3. Use SQLite\n\n## Status\n\nProposed\n")
    write(
        src / "docs" / "decisions" / "0004-madr.md",
        "---\nstatus: accepted\ndate: 2024-07-01\n---\n# Use MADR\n\nText.\n",
    )
    r = cli(empty_project, "migrate", str(src), "--json")
    assert r.code == 0, r.out + r.err
    assert r.json["formats"] == ["adr"]
    s = specs(empty_project)
    assert sorted(s) == ["001-record-architecture-decisions", "002-use-postgres", "003-use-sqlite", "004-madr"]
    assert s["001-record-architecture-decisions"]["status"] == "complete"
    assert s["001-record-architecture-decisions"]["created"] == "2024-05-02"
    assert s["002-use-postgres"]["status"] == "archived"
    assert s["002-use-postgres"]["adr_status"].startswith("Superseded by")
    assert s["003-use-sqlite"]["status"] == "planned"
    assert s["004-madr"]["status"] == "complete" and s["004-madr"]["created"] == "2024-07-01"
    assert "adr" in s["004-madr"]["tags"]
    # An archived decision lives where archived specs live; its H1 loses the ADR number.
    readme = (empty_project / "specs" / "archived" / "002-use-postgres" / "README.md").read_text()
    assert "\n# Use Postgres\n" in readme and "# 2." not in readme


def test_backlog_import(tmp_path: Path, empty_project: Path, cli) -> None:
    src = tmp_path / "bl"
    write(
        src / "backlog" / "tasks" / "task-1 - Set up CI.md",
        "---\nid: task-1\ntitle: Set up CI\nstatus: Done\nassignee:\n  - '@alice'\ncreated_date: '2025-06-10 14:02'\n"
        "updated_date: '2025-06-12 09:00'\nlabels:\n  - infra\n  - ci\ndependencies: []\npriority: high\n---\n\n"
        "## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\nGitHub Actions.\n<!-- SECTION:DESCRIPTION:END -->\n",
    )
    write(
        src / "backlog" / "tasks" / "task-2 - Deploy.md",
        "---\nid: task-2\ntitle: Deploy\nstatus: In Progress\nassignee: []\ncreated_date: '2025-06-11'\n"
        "labels: [ops]\ndependencies:\n  - task-1\n  - task-99\n---\n\nShip it.\n",
    )
    write(
        src / "backlog" / "tasks" / "task-3 - Docs.md", "---\nid: task-3\ntitle: Docs\nstatus: To Do\n---\n\nWrite.\n"
    )
    before = tree(src)
    r = cli(empty_project, "migrate", str(src / "backlog"), "--json")
    assert r.code == 0, r.out + r.err
    assert r.json["formats"] == ["backlog"]
    s = specs(empty_project)
    assert list(s) == ["001-set-up-ci", "002-deploy", "003-docs"]
    ci = s["001-set-up-ci"]
    assert ci["status"] == "complete" and ci["assignee"] == "alice" and ci["priority"] == "high"
    assert ci["tags"] == ["infra", "ci"] and ci["created"] == "2025-06-10"
    assert ci["completed_at"] == "2025-06-12T00:00:00.000Z"
    dep = s["002-deploy"]
    assert dep["status"] == "in-progress" and dep["depends_on"] == ["001-set-up-ci"]
    assert s["003-docs"]["status"] == "planned"
    assert any("task-99" in w for w in r.json["warnings"])
    assert "GitHub Actions." in (empty_project / "specs" / "001-set-up-ci" / "README.md").read_text()
    assert tree(src) == before


def test_bad_input_changes_nothing(tmp_path: Path, empty_project: Path, cli) -> None:
    r = cli(empty_project, "migrate", str(tmp_path / "nope"), "--json")
    assert r.code != 0 and r.json["error"]["code"] == "invalid_input"
    (tmp_path / "emptysrc").mkdir()
    r = cli(empty_project, "migrate", str(tmp_path / "emptysrc"), "--json")
    assert r.code != 0 and "no Spec Kit" in r.json["error"]["message"]
    bad = tmp_path / "bin"
    write(bad / "doc" / "adr" / "0001-x.md", "")
    (bad / "doc" / "adr" / "0001-x.md").write_bytes(b"\xff\xfe\x00binary")
    r = cli(empty_project, "migrate", str(bad), "--json")
    assert r.code != 0 and "UTF-8" in r.json["error"]["message"]
    # One NUL-bearing file among good ones: nothing at all is imported.
    (bad / "doc" / "adr" / "0001-x.md").write_text("# 1. X\n\x00\n")
    write(bad / "doc" / "adr" / "0002-y.md", "# 2. Y\n")
    r = cli(empty_project, "migrate", str(bad), "--json")
    assert r.code != 0 and "NUL" in r.json["error"]["message"]
    assert list((empty_project / "specs").iterdir()) == []
    r = cli(empty_project, "migrate", str(tmp_path), "--from", "nonsense")
    assert r.code == 2


def test_speckit_specs_layout_and_own_specs_folder(tmp_path: Path, cli) -> None:
    # Newer Spec Kit keeps features in specs/NNN-name/spec.md.
    src = tmp_path / "newer"
    write(src / "specs" / "003-search" / "spec.md", "# Feature Specification: Search\n\nFind things.\n")
    write(src / "specs" / "003-search" / "plan.md", "# Plan\n")
    target = tmp_path / "target"
    (target / "specs").mkdir(parents=True)
    r = cli(target, "migrate", str(src), "--json")
    assert r.code == 0, r.out + r.err
    assert [c["spec"] for c in r.json["created"]] == ["001-search"]
    assert sorted(p.name for p in (target / "specs" / "001-search").iterdir()) == ["PLAN.md", "README.md"]
    # Importing a project's own specs/ folder into itself would mix two layouts: refused.
    before = tree(src)
    r = cli(src, "migrate", str(src), "--json")
    assert r.code != 0 and "specsDir" in r.json["error"]["hint"]
    assert tree(src) == before


def test_concurrent_imports_of_one_source_create_each_spec_once(tmp_path: Path, empty_project: Path) -> None:
    import subprocess
    import sys

    src = tmp_path / "many"
    for i in range(1, 13):
        write(src / "doc" / "adr" / f"{i:04d}-decision-{i}.md", f"# {i}. Decision {i}\n\n## Status\n\nAccepted\n")
    cmd = [sys.executable, "-m", "leanspec", "--project", str(empty_project), "migrate", str(src), "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    s = specs(empty_project)
    sources = sorted(v["migrated_from"] for v in s.values())
    assert len(s) == 12 and len(set(sources)) == 12  # every ADR exactly once
    assert sorted(int(n[:3]) for n in s) == list(range(1, 13))  # numbers 1..12, no gaps or repeats
