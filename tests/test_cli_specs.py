"""The spec commands end to end through the real CLI: completion guards, links and
relationships, archive, files, children, view, list filters/sort, JSON shapes, and
a closed stdout pipe."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document

SPEC_KEYS = {
    "name", "number", "title", "status", "priority", "tags", "assignee", "created", "created_at",
    "updated_at", "completed_at", "due", "depends_on", "parent", "archived", "path", "sub_specs",
    "checklist", "fields", "content_hash",
}
WRITE_KEYS = {"spec", "name", "path", "content_hash", "changed", "written", "message", "ok"}


def fm(root: Path, rel: str) -> dict:
    return Document.parse((root / rel).read_text(encoding="utf-8")).data


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# --------------------------------------------------------- completion guards
def test_open_checklist_blocks_complete_unless_forced(cli, fixture_project: Path) -> None:
    root = fixture_project
    p = root / "specs/147-json-config-format/README.md"
    before = sha(p)
    r = cli(root, "update", "147", "--status", "complete", "--json")
    assert r.code == 7, r.out
    err = r.json["error"]
    assert err["code"] == "completion_blocked"
    assert err["details"]["open_items"] == 9
    assert "--force" in err["hint"]
    assert sha(p) == before
    r = cli(root, "update", "147", "--status", "complete", "--force", "--json")
    assert r.code == 0, r.err
    data = fm(root, "specs/147-json-config-format/README.md")
    assert data["status"] == "complete"
    assert data["transitions"][-1]["status"] == "complete"
    assert data["completed_at"] == data["transitions"][-1]["at"]
    assert data["completed"] == data["completed_at"][:10]
    assert r.json["spec"]["completed_at"] == data["completed_at"]


def test_checking_items_then_completing(cli, fixture_project: Path) -> None:
    root = fixture_project
    r = cli(root, "create", "small", "--content", "# Small\n\n- [ ] one\n- [ ] two\n", "--json")
    name = r.json["spec"]["name"]
    assert r.json["spec"]["checklist"] == {"done": 0, "total": 2}
    r = cli(root, "update", name, "--check", "one", "--check", "two", "--status", "complete", "--json")
    assert r.code == 0, r.out  # body edits apply before the guard looks
    assert r.json["spec"]["checklist"] == {"done": 2, "total": 2}
    assert r.json["changed"] == ["checklist", "status"]
    r = cli(root, "update", name, "--uncheck", "two", "--json")
    assert r.json["spec"]["checklist"] == {"done": 1, "total": 2}


def test_draft_cannot_skip_planned(cli, fixture_project: Path) -> None:
    root = fixture_project
    name = cli(root, "create", "drafty", "--status", "draft", "--content", "# D\n", "--json").json["spec"]["name"]
    r = cli(root, "update", name, "--status", "in-progress", "--json")
    assert r.code == 7 and "planned" in r.json["error"]["message"]
    assert cli(root, "update", name, "--status", "planned").code == 0
    assert cli(root, "update", name, "--status", "in-progress").code == 0
    assert [t["status"] for t in fm(root, f"specs/{name}/README.md")["transitions"]] == ["planned", "in-progress"]


def test_incomplete_children_block_umbrella(cli, fixture_project: Path) -> None:
    root = fixture_project
    umb = cli(root, "create", "umbrella", "--content", "# Umbrella\n", "--json").json["spec"]["name"]
    kid = cli(root, "create", "child-one", "--content", "# Child\n", "--parent", umb, "--json").json["spec"]
    assert kid["parent"] == umb
    r = cli(root, "update", umb, "--status", "complete", "--json")
    assert r.code == 7
    assert r.json["error"]["details"]["children"] == [kid["name"]]
    assert kid["name"] in r.json["error"]["message"]
    assert cli(root, "update", kid["name"], "--status", "complete").code == 0
    assert cli(root, "update", umb, "--status", "complete").code == 0

    ch = cli(root, "children", umb, "--json")
    assert ch.code == 0
    assert ch.json["spec"] == umb and [c["name"] for c in ch.json["children"]] == [kid["name"]]
    assert set(ch.json["children"][0]) == SPEC_KEYS
    t = cli(root, "children", umb)
    assert kid["name"] in t.out
    assert "has no children" in cli(root, "children", kid["name"]).out


# ------------------------------------------------------------ link / unlink
def test_link_stores_canonical_names_and_rejects_bad_links(cli, fixture_project: Path) -> None:
    root = fixture_project
    readme = "specs/147-json-config-format/README.md"
    r = cli(root, "link", "147", "150", "--depends-on", "152,tag-management", "--json")
    assert r.code == 0, r.err
    assert set(r.json) == WRITE_KEYS
    assert fm(root, readme)["depends_on"] == ["150-tag-management", "152-link-required-by-syntax"]
    assert r.json["spec"]["depends_on"] == ["150-tag-management", "152-link-required-by-syntax"]
    # Again: nothing to do, nothing written.
    h = sha(root / readme)
    r = cli(root, "link", "147", "150", "--json")
    assert r.code == 0 and r.json["written"] is False and sha(root / readme) == h
    assert "already exist" in cli(root, "link", "147", "150").out

    r = cli(root, "link", "147", "147", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "invalid_relationship" and "itself" in r.json["error"]["message"]
    r = cli(root, "link", "150", "147", "--json")  # 147 -> 150 exists: a cycle
    assert r.code == 1 and r.json["error"]["code"] == "invalid_relationship"
    assert r.json["error"]["details"]["cycle"] == ["150-tag-management", "147-json-config-format", "150-tag-management"]
    r = cli(root, "link", "152", "155", "--json")
    assert r.code == 0
    r = cli(root, "link", "155", "147", "--json")  # 147 -> 152 -> 155 -> 147
    assert r.code == 1 and len(r.json["error"]["details"]["cycle"]) == 4
    r = cli(root, "link", "147", "no-such-spec", "--json")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"
    r = cli(root, "link", "147", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "invalid_input"
    assert fm(root, readme)["depends_on"] == ["150-tag-management", "152-link-required-by-syntax"]

    r = cli(root, "unlink", "147", "150", "--json")
    assert r.code == 0 and r.json["changed"] == ["depends_on"]
    assert fm(root, readme)["depends_on"] == ["152-link-required-by-syntax"]
    r = cli(root, "unlink", "147", "--all", "--json")
    assert r.code == 0 and "depends_on" not in fm(root, readme)
    r = cli(root, "unlink", "147", "--all", "--json")
    assert r.json["written"] is False
    assert cli(root, "unlink", "147").code == 2  # nothing named: invalid_input


def test_unlink_dangling_dependency(cli, fixture_project: Path) -> None:
    """The fixture depends on specs that are not in the project; they can still be removed."""
    root = fixture_project
    r = cli(root, "unlink", "059", "067-monorepo-core-extraction", "--json")
    assert r.code == 0, r.err
    assert fm(root, "specs/059-programmatic-spec-management/README.md")["depends_on"] == ["069-token-counting-utils"]


# ---------------------------------------------------------------------- rel
def test_rel_parent_child_and_view(cli, fixture_project: Path) -> None:
    root = fixture_project
    r = cli(root, "rel", "add", "152", "--parent", "147", "--json")
    assert r.code == 0, r.err
    assert fm(root, "specs/152-link-required-by-syntax/README.md")["parent"] == "147-json-config-format"
    r = cli(root, "rel", "add", "147", "--child", "150", "--depends-on", "155", "--json")
    assert r.code == 0 and len(r.json["results"]) == 2
    v = cli(root, "rel", "view", "147", "--json")
    assert v.json == {
        "spec": "147-json-config-format",
        "parent": None,
        "children": ["150-tag-management", "152-link-required-by-syntax"],
        "depends_on": ["155-atomic-spec-file-operations"],
        "required_by": [],
    }
    assert cli(root, "rel", "view", "155", "--json").json["required_by"] == ["147-json-config-format"]
    # Self and cyclic parents are refused.
    r = cli(root, "rel", "add", "147", "--parent", "147", "--json")
    assert r.code == 1 and r.json["error"]["code"] == "invalid_relationship"
    r = cli(root, "rel", "add", "147", "--parent", "152", "--json")
    assert r.code == 1 and "cycle" in r.json["error"]["message"]
    # Removing.
    assert cli(root, "rel", "rm", "147", "--child", "150").code == 0
    assert "parent" not in fm(root, "specs/150-tag-management/README.md")
    assert cli(root, "rel", "rm", "152", "--parent").code == 0
    assert "parent" not in fm(root, "specs/152-link-required-by-syntax/README.md")
    assert cli(root, "rel", "rm", "147", "--depends-on", "155").code == 0
    assert cli(root, "rel", "view", "147", "--json").json["depends_on"] == []
    assert cli(root, "rel", "add", "147").code == 2
    assert "parent:" in cli(root, "rel", "view", "147").out


# ------------------------------------------------------------------ archive
def test_archive_moves_sets_status_and_counts_numbers(cli, fixture_project: Path) -> None:
    root = fixture_project
    before = sha(root / "specs/155-atomic-spec-file-operations/README.md")
    r = cli(root, "archive", "155", "--dry-run", "--json")
    assert r.code == 0 and r.json["results"] == [{"name": "155-atomic-spec-file-operations", "would_archive": True}]
    assert sha(root / "specs/155-atomic-spec-file-operations/README.md") == before

    r = cli(root, "archive", "155", "--json")
    assert r.code == 0, r.err
    res = r.json["results"][0]
    assert res["path"] == "specs/archived/155-atomic-spec-file-operations/README.md"
    assert res["spec"]["status"] == "archived" and res["spec"]["archived"] is True
    assert not (root / "specs/155-atomic-spec-file-operations").exists()
    data = fm(root, "specs/archived/155-atomic-spec-file-operations/README.md")
    assert data["status"] == "archived"
    assert [t["status"] for t in data["transitions"]] == ["in-progress", "complete", "archived"]
    body = Document.parse((root / res["path"]).read_text(encoding="utf-8")).body
    assert "> **Status**: 📦 Archived" in body

    names = [s["name"] for s in cli(root, "list", "--json").json["specs"]]
    assert "155-atomic-spec-file-operations" not in names
    names = [s["name"] for s in cli(root, "list", "--archived", "--json").json["specs"]]
    assert "155-atomic-spec-file-operations" in names
    names = [s["name"] for s in cli(root, "list", "--status", "archived", "--json").json["specs"]]
    assert "155-atomic-spec-file-operations" in names and "038-flat-structure-migration" in names
    # The archived number is not reused.
    assert cli(root, "create", "after-archive", "--json").json["spec"]["number"] == 156
    # Still resolvable, and archiving again is a no-op.
    r = cli(root, "archive", "155", "--json")
    assert r.code == 0 and r.json["results"][0]["written"] is False
    assert cli(root, "view", "155", "--json").json["archived"] is True


def test_archive_several_reports_each(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "archive", "147", "nosuch", "--json")
    assert r.code == 1
    assert r.json["ok"] is False
    assert [x["name"] for x in r.json["results"]] == ["147-json-config-format"]
    assert r.json["errors"][0]["spec"] == "nosuch" and r.json["errors"][0]["code"] == "spec_not_found"


# -------------------------------------------------------------- files, view
def test_files(cli, fixture_project: Path) -> None:
    root = fixture_project
    (root / "specs/045-unified-dashboard/diagram.png").write_bytes(b"\x89PNG fake")
    r = cli(root, "files", "045", "--json")
    assert r.code == 0
    files = r.json["files"]
    assert r.json["spec"] == "045-unified-dashboard"
    assert files[0]["name"] == "README.md"
    assert [f["name"] for f in files[1:]] == [
        "ACTUAL-IMPLEMENTATION.md", "DESIGN.md", "IMPLEMENTATION.md", "RATIONALE.md", "TESTING.md", "diagram.png",
    ]
    assert set(files[0]) == {"name", "path", "type", "size"}
    assert files[-1] == {"name": "diagram.png", "path": "specs/045-unified-dashboard/diagram.png", "type": "asset", "size": 9}
    assert files[0]["size"] == (root / "specs/045-unified-dashboard/README.md").stat().st_size
    assert [f["name"] for f in cli(root, "files", "045", "--type", "assets", "--json").json["files"]] == ["diagram.png"]
    assert len(cli(root, "files", "045", "--type", "docs", "--json").json["files"]) == 6
    tree = cli(root, "files", "045", "--tree", "--size").out.splitlines()
    assert tree[0].startswith("├── README.md") and tree[-1].startswith("└── diagram.png") and tree[-1].endswith("9 B")


def test_view_sub_spec_and_raw(cli, fixture_project: Path) -> None:
    root = fixture_project
    design = (root / "specs/045-unified-dashboard/DESIGN.md").read_text(encoding="utf-8")
    r = cli(root, "view", "045/DESIGN.md", "--json")
    assert r.code == 0
    assert r.json == {"spec": "045-unified-dashboard", "path": "specs/045-unified-dashboard/DESIGN.md", "content": design}
    assert cli(root, "view", "045-unified-dashboard/DESIGN.md").out == design
    r = cli(root, "view", "045/NOPE.md", "--json")
    assert r.code == 3 and "DESIGN.md" in r.json["error"]["details"]["files"]

    readme = (root / "specs/045-unified-dashboard/README.md").read_text(encoding="utf-8")
    assert cli(root, "view", "045", "--raw").out == readme
    raw = cli(root, "view", "045", "--raw", "--json").json
    assert raw["content"] == readme and raw["spec_data"]["name"] == "045-unified-dashboard"

    full = cli(root, "view", "045", "--json").json
    assert set(full) == SPEC_KEYS | {"frontmatter", "content"}
    assert full["frontmatter"]["created"] == "2025-11-04"
    assert full["content"] == Document.parse(readme).body
    assert full["sub_specs"][:1] == ["ACTUAL-IMPLEMENTATION.md"]
    text = cli(root, "view", "045").out
    assert text.startswith("Unified Analytics & Velocity Tracking\n045-unified-dashboard")
    assert "Files: ACTUAL-IMPLEMENTATION.md" in text


# --------------------------------------------------------------------- list
def _names(r) -> list[str]:
    return [s["name"] for s in r.json["specs"]]


def test_list_json_shape_and_defaults(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "list", "--json")
    assert r.code == 0
    assert set(r.json) == {"specs", "total", "problems"}
    assert r.json["total"] == 11 and r.json["problems"] == []
    for s in r.json["specs"]:
        assert set(s) == SPEC_KEYS
    nums = [s["number"] for s in r.json["specs"]]
    assert nums == sorted(nums, reverse=True)  # newest first, like LeanSpec
    s147 = next(s for s in r.json["specs"] if s["number"] == 147)
    assert s147["tags"] == ["ui", "config", "breaking-change"]
    assert s147["checklist"] == {"done": 0, "total": 9}
    assert s147["path"] == "specs/147-json-config-format/README.md"
    assert len(s147["content_hash"]) == 64
    assert cli(fixture_project, "list", "--archived", "--json").json["total"] == 17


def test_list_filters_and_sort(cli, fixture_project: Path) -> None:
    root = fixture_project
    assert _names(cli(root, "list", "--status", "planned", "--sort", "name", "--json")) == [
        "147-json-config-format", "150-tag-management", "152-link-required-by-syntax",
    ]
    assert _names(cli(root, "list", "-s", "planned,in-progress", "--order", "asc", "--json")) == [
        "147-json-config-format", "150-tag-management", "152-link-required-by-syntax",
    ]
    assert _names(cli(root, "list", "--tag", "cli", "--tag", "mcp", "--json")) == [
        "152-link-required-by-syntax", "150-tag-management",
    ]
    assert set(_names(cli(root, "list", "--priority", "critical", "--json"))) == {
        "018-spec-validation", "059-programmatic-spec-management", "082-web-realtime-sync-architecture",
    }
    cli(root, "update", "150", "--assignee", "Alice", "--field", "epic=E1")
    assert _names(cli(root, "list", "--assignee", "alice", "--json")) == ["150-tag-management"]
    assert _names(cli(root, "list", "--field", "epic=E1", "--json")) == ["150-tag-management"]
    r = cli(root, "list", "--limit", "2", "--json")
    assert len(r.json["specs"]) == 2 and r.json["total"] == 11
    titles = [s["title"].lower() for s in cli(root, "list", "--sort", "title", "--json").json["specs"]]
    assert titles == sorted(titles)
    updated = _names(cli(root, "list", "--sort", "updated", "--json"))
    assert updated[0] == "150-tag-management"  # just written
    prio = [s["priority"] for s in cli(root, "list", "--sort", "priority", "--json").json["specs"]]
    assert prio[0] == "critical" and prio[-1] == "medium"
    for bad in (("--sort", "size"), ("--status", "done"), ("--priority", "p1")):
        r = cli(root, "list", *bad, "--json")
        assert r.code == 2 and r.json["error"]["code"] == "invalid_input", bad


def test_list_text_form(cli, fixture_project: Path) -> None:
    out = cli(fixture_project, "list").out.splitlines()
    assert out[0].startswith("155-atomic-spec-file-operations") and "complete" in out[0]
    assert out[-1] == "11 specs"
    assert len(cli(fixture_project, "list", "-c", "-n", "1").out.splitlines()) == 2


# ------------------------------------------------------------------- pipes
@pytest.mark.slow
def test_list_into_closed_pipe_exits_zero(fixture_project: Path) -> None:
    """`lean-spec list | head -1`: the reader goes away; no traceback, exit 0."""
    env = {**os.environ, "NO_COLOR": "1"}
    for args in (["list"], ["list", "--json"], ["view", "045", "--raw"]):
        r_fd, w_fd = os.pipe()
        os.close(r_fd)  # nobody will ever read: the first write gets EPIPE
        try:
            p = subprocess.run(
                [sys.executable, "-m", "leanspec", "--project", str(fixture_project), *args],
                stdout=w_fd, stderr=subprocess.PIPE, text=True, env=env, timeout=120,
            )
        finally:
            os.close(w_fd)
        assert p.returncode == 0, (args, p.stderr)
        assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr, p.stderr
    # And the real shell pipeline.
    p = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{sys.executable} -m leanspec --project {fixture_project} list --archived | head -1"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("155-atomic-spec-file-operations")
    assert "Traceback" not in p.stderr


def test_the_whole_output_arrives_before_the_fast_exit(tmp_path: Path) -> None:
    """`cli.run` leaves with os._exit after flushing: a long listing into a pipe and
    into a file is complete, and stderr (an error) is not lost either."""
    from conftest import REPO

    root = tmp_path / "c600"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "--n", "600", "--out", str(root)], check=True)
    env = {**os.environ, "NO_COLOR": "1"}
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "-C", str(root), "list", "--archived", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)["specs"]) == p.stdout.count('"content_hash"') >= 600
    out = tmp_path / "list.txt"
    with out.open("w") as f:
        p = subprocess.run([sys.executable, "-m", "leanspec", "-C", str(root), "list"], stdout=f, env=env, timeout=120)
    assert p.returncode == 0
    lines = out.read_text().splitlines()
    assert lines[-1].endswith("specs") and len(lines) == int(lines[-1].split()[0]) + 1
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "-C", str(root), "view", "99999"], capture_output=True, text=True, env=env
    )
    assert p.returncode == 3 and "spec not found" in p.stderr


def test_list_json_joined_from_the_cache_is_the_encoded_listing(tmp_path: Path) -> None:
    """`list --json` (piped) joins each spec's JSON: from the cache record's encoded
    halves around the sub-spec list, or encoded per spec without a cache. The bytes
    must equal one encoding of the whole listing (what it printed before), with odd
    values: quotes, backslashes, a tab, non-ASCII, nested custom fields, floats, a
    malformed spec (a problem in the output), and a sub-spec file added behind the
    cache's back."""
    from conftest import REPO, run_on_tty

    root = tmp_path / "p"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "--n", "40", "--out", str(root)], check=True)
    odd = root / "specs" / "041-odd"
    odd.mkdir()
    (odd / "README.md").write_text(
        "---\n"
        "status: planned\n"
        "created: '2025-01-02'\n"
        "title: 'a \"quoted\" \\\\ back\\tslash ü 漢字'\n"
        'owner: "tab\\there \\u00e9"\n'
        "tags: [x, 'y z']\n"
        "meta:\n  ratio: 0.1\n  big: 12345678901234567890\n  flag: true\n  none: ~\n  list: [1, 2.5, b]\n"
        "---\n\n# Odd\n\n- [x] done\n- [ ] open\n",
        encoding="utf-8",
    )
    bad = root / "specs" / "042-bad"
    bad.mkdir()
    (bad / "README.md").write_text("---\nstatus: [unclosed\n---\n\n# Bad\n", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}

    def listing(*extra: str, no_cache: bool = False) -> bytes:
        e = {**env, "LEANSPEC_NO_CACHE": "1"} if no_cache else env
        p = subprocess.run(
            [sys.executable, "-m", "leanspec", "-C", str(root), "list", "--json", "--archived", *extra],
            capture_output=True, env=e, timeout=120,
        )
        assert p.returncode == 0, p.stderr
        return p.stdout

    first = listing()  # fills the cache
    sub = next((root / "specs").glob("00[1-9]-*"))
    (sub / "DESIGN.md").write_text("# Design\n", encoding="utf-8")  # a sub-spec the record does not know
    warm, uncached = listing(), listing(no_cache=True)
    assert warm == uncached and warm != first
    text = warm.decode("utf-8", "surrogateescape").rstrip("\n")
    data = json.loads(text)
    assert text == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert [p["path"] for p in data["problems"]] == ["specs/042-bad/README.md"]
    odd_out = next(s for s in data["specs"] if s["name"] == "041-odd")
    assert odd_out["fields"]["meta"] == {"ratio": 0.1, "big": 12345678901234567890, "flag": True, "none": None, "list": [1, 2.5, "b"]}
    assert odd_out["title"] == 'a "quoted" \\\\ back\\tslash ü 漢字'  # single quotes: no escapes
    assert odd_out["fields"]["owner"] == "tab\there é"
    assert "DESIGN.md" in next(s for s in data["specs"] if s["name"] == sub.name)["sub_specs"]
    # The slow path (dependency info) gives the same spec dicts plus its own keys.
    deps = json.loads(listing("--deps").decode("utf-8", "surrogateescape"))
    assert [{k: v for k, v in s.items() if k not in ("dependencies", "blocked")} for s in deps["specs"]] == data["specs"]
    # On a terminal: the same data, indented.
    code, shown, _ = run_on_tty(
        [sys.executable, "-m", "leanspec", "-C", str(root), "list", "--json", "--archived"], stream="stdout"
    )
    assert code == 0 and json.loads(shown.decode("utf-8", "surrogateescape")) == data
