"""Atomic claims with leases, driven by real processes: parallel `lean-spec claim`
runs in one checkout, across two `git worktree`s of one clone, across two clones
sharing a bare remote, lease expiry, and five parallel MCP stdio clients."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from leanspec.project import Project
from leanspec.store.leases import git_common_dir, state_dir

SRC = str(Path(__file__).resolve().parents[1] / "src")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}  # fmt: skip


def env(tmp: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "LEANSPEC_"))}
    if "LEANSPEC_CLAIMS_CLOCK_OFFSET" in os.environ:
        e["LEANSPEC_CLAIMS_CLOCK_OFFSET"] = os.environ["LEANSPEC_CLAIMS_CLOCK_OFFSET"]
    pp = os.environ.get("PYTHONPATH")
    return {**e, **GIT_ENV, "HOME": str(tmp / "home"), "NO_COLOR": "1", "PYTHONPATH": SRC + (os.pathsep + pp if pp else "")}


def git(cwd: Path, *args: str) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, env=env(cwd), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stderr)
    return p.stdout


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "leanspec", "--project", str(root), *args]
    return subprocess.run(cmd, env=env(root.parent), capture_output=True, text=True, timeout=120)


def parallel(jobs: list[tuple[Path, list[str]]]) -> list[tuple[int, dict[str, Any]]]:
    """Start every `lean-spec` process at once; (exit status, JSON output) of each."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "leanspec", "--project", str(root), *args, "--json"],
            env=env(root.parent),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for root, args in jobs
    ]
    out = []
    for p in procs:
        so, se = p.communicate(timeout=180)
        out.append((p.returncode, json.loads(so) if so.strip() else {"stderr": se}))
    return out


def make_project(root: Path, ready: int = 6) -> list[str]:
    """``ready`` ready specs, plus a blocked one, a complete one and a draft."""
    (root / "specs").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    p = Project.open(root)
    names = [p.create(f"task-{i}", priority="high" if i % 2 else "medium").spec.name for i in range(ready)]
    p.create("waits", depends_on=[names[0]])
    p.create("done-already", status="complete")
    p.create("sketch", status="draft")
    return names


def frontmatter(root: Path, name: str) -> dict[str, Any]:
    text = (root / "specs" / name / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---")[1])


def check_outcome(results: list[tuple[int, dict[str, Any]]], ready: list[str]) -> dict[str, str]:
    """6 distinct claims, the rest nothing_ready; returns spec -> holder."""
    won = [(d["spec"]["name"], d["lease"]["holder"]) for code, d in results if code == 0]
    lost = [d for code, d in results if code != 0]
    assert sorted(n for n, _ in won) == sorted(ready), results
    assert len(lost) == len(results) - len(ready)
    for code, d in results:
        if code != 0:
            assert code == 3 and d["error"]["code"] == "nothing_ready", d
    return dict(won)


def init_repo(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "specs")


# ======================================================================= tests
def test_ten_parallel_claims_in_one_checkout(tmp_path: Path) -> None:
    root = tmp_path / "p"
    ready = make_project(root)
    results = parallel([(root, ["claim", "--as", f"agent-{i}"]) for i in range(10)])
    holders = check_outcome(results, ready)
    for name, holder in holders.items():
        fm = frontmatter(root, name)
        assert fm["status"] == "in-progress" and fm["assignee"] == holder
    # Not in git: the leases live in .lean-spec/leases/.
    assert sorted(p.stem for p in (root / ".lean-spec" / "leases").glob("*.json")) == sorted(ready)
    claims = json.loads(cli(root, "claims", "--json").stdout)
    assert {c["spec"]: c["holder"] for c in claims["claims"]} == holders
    # The holder shows in list and view; the blocked spec is marked.
    listing = json.loads(cli(root, "list", "--deps", "--json").stdout)["specs"]
    by_name = {s["name"]: s for s in listing}
    assert by_name[ready[0]]["lease"]["holder"] == holders[ready[0]]
    waits = next(s for s in listing if s["name"].endswith("waits"))
    assert waits["blocked"] and waits["dependencies"][0]["status"] == "in-progress"
    assert f"Claimed by: {holders[ready[1]]} until" in cli(root, "view", ready[1]).stdout
    assert [s["name"] for s in json.loads(cli(root, "list", "--blocked", "--json").stdout)["specs"]] == [waits["name"]]
    assert json.loads(cli(root, "list", "--ready", "--json").stdout)["total"] == 0


def test_explicit_claims_conflict_blocked_renew_release_and_preconditions(tmp_path: Path) -> None:
    root = tmp_path / "p"
    ready = make_project(root, ready=2)
    # Ready order: highest priority first (task-1 is high), then lowest number.
    r = cli(root, "list", "--ready", "--json")
    assert [s["name"] for s in json.loads(r.stdout)["specs"]] == [ready[1], ready[0]]
    assert json.loads(cli(root, "claim", ready[0], "--as", "a", "--json").stdout)["lease"]["holder"] == "a"
    r = cli(root, "claim", ready[0], "--as", "b", "--json")
    err = json.loads(r.stdout)["error"]
    assert r.returncode == 5 and err["code"] == "conflict" and err["details"]["holder"] == "a"
    assert err["details"]["expires_at"] and "a" in r.stderr
    waits = next(p.name for p in (root / "specs").iterdir() if p.name.endswith("waits"))
    r = cli(root, "claim", waits, "--as", "b", "--json")
    err = json.loads(r.stdout)["error"]
    assert r.returncode == 7 and err["code"] == "blocked"
    assert err["details"]["open_dependencies"][0]["name"] == ready[0]
    # --force takes it anyway, with a warning about the open dependency.
    r = cli(root, "claim", waits, "--as", "b", "--force", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["warnings"] and "warning:" in r.stderr
    # Renew: only the holder.
    before = json.loads(cli(root, "claims", "--json").stdout)["claims"]
    r = cli(root, "claim", ready[0], "--as", "b", "--renew", "--json")
    assert r.returncode == 5
    r = cli(root, "claim", ready[0], "--as", "a", "--renew", "--lease", "2h", "--json")
    lease = json.loads(r.stdout)["lease"]
    assert json.loads(r.stdout)["renewed"] and lease["expires_in"] > 3600
    assert lease["expires_at"] > next(c for c in before if c["spec"] == ready[0])["expires_at"]
    # Release: only the holder; --status planned puts it back in the queue.
    assert cli(root, "release", ready[0], "--as", "b").returncode == 5
    r = cli(root, "release", ready[0], "--as", "a", "--status", "planned", "--json")
    assert r.returncode == 0, r.stderr
    fm = frontmatter(root, ready[0])
    assert fm["status"] == "planned" and "assignee" not in fm
    assert ready[0] not in [c["spec"] for c in json.loads(cli(root, "claims", "--json").stdout)["claims"]]
    # Preconditions on update.
    r = cli(root, "update", ready[0], "--status", "in-progress", "--if-status", "complete", "--json")
    err = json.loads(r.stdout)["error"]
    assert r.returncode == 5 and err["details"]["current_status"] == "planned"
    assert frontmatter(root, ready[0])["status"] == "planned"
    r = cli(root, "update", ready[0], "--assignee", "x", "--if-status", "planned", "--if-assignee", "none")
    assert r.returncode == 0 and frontmatter(root, ready[0])["assignee"] == "x"
    r = cli(root, "update", ready[0], "--assignee", "y", "--if-assignee", "none")
    assert r.returncode == 5 and frontmatter(root, ready[0])["assignee"] == "x"
    # Setting a spec with an open dependency in progress warns (stderr and JSON).
    cli(root, "claim", ready[0], "--as", "a")
    other = next(p.name for p in (root / "specs").iterdir() if p.name.endswith("done-already"))
    cli(root, "update", other, "--status", "planned")
    cli(root, "link", other, ready[0])
    r = cli(root, "update", other, "--status", "in-progress", "--json")
    assert r.returncode == 0 and "warning:" in r.stderr and json.loads(r.stdout)["warnings"]


def test_an_expired_lease_is_reclaimable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "p"
    ready = make_project(root, ready=1)
    r = cli(root, "claim", "--as", "slow", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["spec"]["name"] == ready[0]
    assert cli(root, "claim", "--as", "fast", "--json").returncode == 3
    # An hour later (LEANSPEC_CLAIMS_CLOCK_OFFSET shifts the claims' clock) it is free.
    monkeypatch.setenv("LEANSPEC_CLAIMS_CLOCK_OFFSET", "3600")
    assert json.loads(cli(root, "claims", "--json").stdout)["total"] == 0
    assert json.loads(cli(root, "claims", "--all", "--json").stdout)["claims"][0]["live"] is False
    assert [s["name"] for s in json.loads(cli(root, "list", "--ready", "--json").stdout)["specs"]] == ready
    r = cli(root, "claim", "--as", "fast", "--json")
    assert r.returncode == 0, r.stdout
    monkeypatch.delenv("LEANSPEC_CLAIMS_CLOCK_OFFSET")
    assert json.loads(r.stdout)["spec"]["name"] == ready[0]
    assert frontmatter(root, ready[0])["assignee"] == "fast"
    assert cli(root, "release", ready[0], "--as", "slow").returncode == 5
    # A real short lease expires by itself.
    assert cli(root, "release", ready[0], "--as", "fast", "--status", "planned").returncode == 0
    assert cli(root, "claim", "--as", "brief", "--lease", "1s").returncode == 0
    time.sleep(1.5)
    r = cli(root, "claim", "--as", "next", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["spec"]["name"] == ready[0]


def test_ten_parallel_claims_across_two_worktrees(tmp_path: Path) -> None:
    root = tmp_path / "p"
    ready = make_project(root)
    init_repo(root)
    wt = tmp_path / "wt2"
    git(root, "worktree", "add", "-q", str(wt), "-b", "second")
    common = git(wt, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()
    assert git_common_dir(wt) == Path(common).resolve() == git_common_dir(root)
    assert state_dir(wt) == state_dir(root) == (root / ".git" / "leanspec").resolve()
    jobs = [(root if i % 2 else wt, ["claim", "--as", f"agent-{i}"]) for i in range(10)]
    holders = check_outcome(parallel(jobs), ready)
    assert sorted(p.stem for p in (root / ".git" / "leanspec" / "leases").glob("*.json")) == sorted(holders)
    # Both worktrees list the same holders.
    for r in (root, wt):
        claims = json.loads(cli(r, "claims", "--json").stdout)["claims"]
        assert {c["spec"]: c["holder"] for c in claims} == holders


def test_ten_parallel_claims_across_two_clones_and_a_bare_remote(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    ready = make_project(seed)
    init_repo(seed)
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(seed, "push", "-q", str(bare), "main")
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(bare), str(a))
    git(tmp_path, "clone", "-q", str(bare), str(b))
    # Clone a opts in by config (committed in real life); clone b per call with --remote.
    (a / ".lean-spec").mkdir(exist_ok=True)
    (a / ".lean-spec" / "config.json").write_text(json.dumps({"claims": {"remote": "origin"}}))
    jobs = [(a, ["claim", "--as", f"agent-{i}"]) if i % 2 else (b, ["claim", "--as", f"agent-{i}", "--remote", "origin"]) for i in range(10)]
    holders = check_outcome(parallel(jobs), ready)
    refs = git(bare, "for-each-ref", "--format=%(refname)", "refs/leanspec/claims/").split()
    assert sorted(r.rsplit("/", 1)[-1] for r in refs) == sorted(ready)
    for r in (a, b):
        claims = json.loads(cli(r, "claims", "--remote", "origin", "--json").stdout)["claims"]
        assert {c["spec"]: c["holder"] for c in claims} == holders
    # A release deletes the remote ref; the spec is then free in the other clone.
    name = ready[0]
    home = a if frontmatter(a, name).get("assignee") == holders[name] else b
    other = b if home is a else a
    r = cli(home, "release", name, "--as", holders[name], "--status", "planned", "--remote", "origin")
    assert r.returncode == 0, r.stderr
    assert f"refs/leanspec/claims/{name}" not in git(bare, "for-each-ref", "--format=%(refname)")
    r = cli(other, "claim", "--as", "late", "--remote", "origin", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["spec"]["name"] == name


def test_five_parallel_mcp_clients_never_share_a_spec(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    root = tmp_path / "p"
    ready = make_project(root, ready=3)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "leanspec", "mcp", "--project", str(root)], env=env(tmp_path), cwd=str(root)
    )

    async def one(i: int) -> tuple[bool, dict[str, Any]]:
        async with Client(params, mode="legacy", cache=None, read_timeout_seconds=120) as c:
            if i == 0:
                peek = await c.call_tool("next", {})
                assert json.loads(peek.content[0].text)["ready_total"] >= 0
            res = await c.call_tool("claim", {"holder": f"mcp-{i}"})
            return bool(res.is_error), json.loads(res.content[0].text)

    async def all_of_them() -> list[tuple[bool, dict[str, Any]]]:
        return await asyncio.gather(*(one(i) for i in range(5)))

    results = asyncio.run(all_of_them())
    won = [d["spec"]["name"] for err, d in results if not err]
    assert sorted(won) == sorted(ready), results
    assert [d["error"]["code"] for err, d in results if err] == ["nothing_ready"] * 2


def test_http_claim_routes_and_patch_preconditions(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from leanspec.web.app import create_app

    root = tmp_path / "p"
    ready = make_project(root, ready=2)
    c = TestClient(create_app([root]), base_url="http://127.0.0.1:3000", headers={"Origin": "http://127.0.0.1:3000"})
    assert c.get("/api/claims/next").json()["spec"]["name"] == ready[1]
    r = c.post("/api/claims", json={"holder": "web"})
    assert r.status_code == 200 and r.json()["lease"]["holder"] == "web"
    taken = r.json()["spec"]["name"]
    r = c.post("/api/claims", json={"holder": "other", "spec": taken})
    assert r.status_code == 409 and r.json()["error"]["details"]["holder"] == "web"
    assert [x["spec"] for x in c.get("/api/claims").json()["claims"]] == [taken]
    assert c.get("/api/specs").json()["leases"][taken]["holder"] == "web"
    assert c.get(f"/api/specs/{taken}").json()["spec"]["lease"]["holder"] == "web"
    assert [s["name"] for s in c.get("/api/specs?ready=1").json()["specs"]] == [ready[0]]
    board = c.get("/api/board").json()
    cards = {s["name"]: s for g in board["groups"] for s in g["specs"]}
    assert cards[taken]["lease"]["holder"] == "web"
    r = c.post(f"/api/claims/{taken}/release", json={"holder": "web", "status": "planned"})
    assert r.status_code == 200 and r.json()["spec"]["status"] == "planned"
    # PATCH with a compare-and-set precondition (no If-Match needed).
    r = c.patch(f"/api/specs/{ready[0]}", json={"status": "in-progress", "if_status": "complete"})
    assert r.status_code == 409 and r.json()["error"]["details"]["current_status"] == "planned"
    r = c.patch(f"/api/specs/{ready[0]}", json={"assignee": "me", "if_assignee": "none"})
    assert r.status_code == 200 and r.json()["spec"]["assignee"] == "me"
    assert c.post("/api/claims", json={"holder": "x", "spec": ready[0], "lease": "soon"}).status_code == 400
