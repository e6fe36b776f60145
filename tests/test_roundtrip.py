"""Round trips and minimal diffs over the real fixture.

* load-then-save of every .md in the fixture is byte-identical;
* an update that changes nothing writes nothing (same inode, same mtime);
* a real edit changes only the lines it must, checked with `git diff` in a real repo;
* CRLF, BOM and flow-list files keep their style.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE
from leanspec.core.frontmatter import Document
from leanspec.rules.update import UpdateOps
from leanspec.store.store import Store

ALL_MD = sorted(p.relative_to(FIXTURE).as_posix() for p in FIXTURE.rglob("*.md")) if FIXTURE.is_dir() else []


@pytest.mark.parametrize("rel", ALL_MD)
def test_parse_render_is_byte_identical(rel: str) -> None:
    text = (FIXTURE / rel).read_bytes().decode("utf-8")
    doc = Document.parse(text, path=rel)
    assert doc.render() == text


def test_fixture_has_many_files() -> None:
    assert len(ALL_MD) >= 40


@pytest.mark.parametrize(
    "variant",
    ["crlf", "bom", "bom+crlf", "no-newline-at-end", "no-frontmatter", "empty-frontmatter", "dots-close", "comments"],
)
def test_parse_render_variants(variant: str) -> None:
    base = (FIXTURE / "specs/018-spec-validation/README.md").read_text(encoding="utf-8")
    text = {
        "crlf": base.replace("\n", "\r\n"),
        "bom": "\ufeff" + base,
        "bom+crlf": "\ufeff" + base.replace("\n", "\r\n"),
        "no-newline-at-end": base.rstrip("\n"),
        "no-frontmatter": base.split("---\n", 2)[2],
        "empty-frontmatter": "---\n---\n# T\n",
        "dots-close": base.replace("\n---\n", "\n...\n", 1),
        "comments": base.replace("priority: critical", "# a comment\npriority: critical  # why"),
    }[variant]
    assert Document.parse(text).render() == text


def _stamp(p: Path) -> tuple[int, int, bytes]:
    st = p.stat()
    return st.st_ino, st.st_mtime_ns, p.read_bytes()


def test_no_effective_change_writes_nothing_for_every_spec(fixture_project: Path) -> None:
    """For every spec in the fixture: re-setting its own status/priority/tags, its own
    body, or its whole file, is a no-op: same bytes, same inode, same mtime."""
    store = Store.open(fixture_project)
    res = store.load_all()
    assert len(res.specs) == 17 and res.problems == []
    for s in res.specs:
        p = fixture_project / s.path
        before = _stamp(p)
        ops = [
            UpdateOps(status=s.status),
            UpdateOps(priority=s.priority) if s.priority else UpdateOps(status=s.status),
            UpdateOps(add_tags=list(s.tags[:2])) if s.tags else UpdateOps(status=s.status),
            UpdateOps(tags=list(s.tags)) if s.tags else UpdateOps(status=s.status),
            UpdateOps(remove_tags=["surely-not-a-tag"]),
            UpdateOps(content=s.body),
            UpdateOps(replacements=[(s.title, s.title, "first")]) if s.title in s.body else UpdateOps(content=s.body),
            UpdateOps(sections=[("Overview", "", "append")]) if "## Overview" in s.body else UpdateOps(content=s.body),
            UpdateOps(content=p.read_text(encoding="utf-8")),
        ]
        for op in ops:
            r = store.update(s.name, op)
            assert not r.written and r.changed == [], (s.name, op, r.changed)
            assert r.spec.content_hash == s.content_hash
        assert _stamp(p) == before, s.name
        # write_file with the same text is a no-op too.
        r = store.write_file(s.name, None, p.read_text(encoding="utf-8"))
        assert not r.written
        assert _stamp(p) == before, s.name


def test_cli_update_without_change_writes_nothing(cli, fixture_project: Path) -> None:
    p = fixture_project / "specs/045-unified-dashboard/README.md"
    before = _stamp(p)
    r = cli(fixture_project, "update", "045", "--status", "complete", "--priority", "high", "--add-tags", "ux", "--json")
    assert r.code == 0
    assert r.json["written"] is False and r.json["changed"] == []
    assert _stamp(p) == before


# ------------------------------------------------------------- minimal diffs
def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env).stdout


@pytest.fixture
def repo(fixture_project: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    _git(fixture_project, "init", "-q")
    _git(fixture_project, "add", "-A")
    _git(fixture_project, "commit", "-qm", "fixture")
    return fixture_project


def _changed_lines(repo: Path) -> tuple[list[str], list[str]]:
    diff = _git(repo, "diff", "-U0", "--no-color")
    minus = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    plus = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return minus, plus


def _files_changed(repo: Path) -> list[str]:
    return _git(repo, "diff", "--name-only").split()


def test_add_tags_diff_is_minimal(cli, repo: Path) -> None:
    r = cli(repo, "update", "147", "--add-tags", "t")
    assert r.code == 0, r.err
    assert _files_changed(repo) == ["specs/147-json-config-format/README.md"]
    minus, plus = _changed_lines(repo)
    assert minus == ["> **Status**: 📅 Planned · **Priority**: Medium · **Created**: 2025-12-05"]
    assert plus[0] == "  - t"  # the list's own indentation
    assert re.fullmatch(r"updated_at: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z'", plus[1])
    assert plus[2] == "> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-12-05 · **Tags**: ui, config, breaking-change, t"
    assert len(plus) == 3


def test_add_tags_on_spec_with_updated_at_replaces_that_line(cli, repo: Path) -> None:
    r = cli(repo, "update", "150", "--add-tags", "t")
    assert r.code == 0, r.err
    minus, plus = _changed_lines(repo)
    assert minus == [
        "updated_at: '2025-12-05T05:25:39.016Z'",
        "> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-12-05 · **Tags**: cli, mcp, dx, governance, metadata",
    ]
    assert plus[0] == "  - t"
    assert plus[1].startswith("updated_at: '") and plus[1] != minus[0]
    assert plus[2].endswith("**Tags**: cli, mcp, dx, governance, metadata, t")
    assert len(plus) == 3


def test_status_change_adds_one_transition_keeps_style(cli, repo: Path) -> None:
    p = repo / "specs/018-spec-validation/README.md"
    keys_before = [k for k in Document.parse(p.read_text(encoding="utf-8")).data]
    r = cli(repo, "update", "018", "--status", "in-progress")
    assert r.code == 0, r.err
    doc = Document.parse(p.read_text(encoding="utf-8"))
    assert list(doc.data) == keys_before  # same keys, same order
    minus, plus = _changed_lines(repo)
    assert minus == [
        "status: complete",
        "updated_at: '2025-12-04T06:45:54.057Z'",
        "> **Status**: ✅ Complete · **Priority**: Critical · **Created**: 2025-11-02 · **Tags**: quality, validation, cli, first-principles, v0.2.0",
    ]
    assert plus[0] == "status: in-progress"
    assert plus[1].startswith("updated_at: '")
    # Exactly one new transition, in the file's own indentation and quoting.
    assert plus[2] == "  - status: in-progress"
    assert re.fullmatch(r"    at: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z'", plus[3])
    assert plus[4].startswith("> **Status**: ⏳ In Progress · **Priority**: Critical")
    assert len(plus) == 5
    assert [t["status"] for t in doc.data["transitions"]] == ["in-progress", "complete", "in-progress"]


def test_transitions_with_odd_entries_survive(cli, repo: Path) -> None:
    """045's transitions list ends with a bare string (real data); a status change
    appends after it and leaves it alone."""
    r = cli(repo, "update", "045", "--status", "in-progress")
    assert r.code == 0, r.err
    trans = Document.parse((repo / "specs/045-unified-dashboard/README.md").read_text(encoding="utf-8")).data["transitions"]
    assert trans[3] == "121-mcp-first-agent-experience"
    assert trans[4]["status"] == "in-progress"
    minus, plus = _changed_lines(repo)
    assert "  - 121-mcp-first-agent-experience" not in minus


def test_flow_list_stays_flow(cli, repo: Path) -> None:
    r = cli(repo, "update", "038-flat-structure-migration", "--add-tags", "zz", "--remove-tags", "migration")
    assert r.code == 0, r.err
    minus, plus = _changed_lines(repo)
    assert "tags: [structure, migration, breaking-change, enhancement]" in minus
    assert "tags: [structure, breaking-change, enhancement, zz]" in plus


def test_no_change_leaves_git_clean(cli, repo: Path) -> None:
    for ref in ("018", "045", "147", "038-flat-structure-migration"):
        s = cli(repo, "view", ref, "--json").json
        r = cli(repo, "update", ref, "--status", s["status"], "--tags", ",".join(s["tags"]))
        assert r.code == 0
    assert _files_changed(repo) == []


@pytest.mark.parametrize("style", ["crlf", "bom", "bom+crlf"])
def test_crlf_and_bom_kept(cli, fixture_project: Path, style: str) -> None:
    p = fixture_project / "specs/018-spec-validation/README.md"
    text = p.read_text(encoding="utf-8")
    if "crlf" in style:
        text = text.replace("\n", "\r\n")
    if "bom" in style:
        text = "\ufeff" + text
    p.write_bytes(text.encode("utf-8"))
    for args in (
        ("--add-tags", "t1"),
        ("--status", "in-progress"),
        ("--replace", "Spec Validation", "Spec Checks", "--match-first"),
        ("--section", "Overview", "--append", "more\nlines"),
        ("--check", "zzz-nonexistent"),
    ):
        r = cli(fixture_project, "update", "018", *args)
        assert r.code in (0, 1), r.err
        data = p.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == ("bom" in style)
        assert data.count(b"\xef\xbb\xbf") == (1 if "bom" in style else 0)
        if "crlf" in style:
            assert data.count(b"\n") == data.count(b"\r\n"), args  # no lone LF
        else:
            assert b"\r" not in data
    doc = Document.parse(p.read_bytes().decode("utf-8"))
    assert doc.data["status"] == "in-progress" and "t1" in doc.data["tags"]
    assert "more\r\nlines" in doc.body if "crlf" in style else "more\nlines" in doc.body


def test_bare_dates_stay_bare(cli, fixture_project: Path) -> None:
    """A file written by the Rust tool (unquoted dates) keeps its style."""
    p = fixture_project / "specs/147-json-config-format/README.md"
    text = p.read_text(encoding="utf-8").replace("'2025-12-05'", "2025-12-05").replace(
        "'2025-12-05T04:42:31.397Z'", "2025-12-05T04:42:31.397Z"
    )
    p.write_text(text, encoding="utf-8")
    r = cli(fixture_project, "update", "147", "--status", "in-progress")
    assert r.code == 0, r.err
    out = p.read_text(encoding="utf-8")
    # Lines we did not touch keep their bare dates...
    assert "\ncreated: 2025-12-05\n" in out
    assert "\ncreated_at: 2025-12-05T04:42:31.397Z\n" in out
    # ...and timestamps we write are quoted, so every YAML reader sees a string.
    assert re.search(r"\nupdated_at: '\d{4}-\d\d-\d\dT[\d:.]+Z'\n", out), out[:600]


def test_rust_style_zero_indent_lists(cli, fixture_project: Path) -> None:
    """0.3.0 / Rust LeanSpec writes `- x` at column 0. Adding a tag and a transition
    must keep that indent (it used to emit `  - x`, which the verify step refused)."""
    p = fixture_project / "specs/018-spec-validation/README.md"
    text = p.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    head = re.sub(r"(?m)^  (- |  )", r"\1", head)  # dedent every list by two spaces
    p.write_text(head + "\n---\n" + body, encoding="utf-8")
    before = p.read_text(encoding="utf-8")
    assert "\n- quality\n" in before and "\n- status: in-progress\n  at: " in before
    r = cli(fixture_project, "update", "018", "--add-tags", "rs", "--status", "in-progress")
    assert r.code == 0, r.err
    out = p.read_text(encoding="utf-8")
    assert "\n- v0.2.0\n- rs\n" in out
    assert re.search(r"\n- status: in-progress\n  at: '[^']+'\n", out.split("- status: complete")[1])
    doc = Document.parse(out)
    assert doc.data["tags"][-1] == "rs" and doc.data["transitions"][-1]["status"] == "in-progress"
    assert "\n  - " not in out.split("\n---\n", 1)[0]  # no mixed indentation
