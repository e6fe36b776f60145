"""The metadata cache's delta file and the persisted listing after writes.

After a write, the next read saves only the records that changed to a small delta file
beside an unchanged base (``specs-delta.pickle``, naming the base it applies to), and a
listing made right after a ``create`` is persisted (container stamps are trusted on the
file system's clock) and adopted by the next process. None of it may change a result:
every check here compares with ``LEANSPEC_NO_CACHE=1``, through real CLI processes where
it matters, and damaged, foreign or planted delta files must be ignored safely.
"""

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
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import REPO
from fsclock import CoarseClock
from leanspec.store import cache, cachefile, fsutil, scan
from leanspec.store.store import Store

CACHE = Path(".lean-spec/cache")
BASE = CACHE / cache.CACHE_FILE
DELTA = CACHE / cache.DELTA_FILE


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """400 bench-shaped specs: 1/40 of the base is 10 records, room for a few writes."""
    root = tmp_path / "c400"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "gen.py"), "--n", "400", "--out", str(root)],
        check=True,
        capture_output=True,
    )
    return root


def run(root: Path, *args: str, no_cache: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LEANSPEC_NO_CACHE"}
    env["NO_COLOR"] = "1"
    if no_cache:
        env["LEANSPEC_NO_CACHE"] = "1"
    cmd = [sys.executable, "-m", "leanspec", "-C", str(root), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, (args, p.stderr)
    return p


def listing(root: Path, *, no_cache: bool = False) -> Any:
    return json.loads(run(root, "list", "--archived", "--json", no_cache=no_cache).stdout)


def assert_same_as_no_cache(root: Path) -> Any:
    got = listing(root)
    again = listing(root)  # from the base + delta (and the persisted listing) just saved
    truth = listing(root, no_cache=True)
    assert got == truth
    assert again == truth
    return truth


def stat_key(p: Path) -> tuple[int, int, int]:
    st = p.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


def status(root: Path) -> Any:
    return json.loads(run(root, "cache", "status", "--json").stdout)


# ------------------------------------------------------------ write, then read
def test_one_update_writes_a_delta_and_the_base_stays(corpus: Path) -> None:
    assert_same_as_no_cache(corpus)
    base = corpus / BASE
    before = stat_key(base)
    assert not (corpus / DELTA).exists()
    run(corpus, "update", "5", "--status", "in-progress", "--add-tags", "delta")
    truth = assert_same_as_no_cache(corpus)
    assert stat_key(base) == before, "the base was rewritten for one changed record"
    assert (corpus / DELTA).is_file() and (corpus / DELTA).stat().st_size < base.stat().st_size // 20
    st = status(corpus)
    assert st["state"] == "loaded" and st["delta_state"] == "loaded" and 1 <= st["delta_records"] <= 4
    spec = next(s for s in truth["specs"] if s["number"] == 5)
    assert spec["status"] == "in-progress" and "delta" in spec["tags"]
    # A create adds its record and the new listing to the delta; the base still stays.
    run(corpus, "create", "after-the-base", "--title", "After the base")
    truth = assert_same_as_no_cache(corpus)
    assert stat_key(base) == before
    assert "after-the-base" in " ".join(s["name"] for s in truth["specs"])


def test_compaction_past_the_limit(corpus: Path) -> None:
    assert_same_as_no_cache(corpus)
    base = corpus / BASE
    first = stat_key(base)
    limit = min(cache.DELTA_MAX_RECORDS, 400 // cache.DELTA_FRACTION)  # 10 records
    seen_delta = False
    for n in range(1, 12):  # distinct specs: every update adds a README and a folder record
        run(corpus, "update", str(n), "--add-tags", f"c{n}")
        listing(corpus)
        st = status(corpus)
        assert st["delta_records"] <= limit
        if stat_key(base) == first:
            seen_delta = seen_delta or st["delta_state"] == "loaded"
            continue
        # A new base: it holds everything, and the old delta is gone with the old base.
        assert st["delta_state"] == "missing" and not (corpus / DELTA).exists()
        assert n > 2 and seen_delta
        break
    else:
        pytest.fail("the delta never became a new base")
    assert_same_as_no_cache(corpus)


@pytest.mark.parametrize("seed", [1, 2])
def test_cli_write_read_sequences_match_no_cache(corpus: Path, seed: int) -> None:
    """update / create / archive / rename / delete through CLI processes (and behind
    the tool's back), each followed by listings: with the cache (base + delta, the
    persisted listing) exactly as without it."""
    rnd = random.Random(seed)
    assert_same_as_no_cache(corpus)
    specs = corpus / "specs"
    kinds = []
    for step in range(10):
        live = sorted(p for p in specs.iterdir() if p.is_dir() and p.name[0].isdigit())
        victim = rnd.choice(live)
        num = str(int(victim.name.split("-")[0]))
        kind = rnd.choice(["update", "update", "create", "archive", "rename", "delete", "body"])
        kinds.append(kind)
        if kind == "update":
            run(corpus, "update", num, "--status", rnd.choice(["planned", "in-progress", "complete"]))
        elif kind == "create":
            run(corpus, "create", f"made-{seed}-{step}", "--tags", "rnd")
        elif kind == "archive":
            run(corpus, "archive", victim.name)
        elif kind == "rename":
            victim.rename(specs / f"{900 + step}-renamed-{seed}-{step}")
        elif kind == "delete":
            shutil.rmtree(victim)
        else:
            readme = victim / "README.md"
            readme.write_text(readme.read_text() + f"\n- [ ] added {step}\n")
        assert_same_as_no_cache(corpus)
    assert len(set(kinds)) >= 4
    assert (corpus / BASE).is_file()


# ---------------------------------------------------------- damaged deltas
class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other-base", "planted-code", "planted-record", "bad-shape"])
def test_damaged_or_foreign_delta_is_ignored(corpus: Path, damage: str, tmp_path: Path) -> None:
    assert_same_as_no_cache(corpus)
    run(corpus, "update", "7", "--add-tags", "damaged")
    truth = assert_same_as_no_cache(corpus)
    delta = corpus / DELTA
    good = delta.read_bytes()
    header, base_id, files, rm_files, dirs, rm_dirs, has_listing, lst = pickle.loads(good[len(cachefile.delta_magic()) :])
    rel = next(iter(files))
    # A record poisoned to say something else about the README, under its real stat key:
    # if such a delta were applied, the listing would show the lie.
    poisoned = list(files[rel])
    poisoned[11] = ("A LIE", *poisoned[11][1:])
    poisoned[9] = pickle.dumps(("A LIE",) * len(cache.meta_keys()))
    marker = tmp_path / "pwned"

    def dump(*payload: Any) -> bytes:
        return cachefile.delta_magic() + pickle.dumps(payload)

    if damage == "truncated":
        delta.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        delta.write_bytes(cachefile.delta_magic() + os.urandom(200))
    elif damage == "other-base":
        files = {**files, rel: tuple(poisoned)}
        delta.write_bytes(dump(header, "0" * 16, files, rm_files, dirs, rm_dirs, has_listing, lst))
    elif damage == "planted-code":
        delta.write_bytes(cachefile.delta_magic() + pickle.dumps(Evil(marker)))
    elif damage == "planted-record":
        files = {**files, rel: (*files[rel][:6], Evil(marker), *files[rel][7:])}
        delta.write_bytes(dump(header, base_id, files, rm_files, dirs, rm_dirs, has_listing, lst))
    else:  # records of the wrong shape under the right base id
        delta.write_bytes(dump(header, base_id, {rel: (1, 2, 3)}, rm_files, dirs, rm_dirs, has_listing, lst))
    st = status(corpus)
    assert st["state"] == "loaded" and st["delta_state"] in ("corrupt", "ignored"), st
    assert listing(corpus) == truth
    assert_same_as_no_cache(corpus)
    assert not marker.exists(), "unpickling a delta must never run code"
    if damage == "other-base":
        assert "A LIE" not in json.dumps(listing(corpus))


def test_clear_removes_the_delta_and_no_cache_writes_nothing(corpus: Path) -> None:
    listing(corpus)
    run(corpus, "update", "3", "--add-tags", "cleared")
    listing(corpus)
    assert (corpus / DELTA).is_file()
    assert json.loads(run(corpus, "cache", "clear", "--json").stdout)["removed"]
    assert not (corpus / DELTA).exists() and not (corpus / BASE).exists()
    shutil.rmtree(corpus / CACHE)
    run(corpus, "create", "no-cache-here", no_cache=True)
    listing(corpus, no_cache=True)
    run(corpus, "update", "4", "--status", "in-progress", no_cache=True)
    listing(corpus, no_cache=True)
    assert not (corpus / CACHE).exists()  # no cache, no delta, no clock probe


def test_read_only_cache_folder_gets_no_delta(corpus: Path) -> None:
    assert_same_as_no_cache(corpus)
    folder = corpus / CACHE
    before = stat_key(corpus / BASE)
    folder.chmod(0o555)
    try:
        run(corpus, "update", "9", "--add-tags", "read-only")
        assert_same_as_no_cache(corpus)
        run(corpus, "create", "while-read-only")
        assert_same_as_no_cache(corpus)
        assert not (corpus / DELTA).exists() and stat_key(corpus / BASE) == before
    finally:
        folder.chmod(0o755)


def test_long_lived_process_picks_up_a_new_delta_and_a_new_base(corpus: Path) -> None:
    """refresh_from_disk: another process's delta (and later its new base) is merged in."""
    listing(corpus)
    store = Store(corpus)
    cache.forget(store)
    c = cache.get_cache(store)
    base_id = c.base_id
    run(corpus, "update", "11", "--add-tags", "elsewhere")
    listing(corpus)  # another process saves a delta for our base
    c2 = cache.get_cache(store)  # refresh
    assert c2 is c and c.base_id == base_id and c.delta_status == "loaded"
    readme = next((corpus / "specs").glob("011-*/README.md"))
    rel = readme.relative_to(corpus).as_posix()
    st = readme.stat()
    assert c.files[rel][:4] == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    assert "elsewhere" in c.files[rel][11][3]
    # Enough changes elsewhere for a new base: picked up too.
    for n in range(20, 32):
        run(corpus, "update", str(n), "--add-tags", "moved-on")
    listing(corpus)
    cache.get_cache(store)
    assert c.base_id != base_id
    res = store.load_all()
    truth = listing(corpus, no_cache=True)
    assert sorted(s.name for s in res.specs) == sorted(s["name"] for s in truth["specs"])
    assert all("moved-on" in s.tags for s in res.specs if s.number is not None and 20 <= s.number < 32)


# ------------------------------------------------- the listing after a create
def _fresh_listing(root: Path) -> tuple[list[str], bool]:
    """(entry rels, adopted?) as a new process would see them: no in-memory cache."""
    store = Store(root)
    cache.forget(store)
    scanned: list[bool] = []
    real_walk = store.scanner.walk

    def spy(*a: Any, **k: Any) -> None:
        scanned.append(True)
        real_walk(*a, **k)

    store.scanner.walk = spy  # type: ignore[method-assign]
    res = store.load_all()
    return [s.path for s in res.specs], not scanned


def test_listing_after_create_is_persisted_and_adopted(corpus: Path) -> None:
    """The folder just created is < 2 s old, yet the list right after the create
    persists the listing (its stamp is below the probe's clock) and the next process
    adopts it instead of scanning."""
    listing(corpus)
    run(corpus, "create", "fresh-folder")
    created = time.time_ns()
    # A stamp is settled once the file system's clock is CLOCK_GUARD_NS past it (not 2 s
    # later): a list within the guard may not keep it (a fast machine gets there).
    time.sleep(2 * fsutil.CLOCK_GUARD_NS / 1e9)
    after = listing(corpus)  # scans once (the specs folder changed), persists
    assert any(s["name"].endswith("fresh-folder") for s in after["specs"])
    paths, adopted = _fresh_listing(corpus)
    assert time.time_ns() - created < fsutil.WALL_RACY_NS, "the machine was too slow to test this"
    assert adopted, "the listing made right after the create was not persisted"
    assert any(p.endswith("fresh-folder/README.md") for p in paths)
    assert listing(corpus) == listing(corpus, no_cache=True)


def test_folder_created_in_the_listings_tick_is_never_missed(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = CoarseClock()
    clock.install(monkeypatch, scan)
    specs = fixture_project / "specs"

    def truth() -> list[str]:
        with monkeypatch.context() as m:
            m.setenv("LEANSPEC_NO_CACHE", "1")
            return [s.path for s in Store(fixture_project).load_all().specs]

    def add(name: str) -> None:
        d = specs / name
        d.mkdir()
        (d / "README.md").write_text("---\nstatus: planned\n---\n\n# Added\n")

    # Listed in the same tick as the folders' last change: nothing is trusted or kept.
    first, adopted = _fresh_listing(fixture_project)
    assert not adopted and first == truth()
    assert cache.get_cache(Store(fixture_project)).listing is None
    add("801-same-tick")  # the specs folder's (simulated) stamp does not change
    got, adopted = _fresh_listing(fixture_project)
    assert not adopted and "specs/801-same-tick/README.md" in got and got == truth()

    # A tick later the stamps are settled: the listing is kept and adopted.
    clock.advance()
    _fresh_listing(fixture_project)
    got, adopted = _fresh_listing(fixture_project)
    assert adopted and got == truth()
    # A folder added now changes the container's stamp: the kept listing is not used,
    # and the new listing (made in the change's tick) is not kept either.
    add("802-next-tick")
    got, adopted = _fresh_listing(fixture_project)
    assert not adopted and "specs/802-next-tick/README.md" in got and got == truth()
    add("803-same-tick-again")  # same tick again: the stamp stays, nothing may hide it
    got, adopted = _fresh_listing(fixture_project)
    assert not adopted and "specs/803-same-tick-again/README.md" in got and got == truth()


def test_without_a_probe_the_wall_clock_decides(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No probe (read-only cache location): a stamp is kept only when the container's
    mtime and ctime are 2 s old by the wall clock."""
    monkeypatch.setattr(fsutil, "probe_fs_time", lambda _d: None)
    store = Store(fixture_project)
    store.entries()
    assert store.scanner.memo is None  # copied moments ago: too young
    real = time.time_ns
    monkeypatch.setattr(scan, "time", SimpleNamespace(time_ns=lambda: real() + 3 * fsutil.WALL_RACY_NS))
    store = Store(fixture_project)
    store.entries()
    assert store.scanner.memo is not None and store.scanner.memo[2] is not None


def test_base_listing_is_a_blob_read_only_when_needed(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base keeps the listing pickled apart: a delta that carries a newer listing
    means the base's is never unpickled; a damaged blob means no listing (a scan)."""
    listing(corpus)
    run(corpus, "create", "listed-in-the-delta")
    time.sleep(2 * fsutil.CLOCK_GUARD_NS / 1e9)  # past the guard: this listing is kept
    listing(corpus)
    store = Store(corpus)
    c = cache.MetaCache(cache.cache_path(store), store.config.default_file)
    c.load()
    assert c.delta_status == "loaded" and c.base_listing is cachefile.UNREAD
    assert any(name.endswith("listed-in-the-delta") for _ci, name, _n in c.listing[3])
    # Damage the base's listing blob (same base id): no listing, and a scan gives the truth.
    header, files, dirs, _blob, base_id = pickle.loads((corpus / BASE).read_bytes()[len(cachefile.base_magic()) :])
    (corpus / DELTA).unlink()
    (corpus / BASE).write_bytes(cachefile.base_magic() + pickle.dumps((header, files, dirs, b"\x80\x05garbage", base_id)))
    c = cache.MetaCache(cache.cache_path(store), store.config.default_file)
    c.load()
    assert c.status == "loaded" and c.listing is None
    assert listing(corpus) == listing(corpus, no_cache=True)
