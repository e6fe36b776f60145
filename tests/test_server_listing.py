"""Warm listings of long-lived processes are exact.

A real ``lean-spec mcp`` (stdio) and a real ``lean-spec ui`` (HTTP) run against one
project while random edits land through them, through the tool in this process and
behind everyone's back (same-size rewrites with the old mtime put back, editor-style
replace-by-rename, new/deleted/renamed folders, archive moves by hand, sub-spec
files, malformed READMEs, a truncated cache file, ``git checkout`` of another
branch). After every step each server's listing must equal a fresh listing made with
``LEANSPEC_NO_CACHE=1``. The same is checked in-process on a ``Project.keep_warm()``
project with more steps, asserting that the journal's fast path really served them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURE
from leanspec.insight.board import build_board
from leanspec.project import Project, UpdateOps
from leanspec.store.watch import Journal
from test_cache import rewrite_same_size_same_mtime
from test_mcp_server import Session, server_params

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the change journal is Linux inotify")

CACHE = Path(".lean-spec/cache/specs.pickle")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_CONFIG_NOSYSTEM": "1",
}  # fmt: skip


def git(root: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(root.parent)}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The real fixture, as a git repository with a second branch that edits, adds and
    deletes specs (for ``git checkout``)."""
    if not FIXTURE.is_dir():
        pytest.skip(f"fixture not found at {FIXTURE}")
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root)
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (root / ".gitignore").write_text(".lean-spec/cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    git(root, "checkout", "-q", "-b", "other")
    specs = sorted(d for d in (root / "specs").iterdir() if d.is_dir() and d.name[0].isdigit())
    for d in specs[:3]:
        readme = d / "README.md"
        readme.write_text(readme.read_text().replace("status: ", "priority: high\nstatus: ", 1) + "\n- [x] other\n")
    shutil.rmtree(specs[3])
    (root / "specs" / "777-from-other-branch").mkdir()
    (root / "specs" / "777-from-other-branch" / "README.md").write_text(
        "---\nstatus: in-progress\ncreated: '2025-01-02'\ntags: [branch]\n---\n\n# From the other branch\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "other")
    git(root, "checkout", "-q", "main")
    return root


def fresh(root: Path) -> dict[str, Any]:
    """The listing as a brand-new process without any cache sees it."""
    old = os.environ.get("LEANSPEC_NO_CACHE")
    os.environ["LEANSPEC_NO_CACHE"] = "1"
    try:
        p = Project.open(root)
        every, problems = p.list(include_archived=True)
        default, _ = p.list()
        res = p.load()
        board = build_board(res.specs)
    finally:
        if old is None:
            del os.environ["LEANSPEC_NO_CACHE"]
        else:
            os.environ["LEANSPEC_NO_CACHE"] = old
    out = {
        "all": [s.to_dict() for s in every],
        "problems": sorted(x.to_dict()["path"] for x in problems),
        "default": [s.name for s in default],
        "board": [[g["name"], [c["name"] for c in g["specs"]]] for g in board["groups"]],
    }
    return json.loads(json.dumps(out))


def live_dirs(root: Path) -> list[Path]:
    return sorted(
        p.parent for p in root.glob("specs/**/README.md") if not any(part.startswith(".") for part in p.parts)
    )


def random_step(root: Path, rnd: random.Random, mcp: Session | None, http: str | None) -> str:
    dirs = live_dirs(root)
    d = rnd.choice(dirs) if dirs else None
    kinds = [
        "tool-update", "tool-create", "tool-archive", "same-size", "same-size", "append", "editor-save",
        "delete", "rename", "archive-by-hand", "new-folder", "sub-add", "sub-remove", "malformed",
        "truncate-cache", "git-checkout", "touch-only",
    ]  # fmt: skip
    if mcp is not None:
        kinds += ["mcp-update", "mcp-create"]
    if http is not None:
        kinds += ["http-patch"]
    op = rnd.choice(kinds)
    from leanspec.core.errors import LeanSpecError

    try:
        if d is None and op not in ("tool-create", "mcp-create", "new-folder", "truncate-cache", "git-checkout"):
            return "skip"
        assert d is not None or op in ("tool-create", "mcp-create", "new-folder", "truncate-cache", "git-checkout")
        p = Project.open(root)
        if op == "tool-update" and d:
            p.update(d.name, UpdateOps(status=rnd.choice(["planned", "in-progress"]), add_tags=["t"]), force=True)
        elif op == "tool-create":
            p.create(f"made-{rnd.randint(0, 10**6)}", title="Made", tags=["rnd"])
        elif op == "tool-archive" and d:
            p.archive(d.name)
        elif op == "same-size" and d:
            rewrite_same_size_same_mtime(d / "README.md", rnd)
        elif op == "append" and d:
            with open(d / "README.md", "a") as f:
                f.write(f"\n- [x] appended {rnd.randint(0, 99)}\n")
        elif op == "editor-save" and d:
            # Write a new file beside it and rename it over the README (vim, VS Code).
            text = (d / "README.md").read_text().replace("# ", f"# Edited {rnd.randint(0, 99)} ", 1)
            tmp = d / ".README.md.swp"
            tmp.write_text(text)
            os.replace(tmp, d / "README.md")
        elif op == "delete" and d:
            shutil.rmtree(d)
        elif op == "rename" and d:
            dest = d.parent / f"{900 + rnd.randint(0, 99)}-renamed-{rnd.randint(0, 999)}"
            if not dest.exists():
                d.rename(dest)
        elif op == "archive-by-hand" and d and d.parent.name != "archived":
            (root / "specs" / "archived").mkdir(exist_ok=True)
            if not (root / "specs" / "archived" / d.name).exists():
                d.rename(root / "specs" / "archived" / d.name)
        elif op == "new-folder":
            nd = root / "specs" / f"{800 + rnd.randint(0, 99)}-by-hand-{rnd.randint(0, 999)}"
            nd.mkdir(exist_ok=True)
            (nd / "README.md").write_text(f"---\nstatus: planned\n---\n\n# By hand {rnd.randint(0, 9)}\n")
        elif op == "sub-add" and d:
            (d / f"NOTE{rnd.randint(0, 3)}.md").write_text("# note\n")
        elif op == "sub-remove" and d:
            subs = [x for x in d.iterdir() if x.name != "README.md" and x.is_file()]
            if subs:
                rnd.choice(subs).unlink()
        elif op == "malformed" and d:
            (d / "README.md").write_text("---\nstatus: [unclosed\n---\n# Broken\n")
        elif op == "truncate-cache":
            c = root / CACHE
            if c.exists():
                data = c.read_bytes()
                c.write_bytes(data[: rnd.randint(0, max(0, len(data) - 1))])
        elif op == "git-checkout":
            branch = rnd.choice(["main", "other"])
            git(root, "checkout", "-q", "-f", branch)
        elif op == "touch-only" and d:
            os.utime(d / "README.md")  # metadata only: nothing may change in the listing
        elif op == "mcp-update" and d and mcp is not None:
            mcp.call("update", {"spec": d.name, "status": rnd.choice(["planned", "complete"]), "force": True})
        elif op == "mcp-create" and mcp is not None:
            mcp.call("create", {"name": f"via-mcp-{rnd.randint(0, 10**6)}", "tags": ["mcp"]})
        elif op == "http-patch" and d and http is not None:
            req = urllib.request.Request(
                f"{http}/api/specs/{d.name}",
                data=json.dumps({"priority": rnd.choice(["low", "critical"])}).encode(),
                method="PATCH",
                headers={"Content-Type": "application/json", "If-Match": "*", "Origin": http},
            )
            try:
                urllib.request.urlopen(req, timeout=60).read()
            except urllib.error.HTTPError:
                pass  # a refusal (malformed spec, ...) changes nothing
    except LeanSpecError:
        pass  # a refusal by the tool changes nothing
    return op


# ====================================================================== servers
# Every key of the spec shape: MCP `list` returns them on request (its default is fewer).
SPEC_KEYS = [
    "name", "number", "title", "status", "priority", "tags", "assignee", "created", "created_at", "updated_at",
    "completed_at", "due", "depends_on", "parent", "archived", "path", "sub_specs", "checklist", "fields",
    "content_hash",
]  # fmt: skip


def as_mcp(d: dict[str, Any]) -> dict[str, Any]:
    """A spec dict as MCP sends it: empty values left out, the 12-hex short hash."""
    out = {k: v for k, v in d.items() if v is not None and v != [] and v != {}}
    out["content_hash"] = d["content_hash"][:12]
    return out


def mcp_listing(s: Session) -> dict[str, Any]:
    every = s.ok("list", {"include_archived": True, "limit": 500, "fields": SPEC_KEYS})
    default = s.ok("list", {})  # the default page: 50, newest first
    board = s.ok("board", {"limit_per_group": 500, "show_complete": True, "cards": "object"})
    return {
        "all": every["specs"],
        "problems": sorted(x["path"] for x in every.get("problems", [])),
        "default": [x["name"] for x in default["specs"]],
        "default_total": default["total"],
        "board": [[g["name"], [c["name"] for c in g["specs"]]] for g in board["groups"]],
    }


def http_get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def http_listing(base: str) -> dict[str, Any]:
    every = http_get(f"{base}/api/specs?archived=1")
    default = http_get(f"{base}/api/specs")
    assert http_get(f"{base}/api/specs?archived=1") == every  # unchanged: the kept answer
    return {
        "all": every["specs"],
        "problems": sorted(x["path"] for x in every["problems"]),
        "default": [x["name"] for x in default["specs"]],
        "total": every["total"],
    }


def start_ui(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "leanspec", "ui", "--port", str(port), "--no-open", "--project", str(root)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            http_get(f"{base}/api/health")
            return proc, base
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"ui did not start: {proc.stderr.read() if proc.stderr else b''!r}") from None
            time.sleep(0.1)


@pytest.mark.parametrize("seed", [11, 12])
def test_real_servers_see_every_change(project: Path, tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    env.pop("LEANSPEC_NO_CACHE", None)
    env.pop("LEANSPEC_NO_WATCH", None)
    mcp = Session(server_params(project, tmp_path))
    ui, base = start_ui(project, env)
    try:
        ops = []
        for step in range(26):
            want = fresh(project)
            got = mcp_listing(mcp)
            assert got["all"] == [as_mcp(x) for x in want["all"]], f"MCP list after {ops[-1:]} (step {step})"
            assert got["problems"] == want["problems"]
            assert got["default"] == want["default"][:50] and got["default_total"] == len(want["default"])
            assert got["board"] == want["board"], f"MCP board after {ops[-1:]}"
            h = http_listing(base)
            assert h["all"] == want["all"], f"HTTP list after {ops[-1:]} (step {step})"
            assert h["problems"] == want["problems"] and h["total"] == len(want["all"])
            assert h["default"] == want["default"]
            ops.append(random_step(project, rnd, mcp, base))
        assert len(set(ops)) > 8, ops  # the sequence really mixed kinds of edits
    finally:
        mcp.close()
        ui.terminate()
        ui.wait(30)


def test_http_list_bytes_are_one_json_document(project: Path, tmp_path: Path) -> None:
    """The pre-encoded join is the JSON document the dicts would give, non-ASCII included."""
    d = live_dirs(project)[0]
    readme = d / "README.md"
    readme.write_text(readme.read_text().replace("# ", "# Überblick — ✓ ", 1))
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("LEANSPEC_NO_CACHE", None)
    ui, base = start_ui(project, env)
    try:
        for _ in range(2):  # cold, then from the kept encodings
            with urllib.request.urlopen(f"{base}/api/specs?archived=1&limit=3", timeout=60) as r:
                raw = r.read()
                assert r.headers["Content-Type"].startswith("application/json")
            data = json.loads(raw)
            assert data["ok"] is True and data["total"] == len(fresh(project)["all"])
            assert [s["name"] for s in data["specs"]] == [s["name"] for s in fresh(project)["all"][:3]]
            assert raw == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        assert any("Überblick" in s["title"] for s in http_get(f"{base}/api/specs?archived=1")["specs"])
    finally:
        ui.terminate()
        ui.wait(30)


# ================================================================== in-process
def warm_listing(p: Project) -> dict[str, Any]:
    every, problems = p.list(include_archived=True)
    default, _ = p.list()
    board = build_board(p.load().specs)
    out = {
        "all": [s.to_dict() for s in every],
        "problems": sorted(x.to_dict()["path"] for x in problems),
        "default": [s.name for s in default],
        "board": [[g["name"], [c["name"] for c in g["specs"]]] for g in board["groups"]],
    }
    return json.loads(json.dumps(out))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_warm_project_equals_a_fresh_listing(
    project: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    rnd = random.Random(seed)
    p = Project.open(project)
    assert p.keep_warm()
    warm = p.store.__dict__["_warm"]
    fast = 0
    try:
        for _ in range(45):
            before = warm.full_passes
            assert warm_listing(p) == fresh(project)
            fast += warm.full_passes == before
            random_step(project, rnd, None, None)
            if rnd.random() < 0.3:  # the change lands right before the next call
                continue
            assert warm_listing(p) == fresh(project)
            fast += 1
    finally:
        p.stop_warm()
    assert fast > 20, "the journal's fast path served most listings"


def test_untrusted_readmes_are_checked_every_time(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symlinked README (its target's folder is not watched) and a hard-linked one (a
    write through the other link notifies the other folder) are re-checked per call."""
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    outside = project.parent / "elsewhere"
    outside.mkdir()
    dirs = live_dirs(project)
    target = outside / "linked.md"
    shutil.copy(dirs[0] / "README.md", target)
    (dirs[0] / "README.md").unlink()
    (dirs[0] / "README.md").symlink_to(target)
    hard = outside / "hard.md"
    os.link(dirs[1] / "README.md", hard)
    p = Project.open(project)
    assert p.keep_warm()
    try:
        assert warm_listing(p) == fresh(project)
        for i in range(3):
            target.write_text(target.read_text() + f"\n- [x] through the link {i}\n")
            with open(hard, "a") as f:
                f.write(f"\n- [ ] through the hard link {i}\n")
            assert warm_listing(p) == fresh(project)
    finally:
        p.stop_warm()


def test_journal_reports_the_folder_that_changed(tmp_path: Path) -> None:
    j = Journal.open()
    assert j is not None
    try:
        top = tmp_path / "specs"
        spec = top / "001-a"
        spec.mkdir(parents=True)
        assert j.watch(str(top), spec=False) and j.watch(str(spec), spec=True)
        d = j.drain()
        assert d is not None and not d.structural and not d.dirs  # nothing yet
        (spec / "README.md").write_text("x")
        d = j.drain()
        assert d is not None and not d.structural and d.dirs == {str(spec)}
        (top / ".hidden").mkdir()  # skipped by every scan
        d = j.drain()
        assert d is not None and not d.structural and not d.dirs
        (top / "002-b").mkdir()
        d = j.drain()
        assert d is not None and d.structural
        shutil.rmtree(spec)
        d = j.drain()
        assert d is not None and d.structural
    finally:
        j.close()
    assert j.drain() is None  # closed: no vouching for anything


def test_without_a_journal_servers_fall_back_to_stat(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEANSPEC_NO_WATCH", "1")
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    p = Project.open(project)
    assert not p.keep_warm()
    rnd = random.Random(5)
    for _ in range(6):
        assert warm_listing(p) == fresh(project)
        random_step(project, rnd, None, None)


def test_new_and_moved_folders_recheck_only_themselves(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a create, an archive or a rename the warm listing re-scans the folders but
    re-checks only the folders that are new at their path (or had events)."""
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    p = Project.open(project)
    assert p.keep_warm()
    warm = p.store.__dict__["_warm"]
    try:
        assert warm_listing(p) == fresh(project)
        p.create("brand-new", title="Brand new")
        assert warm_listing(p) == fresh(project)
        assert warm.rescans >= 1 and warm.reloaded == 1
        victim = live_dirs(project)[2]
        p.archive(victim.name)
        assert warm_listing(p) == fresh(project)
        assert warm.reloaded <= 2  # the archived folder at its new path (+ its event)
        d = live_dirs(project)[0]
        d.rename(d.parent / f"990-{d.name.split('-', 1)[1]}")
        shutil.rmtree(live_dirs(project)[1])
        assert warm_listing(p) == fresh(project)
        assert warm.reloaded == 1
        # Two folders swap places by renames: same paths, no event inside either; only
        # the watch descriptors tell that each path now names the other folder.
        a, b = live_dirs(project)[:2]
        a.rename(project / "specs" / ".swap")
        b.rename(a)
        (project / "specs" / ".swap").rename(b)
        assert warm_listing(p) == fresh(project)
        assert warm.reloaded == 2
        # A group folder replaced by another one of the same name holding a spec folder
        # of the same name: nothing inside was "changed", the container is new.
        for version in ("one", "two"):
            g = project / "specs" / "team"
            if g.exists():
                g.rename(project / "specs" / ".old-team")  # kept: its watches stay alive
            (g / "500-grouped").mkdir(parents=True)
            (g / "500-grouped" / "README.md").write_text(f"---\nstatus: planned\n---\n\n# Grouped {version}\n")
            assert warm_listing(p) == fresh(project)
    finally:
        p.stop_warm()


def test_folders_moved_out_of_the_project_stop_being_watched(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    p = Project.open(project)
    assert p.keep_warm()
    warm = p.store.__dict__["_warm"]
    try:
        assert warm_listing(p) == fresh(project)
        watched = len(warm.journal.path_of)
        d = live_dirs(project)[0]
        away = project.parent / "moved-away"
        d.rename(away)
        assert warm_listing(p) == fresh(project)
        assert len(warm.journal.path_of) == watched - 1
        (away / "README.md").write_text("---\nstatus: planned\n---\n# elsewhere\n")
        before = (warm.full_passes, warm.rescans)
        assert warm_listing(p) == fresh(project)
        assert (warm.full_passes, warm.rescans) == before  # no event from outside
    finally:
        p.stop_warm()


def test_a_broken_journal_never_serves_kept_answers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the journal gives up (e.g. the watch limit), listings fall back to the CLI's
    stat checks and nothing derived from an earlier version is handed out."""
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    p = Project.open(project)
    assert p.keep_warm()
    warm = p.store.__dict__["_warm"]
    try:
        assert warm_listing(p) == fresh(project)
        assert p.listing_version() is not None
        warm.journal.close()  # as after ENOSPC
        d = live_dirs(project)[0]
        (d / "README.md").write_text("---\nstatus: complete\n---\n\n# Changed after the journal broke\n")
        assert warm_listing(p) == fresh(project)
        assert p.listing_version() is None
    finally:
        p.stop_warm()
