"""The persisted folder names (store/names.py): lookups by number or name, and a write's
sweep for killed writers' temp folders, read ``.lean-spec/cache/names`` instead of
listing a 10,000-name specs folder, only while the folder's stamp says nothing changed.

Every check compares with what listing the folder gives: a folder added in the same
timestamp tick as the recorded listing (a simulated coarse clock), a planted, torn or
foreign names file, and a temp folder left by a killed writer must never be missed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fsclock import CoarseClock
from leanspec.store import fsutil, names, scan
from leanspec.store.store import Store

NAMES = Path(".lean-spec/cache") / names.NAMES_FILE


def fresh_store(root: Path) -> Store:
    """A store as a new process sees it: nothing remembered in memory."""
    names.forget_all()
    return Store(root)


def spy_listdir(monkeypatch: pytest.MonkeyPatch, specs: Path) -> list[str]:
    """Record every os.listdir of the specs folder made through scan and the store."""
    seen: list[str] = []
    real = os.listdir

    def listdir(p: Any = ".") -> list[str]:
        if Path(p) == specs:
            seen.append(str(p))
        return real(p)

    monkeypatch.setattr(scan.os, "listdir", listdir)
    return seen


def settle(root: Path) -> None:
    """Make every folder's last change older than the clock probe (GUARD: 20 ms)."""
    fsutil.probe_fs_time(str(root / ".lean-spec" / "cache"))
    import time

    time.sleep(0.05)


def test_lookup_reads_the_names_file_while_the_folder_is_unchanged(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = fixture_project / "specs"
    settle(fixture_project)
    first = fresh_store(fixture_project).get("147").name
    assert (fixture_project / NAMES).is_file()
    listed = spy_listdir(monkeypatch, specs)
    assert fresh_store(fixture_project).get("147").name == first
    assert listed == [], "the specs folder was listed although its names were persisted"
    # a folder added since: the stamp differs, the folder is listed, the new spec found
    d = specs / "901-added-later"
    d.mkdir()
    (d / "README.md").write_text("---\nstatus: planned\ncreated: '2026-01-01'\n---\n\n# Added later\n")
    assert fresh_store(fixture_project).get("901").name == "901-added-later"
    assert listed, "a changed specs folder must be listed again"


def test_a_folder_added_in_the_recorded_tick_is_never_missed(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = CoarseClock()
    clock.install(monkeypatch, scan)
    specs = fixture_project / "specs"

    def add(name: str) -> None:
        d = specs / name
        d.mkdir()
        (d / "README.md").write_text("---\nstatus: planned\n---\n\n# Added\n")

    # Looked up in the tick of the folders' last change: nothing may be recorded.
    assert fresh_store(fixture_project).get("147").number == 147
    add("801-same-tick")  # the specs folder's simulated stamp does not change
    assert fresh_store(fixture_project).get("801").name == "801-same-tick"
    # A tick later the stamp is settled and recorded; a folder added now (same tick as
    # the record) changes the container's inode ctime, so it gets a new stamp.
    clock.advance()
    fresh_store(fixture_project).get("147")
    fresh_store(fixture_project).get("147")
    add("802-next-tick")
    assert fresh_store(fixture_project).get("802").name == "802-next-tick"
    add("803-same-tick-again")
    assert fresh_store(fixture_project).get("803").name == "803-same-tick-again"


@pytest.mark.parametrize("damage", ["torn", "garbage", "other-project", "symlink"])
def test_a_damaged_or_foreign_names_file_is_ignored(fixture_project: Path, damage: str, tmp_path: Path) -> None:
    settle(fixture_project)
    fresh_store(fixture_project).get("147")
    path = fixture_project / NAMES
    data = path.read_bytes()
    if damage == "torn":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(names.file_magic() + b"\x00\xff" * 50)
    elif damage == "other-project":
        path.write_bytes(data.replace(os.fsencode(str(fixture_project / "specs")), b"/elsewhere/specs", 1))
    else:
        outside = tmp_path / "outside-names"
        outside.write_bytes(data)
        path.unlink()
        path.symlink_to(outside)
    names.forget_all()
    fn = names.for_specs_dir(str(fixture_project / "specs"), str(fixture_project / ".lean-spec" / "cache"))
    st = os.stat(fixture_project / "specs")
    assert fn.names("", st) is None
    assert fresh_store(fixture_project).get("147").number == 147


def test_a_planted_name_is_checked_against_the_disk(fixture_project: Path) -> None:
    """Even a names file whose stamp matches offers only candidates: a name that is no
    folder is never returned."""
    settle(fixture_project)
    fresh_store(fixture_project).get("147")
    fn = names.for_specs_dir(str(fixture_project / "specs"), str(fixture_project / ".lean-spec" / "cache"))
    st = os.stat(fixture_project / "specs")
    got = fn.names("", st)
    assert got is not None
    got.append("777-ghost")  # what a planted file would say
    from leanspec.core.errors import SpecNotFound

    with pytest.raises(SpecNotFound):
        Store(fixture_project).get("777")


def test_the_sweep_skips_an_unchanged_folder_and_still_removes_leftovers(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leanspec.project import UpdateOps

    specs = fixture_project / "specs"
    settle(fixture_project)
    fresh_store(fixture_project).get("147")  # records the specs folder's names
    listed = spy_listdir(monkeypatch, specs)
    fresh_store(fixture_project).update("147", UpdateOps(priority="high"))
    assert listed == [], "an unchanged specs folder was listed by the write's sweep"
    # A writer killed mid-create leaves a temp folder: the folder's stamp changes, so
    # the next write lists it and removes the leftover.
    leftover = specs / fsutil.tmp_name("950-half-built")
    leftover.mkdir()
    (leftover / "README.md").write_text("half")
    fresh_store(fixture_project).update("147", UpdateOps(priority="low"))
    assert listed and not leftover.exists()


def test_cli_view_update_create_clear(tmp_path: Path) -> None:
    from conftest import REPO

    root = tmp_path / "c300"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "--n", "300", "--out", str(root)], check=True)
    settle(root)
    env = {**{k: v for k, v in os.environ.items() if k != "LEANSPEC_NO_CACHE"}, "NO_COLOR": "1"}

    def cli(*args: str) -> str:
        p = subprocess.run(
            [sys.executable, "-m", "leanspec", "-C", str(root), *args], capture_output=True, text=True, env=env
        )
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    cli("view", "12")
    assert (root / NAMES).is_file()
    out = cli("create", "brand-new-thing", "--json")
    import json

    num = json.loads(out)["spec"]["number"]
    assert "brand-new-thing" in cli("view", str(num))  # the folder changed: listed again
    cli("update", str(num), "--priority", "high")
    assert "priority: high" in (root / "specs" / f"{num:03d}-brand-new-thing" / "README.md").read_text()
    cli("cache", "clear")
    assert not (root / NAMES).exists()


def test_a_full_listing_records_the_names_for_later_lookups(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list` after a `create` lists the changed folder once; the `view` that follows
    finds its names recorded instead of listing the folder again."""
    specs = fixture_project / "specs"
    settle(fixture_project)
    truth = sorted(os.listdir(specs))
    fresh_store(fixture_project).entries()  # a full listing (the walk)
    fn = names.for_specs_dir(str(specs), str(fixture_project / ".lean-spec" / "cache"))
    assert sorted(fn.names("", os.stat(specs)) or []) == truth
    archived = specs / "archived"
    if archived.is_dir():
        assert sorted(fn.names("archived/", os.stat(archived)) or []) == sorted(os.listdir(archived))
    listed = spy_listdir(monkeypatch, specs)
    assert fresh_store(fixture_project).get("147").number == 147
    assert listed == []


def test_a_planted_names_file_costs_at_most_its_size(fixture_project: Path) -> None:
    """A names file committed to a hostile repository (with the right specs path, even)
    is not decoded unless its stamp matches: millions of tiny names cost their bytes,
    not a Python string each."""
    import tracemalloc

    specs = str(fixture_project / "specs")
    cache_dir = fixture_project / ".lean-spec" / "cache"
    cache_dir.mkdir(parents=True)
    joined = b"\n".join([b"x"] * 3_000_000)  # 6 MB: as strings, ~170 MB
    header = b"%d %d %d %d %d\n" % (0, 1, 2, 3, len(joined))
    (cache_dir / names.NAMES_FILE).write_bytes(names.file_magic() + os.fsencode(specs) + b"\n" + header + joined)
    names.forget_all()
    fn = names.for_specs_dir(specs, str(cache_dir))
    tracemalloc.start()
    try:
        assert fn.names("", os.stat(specs)) is None  # the planted stamp does not match
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(joined), peak
    assert fresh_store(fixture_project).get("147").number == 147
