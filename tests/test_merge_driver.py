"""The spec merge driver: real `git merge` of real branches with the driver installed,
plus the pure frontmatter merge rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document
from leanspec.workflows.merge import merge_spec_text

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git")

BIN = str(Path(sys.executable).parent)


def genv() -> dict[str, str]:
    return {
        **os.environ,
        # git runs the driver command through the shell: put this interpreter's
        # lean-spec first on PATH.
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
    }


def git(root: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(["git", *args], cwd=root, env=genv(), capture_output=True, text=True, timeout=120)
    if ok:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def ls(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "--project", str(root), *args],
        env=genv(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return p


BODY = """
# Payments

> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-03-01 · **Tags**: api

## Overview

The first paragraph.

The second paragraph.

The third paragraph.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    (root / "specs" / "001-payments").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    (root / ".lean-spec" / ".gitignore").write_text("*.lock\ncache/\n")
    (root / "specs" / "001-payments" / "README.md").write_text(
        "---\nstatus: planned\ncreated: '2025-03-01'\npriority: medium\ntags:\n  - api\n"
        "updated_at: '2025-03-01T00:00:00.000Z'\n---\n" + BODY
    )
    git(root, "init", "-q", "-b", "main")
    r = ls(root, "merge-driver", "--install", "--json")
    assert r.returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def readme(root: Path) -> str:
    return (root / "specs" / "001-payments" / "README.md").read_text()


def test_install_is_idempotent(repo: Path) -> None:
    attrs = (repo / ".gitattributes").read_text()
    assert attrs.count("specs/**/*.md merge=leanspec") == 1
    ls(repo, "merge-driver", "--install")
    assert (repo / ".gitattributes").read_text() == attrs
    driver = git(repo, "config", "--get", "merge.leanspec.driver").stdout.strip()
    assert driver.endswith("merge-driver %O %A %B %P")
    assert git(repo, "config", "--get", "merge.leanspec.name").stdout.strip()
    assert git(repo, "check-attr", "merge", "specs/001-payments/README.md").stdout.strip().endswith("merge: leanspec")


def test_concurrent_metadata_edits_merge_cleanly(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "tags")
    ls(repo, "update", "001", "--add-tags", "billing", "--priority", "high")
    git(repo, "commit", "-qam", "tags")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "status")
    # This side edits later, so its updated_at is newer: its priority wins.
    ls(repo, "update", "001", "--status", "in-progress", "--add-tags", "urgent", "--priority", "critical")
    git(repo, "commit", "-qam", "status")
    git(repo, "checkout", "-q", "tags")

    # Without the driver git's own line merge conflicts on these neighbouring lines.
    rel = "specs/001-payments/README.md"
    for rev, name in (("main", "base"), ("tags", "ours"), ("status", "theirs")):
        (repo.parent / name).write_text(git(repo, "show", f"{rev}:{rel}").stdout)
    plain = git(repo.parent, "merge-file", "-p", "ours", "base", "theirs", ok=False)
    assert plain.returncode > 0 and "<<<<<<<" in plain.stdout

    m = git(repo, "merge", "--no-edit", "status", ok=False)
    assert m.returncode == 0, m.stdout + m.stderr
    text = readme(repo)
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    data = Document.parse(text).data
    assert data["tags"] == ["api", "billing", "urgent"]
    assert data["status"] == "in-progress"
    assert data["priority"] == "critical"  # both changed it; the newer edit wins
    assert [t["status"] for t in data["transitions"]] == ["in-progress"]
    assert "> **Status**: ⏳ In Progress · **Priority**: Critical" in text
    assert "**Tags**: api, billing, urgent" in text
    assert git(repo, "status", "--porcelain").stdout.strip() == ""


def test_body_conflict_keeps_markers_and_fails_the_merge(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "ours")
    ls(repo, "update", "001", "--replace", "The second paragraph.", "Ours rewrote it.", "--add-tags", "x")
    git(repo, "commit", "-qam", "ours")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "theirs")
    ls(repo, "update", "001", "--replace", "The second paragraph.", "Theirs rewrote it.", "--status", "in-progress")
    git(repo, "commit", "-qam", "theirs")
    git(repo, "checkout", "-q", "ours")
    m = git(repo, "merge", "--no-edit", "theirs", ok=False)
    assert m.returncode != 0
    assert "CONFLICT" in m.stdout + m.stderr
    text = readme(repo)
    assert "<<<<<<< ours\nOurs rewrote it.\n=======\nTheirs rewrote it.\n>>>>>>> theirs\n" in text
    # The frontmatter itself merged: no markers there.
    head = text.split("\n---\n", 1)[0]
    assert "<<<<<<<" not in head
    data = Document.parse(text).data
    assert data["status"] == "in-progress" and data["tags"] == ["api", "x"]
    assert "UU specs/001-payments/README.md" in git(repo, "status", "--porcelain").stdout


def test_driver_command_exit_codes(tmp_path: Path) -> None:
    base = "---\nstatus: planned\ntags: [a]\n---\n\n# T\n\nline\n"
    ours = base.replace("[a]", "[a, b]")
    theirs = base.replace("planned", "complete")
    files = {}
    for n, t in (("O", base), ("A", ours), ("B", theirs)):
        files[n] = tmp_path / n
        files[n].write_text(t)
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "merge-driver", str(files["O"]), str(files["A"]), str(files["B"]), "x.md"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    assert files["A"].read_text() == "---\nstatus: complete\ntags: [a, b]\n---\n\n# T\n\nline\n"
    files["A"].write_text(ours.replace("line", "ours"))
    files["B"].write_text(theirs.replace("line", "theirs"))
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "merge-driver", str(files["O"]), str(files["A"]), str(files["B"])],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 1
    assert "<<<<<<<" in files["A"].read_text()
    bad = subprocess.run([sys.executable, "-m", "leanspec", "merge-driver", "only-one"], capture_output=True, text=True)
    assert bad.returncode != 0 and "BASE OURS THEIRS" in bad.stderr


def test_frontmatter_rules() -> None:
    base = "---\nstatus: planned\npriority: medium\ntags:\n  - a\n  - gone\ndepends_on:\n  - 001-x\nupdated_at: '2025-01-01T00:00:00.000Z'\ncustom: keep\n---\nbody\n"
    ours = (
        base.replace("  - gone\n", "  - b\n")
        .replace("priority: medium", "priority: high")
        .replace("T00:00:00.000Z", "T05:00:00.000Z")
        + ""
    ).replace("custom: keep\n", "custom: keep\ntransitions:\n  - status: planned\n    at: '2025-01-01T05:00:00.000Z'\n")
    theirs = (
        base.replace("  - a\n", "  - a\n  - c\n")
        .replace("priority: medium", "priority: low")
        .replace("depends_on:\n  - 001-x\n", "depends_on:\n  - 001-x\n  - 002-y\n")
        .replace("T00:00:00.000Z", "T03:00:00.000Z")
        .replace(
            "custom: keep\n",
            "custom: keep\nowner: team\ntransitions:\n  - status: in-progress\n    at: '2025-01-01T02:00:00.000Z'\n",
        )
    )
    text, conflicted = merge_spec_text(base, ours, theirs)
    assert not conflicted
    d = Document.parse(text).data
    assert d["tags"] == ["a", "b", "c"]  # 'gone' was removed by ours: it stays removed
    assert d["depends_on"] == ["001-x", "002-y"]
    assert d["priority"] == "high"  # ours is newer (05:00 > 03:00)
    assert d["updated_at"] == "2025-01-01T05:00:00.000Z"
    assert [t["status"] for t in d["transitions"]] == ["in-progress", "planned"]  # by time
    assert d["owner"] == "team" and d["custom"] == "keep"
    assert list(d)[:4] == ["status", "priority", "tags", "depends_on"]  # ours' key order
    assert text.endswith("---\nbody\n")
