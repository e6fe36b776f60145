"""backfill: timestamps, transitions and assignee from one real `git log` pass over a
history made in the test (known authors and dates via GIT_* environment variables)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git")


def git(root: Path, *args: str, when: str = "2025-01-01T00:00:00+00:00", who: str = "Alice") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": f"{who.lower()}@example.com",
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": f"{who.lower()}@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    p = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def write_spec(root: Path, rel: str, status: str, created: str, extra: str = "", body_extra: str = "") -> None:
    p = root / "specs" / rel / "README.md"
    p.parent.mkdir(parents=True, exist_ok=True)
    title = rel.rsplit("/", 1)[-1].split("-", 1)[1].title()
    p.write_text(
        f"---\nstatus: {status}\ncreated: '{created}'\npriority: medium\n{extra}---\n\n# {title}\n\n## Overview\n\nText.{body_extra}\n",
        encoding="utf-8",
    )


def commit(root: Path, msg: str, when: str, who: str = "Alice") -> None:
    git(root, "add", "-A", when=when, who=who)
    git(root, "commit", "-q", "-m", msg, when=when, who=who)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".lean-spec").mkdir(parents=True)
    (root / ".lean-spec" / ".gitignore").write_text("*.lock\ncache/\n")
    git(root, "init", "-q", "-b", "main")
    # 001: planned -> in-progress -> complete, by Alice then Bob.
    write_spec(root, "001-alpha", "planned", "2025-01-10")
    commit(root, "create alpha", "2025-01-10T09:00:00+01:00")
    write_spec(root, "001-alpha", "in-progress", "2025-01-10")
    write_spec(root, "002-beta", "planned", "2025-01-12")
    commit(root, "start alpha, create beta", "2025-01-12T10:00:00+00:00")
    write_spec(root, "001-alpha", "complete", "2025-01-10")
    commit(root, "complete alpha", "2025-01-15T16:30:00+00:00", who="Bob")
    # 002 is completed and archived (moved into archived/) in one later commit.
    (root / "specs" / "archived").mkdir()
    git(root, "mv", "specs/002-beta", "specs/archived/002-beta")
    write_spec(root, "archived/002-beta", "complete", "2025-01-12")
    commit(root, "complete and archive beta", "2025-01-20T12:00:00+00:00", who="Bob")
    # 003 is created as 003-gamma and renumbered to 005-gamma later (history follows).
    write_spec(root, "003-gamma", "planned", "2025-01-21")
    commit(root, "create gamma", "2025-01-21T08:00:00+00:00", who="Carol")
    git(root, "mv", "specs/003-gamma", "specs/005-gamma")
    commit(root, "renumber gamma", "2025-01-22T08:00:00+00:00")
    # 006 exists only in the working tree.
    write_spec(root, "006-untracked", "planned", "2025-02-01")
    return root


def fm(root: Path, rel: str) -> dict:
    return Document.parse((root / "specs" / rel / "README.md").read_text(encoding="utf-8")).data


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "specs").rglob("*")) if p.is_file()}


def test_backfill_fills_exactly_the_history_timestamps(repo: Path, cli) -> None:
    r = cli(repo, "backfill", "--json")
    assert r.code == 0, r.err
    data = r.json
    assert data["ok"] is True and data["dry_run"] is False
    assert data["commits"] == 6
    a = fm(repo, "001-alpha")
    assert a["created_at"] == "2025-01-10T08:00:00.000Z"  # +01:00 converted to UTC
    assert a["updated_at"] == "2025-01-15T16:30:00.000Z"
    assert a["completed_at"] == "2025-01-15T16:30:00.000Z"
    assert "transitions" not in a and "assignee" not in a  # only with --transitions/--assignee
    b = fm(repo, "archived/002-beta")
    assert b["created_at"] == "2025-01-12T10:00:00.000Z"  # followed across the move into archived/
    assert b["completed_at"] == "2025-01-20T12:00:00.000Z"
    g = fm(repo, "005-gamma")
    assert g["created_at"] == "2025-01-21T08:00:00.000Z"  # followed across the renumbering
    assert "completed_at" not in g
    assert data["no_history"] == ["006-untracked"]
    assert "created_at" not in fm(repo, "006-untracked")
    # Minimal diff: the original lines are untouched, the new keys appended.
    text = (repo / "specs" / "001-alpha" / "README.md").read_text()
    assert text.startswith(
        "---\nstatus: complete\ncreated: '2025-01-10'\npriority: medium\ncreated_at: '2025-01-10T08:00:00.000Z'\n"
    )
    assert text.endswith("## Overview\n\nText.\n")


def test_transitions_and_assignee(repo: Path, cli) -> None:
    r = cli(repo, "backfill", "--all", "--json")
    assert r.code == 0, r.err
    a = fm(repo, "001-alpha")
    assert a["transitions"] == [
        {"status": "planned", "at": "2025-01-10T08:00:00.000Z"},
        {"status": "in-progress", "at": "2025-01-12T10:00:00.000Z"},
        {"status": "complete", "at": "2025-01-15T16:30:00.000Z"},
    ]
    assert a["assignee"] == "Alice"  # first commit's author, not Bob who completed it
    assert fm(repo, "005-gamma")["assignee"] == "Carol"
    assert fm(repo, "archived/002-beta")["transitions"][-1] == {"status": "complete", "at": "2025-01-20T12:00:00.000Z"}


def test_dry_run_writes_nothing(repo: Path, cli) -> None:
    before = snapshot(repo)
    r = cli(repo, "backfill", "--dry-run", "--all", "--json")
    assert r.code == 0, r.err
    assert snapshot(repo) == before
    data = r.json
    assert data["dry_run"] is True and data["updated"] == 0
    alpha = next(s for s in data["specs"] if s["name"] == "001-alpha")
    assert alpha["changes"]["completed_at"] == "2025-01-15T16:30:00.000Z"
    assert alpha["written"] is False
    text = cli(repo, "backfill", "--dry-run").out
    assert "would set" in text and "nothing was written" in text


def test_idempotent_and_keeps_existing_values_unless_forced(repo: Path, cli) -> None:
    p = repo / "specs" / "005-gamma" / "README.md"
    p.write_text(
        p.read_text().replace("priority: medium\n", "priority: medium\ncreated_at: '2024-12-31T00:00:00.000Z'\n")
    )
    assert cli(repo, "backfill").code == 0
    assert fm(repo, "005-gamma")["created_at"] == "2024-12-31T00:00:00.000Z"  # not overwritten
    after_first = snapshot(repo)
    r = cli(repo, "backfill", "--json")
    assert r.code == 0
    assert snapshot(repo) == after_first  # second run: nothing to do
    assert r.json["updated"] == 0
    r = cli(repo, "backfill", "005-gamma", "--force", "--json")
    assert r.code == 0, r.err
    assert fm(repo, "005-gamma")["created_at"] == "2025-01-21T08:00:00.000Z"
    assert [s["name"] for s in r.json["specs"]] == ["005-gamma"]


def test_bootstrap_sets_missing_status_and_created(tmp_path: Path, cli) -> None:
    root = tmp_path / "legacy"
    (root / "specs" / "001-old").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    readme = root / "specs" / "001-old" / "README.md"
    readme.write_text("# Old\n\n> **Status**: 🗓️ Planned\n\nBody.\n")
    commit(root, "old", "2024-03-01T12:00:00+00:00")
    readme.write_text("# Old\n\n> **Status**: ✅ Complete\n\nBody.\n")
    commit(root, "done", "2024-03-05T12:00:00+00:00")
    r = cli(root, "backfill", "--bootstrap", "--json")
    assert r.code == 0, r.err
    data = fm(root, "001-old")
    assert data["status"] == "complete"
    assert data["created"] == "2024-03-01"
    assert data["completed_at"] == "2024-03-05T12:00:00.000Z"
    assert readme.read_text().endswith("# Old\n\n> **Status**: ✅ Complete\n\nBody.\n")


def test_errors_are_clear_and_change_nothing(repo: Path, tmp_path: Path, cli) -> None:
    before = snapshot(repo)
    r = cli(repo, "backfill", "999", "--json")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"
    assert snapshot(repo) == before
    plain = tmp_path / "plain"
    (plain / "specs" / "001-x").mkdir(parents=True)
    (plain / "specs" / "001-x" / "README.md").write_text("---\nstatus: planned\n---\n# X\n")
    r = cli(plain, "backfill", "--json")
    assert r.code != 0
    assert "not inside a git repository" in r.json["error"]["message"]


def test_no_progress_output_on_a_pipe(repo: Path, cli_proc) -> None:
    r = cli_proc(repo, "backfill", "--dry-run")
    assert r.code == 0, r.err
    assert r.err == ""


def test_progress_on_a_terminal(repo: Path) -> None:
    import sys

    from conftest import run_on_tty

    code, shown, out = run_on_tty(
        [sys.executable, "-m", "leanspec", "--project", str(repo), "backfill", "--dry-run"], stream="stderr"
    )
    assert code == 0
    err = shown.decode()
    assert "backfill 1/4" in err and "backfill 4/4" in err
    assert "\r" not in out.decode()  # the counter never reaches stdout


def test_status_lines_in_the_body_are_not_transitions(tmp_path: Path, cli) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_spec(root, "001-doc", "planned", "2025-05-01")
    commit(root, "create", "2025-05-01T10:00:00+00:00")
    # A YAML example in the body mentions `status: complete`: no transition, no completed_at.
    write_spec(root, "001-doc", "planned", "2025-05-01", body_extra="\n\n```yaml\nstatus: complete\n```")
    commit(root, "example", "2025-05-02T10:00:00+00:00")
    r = cli(root, "backfill", "--transitions", "--json")
    assert r.code == 0, r.err
    data = fm(root, "001-doc")
    assert data["transitions"] == [{"status": "planned", "at": "2025-05-01T10:00:00.000Z"}]
    assert "completed_at" not in data
    assert data["updated_at"] == "2025-05-02T10:00:00.000Z"
