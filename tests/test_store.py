"""Store-level guarantees: symlinks and modes on replace, temp files invisible and
cleaned up, all-or-nothing create, numbering, group folders, sub-spec writes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from leanspec.core.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    MalformedSpec,
    SpecNotFound,
    TemplateError,
    WriteFailed,
)
from leanspec.core.frontmatter import Document
from leanspec.project import Project
from leanspec.rules.update import UpdateOps
from leanspec.store import fsutil
from leanspec.store.store import Store


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ----------------------------------------------------------- symlink, mode
def test_symlinked_readme_outside_is_refused(cli, fixture_project: Path, tmp_path: Path) -> None:
    """Containment (docs/security.md): a README that is a symlink out of the project is
    a load problem, never read nor written through; the target is untouched."""
    sdir = fixture_project / "specs/150-tag-management"
    real = tmp_path / "elsewhere" / "real-150.md"
    real.parent.mkdir()
    (sdir / "README.md").rename(real)
    (sdir / "README.md").symlink_to(real)
    before = real.read_bytes()
    r = cli(fixture_project, "update", "150", "--add-tags", "via-link")
    assert r.code == 1 and "leads outside the project" in r.err, r.err
    assert real.read_bytes() == before
    assert [p.name for p in real.parent.iterdir()] == ["real-150.md"]
    link = sdir / "README.md"
    assert link.is_symlink() and os.readlink(link) == str(real)
    listed = cli(fixture_project, "list", "--json")
    assert listed.code == 0
    data = json.loads(listed.out)
    assert "150-tag-management" not in [s["name"] for s in data["specs"]]
    assert any("150-tag-management" in p["path"] for p in data["problems"])


def test_relative_symlink_kept(cli, fixture_project: Path) -> None:
    sdir = fixture_project / "specs/150-tag-management"
    (sdir / "README.md").rename(sdir / "SOURCE.md")
    (sdir / "README.md").symlink_to("SOURCE.md")
    assert cli(fixture_project, "update", "150", "--status", "in-progress").code == 0
    assert os.readlink(sdir / "README.md") == "SOURCE.md"
    assert Document.parse((sdir / "SOURCE.md").read_text(encoding="utf-8")).data["status"] == "in-progress"


def test_project_files_follow_the_containment_rule(empty_project: Path, tmp_path: Path) -> None:
    """``read/write/remove/symlink_project_file``: a file (or a folder on its way) that
    is a symlink out of the project is never read, written through or removed through;
    links that stay inside are followed; a link itself is removed, never its target."""
    root = empty_project
    out = tmp_path / "outside"
    (out / "tpl").mkdir(parents=True)
    (out / "tpl" / "bugfix.md").write_text("outside template")
    (out / "agents.md").write_text("outside agents")
    store = Store(root)
    tdir = root / ".lean-spec" / "templates"
    if tdir.exists():
        import shutil

        shutil.rmtree(tdir)
    tdir.symlink_to(out / "tpl")
    (root / "AGENTS.md").unlink(missing_ok=True)
    (root / "AGENTS.md").symlink_to(out / "agents.md")
    for rel in (".lean-spec/templates/bugfix.md", "AGENTS.md"):
        with pytest.raises(ConfigError, match="outside the project"):
            store.read_project_file(rel)
        with pytest.raises(WriteFailed, match="outside the project"):
            store.write_project_file(rel, b"through the link")
    with pytest.raises(WriteFailed, match="outside the project"):
        store.write_project_file(".lean-spec/templates/new/README.md", b"x")  # no mkdir through it
    with pytest.raises(WriteFailed, match="outside the project"):
        store.remove_project_file(".lean-spec/templates/bugfix.md")
    with pytest.raises(WriteFailed, match="outside the project"):
        store.symlink_project_file(".lean-spec/templates/LINK.md", "../../AGENTS.md")
    for rel in ("../x", "/etc/passwd", ".lean-spec/../../x", ""):
        with pytest.raises(InvalidInput):
            store.write_project_file(rel, b"x")
    with pytest.raises(InvalidInput):
        store.symlink_project_file("CLAUDE.md", "../../etc/passwd")
    assert sorted(p.name for p in (out / "tpl").iterdir()) == ["bugfix.md"]
    assert (out / "tpl" / "bugfix.md").read_text() == "outside template"
    assert (out / "agents.md").read_text() == "outside agents"
    # Removing a link removes the link, never its target.
    assert store.remove_project_file("AGENTS.md") and not os.path.lexists(root / "AGENTS.md")
    assert store.remove_project_file(".lean-spec/templates") and not os.path.lexists(tdir)
    assert (out / "tpl" / "bugfix.md").exists() and (out / "agents.md").exists()
    # Inside the project a link is followed: the write replaces its target.
    (root / "docs").mkdir()
    (root / "docs" / "AGENTS.md").write_text("old")
    (root / "AGENTS.md").symlink_to("docs/AGENTS.md")
    assert store.read_project_file("AGENTS.md") == "old"
    assert store.write_project_file("AGENTS.md", b"new")
    assert (root / "AGENTS.md").is_symlink() and (root / "docs" / "AGENTS.md").read_text() == "new"
    assert store.symlink_project_file("CLAUDE.md", "AGENTS.md") and (root / "CLAUDE.md").read_text() == "new"
    assert not store.symlink_project_file("CLAUDE.md", "AGENTS.md")  # exists: kept
    assert store.write_project_file(".lean-spec/templates/t/README.md", b"# T\n")
    assert store.read_project_file(".lean-spec/templates/t/README.md") == "# T\n"
    assert store.read_project_file(".lean-spec/templates/none.md") is None
    assert store.remove_project_file(".lean-spec/templates/t") and not (tdir / "t").exists()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_file_mode_preserved(cli, fixture_project: Path, mode: int) -> None:
    p = fixture_project / "specs/150-tag-management/README.md"
    p.chmod(mode)
    old = os.umask(0o077)  # a narrow umask must not narrow the kept mode
    try:
        assert cli(fixture_project, "update", "150", "--add-tags", "m").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == mode


def test_hard_link_is_broken_by_replace(cli, fixture_project: Path, tmp_path: Path) -> None:
    """Documented behaviour: an atomic replace installs a new inode, so a hard link
    elsewhere keeps the old content (we never write in place)."""
    p = fixture_project / "specs/150-tag-management/README.md"
    other = tmp_path / "hardlink.md"
    os.link(p, other)
    before = other.read_bytes()
    assert cli(fixture_project, "update", "150", "--add-tags", "h").code == 0
    assert other.read_bytes() == before and p.read_bytes() != before
    assert p.stat().st_ino != other.stat().st_ino


def test_atomic_write_refuses_read_only_even_for_root(tmp_path: Path) -> None:
    p = tmp_path / "f.md"
    p.write_text("x")
    p.chmod(0o444)
    with pytest.raises(WriteFailed) as ei:
        fsutil.atomic_write(p, b"y", folder=str(tmp_path))
    assert "read-only" in ei.value.message
    assert p.read_text() == "x" and os.listdir(tmp_path) == ["f.md"]


def test_atomic_write_reports_os_errors(tmp_path: Path) -> None:
    with pytest.raises(WriteFailed) as ei:
        fsutil.atomic_write(tmp_path / "missing-dir" / "f.md", b"y", folder=str(tmp_path))
    assert "cannot write" in ei.value.message
    with pytest.raises(WriteFailed) as ei:
        fsutil.atomic_write(tmp_path / ("n" * 300), b"y", folder=str(tmp_path))
    assert "file name too long" in ei.value.message


# ------------------------------------------------------------- temp files
def test_temp_files_are_invisible_and_cleaned_by_next_write(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    specs = fixture_project / "specs"
    sdir = specs / "150-tag-management"
    # What a writer killed mid-way leaves behind: a temp README and a half-built folder.
    stale_file = sdir / fsutil.tmp_name("README.md")
    stale_file.write_text("---\nstatus: [torn")
    stale_dir = specs / fsutil.tmp_name("156-half-built")
    stale_dir.mkdir()
    (stale_dir / "README.md").write_text("---\nstatus: planned\n---\n# Half\n")
    res = store.load_all()
    assert res.problems == []
    assert all(".lstmp-" not in s.name for s in res.specs)
    s150 = store.get("150")
    assert all(".lstmp-" not in f for f in s150.sub_specs)
    assert Project(store).files("150") == [
        {"name": "README.md", "path": "specs/150-tag-management/README.md", "type": "document", "size": (sdir / "README.md").stat().st_size}
    ]
    # The half-built folder's number is not taken...
    r = store.update("147", UpdateOps(add_tags=["x"]))  # any write cleans specs/
    assert r.written and not stale_dir.exists()
    assert stale_file.exists()  # per-spec temps go with the next write to that spec
    store.update("150", UpdateOps(add_tags=["x"]))
    assert not stale_file.exists()
    assert store.create("next").spec.number == 156


def test_create_is_all_or_nothing_on_failure(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    specs = fixture_project / "specs"
    before = sorted(p.name for p in specs.iterdir())
    with pytest.raises(TemplateError):
        store.create("x", template="no-such-template")
    with pytest.raises(MalformedSpec):
        store.create("y", content="---\nstatus: [bad\n---\n")
    with pytest.raises(InvalidInput):
        store.create("z", fields={"status": "x"})
    assert sorted(p.name for p in specs.iterdir()) == before


def test_create_detailed_template_writes_all_files_at_once(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    r = store.create("detailed-one", template="detailed", tags=["a", "b"], priority="high", assignee="bo")
    d = fixture_project / "specs" / r.spec.name
    assert sorted(p.name for p in d.iterdir()) == ["DESIGN.md", "PLAN.md", "README.md", "TEST.md"]
    assert r.spec.sub_specs == ["DESIGN.md", "PLAN.md", "TEST.md"]
    fm = r.spec.frontmatter
    assert fm["tags"] == ["a", "b"] and fm["priority"] == "high" and fm["assignee"] == "bo"
    assert r.spec.content_hash == sha(d / "README.md")
    assert "> **Assignee**: bo" in r.spec.body


# --------------------------------------------------------------- numbering
def test_next_number_counts_archived_groups_and_prefixes(empty_project: Path) -> None:
    specs = empty_project / "specs"
    (specs / "archived" / "041-old").mkdir(parents=True)
    (specs / "archived" / "041-old" / "README.md").write_text("---\nstatus: archived\n---\n# Old\n")
    (specs / "v2" / "007-grouped").mkdir(parents=True)
    (specs / "v2" / "007-grouped" / "README.md").write_text("---\nstatus: planned\n---\n# G\n")
    store = Store.open(empty_project)
    ents = store.entries()
    assert [(e.rel, e.archived, e.group) for e in ents] == [("v2/007-grouped", False, "v2"), ("archived/041-old", True, None)]
    r = store.create("fresh")
    assert r.spec.name == "042-fresh"
    assert store.get("7").group == "v2"
    assert store.get("007-grouped").path == "specs/v2/007-grouped/README.md"


def test_numbers_grow_past_the_padding(empty_project: Path) -> None:
    (empty_project / "specs" / "999-last").mkdir()
    (empty_project / "specs" / "999-last" / "README.md").write_text("---\nstatus: planned\n---\n# L\n")
    assert Store.open(empty_project).create("next").spec.name == "1000-next"


# ------------------------------------------------------------ other writes
def test_write_content_sub_spec_and_readme(fixture_project: Path) -> None:
    p = Project.open(fixture_project)
    design = fixture_project / "specs/045-unified-dashboard/DESIGN.md"
    h = sha(design)
    with pytest.raises(Conflict):
        p.write_content("045/DESIGN.md", "new", expected_hash="0" * 64)
    r = p.write_content("045/DESIGN.md", "# New design\n", expected_hash=h)
    assert r.written and design.read_text() == "# New design\n"
    r = p.write_content("045/NOTES.md", "# Notes\n")
    assert (fixture_project / "specs/045-unified-dashboard/NOTES.md").read_text() == "# Notes\n"
    assert "NOTES.md" in p.get("045").sub_specs
    for bad in ("045/.hidden.md", "045/" + fsutil.tmp_name("x.md"), "045/" + "n" * 300 + ".md"):
        with pytest.raises((InvalidInput, WriteFailed)):
            p.write_content(bad, "x")
    with pytest.raises(SpecNotFound):
        p.write_content("045/../x.md", "x")
    with pytest.raises(InvalidInput):
        p.write_content("045", "---\nstatus: nope\n---\n")
    assert not (fixture_project / "x.md").exists()


def test_set_fields_raw(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    p = fixture_project / "specs/147-json-config-format/README.md"
    r = store.set_fields("147", {"created_at": "2025-01-01T00:00:00.000Z", "epic": "E"})
    assert r.changed == ["created_at", "epic"]
    fm = Document.parse(p.read_text(encoding="utf-8")).data
    assert fm["created_at"] == "2025-01-01T00:00:00.000Z" and fm["epic"] == "E" and "updated_at" not in fm
    assert not store.set_fields("147", {"epic": "E"}).written
    assert store.set_fields("147", {"epic": None}).changed == ["epic"]


def test_update_ops_fields_and_assignee(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    r = store.update("147", UpdateOps(fields={"epic": "E1", "breaking": True}, assignee="al", title="New Title"))
    assert set(r.changed) == {"epic", "breaking", "assignee", "title"}
    s = store.get("147")
    assert s.title == "New Title" and s.assignee == "al" and s.frontmatter["breaking"] is True
    assert "> **Assignee**: al" in s.body
    r = store.update("147", UpdateOps(assignee="", fields={"epic": None}))
    assert set(r.changed) == {"assignee", "epic"}
    assert "assignee" not in store.get("147").frontmatter and "> **Assignee**" not in store.get("147").body


def test_updated_date_bumped_only_if_present(fixture_project: Path) -> None:
    store = Store.open(fixture_project)
    store.update("147", UpdateOps(add_tags=["a"]))
    assert "updated" not in store.get("147").frontmatter
    store.set_fields("147", {"updated": "2025-01-01"})
    store.update("147", UpdateOps(add_tags=["b"]))
    assert store.get("147").frontmatter["updated"] != "2025-01-01"
