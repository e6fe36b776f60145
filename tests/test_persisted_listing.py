"""The metadata cache persists the spec-folder listing with its containers' stamps, so a
fresh process skips the 10,000-name folder scan. It must never hide a folder that was
added, removed, renamed or moved behind its back: every such change alters a container's
mtime and ctime, and a stamp is only kept when the container is 2 s old.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leanspec.store import cache, fsutil
from leanspec.store.store import Store


def _age(root: Path) -> None:
    """Date every folder back a minute (mtime; ctime cannot be moved), and let the file
    system's clock move past the ctimes that sets (the probe's guard), so listings may
    be kept."""
    old = os.stat(root).st_mtime - 60
    for d, _dirs, _files in os.walk(root):
        os.utime(d, (old, old))
    time.sleep(2 * fsutil.CLOCK_GUARD_NS / 1e9)


def _fresh_listing(root: Path) -> tuple[list[str], bool]:
    """(entry rels, adopted?) as a new process would see them: no in-memory cache."""
    store = Store(root)
    cache.forget(store)
    scanned: list[bool] = []
    real_scan = store.scanner.walk

    def spy(*a: object, **k: object) -> None:
        scanned.append(True)
        real_scan(*a, **k)  # type: ignore[arg-type]

    store.scanner.walk = spy  # type: ignore[method-assign]
    res = store.load_all()
    return [s.path for s in res.specs], not scanned


def _truth(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as m:
        m.setenv("LEANSPEC_NO_CACHE", "1")
        return [s.path for s in Store(root).load_all().specs]


def test_unchanged_project_skips_the_scan(fixture_project: Path) -> None:
    _age(fixture_project)
    first, adopted = _fresh_listing(fixture_project)
    assert not adopted  # nothing persisted yet: scanned, then saved
    again, adopted = _fresh_listing(fixture_project)
    assert adopted and again == first


def _mutate(root: Path, rnd: random.Random, step: int) -> str:
    specs = root / "specs"
    folders = sorted(p for p in specs.iterdir() if p.is_dir() and p.name[0].isdigit())
    victim = rnd.choice(folders)
    kind = rnd.choice(["add", "remove", "rename", "archive", "group", "restore-mtime"])
    if kind == "add":
        d = specs / f"{900 + step}-added-{step}"
        d.mkdir()
        (d / "README.md").write_text("---\nstatus: planned\n---\n\n# Added\n")
    elif kind == "remove":
        shutil.rmtree(victim)
    elif kind == "rename":
        victim.rename(specs / f"{victim.name}-renamed{step}")
    elif kind == "archive":
        (specs / "archived").mkdir(exist_ok=True)
        dest = specs / "archived" / victim.name
        if dest.exists():
            shutil.rmtree(victim)
        else:
            victim.rename(dest)
    elif kind == "group":
        g = specs / f"grp{step}"
        g.mkdir()
        victim.rename(g / victim.name)
    else:
        # A folder appears and the container's mtime is put back as rsync -a or tar
        # would: only the ctime tells.
        st = os.stat(specs)
        d = specs / f"{950 + step}-sneaky-{step}"
        d.mkdir()
        (d / "README.md").write_text("---\nstatus: draft\n---\n\n# Sneaky\n")
        os.utime(specs, ns=(st.st_atime_ns, st.st_mtime_ns))
        return kind
    _age(root)  # as if the change happened long ago: the stamp of the change is trusted
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_folder_changes_behind_its_back_are_never_hidden(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rnd = random.Random(seed)
    _age(fixture_project)
    _fresh_listing(fixture_project)  # persists the listing
    adopted_any = False
    for step in range(12):
        kind = _mutate(fixture_project, rnd, step)
        got, _adopted = _fresh_listing(fixture_project)
        assert got == _truth(fixture_project, monkeypatch), (step, kind)
        # Unchanged since: the persisted listing is used, and is still right.
        got2, adopted = _fresh_listing(fixture_project)
        adopted_any = adopted_any or adopted
        assert got2 == got, (step, kind)
    assert adopted_any  # the fast path really ran


def test_a_fresh_process_sees_a_folder_added_by_another(fixture_project: Path) -> None:
    _age(fixture_project)
    env = {k: v for k, v in os.environ.items() if k != "LEANSPEC_NO_CACHE"}
    cmd = [sys.executable, "-m", "leanspec", "-C", str(fixture_project), "list", "--json", "--archived"]

    def names() -> list[str]:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        return [s["name"] for s in json.loads(out)["specs"]]

    before = names()
    assert before == names()  # second run: from the persisted listing
    d = fixture_project / "specs" / "777-from-elsewhere"
    d.mkdir()
    (d / "README.md").write_text("---\nstatus: planned\n---\n\n# From elsewhere\n")
    _age(fixture_project)
    after = names()
    assert "777-from-elsewhere" in after and len(after) == len(before) + 1


def test_damaged_listing_state_is_ignored(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _age(fixture_project)
    _fresh_listing(fixture_project)
    store = Store(fixture_project)
    c = cache.get_cache(store)
    assert c.listing is not None
    root, conts, stamps, ents = c.listing
    for bad in (
        ("/elsewhere", conts, stamps, ents),
        (root, conts, stamps[:-1], ents),
        (root, conts, stamps, [(99, "x", 1)]),
        (root, conts, stamps, "junk"),
        "junk",
    ):
        assert Store(fixture_project).scanner.adopt_listing(bad) is None
    assert [s.path for s in store.load_all().specs] == _truth(fixture_project, monkeypatch)
