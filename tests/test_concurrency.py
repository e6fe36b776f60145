"""Many real `lean-spec` processes writing one project at the same time.

Each test starts 20+ `python -m leanspec` processes at once and checks the end state
on disk: no lost update, no duplicate or missing number, no torn file ever visible to
a reader that polls while the writers run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from leanspec.core.frontmatter import Document

N_CREATE = 22
N_TAGS = 20

# Generous: the box is small and shared; the writers queue on one lock.
ENV = {**os.environ, "NO_COLOR": "1", "LEANSPEC_LOCK_TIMEOUT": "180"}

pytestmark = pytest.mark.slow

READER = r"""
import json, os, sys
from pathlib import Path
from leanspec.core.frontmatter import Document
target, stop = Path(sys.argv[1]), Path(sys.argv[2])
reads = bad = 0
errors = []
Path(sys.argv[3]).write_text("ready")
while True:
    done = stop.exists()  # decide before reading, so the last read sees the final file
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        data = None
    if data is not None:
        reads += 1
        try:
            text = data.decode("utf-8")
            doc = Document.parse(text, path=str(target))
            assert text.startswith("---\n"), "no frontmatter"
            assert doc.data.get("status"), "no status"
            assert "# " in doc.body, "body lost"
        except Exception as exc:  # any failure is a torn or partial file
            bad += 1
            if len(errors) < 5:
                errors.append(f"{type(exc).__name__}: {exc} ({len(data)} bytes)")
    if done:
        break
print(json.dumps({"reads": reads, "bad": bad, "errors": errors}))
"""


LISTER = r"""
import json, sys
from pathlib import Path
from leanspec.store.store import Store
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
rounds = 0
bad = []
Path(sys.argv[3]).write_text("ready")
while True:
    done = stop.exists()
    res = Store.open(root).load_all()  # exactly what `list` does, lock-free
    rounds += 1
    for p in res.problems:
        bad.append(f"problem: {p.path}: {p.reason}")
    for s in res.specs:
        if s.name.split("-", 1)[1].startswith("parallel-") and "## Overview" not in s.body:
            bad.append(f"partial spec visible: {s.name}")
    names = [s.name for s in res.specs]
    if len(names) != len(set(names)):
        bad.append("a spec listed twice")
    if done:
        break
print(json.dumps({"rounds": rounds, "bad": bad[:5], "nbad": len(bad)}))
"""


def _spawn(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "leanspec", "--project", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    out = []
    for p in procs:
        o, e = p.communicate(timeout=300)
        out.append((p.returncode, o, e))
    return out


class Reader:
    """A separate process that re-reads one file (or, with LISTER, the whole project)
    in a tight loop and parses it."""

    def __init__(self, target: Path, tmp: Path, script: str = READER) -> None:
        self.stop = tmp / "reader.stop"
        ready = tmp / "reader.ready"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, str(target), str(self.stop), str(ready)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "reader did not start"
            time.sleep(0.01)

    def result(self) -> dict:
        self.stop.write_text("stop")
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        return json.loads(out)


def test_parallel_create_numbers_unique_and_contiguous(fixture_project: Path, tmp_path: Path) -> None:
    specs = fixture_project / "specs"
    before = {p.name for p in specs.iterdir()}
    lister = Reader(fixture_project, tmp_path, LISTER)
    procs = [
        _spawn(fixture_project, "create", f"parallel-{i}", "--tags", f"p{i}", "--priority", "high", "--json")
        for i in range(N_CREATE)
    ]
    results = _finish(procs)
    seen = lister.result()
    assert seen["nbad"] == 0, seen["bad"]
    assert seen["rounds"] > 0
    for code, _out, err in results:
        assert code == 0, err
    reported = [json.loads(out)["spec"] for _c, out, _e in results]
    numbers = sorted(s["number"] for s in reported)
    # The fixture's highest number is 155 (archived/ counts too).
    assert numbers == list(range(156, 156 + N_CREATE)), numbers

    new = sorted(p for p in specs.iterdir() if p.name not in before)
    assert len(new) == N_CREATE
    assert not [p for p in specs.iterdir() if ".lstmp-" in p.name], "temp folder left behind"
    by_slug = {}
    for d in new:
        number, slug = d.name.split("-", 1)
        assert len(number) == 3
        readme = (d / "README.md").read_text(encoding="utf-8")
        doc = Document.parse(readme)
        assert doc.data["status"] == "planned"
        assert doc.data["priority"] == "high"
        assert doc.data["created_at"]
        assert "## Overview" in doc.body  # the whole template landed
        by_slug[slug] = doc
    for i in range(N_CREATE):
        assert by_slug[f"parallel-{i}"].data["tags"] == [f"p{i}"]
    # Every process reported the folder it really made.
    assert sorted(s["name"] for s in reported) == sorted(d.name for d in new)

    # And the CLI agrees: no duplicates, no problems.
    listing = subprocess.run(
        [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "list", "--json"],
        capture_output=True, text=True, env=ENV, timeout=120,
    )
    data = json.loads(listing.stdout)
    assert data["problems"] == []
    nums = [s["number"] for s in data["specs"]]
    assert len(nums) == len(set(nums))


def test_parallel_updates_of_one_spec_lose_nothing(fixture_project: Path, tmp_path: Path) -> None:
    target = fixture_project / "specs" / "147-json-config-format" / "README.md"
    before = Document.parse(target.read_text(encoding="utf-8"))
    assert "transitions" not in before.data

    reader = Reader(target, tmp_path)
    procs = [_spawn(fixture_project, "update", "147", "--add-tags", f"tag-{i}", "--json") for i in range(N_TAGS)]
    statuses = ["in-progress", "planned", "in-progress", "planned", "in-progress"]
    procs += [_spawn(fixture_project, "update", "147", "--status", s, "--json") for s in statuses]
    procs += [_spawn(fixture_project, "update", "147", "--priority", p, "--json") for p in ("high", "low")]
    results = _finish(procs)
    seen = reader.result()

    for code, _out, err in results:
        assert code == 0, err
    assert seen["bad"] == 0, seen["errors"]
    assert seen["reads"] > 0

    text = target.read_text(encoding="utf-8")
    doc = Document.parse(text)
    fm = doc.data
    for i in range(N_TAGS):
        assert f"tag-{i}" in fm["tags"], f"lost update: tag-{i}"
    assert fm["tags"][:3] == ["ui", "config", "breaking-change"]
    assert len(fm["tags"]) == 3 + N_TAGS

    # Every status change a process reported is recorded, in order, exactly once.
    status_results = [json.loads(out) for _c, out, _e in results[N_TAGS : N_TAGS + len(statuses)]]
    changed = [r for r in status_results if "status" in r["changed"]]
    assert all(r["written"] for r in changed)
    trans = fm["transitions"]
    assert len(trans) == len(changed)
    assert len(changed) >= 1
    stamps = [t["at"] for t in trans]
    assert stamps == sorted(stamps)
    for a, b in zip(trans, trans[1:], strict=False):
        assert a["status"] != b["status"], "a no-op status change was recorded"
    assert fm["status"] == trans[-1]["status"]
    assert fm["priority"] in ("high", "low")
    # The header line agrees with the frontmatter after the last write.
    assert f"**Tags**: {', '.join(fm['tags'])}" in doc.body
    # The file is still plain YAML any other tool can read.
    assert yaml.safe_load(text.split("---\n")[1])["status"] == fm["status"]


def test_writer_waits_for_lock_then_busy(fixture_project: Path) -> None:
    """With the lock held by another process, a write gives up after
    LEANSPEC_LOCK_TIMEOUT with exit 6 and a clear message, and changes nothing."""
    lean = fixture_project / ".lean-spec"
    # A first harmless write creates the lock file and .gitignore (local state).
    assert subprocess.run(
        [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "update", "147", "--add-tags", "warm"],
        capture_output=True, env=ENV, timeout=120,
    ).returncode == 0
    snap = _tree(fixture_project)

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,os,sys,time\n"
            "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\n"
            "fcntl.flock(fd,fcntl.LOCK_EX)\n"
            "print('held',flush=True)\n"
            "sys.stdin.read()\n",
            str(lean / "write.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        env = {**ENV, "LEANSPEC_LOCK_TIMEOUT": "0.5"}
        for args in (
            ["update", "147", "--status", "in-progress"],
            ["create", "blocked-spec"],
            ["archive", "147"],
            ["link", "147", "150"],
        ):
            p = subprocess.run(
                [sys.executable, "-m", "leanspec", "--project", str(fixture_project), *args, "--json"],
                capture_output=True, text=True, env=env, timeout=120,
            )
            assert p.returncode == 6, (args, p.stdout, p.stderr)
            err = json.loads(p.stdout)["error"]
            assert err["code"] == "busy"
            assert "another process is writing" in err["message"]
            assert "error: another process is writing specs" in p.stderr
            assert "Traceback" not in p.stderr
        # Reads do not take the lock.
        p = subprocess.run(
            [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "view", "147", "--json"],
            capture_output=True, text=True, env=env, timeout=120,
        )
        assert p.returncode == 0
        assert _tree(fixture_project) == snap
    finally:
        holder.communicate(input="", timeout=60)
    # Once the holder is gone the same write goes through.
    p = subprocess.run(
        [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "update", "147", "--status", "in-progress"],
        capture_output=True, text=True, env={**ENV, "LEANSPEC_LOCK_TIMEOUT": "5"}, timeout=120,
    )
    assert p.returncode == 0, p.stderr


def _tree(root: Path) -> dict[str, str]:
    import hashlib

    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith(".lean-spec/cache"):
            continue  # the read cache is local state, rebuilt at will
        if p.is_file() and rel != ".lean-spec/write.lock":
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[rel] = "dir"
    return out
