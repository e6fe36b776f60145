"""Number, name and highest-number lookups that filter ``os.listdir`` output with one
regex (``Scanner.lookup``) answer exactly what the per-folder scan (``Scanner.collect``)
answers, on random trees full of look-alike names: date prefixes, group folders named
with digits, files named like spec folders, temp and hidden names, non-ASCII digits,
archived folders, deep groups. The temp sweep removes exactly the temp names."""

from __future__ import annotations

import os
import random
from pathlib import Path

from leanspec.core import refs
from leanspec.store import fsutil
from leanspec.store.store import Store


def _names(rng: random.Random) -> list[str]:
    out = []
    for _ in range(rng.randint(0, 25)):
        n = rng.choice([1, 5, 7, 50, 500, 12345678, 0])
        digits = str(n).zfill(rng.choice([1, 2, 3, 4]))
        kind = rng.random()
        if kind < 0.5:
            out.append(f"{digits}-s{rng.randint(0, 9)}")
        elif kind < 0.6:
            out.append(f"2025010{rng.randint(1, 9)}-{digits}-d")
        elif kind < 0.65:
            out.append(f"12345678-{rng.choice(['x', '5-y', '05-z'])}")
        elif kind < 0.7:
            out.append(f"{digits}-\u0665x" if rng.random() < 0.5 else f"\u0660\u0665-arabic{rng.randint(0, 3)}")
        elif kind < 0.75:
            out.append(f".{digits}-x{fsutil.TMP_MARK}1-ab")
        elif kind < 0.8:
            out.append(f"{digits}-y{fsutil.TMP_MARK}2-cd")
        elif kind < 0.85:
            out.append(f".{digits}-hidden")
        else:
            out.append(f"{digits}")  # too short, or a bare number: not a spec name
    return out


def _build(root: Path, rng: random.Random, depth: int = 0) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name in _names(rng):
        p = root / name
        if p.exists():
            continue
        if rng.random() < 0.15:
            p.write_text("a file, not a folder")
        else:
            p.mkdir()
    if depth < 4:
        for g in rng.sample(["archived", "team", "2025", "20250101", "g-1"], rng.randint(0, 2)):
            _build(root / g, rng, depth + 1)


def test_listdir_lookups_equal_the_scan(tmp_path: Path) -> None:
    rng = random.Random(11)
    for i in range(25):
        root = tmp_path / f"p{i}"
        (root / ".lean-spec").mkdir(parents=True)
        _build(root / "specs", rng)
        store = Store(root)
        for ref in [0, 1, 5, 7, 50, 500, 12345678, 20250101, 2]:
            store.scanner.memo = None
            want = lambda _name, num, ref=ref: num == ref  # noqa: E731
            fast = store.scanner.lookup(refs.number_finder(ref), want)
            store.scanner.memo = None
            assert fast == store.collect(want), (i, ref)
        for e in store.entries()[:10]:
            store.scanner.memo = None
            fast = store.scanner.lookup(refs.name_finder(e.name), lambda name, _n, e=e: name == e.name)
            store.scanner.memo = None
            assert fast == store.collect(lambda name, _n, e=e: name == e.name)
        store.scanner.memo = None
        nums = [e.number for e in store.entries() if e.number is not None]
        store.scanner.memo = None
        assert store.max_number() == (max(nums) if nums else None), i


def test_a_name_with_a_newline_falls_back_to_the_scan(tmp_path: Path) -> None:
    (tmp_path / ".lean-spec").mkdir()
    specs = tmp_path / "specs"
    (specs / "005-a\n006-b").mkdir(parents=True)
    (specs / "006-c").mkdir()
    store = Store(tmp_path)
    assert store.scanner.lookup(refs.number_finder(6), lambda _n, num: num == 6) is None
    assert store.resolve("6").name == "006-c"
    assert store.max_number() == 6


def test_temp_sweep_removes_only_temp_names(tmp_path: Path) -> None:
    (tmp_path / ".lean-spec").mkdir()
    specs = tmp_path / "specs"
    (specs / "001-a").mkdir(parents=True)
    keep = ["001-a", "notes.md", ".hidden"]
    (specs / "notes.md").write_text("x")
    (specs / ".hidden").write_text("x")
    tmp_dir = specs / f".002-b{fsutil.TMP_MARK}1-aa"
    tmp_dir.mkdir()
    (tmp_dir / "README.md").write_text("half")
    (specs / f".x.md{fsutil.TMP_MARK}1-bb").write_text("half")
    os.symlink(specs / "001-a", specs / f".l{fsutil.TMP_MARK}1-cc")
    store = Store(tmp_path)
    with store.transaction():
        pass
    assert sorted(os.listdir(specs)) == sorted(keep)
    assert (specs / "001-a").is_dir()  # the symlink was removed, not its target


def _project(tmp_path: Path) -> Store:
    (tmp_path / ".lean-spec").mkdir()
    specs = tmp_path / "specs"
    for name in ("001-a", "002-b"):
        (specs / name).mkdir(parents=True)
        (specs / name / "README.md").write_text(f"---\nstatus: planned\n---\n\n# {name}\n")
    return Store(tmp_path)


def test_update_uses_the_sweep_listing_and_still_sees_the_tree(tmp_path: Path) -> None:
    from leanspec.rules.update import UpdateOps

    store = _project(tmp_path)
    specs = tmp_path / "specs"
    leftover = specs / f".003-c{fsutil.TMP_MARK}1-aa"
    leftover.mkdir()
    (leftover / "README.md").write_text("half-built")
    r = store.update("2", UpdateOps(status="in-progress"))
    assert r.spec.name == "002-b" and r.written
    assert not leftover.exists()
    # A folder added by the same thread inside an outer write is seen by a nested update
    # (the outer sweep's listing predates it, so it must not be reused).
    with store.transaction():
        (specs / "900-new").mkdir()
        (specs / "900-new" / "README.md").write_text("---\nstatus: planned\n---\n\n# New\n")
        assert store.update("900", UpdateOps(priority="high")).spec.name == "900-new"
    # And a fresh outer update after that sees it too.
    assert store.update("900", UpdateOps(priority="low")).spec.frontmatter["priority"] == "low"
