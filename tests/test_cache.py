"""The metadata cache never changes results: random edits through the tool and behind
its back (same-size rewrites within one timestamp tick, deleted and renamed folders,
sub-spec files, malformed specs, damaged cache files) give the same output with the
cache as with ``LEANSPEC_NO_CACHE=1``."""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import cli_inprocess, cli_subprocess
from leanspec.insight.board import build_board
from leanspec.insight.search import search
from leanspec.project import Project, UpdateOps
from leanspec.store import cache, cachefile

CACHE_REL = Path(".lean-spec/cache/specs.pickle")


def snapshot(root: Path, monkeypatch: pytest.MonkeyPatch, *, use_cache: bool) -> dict[str, Any]:
    """Everything the read path produces that a cache could get wrong."""
    if use_cache:
        monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    p = Project.open(root)
    res = p.load()
    specs = res.specs
    out = {
        "specs": [s.to_dict() for s in specs],
        "problems": [x.to_dict() for x in res.problems],
        "bodies": {s.name: s.body for s in specs},
        "content": [s.to_dict(content=True) for s in specs],
        "fields": [(s.status, s.tags, s.title, s.checklist, s.size, s.mtime, s.archived) for s in specs],
        "board": build_board(specs, include_archived=True),
        "search": search(specs, "the"),
        "list": [s.name for s in p.list(status="planned,in-progress", sort="priority")[0]],
    }
    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    return json.loads(json.dumps(out, default=str))


def assert_same(root: Path, monkeypatch: pytest.MonkeyPatch, *, fresh_process: bool = False) -> dict[str, Any]:
    if fresh_process:
        cache.forget(Project.open(root).store)  # as if a new process started: reload from disk
    with_cache = snapshot(root, monkeypatch, use_cache=True)
    again = snapshot(root, monkeypatch, use_cache=True)  # second pass: mostly cache hits
    without = snapshot(root, monkeypatch, use_cache=False)
    assert with_cache == without
    assert again == without
    return without


def readmes(root: Path) -> list[Path]:
    return sorted(root.glob("specs/**/README.md"))


def rewrite_same_size_same_mtime(path: Path, rnd: random.Random) -> None:
    """Change bytes in place (same inode, same size) and put the old mtime back: only
    ctime (and the content) tells the difference."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    body_at = data.find(b"\n---", 3) + 5
    candidates = [i for i in range(body_at, len(data)) if data[i : i + 1].isalpha()]
    if not candidates:
        return
    for i in rnd.sample(candidates, min(5, len(candidates))):
        data[i] = ord("Q") if data[i] != ord("Q") else ord("Z")
    i = data.find(b"- [ ]", body_at)
    if i >= 0:
        data[i + 3] = ord("x")  # and tick a checkbox: checklist counts must follow
    with open(path, "r+b") as f:
        f.write(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def random_step(root: Path, rnd: random.Random, monkeypatch: pytest.MonkeyPatch) -> str:
    p = Project.open(root)
    files = readmes(root)
    live = [f for f in files if "/.tmp" not in str(f)]
    op = rnd.choice(
        [
            "tool-update",
            "tool-create",
            "tool-check",
            "tool-archive",
            "same-size",
            "same-size",
            "append",
            "delete",
            "rename",
            "sub-add",
            "sub-remove",
            "malformed",
            "truncate-cache",
            "garbage-cache",
            "fresh-process",
        ]
    )
    spec_dir = rnd.choice(live).parent if live else None
    name = spec_dir.name if spec_dir else ""
    try:
        if op == "tool-update" and spec_dir:
            p.update(
                name,
                UpdateOps(status=rnd.choice(["planned", "in-progress"]), add_tags=[f"t{rnd.randint(0, 5)}"]),
                force=True,
            )
        elif op == "tool-create":
            p.create(f"made-{rnd.randint(0, 10**6)}", title="Made by the tool", tags=["rnd"])
        elif op == "tool-check" and spec_dir:
            p.update(name, UpdateOps(content=f"# Title {rnd.randint(0, 99)}\n\n- [x] done\n- [ ] open\n"), force=True)
        elif op == "tool-archive" and spec_dir:
            p.archive(name)
        elif op == "same-size" and spec_dir:
            rewrite_same_size_same_mtime(spec_dir / "README.md", rnd)
        elif op == "append" and spec_dir:
            with open(spec_dir / "README.md", "a") as f:
                f.write(f"\n- [ ] appended {rnd.randint(0, 99)}\n")
        elif op == "delete" and spec_dir:
            shutil.rmtree(spec_dir)
        elif op == "rename" and spec_dir:
            num = 900 + rnd.randint(0, 99)
            dest = spec_dir.parent / f"{num}-renamed-{rnd.randint(0, 999)}"
            if not dest.exists():
                spec_dir.rename(dest)
        elif op == "sub-add" and spec_dir:
            (spec_dir / f"NOTE{rnd.randint(0, 3)}.md").write_text("# note\n")
        elif op == "sub-remove" and spec_dir:
            subs = [x for x in spec_dir.iterdir() if x.name != "README.md" and x.is_file()]
            if subs:
                rnd.choice(subs).unlink()
        elif op == "malformed" and spec_dir:
            (spec_dir / "README.md").write_text("---\nstatus: [unclosed\n---\n# Broken\n")
        elif op == "truncate-cache":
            c = root / CACHE_REL
            if c.exists():
                data = c.read_bytes()
                c.write_bytes(data[: rnd.randint(0, max(0, len(data) - 1))])
        elif op == "garbage-cache":
            (root / CACHE_REL).parent.mkdir(parents=True, exist_ok=True)
            (root / CACHE_REL).write_bytes(os.urandom(rnd.randint(0, 300)))
        elif op == "fresh-process":
            cache.forget(p.store)
    except Exception as exc:  # a tool refusal (e.g. malformed spec) is fine: it changes nothing
        from leanspec.core.errors import LeanSpecError

        if not isinstance(exc, LeanSpecError):
            raise
    return op


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_edit_sequences_give_identical_results(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    assert_same(fixture_project, monkeypatch)
    ops = []
    for _ in range(18):
        ops.append(random_step(fixture_project, rnd, monkeypatch))
        assert_same(fixture_project, monkeypatch, fresh_process=rnd.random() < 0.3)
    assert len(set(ops)) > 5  # the sequence really mixed kinds of edits


def _advance_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make the cache believe its entries were verified long after they changed, so
    they are trusted (not racy) and only the stat key protects them."""
    real = time.time_ns

    class FakeTime:
        @staticmethod
        def time_ns() -> int:
            return real() + int(seconds * 1e9)

    monkeypatch.setattr(cache, "time", FakeTime)


def test_same_size_rewrite_within_one_tick_is_seen(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Right after a listing the entries are racy: a same-size, same-mtime rewrite in
    the same timestamp tick must still be noticed (git's racy-index rule)."""
    rnd = random.Random(7)
    assert_same(fixture_project, monkeypatch)
    for f in readmes(fixture_project)[:5]:
        rewrite_same_size_same_mtime(f, rnd)
        assert_same(fixture_project, monkeypatch)


def test_trusted_entries_still_notice_ctime(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries verified long after their last change are trusted; a later same-size
    rewrite with the old mtime put back still changes ctime, which is part of the key."""
    _advance_clock(monkeypatch, 10)
    first = assert_same(fixture_project, monkeypatch)
    c = cache.get_cache(Project.open(fixture_project).store)
    assert c.files, "the cache holds entries"
    time.sleep(0.02)  # step past the filesystem's ctime tick
    rnd = random.Random(3)
    target = readmes(fixture_project)[0]
    rewrite_same_size_same_mtime(target, rnd)
    after = assert_same(fixture_project, monkeypatch, fresh_process=True)
    assert after["bodies"] != first["bodies"]


def test_lists_are_served_from_the_cache(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second load reads no README: a hit carries metadata only, bodies come on demand."""
    _advance_clock(monkeypatch, 10)
    store = Project.open(fixture_project).store
    store.load_all()
    sess = cache.Session(store, cache.get_cache(store))
    entries = store.entries()
    specs = [sess.load(e) for e in entries]
    assert sess.misses == 0 and sess.hits == len(entries)
    assert all(isinstance(s, cache.CachedSpec) for s in specs)
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    plain = {s.name: s for s in store.load_all().specs}
    for s in specs:
        assert s.to_dict() == plain[s.name].to_dict()
        assert s.body == plain[s.name].body


def test_body_read_after_a_change_moves_the_whole_spec_forward(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _advance_clock(monkeypatch, 10)
    p = Project.open(fixture_project)
    p.load()
    spec = next(s for s in p.load().specs if isinstance(s, cache.CachedSpec) and s.name.startswith("147"))
    path = fixture_project / spec.path
    path.write_text(path.read_text().replace("status: ", "priority: low\nstatus: ", 1) + "\n- [x] new item\n")
    body = spec.body  # first access, after the change
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    now = p.get(spec.name)
    assert body == now.body
    assert spec.content_hash == now.content_hash
    assert spec.to_dict() == now.to_dict()


@pytest.mark.parametrize(
    "damage",
    ["truncated", "empty", "garbage", "foreign-version", "foreign-magic", "wrong-shape", "planted-code"],
)
def test_damaged_cache_is_ignored_and_rebuilt(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, damage: str, tmp_path: Path
) -> None:
    root = fixture_project
    assert_same(root, monkeypatch)
    cf = root / CACHE_REL
    good = cf.read_bytes()
    marker = tmp_path / "pwned"
    if damage == "truncated":
        cf.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        cf.write_bytes(b"")
    elif damage == "garbage":
        cf.write_bytes(b"\x80\x05garbage" * 50)
    elif damage == "foreign-version":
        hdr = (999, (3, 0), "0.0.0", "README.md")
        cf.write_bytes(cachefile.base_magic() + pickle.dumps((hdr, {}, {})))
    elif damage == "foreign-magic":
        cf.write_bytes(b"SOMETHING-ELSE\n" + good[len(cachefile.base_magic()) :])
    elif damage == "wrong-shape":
        cf.write_bytes(cachefile.base_magic() + pickle.dumps([1, 2, 3]))
    elif damage == "planted-code":

        class Evil:
            def __reduce__(self) -> Any:
                return (os.system, (f"touch {marker}",))

        cf.write_bytes(cachefile.base_magic() + pickle.dumps(Evil()))
    state = cache.status(Project.open(root).store)["state"]
    assert state in ("corrupt", "foreign")
    assert_same(root, monkeypatch, fresh_process=True)
    assert not marker.exists(), "unpickling the cache must never run code"
    assert cache.status(Project.open(root).store)["state"] == "loaded"  # rebuilt


def test_unwritable_cache_location_is_skipped(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file where the cache folder should be: every write fails (works as root too).
    (fixture_project / ".lean-spec").mkdir(exist_ok=True)
    (fixture_project / ".lean-spec" / "cache").write_text("not a folder")
    assert_same(fixture_project, monkeypatch, fresh_process=True)
    assert (fixture_project / ".lean-spec" / "cache").read_text() == "not a folder"
    r = cli_inprocess(fixture_project, "list", "--json")
    assert r.code == 0, r.err


def test_deleting_the_cache_changes_nothing_but_speed(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = cli_subprocess(fixture_project, "list", "--archived", "--json")
    assert (fixture_project / CACHE_REL).exists()
    assert cli_subprocess(fixture_project, "cache", "clear").code == 0
    assert not (fixture_project / CACHE_REL).exists()
    after = cli_subprocess(fixture_project, "list", "--archived", "--json")
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    off = cli_subprocess(fixture_project, "list", "--archived", "--json")
    assert before.code == after.code == off.code == 0
    assert before.out == after.out == off.out
    assert json.loads(before.out)["total"] > 5


def test_cache_command(fixture_project: Path) -> None:
    r = cli_inprocess(fixture_project, "cache", "status", "--json")
    assert r.code == 0 and r.json["state"] == "missing" and r.json["entries"] == 0
    r = cli_inprocess(fixture_project, "cache", "rebuild", "--json")
    assert r.code == 0 and r.json["ok"] and r.json["state"] == "loaded"
    n = len(readmes(fixture_project))
    assert r.json["entries"] == n and r.json["specs"] == n
    assert (fixture_project / ".lean-spec/cache/.gitignore").read_text().strip().endswith("*")
    r = cli_inprocess(fixture_project, "cache", "--json")
    assert r.json["entries"] == n and r.json["path"] == ".lean-spec/cache/specs.pickle"
    r = cli_inprocess(fixture_project, "cache", "clear", "--json")
    assert r.json == {"ok": True, "removed": True}
    r = cli_inprocess(fixture_project, "cache", "clear", "--json")
    assert r.json == {"ok": True, "removed": False}
    r = cli_inprocess(fixture_project, "cache", "bogus")
    assert r.code == 2


def test_writes_through_the_tool_are_seen_immediately(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _advance_clock(monkeypatch, 10)  # even when every entry is trusted
    p = Project.open(fixture_project)
    p.load()
    r = p.update("147", UpdateOps(status="in-progress", add_tags=["cached"]))
    spec = next(s for s in p.load().specs if s.name == r.spec.name)
    assert spec.status == "in-progress" and "cached" in spec.tags
    assert spec.content_hash == r.spec.content_hash
    c = p.create("brand-new", title="Brand new")
    assert c.spec.name in [s.name for s in p.load().specs]
    assert_same(fixture_project, monkeypatch)


def test_concurrent_processes_never_corrupt_the_cache(fixture_project: Path) -> None:
    """Readers racing each other (and a writer) while saving the cache: every run
    succeeds and the cache file always loads."""
    code = (
        "import sys, random\n"
        "from leanspec.project import Project, UpdateOps\n"
        "from leanspec.store import cache\n"
        "p = Project.open(sys.argv[1]); w = sys.argv[2] == 'w'\n"
        "for i in range(12):\n"
        "    cache.forget(p.store)\n"
        "    if w and i % 3 == 0:\n"
        "        p.update('147', UpdateOps(add_tags=[f'c{i}']))\n"
        "    r = p.load()\n"
        "    assert len(r.specs) > 5, r\n"
        "    [s.to_dict() for s in r.specs]\n"
    )
    env = {**os.environ}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(fixture_project), role], env=env, stderr=subprocess.PIPE)
        for role in ("w", "r", "r", "r")
    ]
    for pr in procs:
        _, err = pr.communicate(timeout=240)
        assert pr.returncode == 0, err.decode()[-2000:]
    assert cache.status(Project.open(fixture_project).store)["state"] == "loaded"
    leftovers = [x.name for x in (fixture_project / CACHE_REL).parent.iterdir() if x.name.endswith(".tmp")]
    assert leftovers == []


def test_read_only_project_gets_no_cache(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mode bits say read-only: nothing is written, even when running as root."""
    lean = fixture_project / ".lean-spec"
    lean.mkdir(exist_ok=True)
    lean.chmod(0o555)
    try:
        assert_same(fixture_project, monkeypatch, fresh_process=True)
        assert not (lean / "cache").exists()
    finally:
        lean.chmod(0o755)


@pytest.mark.parametrize(
    "text",
    [
        "---\nstatus: planned\n---\n# T\n\nbody\n",
        "\ufeff---\r\nstatus: planned\r\n---\r\n# T\r\n- [ ] x\r\n",
        "---\nstatus: planned\n...\nafter dots\n",
        "---\nstatus: planned\n---",
        "# No frontmatter\n\n- [x] done\n",
        "\ufeff# BOM, no frontmatter\n",
        "---  \nstatus: planned\n---   \n\n\nspaced\n",
    ],
)
def test_body_split_matches_the_document_parser(text: str) -> None:
    from leanspec.core.frontmatter import Document

    assert cache.body_of(text) == Document.parse(text).body


def _session_misses(root: Path, missed: list[str] | None = None) -> tuple[int, list[Any]]:
    """A fresh process's view: reload the cache file, load every spec, count re-reads
    (and collect the re-read paths into ``missed``)."""
    store = Project.open(root).store
    cache.forget(store)
    sess = cache.Session(store, cache.get_cache(store))
    if missed is not None:
        real_miss = sess._miss

        def spy(e: Any, rel: str, *rest: Any) -> Any:
            missed.append(rel)
            return real_miss(e, rel, *rest)

        sess._miss = spy  # type: ignore[method-assign]
    specs = [sess.load(e) for e in store.entries()]
    sess.finish(store.entries())
    return sess.misses, specs


def test_recently_written_files_are_read_once(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written just before a listing (a checkout, a generator) are read by that
    listing and trusted by the next one, though their ctime is < 2 s old: the read
    happened after the file system's clock (the probe file's ctime) had moved past
    their ctime, so no later write can give them their key back."""
    assert_same(fixture_project, monkeypatch)
    targets = readmes(fixture_project)[:10]
    for f in targets:
        f.write_bytes(f.read_bytes() + b"\nappended\n")
    written = time.time_ns()
    time.sleep(0.05)  # past GUARD_NS
    # The fixture was copied moments ago, so files the copy wrote within GUARD_NS of the
    # first probe may still be racy: this test is about the files written now.
    first: list[str] = []
    _session_misses(fixture_project, first)
    want = {f.relative_to(fixture_project).as_posix() for f in targets}
    assert want <= set(first)
    second: list[str] = []
    _misses, specs = _session_misses(fixture_project, second)
    assert time.time_ns() - written < cache.RACY_NS, "the machine was too slow to test this"
    assert not want & set(second), sorted(want & set(second))
    assert (fixture_project / cache.CACHE_DIR / cache.PROBE_FILE).is_file()
    assert_same(fixture_project, monkeypatch, fresh_process=True)
    assert any("appended" in s.body for s in specs)


def test_racy_entries_are_rechecked_by_content(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry verified too close to its ctime stays racy: each load re-reads it; equal
    bytes reuse the record (no parse), different bytes under an unchanged stat key
    (a rewrite in the same timestamp tick, simulated by planting the new key) are
    parsed again."""
    monkeypatch.setattr(cache, "GUARD_NS", 10**15)  # the probe vouches for nothing
    assert_same(fixture_project, monkeypatch)
    store = Project.open(fixture_project).store
    rel = next(iter(cache.get_cache(store).files))
    path = fixture_project / rel
    rewrite_same_size_same_mtime(path, random.Random(5))
    before, _ = _session_misses(fixture_project)  # the rewrite changed ctime: re-read
    c = cache.get_cache(store)
    st = path.stat()
    old = c.files[rel]
    stale_hash = "0" * 64
    # Same key as the file now, a stale hash, verified at its ctime: what a same-tick
    # rewrite after the read would leave behind.
    c.files[rel] = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns, st.st_ctime_ns, stale_hash, *old[6:])
    c.save()
    misses, specs = _session_misses(fixture_project)
    spec = next(s for s in specs if s.path == rel)
    assert spec.content_hash == old[5] != stale_hash  # parsed again from the bytes
    assert misses >= 1
    # Racy but equal bytes: the record is reused (frontmatter not parsed again).
    misses, specs = _session_misses(fixture_project)
    spec = next(s for s in specs if s.path == rel)
    assert isinstance(spec, cache.CachedSpec) and spec._fm_blob is not None
    assert_same(fixture_project, monkeypatch, fresh_process=True)


def test_text_listing_builds_no_dicts_and_damaged_columns_fall_back(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache hit answers the listing fields from the record's columns and keeps its
    to_dict() pickled until asked; a record whose pickled to_dict() is damaged (or has
    another shape) gives the same dict as the file, computed from the frontmatter."""
    monkeypatch.setattr(cache, "GUARD_NS", -(10**15))  # every entry trusted at once
    assert_same(fixture_project, monkeypatch)
    store = Project.open(fixture_project).store
    c = cache.get_cache(store)
    rels = sorted(c.files)
    c.files[rels[0]] = (*c.files[rels[0]][:9], b"not a pickle", *c.files[rels[0]][10:])
    c.files[rels[1]] = (*c.files[rels[1]][:9], pickle.dumps(("too", "short")), *c.files[rels[1]][10:])
    c.save()
    cache.forget(store)
    specs = Project.open(fixture_project).load().specs
    hits = [s for s in specs if isinstance(s, cache.CachedSpec) and s._meta_blob is not None]
    assert hits and all(s._cols is not None for s in hits)
    for s in hits:  # listing fields never unpickle the frontmatter or the dict
        _ = (s.title, s.status, s.priority, s.tags, s.depends_on, s.parent, s.assignee, s.archived, s.created)
    assert all(s._meta_blob is not None for s in hits)
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    plain = {s.path: s.to_dict() for s in Project.open(fixture_project).load().specs}
    monkeypatch.delenv("LEANSPEC_NO_CACHE")
    fields = ("title", "status", "tags", "depends_on")
    for s in specs:
        assert s.to_dict() == plain[s.path]
        assert (s.title, s.status, s.tags, s.depends_on) == tuple(plain[s.path][k] for k in fields)
    damaged = [s for s in specs if s.path in rels[:2]]
    assert len(damaged) == 2 and all(isinstance(s, cache.CachedSpec) and s._meta_blob is None for s in damaged)
    assert_same(fixture_project, monkeypatch, fresh_process=True)


def test_a_cache_file_from_a_repository_is_foreign_before_unpickling(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cache files committed to a repository carry someone else's key (or none): they are
    foreign at their first line, so a large planted pickle costs a read, never its
    unpickling (memory), and nothing in it is used."""
    import tracemalloc

    from leanspec.store import fsutil

    root = fixture_project
    truth = assert_same(root, monkeypatch)
    cf = root / CACHE_REL
    mine = fsutil.cache_key()
    assert mine.startswith(b"KEY ") and cf.read_bytes().startswith(cachefile.MAGIC + mine)
    other = b"KEY " + b"0" * 32 + b"\n"
    # Another user's base (valid otherwise) and a 20 MB pickle bomb as their delta.
    cf.write_bytes(cf.read_bytes().replace(mine, other, 1))
    bomb = pickle.dumps(list(range(4_000_000)))
    (cf.parent / cachefile.DELTA_FILE).write_bytes(cachefile.DELTA_MAGIC + other + bomb)
    plain = cf.parent / "planted-plain"  # a file written before keys existed, or by hand
    plain.write_bytes(cachefile.MAGIC + bomb)
    store = Project.open(root).store
    for path in (str(cf), str(plain)):
        c = cachefile.MetaCache(path, store.config.default_file)
        tracemalloc.start()
        try:
            c.load()
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert c.status == "foreign" and c.files == {}
        assert peak < 2 * len(bomb) + 40_000_000 // 10, peak  # the bytes read, not 4 million ints
    assert cache.status(store)["state"] == "foreign"
    assert assert_same(root, monkeypatch, fresh_process=True) == truth
    assert cache.status(Project.open(root).store)["state"] == "loaded"  # rebuilt with my key


def test_processes_starting_together_agree_on_the_new_cache_key(tmp_path: Path) -> None:
    """The first processes of a fresh user (a CI machine, three agents at once) race to
    create the cache key: every one must read the same full key, never a created but
    still empty file (it then ran keyless and wrote cache files the others refused)."""
    import subprocess
    import sys

    code = "import sys; from leanspec.store import fsutil; sys.stdout.write(fsutil.cache_key().decode())"
    for round_ in range(8):
        home = tmp_path / f"xdg{round_}"
        env = {**os.environ, "XDG_CACHE_HOME": str(home)}
        procs = [
            subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)
        ]
        keys = {p.communicate(timeout=60)[0] for p in procs}
        on_disk = (home / "leanspec" / "cache-key").read_text()
        assert keys == {f"KEY {on_disk}\n"} and len(on_disk) == 32, keys
        assert sorted(x.name for x in (home / "leanspec").iterdir()) == ["cache-key"]  # no temp file left
    # The race made wide: the first process dawdles between creating the key and
    # writing it (its urandom sleeps); the second reads meanwhile. Both end with one key.
    home = tmp_path / "slow"
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    slow = (
        "import os, sys, time\n"
        "real = os.urandom\n"
        "os.urandom = lambda n: (time.sleep(0.6), real(n))[1]\n"
        "from leanspec.store import fsutil\n"
        "sys.stdout.write(fsutil.cache_key().decode())\n"
    )
    first = subprocess.Popen([sys.executable, "-c", slow], env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (home / "leanspec").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    k1 = first.communicate(timeout=60)[0]
    assert k1 == second.stdout and k1.startswith("KEY ") and len(k1) == 37, (k1, second.stdout)
