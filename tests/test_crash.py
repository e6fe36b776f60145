"""SIGKILL during writes: afterwards every file is entirely old or entirely new, no
half-built spec is visible, and the next command works.

Two kinds of kill:

* **at every crash point**: the CLI runs under a tiny wrapper that pauses it just
  before its k-th durability call (fsync / rename / replace). The test checks what a
  reader sees while the writer is frozen there, then SIGKILLs it, checks the disk and
  moves on to k+1 until the command runs to the end. This visits every step of the
  write sequence deterministically.
* **at random moments**: plain `python -m leanspec` processes killed after a random
  delay (seed printed on failure), as a fuzz on top.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leanspec.core.frontmatter import Document

pytestmark = pytest.mark.slow

ENV = {**os.environ, "NO_COLOR": "1", "LEANSPEC_LOCK_TIMEOUT": "60"}

# Pauses the CLI right before its k-th call of os.fsync/os.replace/os.rename on
# anything under specs/ (other local state such as a cache does not count), writes
# the call name to a marker file, then sleeps until it is killed.
HOOK = r"""
import os, sys, time, runpy
marker, at, scope = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = [0]
def target(name, a):
    if name == "fsync":
        try:
            return os.readlink(f"/proc/self/fd/{a[0]}")
        except OSError:
            return ""
    return os.fspath(a[0])
def wrap(name):
    orig = getattr(os, name)
    def hooked(*a, **k):
        if not target(name, a).startswith(scope):
            return orig(*a, **k)
        count[0] += 1
        if count[0] == at:
            with open(marker + ".tmp", "w") as f:
                f.write(name)
            os.rename(marker + ".tmp", marker)
            time.sleep(600)
        return orig(*a, **k)
    setattr(os, name, hooked)
for n in ("fsync", "replace", "rename"):
    wrap(n)
sys.argv = ["lean-spec", *sys.argv[4:]]
runpy.run_module("leanspec", run_name="__main__", alter_sys=True)
"""

BIG_LINE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 2 + "\n"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leanspec", "--project", str(root), *args],
        capture_output=True, text=True, env=env or ENV, timeout=180,
    )


def big_body(mb: float, tag: str) -> str:
    n = int(mb * 1024 * 1024 / len(BIG_LINE))
    return f"# Big {tag}\n\n## Overview\n\n" + BIG_LINE * n + f"\nEND-OF-{tag}\n"


def run_paused(root: Path, tmp: Path, at: int, *args: str) -> tuple[subprocess.Popen[str], str | None]:
    """Start the CLI under the hook; return (process, name of the call it froze before)
    or (process, None) if it finished without reaching call number ``at``."""
    marker = tmp / f"marker-{at}-{time.monotonic_ns()}"
    p = subprocess.Popen(
        [sys.executable, "-c", HOOK, str(marker), str(at), str((root / "specs").resolve()), "--project", str(root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    deadline = time.monotonic() + 120
    while True:
        if marker.exists():
            return p, marker.read_text()
        if p.poll() is not None:
            return p, None
        assert time.monotonic() < deadline, "writer neither paused nor finished"
        time.sleep(0.005)


def kill(p: subprocess.Popen[str]) -> None:
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL


def visible_specs(root: Path) -> dict:
    r = cli(root, "list", "--archived", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def norm_updated(data: bytes) -> bytes:
    return re.sub(rb"updated_at: '[^']*'", b"updated_at: X", data)


def temps(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if ".lstmp-" in p.name)


# --------------------------------------------------------------------- update
def test_kill_update_of_big_spec_at_every_crash_point(fixture_project: Path, tmp_path: Path) -> None:
    root = fixture_project
    # A 4 MB spec, created through the tool (this also creates .lean-spec/ state).
    src = tmp_path / "big.md"
    src.write_text(big_body(4, "OLD"), encoding="utf-8")
    r = cli(root, "create", "big-spec", "--file", str(src), "--json")
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)["spec"]
    readme = root / spec["path"]
    sdir = readme.parent
    old = readme.read_bytes()
    old_hash = sha(readme)
    old_file = tmp_path / "old.md"
    old_file.write_bytes(old)

    # What the finished update writes (apart from the updated_at time), from a copy.
    ref_root = tmp_path / "ref"
    subprocess.run(["cp", "-a", str(root), str(ref_root)], check=True)
    r = cli(ref_root, "update", spec["name"], "--add-tags", "crash-test", "--priority", "critical")
    assert r.returncode == 0, r.stderr
    new_norm = norm_updated((ref_root / spec["path"]).read_bytes())
    assert new_norm != norm_updated(old)

    points: list[str] = []
    at = 1
    while True:
        p, point = run_paused(root, tmp_path, at, "update", spec["name"], "--add-tags", "crash-test", "--priority", "critical")
        if point is None:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            break
        points.append(point)
        # Frozen inside the transaction: a lock-free reader sees a whole file.
        seen = readme.read_bytes()
        assert seen == old or norm_updated(seen) == new_norm
        kill(p)
        data = readme.read_bytes()
        if data != old:
            assert norm_updated(data) == new_norm, f"torn file after kill at call {at} ({point})"
        # Temp files are invisible to readers...
        listed = visible_specs(root)
        assert listed["problems"] == []
        mine = [s for s in listed["specs"] if s["name"] == spec["name"]]
        assert len(mine) == 1 and not any(".lstmp-" in f for f in mine[0]["sub_specs"])
        # ...and the next write succeeds at once (the kernel dropped the dead holder's
        # flock) and cleans them up. Put the old file back for the next crash point.
        r = cli(root, "update", spec["name"], "--content-file", str(old_file), env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
        assert r.returncode == 0, r.stderr
        assert temps(sdir) == []
        assert Document.parse(readme.read_text(encoding="utf-8")).body.endswith("END-OF-OLD\n")
        readme.write_bytes(old)  # exact bytes, so every round starts from the same state
        assert sha(readme) == old_hash
        at += 1
    # The sequence we froze at: the temp file's fsync, the rename, the directory fsync.
    assert points == ["fsync", "replace", "fsync"], points
    assert norm_updated(readme.read_bytes()) == new_norm


def test_kill_update_at_random_moments(fixture_project: Path, tmp_path: Path) -> None:
    root = fixture_project
    src = tmp_path / "big.md"
    src.write_text(big_body(3, "OLD"), encoding="utf-8")
    r = cli(root, "create", "fuzz-spec", "--file", str(src), "--json")
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)["spec"]
    readme = root / spec["path"]
    new_body = big_body(3, "NEW")
    content_file = tmp_path / "new.md"
    content_file.write_text(new_body, encoding="utf-8")

    # One unkilled run on a copy gives the expected new file and the run time.
    ref_root = tmp_path / "ref"
    subprocess.run(["cp", "-a", str(root), str(ref_root)], check=True)
    t0 = time.monotonic()
    r = cli(ref_root, "update", spec["name"], "--content-file", str(content_file), "--add-tags", "fuzz")
    duration = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    new_norm = norm_updated((ref_root / spec["path"]).read_bytes())

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = {"old": 0, "new": 0}
    old = readme.read_bytes()
    for _ in range(8):
        p = subprocess.Popen(
            [sys.executable, "-m", "leanspec", "--project", str(root), "update", spec["name"],
             "--content-file", str(content_file), "--add-tags", "fuzz"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
        )
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        data = readme.read_bytes()
        if data == old:
            outcomes["old"] += 1
        else:
            assert norm_updated(data) == new_norm, f"torn file (seed {seed})"
            outcomes["new"] += 1
        listed = visible_specs(root)
        assert listed["problems"] == [], seed
        # Back to the old content for the next round (also proves the lock is free).
        r = cli(root, "update", spec["name"], "--content-file", str(src), env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
        assert r.returncode == 0, (seed, r.stderr)
        assert temps(readme.parent) == []
        assert Document.parse(readme.read_text(encoding="utf-8")).body.endswith("END-OF-OLD\n")
        readme.write_bytes(old)  # exact bytes, so every round starts from the reference state
    assert sum(outcomes.values()) == 8


# --------------------------------------------------------------------- create
def test_kill_create_at_every_crash_point(fixture_project: Path, tmp_path: Path) -> None:
    root = fixture_project
    specs = root / "specs"
    content = tmp_path / "content.md"
    content.write_text(big_body(4, "CREATE"), encoding="utf-8")
    # Warm up: local state (.lean-spec/.gitignore) exists, so the counts below only
    # see the create's own calls.
    assert cli(root, "update", "147", "--add-tags", "warm").returncode == 0
    names_before = sorted(p.name for p in specs.iterdir())

    points: list[str] = []
    at = 1
    while True:
        p, point = run_paused(root, tmp_path, at, "create", "crash-create", "--file", str(content), "--json")
        if point is None:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            created = json.loads(out)["spec"]
            break
        points.append(point)
        # While the writer is frozen, a reader never sees the spec half-built.
        listed = visible_specs(root)
        assert listed["problems"] == []
        for s in listed["specs"]:
            if "crash-create" in s["name"]:  # only after the folder rename, and then whole
                assert points[-1] == "fsync" and "rename" in points[:-1]
                assert (root / s["path"]).read_text(encoding="utf-8").endswith("END-OF-CREATE\n")
        kill(p)
        visible = sorted(n for n in (x.name for x in specs.iterdir()) if ".lstmp-" not in n)
        listed = visible_specs(root)
        assert listed["problems"] == []
        made = [s for s in listed["specs"] if "crash-create" in s["name"]]
        if made:
            # Killed after the folder rename: the spec is complete.
            (d,) = made
            body = Document.parse((root / d["path"]).read_text(encoding="utf-8")).body
            assert body.endswith("END-OF-CREATE\n")
            r = cli(root, "update", d["name"], "--add-tags", "survived")
            assert r.returncode == 0, r.stderr
            # Undo it for the next round, the way a user would (archive + delete).
            import shutil

            shutil.rmtree(root / Path(d["path"]).parent)
        else:
            assert visible == names_before
        # The next write works and removes the hidden temp folder.
        r = cli(root, "update", "147", "--add-tags", f"after-{at}", env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
        assert r.returncode == 0, r.stderr
        assert temps(specs) == []
        assert sorted(p.name for p in specs.iterdir()) == names_before
        at += 1
    # README fsync, folder fsync, folder rename, specs/ fsync.
    assert points == ["fsync", "fsync", "rename", "fsync"], points
    assert created["number"] == 156
    assert (root / created["path"]).read_text(encoding="utf-8").endswith("END-OF-CREATE\n")


def test_kill_create_at_random_moments(fixture_project: Path, tmp_path: Path) -> None:
    root = fixture_project
    specs = root / "specs"
    content = tmp_path / "content.md"
    content.write_text(big_body(3, "FUZZ"), encoding="utf-8")
    t0 = time.monotonic()
    r = cli(root, "create", "timing-run", "--file", str(content))
    duration = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for i in range(8):
        p = subprocess.Popen(
            [sys.executable, "-m", "leanspec", "--project", str(root), "create", f"fuzz-{i}", "--file", str(content)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
        )
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        listed = visible_specs(root)
        assert listed["problems"] == [], seed
        for s in listed["specs"]:
            if s["name"].split("-", 1)[1].startswith("fuzz-"):
                text = (root / s["path"]).read_text(encoding="utf-8")
                assert text.endswith("END-OF-FUZZ\n"), f"half-created spec visible (seed {seed})"
    # The next create works, gets a fresh unique number and leaves no temp behind.
    r = cli(root, "create", "after-fuzz", "--json", env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr
    assert temps(specs) == []
    nums = [s["number"] for s in visible_specs(root)["specs"] if s["number"] > 155]  # 038 is doubled in the fixture
    assert len(nums) == len(set(nums)), seed
    assert nums and sorted(nums) == list(range(156, 156 + len(nums))), seed
    assert json.loads(r.stdout)["spec"]["number"] == max(nums)


def test_killed_lock_holder_does_not_block_next_writer(fixture_project: Path, tmp_path: Path) -> None:
    root = fixture_project
    assert cli(root, "update", "147", "--add-tags", "warm").returncode == 0
    readme = root / "specs" / "150-tag-management" / "README.md"
    before = readme.read_bytes()
    p, point = run_paused(root, tmp_path, 1, "update", "150", "--status", "in-progress")
    assert point == "fsync"  # frozen inside the transaction, holding the lock
    busy = cli(root, "update", "152", "--add-tags", "x", "--json", env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "0.3"})
    assert busy.returncode == 6, busy.stdout
    kill(p)
    assert readme.read_bytes() == before
    r = cli(root, "update", "152", "--add-tags", "x", env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr
    assert (root / ".lean-spec" / "write.lock").exists()  # the file stays; the lock does not


# -------------------------------------------------------------------- archive
def test_kill_archive_at_every_crash_point(fixture_project: Path, tmp_path: Path) -> None:
    """archive = one atomic status write, then one folder rename. Killed anywhere, the
    spec is whole and in exactly one place, and running archive again finishes it."""
    root = fixture_project
    specs = root / "specs"
    name = "150-tag-management"
    original = (specs / name / "README.md").read_bytes()
    assert cli(root, "update", "147", "--add-tags", "warm").returncode == 0
    points: list[str] = []
    at = 1
    while True:
        p, point = run_paused(root, tmp_path, at, "archive", name)
        if point is None:
            _out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            break
        points.append(point)
        kill(p)
        here, there = specs / name, specs / "archived" / name
        assert here.exists() != there.exists(), "the folder must be in exactly one place"
        readme = (here if here.exists() else there) / "README.md"
        data = readme.read_bytes()
        if data != original:
            assert Document.parse(data.decode("utf-8")).data["status"] == "archived"
        listed = visible_specs(root)
        assert listed["problems"] == []
        assert [s["name"] for s in listed["specs"]].count(name) == 1
        # Re-running archive completes the job (the lock is free at once).
        r = cli(root, "archive", name, "--json", env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"})
        assert r.returncode == 0, r.stderr
        assert there.is_dir() and not here.exists() and temps(there) == []
        trans = Document.parse((there / "README.md").read_text(encoding="utf-8")).data["transitions"]
        assert [t["status"] for t in trans].count("archived") == 1  # never recorded twice
        # Back to the start for the next crash point.
        there.rename(here)
        (here / "README.md").write_bytes(original)
        at += 1
    # Status write (temp fsync, replace, dir fsync), then the move (rename, two dir fsyncs).
    assert points == ["fsync", "replace", "fsync", "rename", "fsync", "fsync"], points
    assert (specs / "archived" / name / "README.md").is_file()
