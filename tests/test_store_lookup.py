"""Looking one spec up without listing every folder gives the same answers as
resolving against the full listing: numbers, names, ambiguity, archived and group
folders, and changes made behind the store's back."""

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

from leanspec.core import refs
from leanspec.core.errors import LeanSpecError
from leanspec.core.model import checklist_counts
from leanspec.project import Project
from leanspec.store import fsutil
from leanspec.store.store import Store

FIXTURE = Path("/work/shared/fixtures/leanspec-dec2025")


def _outcome(fn, *a):  # type: ignore[no-untyped-def]
    try:
        e = fn(*a)
        return ("ok", e.name, e.rel, e.archived, e.group, str(e.dir))
    except LeanSpecError as exc:
        return ("error", exc.code, exc.message)


def _age(root: Path) -> None:
    """Date every folder back a minute, and let the file system's clock move past the
    ctimes that sets (the probe's guard), so remembered folder listings may be reused."""
    old = os.stat(root).st_mtime - 60
    for d, _dirs, _files in os.walk(root):
        os.utime(d, (old, old))
    time.sleep(2 * fsutil.CLOCK_GUARD_NS / 1e9)


def _refs(store: Store) -> list[str]:
    out = ["038", "38", "0038", "999", "", "nope", "archived/038-flat-structure-migration"]
    for e in store.entries():
        out += [e.name, f"{e.number:03d}", str(e.number), e.rel, e.slug, f"specs/{e.rel}/README.md"]
    return out


def test_fast_resolve_matches_full_listing(fixture_project: Path) -> None:
    specs = fixture_project / "specs"
    # A group folder and a same-named spec in two places.
    (specs / "team-a").mkdir()
    shutil.copytree(specs / "045-unified-dashboard", specs / "team-a" / "045-unified-dashboard")
    shutil.copytree(specs / "018-spec-validation", specs / "team-a" / "077-grouped")
    _age(fixture_project)
    store = Store(fixture_project)
    full = store.entries()
    for ref in _refs(store):
        fast = _outcome(store.resolve, ref)
        slow = _outcome(lambda r: refs.resolve(r, full, lambda e: store.load_entry(e).title), ref)
        assert fast == slow, ref
    # The ambiguous pairs really are reported as such.
    assert _outcome(store.resolve, "038")[:2] == ("error", "ambiguous_spec")
    # A bare name prefers the folder whose path it is (specs/045-...), as before.
    assert _outcome(store.resolve, "045-unified-dashboard")[2] == "045-unified-dashboard"
    assert _outcome(store.resolve, "45")[:2] == ("error", "ambiguous_spec")
    assert _outcome(store.resolve, "77")[4] == "team-a"


def test_name_lookup_sees_changes_behind_its_back(fixture_project: Path) -> None:
    specs = fixture_project / "specs"
    _age(fixture_project)
    store = Store(fixture_project)
    store.entries()  # remembers the folders
    assert store.scanner.memo is not None
    assert store.resolve("045-unified-dashboard").rel == "045-unified-dashboard"
    # Another process moves it into a new group folder and adds a duplicate in archived/.
    (specs / "grp").mkdir()
    os.rename(specs / "045-unified-dashboard", specs / "grp" / "045-unified-dashboard")
    assert store.resolve("045-unified-dashboard").rel == "grp/045-unified-dashboard"
    shutil.copytree(specs / "grp" / "045-unified-dashboard", specs / "archived" / "045-unified-dashboard")
    with pytest.raises(LeanSpecError) as ei:
        store.resolve("045-unified-dashboard")
    assert ei.value.code == "ambiguous_spec"
    shutil.rmtree(specs / "grp")
    assert store.resolve("045-unified-dashboard").rel == "archived/045-unified-dashboard"


def test_files_per_spec_equals_listing(fixture_project: Path) -> None:
    _age(fixture_project)
    project = Project.open(fixture_project)
    for s in project.store.load_all().specs:
        if s.archived_dir and s.number == 38:
            continue  # ambiguous by number, and by name only if duplicated
        files = project.files(s.name)
        assert [f["name"] for f in files] == ["README.md", *s.sub_specs]


def test_create_numbers_past_every_folder(fixture_project: Path) -> None:
    specs = fixture_project / "specs"
    (specs / "grp").mkdir()
    shutil.copytree(specs / "018-spec-validation", specs / "grp" / "400-deep")
    shutil.copytree(specs / "018-spec-validation", specs / "archived" / "500-old")
    store = Store(fixture_project)
    assert store.max_number() == 500 == max(e.number for e in store.entries() if e.number is not None)
    res = store.create("next-one")
    assert res.spec.name.startswith("501-")
    assert store.next_number() == store.next_number(store.entries()) == 502


def _old_checklist_counts(body: str) -> tuple[int, int]:
    """The implementation before the fast path, kept to compare against."""
    import re

    box = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s", re.M)
    done = total = 0
    in_fence = False
    fence = ""
    for line in body.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            marker = stripped[:3]
            if not in_fence:
                in_fence, fence = True, marker
            elif marker == fence:
                in_fence = False
            continue
        if in_fence:
            continue
        m = box.match(line + " ")
        if m:
            total += 1
            if m.group(1) in "xX":
                done += 1
    return done, total


def test_checklist_counts_same_as_before() -> None:
    bodies = [p.read_text(encoding="utf-8") for p in FIXTURE.rglob("*.md")]
    assert bodies
    rng = random.Random(7)
    pieces = [
        "- [ ] a",
        "- [x] b",
        "* [X] c",
        "1. [ ] d",
        "2) [x] e",
        "  - [ ] f",
        "-[ ] g",
        "- [] h",
        "```",
        "~~~",
        "  ```py",
        "\t~~~",
        "text [x] here",
        "",
        "- [ ]",
        "+ [x]\tz",
        "\u2028- [ ] u",
        "- [y] no",
        "```~~~",
        "> - [ ] quoted",
        "\r",
        "- [x] done\r",
    ]
    for _ in range(3000):
        bodies.append("\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))))
    for b in bodies:
        assert checklist_counts(b) == _old_checklist_counts(b)


def test_json_compact_when_piped_indented_on_a_tty(fixture_project: Path) -> None:
    cmd = [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "list", "--json"]
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert "\n " not in piped.stdout and '": ' not in piped.stdout
    data = json.loads(piped.stdout)
    from conftest import run_on_tty

    code, shown, _err = run_on_tty(cmd, stream="stdout")
    assert code == 0
    text = shown.decode("utf-8").replace("\r\n", "\n")
    assert '\n  "' in text
    assert json.loads(text) == data


def test_long_lived_store_sees_folder_changes(fixture_project: Path) -> None:
    """A server keeps one Store: its remembered listing must never hide a change."""
    specs = fixture_project / "specs"
    _age(fixture_project)
    store = Store(fixture_project)
    first = store.entries()
    assert store.scanner.memo is not None and store.scanner.memo[2] == first
    assert store.entries() == first  # reused: nothing changed
    assert [e.name for e in store.collect(lambda _n, num: num == 45)] == ["045-unified-dashboard"]
    # Behind its back: a new spec, a rename into a group, an archive move, a deletion.
    shutil.copytree(specs / "018-spec-validation", specs / "300-new")
    assert "300-new" in [e.name for e in store.entries()]
    _age(fixture_project)
    store.entries()
    (specs / "grp").mkdir()
    os.rename(specs / "300-new", specs / "grp" / "300-new")
    assert [e.rel for e in store.entries() if e.number == 300] == ["grp/300-new"]
    _age(fixture_project)
    store.entries()
    os.rename(specs / "grp" / "300-new", specs / "archived" / "300-new")
    assert [(e.rel, e.archived) for e in store.entries() if e.number == 300] == [("archived/300-new", True)]
    _age(fixture_project)
    store.entries()
    shutil.rmtree(specs / "archived" / "300-new")
    assert 300 not in [e.number for e in store.entries()]
    assert store.max_number() == max(e.number for e in Store(fixture_project).entries() if e.number is not None)
    # An in-place README edit changes no folder; the listing still shows the new text.
    _age(fixture_project)
    store.entries()
    readme = specs / "045-unified-dashboard" / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8").replace("priority: high", "priority: critical", 1), encoding="utf-8"
    )
    by_name = {s.name: s for s in store.load_all().specs}
    assert by_name["045-unified-dashboard"].priority == "critical"
