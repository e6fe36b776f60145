"""Bad input: every case gives a clear error and a non-zero exit, and leaves every
file in the project byte-identical (the whole tree is hashed before and after).

The only files a refused command may create are the project's local, git-ignored
state: the empty lock file ``.lean-spec/write.lock``, ``.lean-spec/.gitignore`` (which
keeps it out of git) and the read cache under ``.lean-spec/cache/``. They are
excluded from the hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document

LOCAL_STATE = {".lean-spec/write.lock", ".lean-spec/.gitignore"}


def tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel in LOCAL_STATE or rel == ".lean-spec/cache" or rel.startswith(".lean-spec/cache/"):
            continue
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() + f":{stat.S_IMODE(p.stat().st_mode):o}"
    return out


def refused(cli, root: Path, *args: str, exit_code: int | None = None, code: str | None = None, says: str = "") -> dict:
    """Run a command that must fail; check exit code, JSON error and stderr; return the error.

    The exit code defaults to 2 for ``invalid_input`` (a usage error) and 1 otherwise."""
    if exit_code is None:
        exit_code = 2 if code == "invalid_input" else 1
    before = tree(root)
    r = cli(root, *args, "--json")
    assert r.code == exit_code, (args, r.code, r.out, r.err)
    err = json.loads(r.out)["error"]
    if code:
        assert err["code"] == code, err
    assert says.lower() in err["message"].lower(), err
    assert r.err.startswith("error: ") and "Traceback" not in r.err, r.err
    assert tree(root) == before, f"{args} changed files"
    return err


# ------------------------------------------------------------------- values
def test_invalid_status_and_priority(cli, fixture_project: Path) -> None:
    err = refused(cli, fixture_project, "update", "147", "--status", "bogus", code="invalid_input", says="invalid status 'bogus'")
    assert "in-progress" in err["message"] and err["details"]["allowed"][0] == "draft"
    refused(cli, fixture_project, "update", "147", "--priority", "urgent", code="invalid_input", says="invalid priority")
    refused(cli, fixture_project, "create", "new-one", "--status", "done", code="invalid_input", says="invalid status")
    refused(cli, fixture_project, "create", "new-one", "--priority", "p0", code="invalid_input", says="invalid priority")
    # The frontmatter of --content is validated too (it used to be written as given).
    refused(cli, fixture_project, "create", "new-one", "--content", "---\nstatus: bogus\n---\n# X\n", code="invalid_input", says="invalid status 'bogus'")
    refused(cli, fixture_project, "create", "new-one", "--content", "---\nstatus: planned\npriority: zzz\n---\n# X\n", code="invalid_input", says="invalid priority")
    # A whole-file --content is validated the same way.
    refused(cli, fixture_project, "update", "147", "--content", "---\nstatus: bogus\n---\n# X\n", code="invalid_input", says="invalid status")
    refused(cli, fixture_project, "update", "147", "--content", "---\nstatus: planned\npriority: asap\n---\n# X\n", code="invalid_input", says="invalid priority")
    # Several specs in one update: the failing one is reported, exit 1.
    before = tree(fixture_project)
    r = cli(fixture_project, "update", "147", "nosuch", "--status", "bogus", "--json")
    assert r.code == 1
    assert len(json.loads(r.out)["errors"]) == 2
    assert tree(fixture_project) == before


def test_other_invalid_update_options(cli, fixture_project: Path) -> None:
    root = fixture_project
    refused(cli, root, "update", "147", "--field", "bad key=1", code="invalid_input", says="invalid field name")
    refused(cli, root, "update", "147", "--field", "status=done", code="invalid_input", says="has its own option")
    refused(cli, root, "update", "147", "--field", "novalue", code="invalid_input", says="KEY=VALUE")
    refused(cli, root, "update", "147", "--replace", "no such text anywhere", "x", code="no_match", says="text not found")
    refused(cli, root, "update", "147", "--replace", "the", "x", code="no_match", says="times")
    refused(cli, root, "update", "147", "--check", "no such item", code="no_match", says="no checklist item")
    refused(cli, root, "update", "147", "--section", "No Such Heading", "--append", "x", code="no_match", says="section not found")
    refused(cli, root, "update", "147", "--section", "Overview", code="invalid_input", says="--section needs")
    refused(cli, root, "update", "147", code="invalid_input", says="nothing to update")
    refused(cli, root, "update", "147", "--content-file", str(root / "missing.md"), code="invalid_input", says="cannot read")
    refused(cli, root, "update", "147", "--content", "---\nstatus: [broken\n---\n", code="malformed_spec", says="invalid YAML")
    refused(cli, root, "update", "147", "155", "--expected-hash", "0" * 64, "--add-tags", "x", code="invalid_input", says="one spec at a time")


# ------------------------------------------------------------ unknown specs
def test_unknown_and_ambiguous_specs(cli, fixture_project: Path) -> None:
    root = fixture_project
    err = refused(cli, root, "update", "nosuch", "--status", "planned", exit_code=3, code="spec_not_found", says="spec not found: nosuch")
    refused(cli, root, "view", "999", exit_code=3, code="spec_not_found")
    refused(cli, root, "archive", "nosuch", exit_code=3, code="spec_not_found")
    refused(cli, root, "link", "147", "nosuch", exit_code=3, code="spec_not_found")
    refused(cli, root, "create", "dep-on-nothing", "--depends-on", "nosuch", exit_code=3, code="spec_not_found")
    refused(cli, root, "create", "orphan", "--parent", "nosuch", exit_code=3, code="spec_not_found")
    assert "hint" in err
    # The fixture really has two specs numbered 038: never guess.
    for args in (("view", "038"), ("update", "038", "--add-tags", "x"), ("update", "38", "--status", "planned"), ("archive", "038"), ("link", "147", "038")):
        err = refused(cli, root, *args, exit_code=4, code="ambiguous_spec", says="ambiguous")
        assert err["details"]["candidates"] == [
            "archived/038-flat-structure-migration",
            "archived/038-mcp-frontmatter-bug-fix",
        ]
        assert "archived/038-flat-structure-migration" in err["message"]
        assert "archived/038-mcp-frontmatter-bug-fix" in err["message"]
    # The full folder name is never ambiguous.
    r = cli(root, "view", "038-mcp-frontmatter-bug-fix", "--json")
    assert r.code == 0 and r.json["name"] == "038-mcp-frontmatter-bug-fix"


def test_ambiguous_message_on_stderr_lists_both(cli_proc, fixture_project: Path) -> None:
    r = cli_proc(fixture_project, "view", "038")
    assert r.code == 4
    assert "038-flat-structure-migration" in r.err and "038-mcp-frontmatter-bug-fix" in r.err
    assert "hint: use the full folder name" in r.err


# ------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "name,says",
    [
        ("../x", "path separators"),
        ("/abs/x", "path separators"),
        ("..\\x", "path separators"),
        ("a/b", "path separators"),
        ("~root", "path separators"),
        ("   ", "empty"),
        ("!!!", "no letters or digits"),
        ("a" * 300, "too long"),
        ("é" * 70, "too long"),  # 140 bytes of UTF-8
    ],
)
def test_unsafe_or_bad_names_refused(cli, fixture_project: Path, name: str, says: str) -> None:
    refused(cli, fixture_project, "create", name, code="invalid_input", says=says)
    assert not (fixture_project / "x").exists() and not Path("/abs/x").exists()


def test_long_but_allowed_name_works(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "create", "b" * 120, "--json")
    assert r.code == 0, r.err
    assert (fixture_project / "specs" / ("156-" + "b" * 120) / "README.md").is_file()


def test_unicode_names_work(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "create", "Ünïcødé spec 日本語", "--json")
    assert r.code == 0, r.err
    s = r.json["spec"]
    assert s["name"] == "156-ünïcødé-spec-日本語"
    assert s["title"] == "Ünïcødé Spec 日本語"  # from the slug, like LeanSpec
    assert (fixture_project / "specs" / "156-ünïcødé-spec-日本語" / "README.md").is_file()
    for ref in ("156", "ünïcødé-spec-日本語", "156-ünïcødé-spec-日本語"):
        v = cli(fixture_project, "view", ref, "--json")
        assert v.code == 0 and v.json["name"] == s["name"]
    u = cli(fixture_project, "update", "156", "--add-tags", "日本", "--json")
    assert u.code == 0 and "日本" in u.json["spec"]["tags"]
    # NFD input (macOS keyboards) names the same folder as NFC, at create and in refs.
    import unicodedata

    for ref in ("156-ünïcødé-spec-日本語", "ünïcødé-spec-日本語"):
        v = cli(fixture_project, "view", unicodedata.normalize("NFD", ref), "--json")
        assert v.code == 0 and v.json["name"] == s["name"]
    nfd = unicodedata.normalize("NFD", "Ünïcødé spec 日本語")
    # The NFD name is the same name: a second spec with it is refused unless asked for.
    assert cli(fixture_project, "create", nfd, "--json").json["error"]["code"] == "duplicate_slug"
    r2 = cli(fixture_project, "create", nfd, "--allow-duplicate", "--json")
    assert r2.code == 0 and r2.json["spec"]["name"] == "157-ünïcødé-spec-日本語"


# ------------------------------------------------------------ broken files
def test_malformed_yaml_readme(cli, fixture_project: Path) -> None:
    root = fixture_project
    bad = root / "specs" / "147-json-config-format" / "README.md"
    bad.write_text("---\nstatus: [unclosed\ntags: x\n---\n\n# Broken\n", encoding="utf-8")
    refused(cli, root, "update", "147", "--add-tags", "x", code="malformed_spec", says="invalid YAML frontmatter")
    refused(cli, root, "update", "147-json-config-format", "--status", "complete", code="malformed_spec")
    refused(cli, root, "view", "147", code="malformed_spec", says="147-json-config-format/README.md")
    # --raw still shows the broken file, so it can be fixed.
    raw = cli(root, "view", "147", "--raw")
    assert raw.code == 0 and raw.out == bad.read_text(encoding="utf-8")
    raw = cli(root, "view", "147", "--raw", "--json").json
    assert raw["spec_data"] is None and raw["problem"]["code"] == "malformed_spec"
    refused(cli, root, "archive", "147", code="malformed_spec")
    _list_reports(cli, root, "specs/147-json-config-format/README.md", "invalid YAML")
    # Unclosed frontmatter is a different message, same treatment.
    bad.write_text("---\nstatus: planned\n# never closed\n", encoding="utf-8")
    refused(cli, root, "update", "147", "--add-tags", "x", code="malformed_spec", says="not closed")
    _list_reports(cli, root, "specs/147-json-config-format/README.md", "not closed")
    # A frontmatter that is a list, not a mapping.
    bad.write_text("---\n- a\n- b\n---\n# L\n", encoding="utf-8")
    refused(cli, root, "update", "147", "--add-tags", "x", code="malformed_spec", says="not a mapping")
    # Other specs keep working, including writes and a create.
    assert cli(root, "update", "150", "--add-tags", "still-fine").code == 0
    r = cli(root, "create", "next-one", "--json")
    assert r.code == 0 and r.json["spec"]["number"] == 156


def test_binary_and_nul_readme(cli, fixture_project: Path) -> None:
    root = fixture_project
    readme = root / "specs" / "152-link-required-by-syntax" / "README.md"
    readme.write_bytes(bytes(range(256)) * 8)
    refused(cli, root, "update", "152", "--add-tags", "x", code="malformed_spec", says="not UTF-8")
    refused(cli, root, "view", "152", code="malformed_spec", says="binary")
    refused(cli, root, "view", "152", "--raw", code="malformed_spec")
    refused(cli, root, "archive", "152", code="malformed_spec", says="not UTF-8")  # was a raw UnicodeDecodeError
    refused(cli, root, "link", "152", "147", code="malformed_spec")
    _list_reports(cli, root, "specs/152-link-required-by-syntax/README.md", "not UTF-8")
    readme.write_bytes(b"---\nstatus: planned\n---\n# T\x00\x00\n")
    refused(cli, root, "update", "152", "--add-tags", "x", code="malformed_spec", says="NUL")
    _list_reports(cli, root, "specs/152-link-required-by-syntax/README.md", "NUL")


def test_folder_without_readme_is_a_problem_not_a_crash(cli, fixture_project: Path) -> None:
    (fixture_project / "specs" / "160-empty-folder").mkdir()
    _list_reports(cli, fixture_project, "specs/160-empty-folder/README.md", "no README.md")
    refused(cli, fixture_project, "update", "160", "--add-tags", "x", code="malformed_spec")
    # Its number still counts, so the next create does not reuse it.
    r = cli(fixture_project, "create", "after-empty", "--json")
    assert r.json["spec"]["number"] == 161


def test_read_only_readme_refused(cli, fixture_project: Path) -> None:
    readme = fixture_project / "specs" / "150-tag-management" / "README.md"
    readme.chmod(0o444)
    err = refused(cli, fixture_project, "update", "150", "--add-tags", "x", code="write_failed", says="read-only")
    assert err["details"]["path"].endswith("150-tag-management/README.md")
    refused(cli, fixture_project, "update", "150", "--status", "in-progress", code="write_failed")
    refused(cli, fixture_project, "link", "150", "147", code="write_failed")
    assert stat.S_IMODE(readme.stat().st_mode) == 0o444
    assert [p.name for p in readme.parent.iterdir()] == ["README.md"]  # no temp left


def test_view_path_tricks(cli, fixture_project: Path) -> None:
    root = fixture_project
    (root / "secret.md").write_text("secret", encoding="utf-8")
    for ref in ("045/../../secret.md", "045/.hidden.md", "045/nope.md", "../secret.md", "/etc/passwd"):
        before = tree(root)
        r = cli(root, "view", ref, "--json")
        assert r.code in (2, 3), (ref, r.out)
        assert "secret" not in r.out.replace("secret.md", "")
        assert tree(root) == before


def _list_reports(cli, root: Path, path: str, reason: str) -> None:
    before = tree(root)
    r = cli(root, "list", "--json")
    assert r.code == 0, r.err
    data = r.json
    probs = [p for p in data["problems"] if p["path"] == path]
    assert len(probs) == 1, data["problems"]
    assert probs[0]["code"] == "malformed_spec"
    assert reason.lower() in probs[0]["reason"].lower()
    assert data["total"] >= 8  # the other specs are all still listed
    assert path.split("/")[1] not in [s["name"] for s in data["specs"]]
    # Text mode: listed specs on stdout, a warning on stderr, exit 0.
    t = cli(root, "list")
    assert t.code == 0 and "warning:" in t.err and path in t.err
    assert t.err.count(path) == 1, t.err  # the path is printed once
    assert tree(root) == before


# --------------------------------------------------- optimistic concurrency
def test_expected_hash(cli, fixture_project: Path) -> None:
    root = fixture_project
    readme = root / "specs" / "150-tag-management" / "README.md"
    current = hashlib.sha256(readme.read_bytes()).hexdigest()
    stale = hashlib.sha256(b"something else").hexdigest()
    err = refused(cli, root, "update", "150", "--add-tags", "x", "--expected-hash", stale, exit_code=5, code="conflict", says="changed since you read it")
    assert err["details"]["current_hash"] == current
    assert err["details"]["expected_hash"] == stale
    # A prefix shorter than 8 hex digits proves nothing: invalid input, not a conflict
    # (an 8+ digit prefix of the current hash is accepted: tests/test_agent_errors.py).
    refused(cli, root, "update", "150", "--add-tags", "x", "--expected-hash", current[:7], exit_code=2, code="invalid_input")
    refused(cli, root, "archive", "150", "--expected-hash", stale, exit_code=5, code="conflict")
    refused(cli, root, "link", "150", "147", "--expected-hash", stale, exit_code=5, code="conflict")
    refused(cli, root, "unlink", "150", "--all", "--expected-hash", stale, exit_code=5, code="conflict")

    r = cli(root, "update", "150", "--add-tags", "x", "--expected-hash", current, "--json")
    assert r.code == 0, r.err
    new = hashlib.sha256(readme.read_bytes()).hexdigest()
    assert r.json["content_hash"] == new == r.json["spec"]["content_hash"]
    assert r.json["written"] is True and r.json["changed"] == ["tags"]
    # The view hash is the one to send next; a 12-digit prefix works too.
    v = cli(root, "view", "150", "--json").json
    assert v["content_hash"] == new
    r = cli(root, "update", "150", "--add-tags", "y", "--expected-hash", new[:12].upper(), "--json")
    assert r.code == 0 and r.json["written"]
    # The old hash is now stale.
    refused(cli, root, "update", "150", "--add-tags", "z", "--expected-hash", new, exit_code=5, code="conflict")
    assert Document.parse(readme.read_text(encoding="utf-8")).data["tags"][-2:] == ["x", "y"]


def test_archive_onto_existing_archived_folder_changes_nothing(cli, fixture_project: Path) -> None:
    """`archive` used to write `status: archived` and only then find the destination
    taken, leaving the spec half-archived."""
    import shutil

    root = fixture_project
    shutil.copytree(root / "specs/147-json-config-format", root / "specs/archived/147-json-config-format")
    refused(cli, root, "archive", "147-json-config-format", code="write_failed", says="already exists")
    assert fm_status(root / "specs/147-json-config-format/README.md") == "planned"


def test_rel_add_parent_without_value(cli, fixture_project: Path) -> None:
    refused(cli, fixture_project, "rel", "add", "147", "--parent", code="invalid_input", says="needs a spec")


def fm_status(p: Path) -> str:
    return Document.parse(p.read_text(encoding="utf-8")).data["status"]


@pytest.mark.parametrize("template", ["/etc/passwd", "../config.json", "../../../etc/hostname", "sub/../../config.json"])
def test_template_path_tricks_refused(cli, fixture_project: Path, template: str) -> None:
    """`create --template /etc/passwd` used to copy that file into a new spec."""
    refused(cli, fixture_project, "create", "leak", "--template", template, code="template_error", says="invalid template name")


def test_unknown_template(cli, fixture_project: Path) -> None:
    refused(cli, fixture_project, "create", "x", "--template", "nope", code="template_error", says="template not found")


def test_readme_that_is_a_folder(cli, fixture_project: Path) -> None:
    root = fixture_project
    d = root / "specs" / "161-odd"
    (d / "README.md").mkdir(parents=True)
    _list_reports(cli, root, "specs/161-odd/README.md", "is a folder")
    refused(cli, root, "update", "161", "--add-tags", "x", code="malformed_spec", says="cannot read")
    refused(cli, root, "archive", "161", code="malformed_spec", says="cannot read")
    refused(cli, root, "link", "161", "147", code="malformed_spec")
