"""analyze / split / compact through the CLI on a copy of the real fixture."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

SPEC = "specs/045-unified-dashboard"


def body_lines(root: Path, rel: str = f"{SPEC}/README.md") -> tuple[str, list[str]]:
    """(frontmatter block, body lines), split independently of leanspec."""
    text = (root / rel).read_text(encoding="utf-8")
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4) + len("\n---\n")
    return text[:end], text[end:].splitlines()


def trimmed(lines: list[str]) -> list[str]:
    """A sub-spec file starts and ends with text: blank edge lines are dropped."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "specs").rglob("*"))
        if p.is_file()
    }


def test_analyze_sections_use_body_lines(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "analyze", "045", "--json")
    assert r.code == 0
    d = r.json
    fm, lines = body_lines(fixture_project)
    assert d["lines"] == len(lines)
    assert d["frontmatter_lines"] == fm.count("\n")
    assert d["tokens"] == 1726
    headings, fence = [], False
    for i, ln in enumerate(lines):
        if ln.startswith("```"):
            fence = not fence
        elif ln.startswith("#") and not fence:
            headings.append((i + 1, ln))
    assert [(s["start"], "#" * s["level"] + " " + s["heading"]) for s in d["sections"]] == headings
    for s in d["sections"]:
        assert 1 <= s["start"] <= s["end"] <= len(lines)
    fences = [i + 1 for i, ln in enumerate(lines) if ln.startswith("```")]
    assert [[c["start"], c["end"]] for c in d["code_blocks"]] == [fences[k : k + 2] for k in range(0, len(fences), 2)]
    assert d["recommendations"]
    text = cli(fixture_project, "analyze", "045", "--verbose")
    assert "Sections" in text.out and "Recommendations" in text.out and "Code blocks" in text.out


def test_split_moves_lines_and_links_them(cli, fixture_project: Path) -> None:
    fm, lines = body_lines(fixture_project)
    start = next(i + 1 for i, ln in enumerate(lines) if ln == "## Implementation Notes")
    moved = lines[start - 1 :]
    r = cli(fixture_project, "split", "045", "--to", f"NOTES.md:{start}-end", "--update-refs", "--json")
    assert r.code == 0, r.err
    assert r.json["written"] is True and r.json["files"][0]["lines"] == len(moved)
    notes = (fixture_project / SPEC / "NOTES.md").read_text(encoding="utf-8")
    assert notes.splitlines() == trimmed(moved)
    fm2, after = body_lines(fixture_project)
    assert fm2 == fm  # frontmatter untouched
    assert after[: start - 1] == lines[: start - 1]
    assert after[start - 1 :] == ["See [NOTES.md](./NOTES.md) for Implementation Notes."]
    # The new sub-spec is linked, so validate does not call it an orphan.
    v = cli(fixture_project, "validate", "045", "--json").json
    assert not [i for i in v["issues"] if "orphan" in i["message"]]
    # The returned hash is the README's new hash.
    assert r.json["content_hash"] == hashlib.sha256((fixture_project / SPEC / "README.md").read_bytes()).hexdigest()


def test_split_several_ranges_long_output_option(cli, fixture_project: Path) -> None:
    _fm, lines = body_lines(fixture_project)
    a = next(i + 1 for i, ln in enumerate(lines) if ln == "## Quick Reference")
    b = next(i + 1 for i, ln in enumerate(lines) if ln == "## Sub-Specs") - 1
    r = cli(fixture_project, "split", "045", "--output", f"REFERENCE.md:{a}-{b}", "--output", "INTRO.md:8-11", "-o", "json")
    assert r.code == 0, r.err
    assert sorted(f["file"] for f in r.json["files"]) == ["INTRO.md", "REFERENCE.md"]
    assert (fixture_project / SPEC / "REFERENCE.md").read_text(encoding="utf-8").splitlines() == trimmed(lines[a - 1 : b])
    _fm, after = body_lines(fixture_project)
    assert after == [ln for i, ln in enumerate(lines, 1) if not (a <= i <= b or 8 <= i <= 11)]


def test_split_dry_run_and_refusals_change_nothing(cli, fixture_project: Path) -> None:
    before = snapshot(fixture_project)
    r = cli(fixture_project, "split", "045", "--to", "NOTES.md:150-end", "--dry-run", "--json")
    assert r.code == 0 and r.json["dry_run"] is True and r.json["written"] is False
    assert snapshot(fixture_project) == before
    for args, says in [
        (["--to", "DESIGN.md:150-160"], "already has DESIGN.md"),  # exists, no --force
        (["--to", "NOTES.md:10-5"], "ends before it starts"),
        (["--to", "NOTES.md:1-99999"], "outside the body"),
        (["--to", "NOTES.md:1-5", "--to", "MORE.md:4-8"], "overlap"),
        (["--to", "notes.txt:1-5"], "NAME.md"),
        (["--to", "../x.md:1-5"], "NAME.md"),
        (["--to", "README.md:1-5"], "main file"),
        (["--to", "NOTES.md"], "FILE:A-B"),
        (["--to", "NOTES.md:a-b"], "invalid line range"),
        ([], "nothing to split"),
        (["--to", "NOTES.md:1-5", "--expected-hash", "0" * 64], "changed since"),
    ]:
        r = cli(fixture_project, "split", "045", *args, "--json")
        assert r.code != 0, args
        assert says in r.json["error"]["message"], (args, r.json)
    assert snapshot(fixture_project) == before
    assert cli(fixture_project, "split", "999", "--to", "A.md:1-2").code == 3


def test_split_force_overwrites(cli, fixture_project: Path) -> None:
    _fm, lines = body_lines(fixture_project)
    r = cli(fixture_project, "split", "045", "--to", "DESIGN.md:8-11", "--force", "--json")
    assert r.code == 0 and r.json["files"][0]["overwrite"] is True
    assert (fixture_project / SPEC / "DESIGN.md").read_text(encoding="utf-8").splitlines() == trimmed(lines[7:11])


def test_compact_removes_ranges(cli, fixture_project: Path) -> None:
    fm, lines = body_lines(fixture_project)
    before = snapshot(fixture_project)
    r = cli(fixture_project, "compact", "045", "--remove", "8-11", "--remove", "180-end", "--dry-run", "--json")
    assert r.code == 0 and r.json["lines_after"] == len(lines) - 4 - (len(lines) - 179)
    assert snapshot(fixture_project) == before
    r = cli(fixture_project, "compact", "045", "--remove", "8-11", "--remove", "180-end", "--json")
    assert r.code == 0 and r.json["written"]
    fm2, after = body_lines(fixture_project)
    assert fm2 == fm
    assert after == [ln for i, ln in enumerate(lines, 1) if not (8 <= i <= 11 or i >= 180)]
    assert r.json["tokens_after"] < r.json["tokens_before"]


def test_compact_guards(cli, empty_project: Path) -> None:
    assert cli(empty_project, "create", "guarded", "--content", "# Guarded\n\n## Plan\n\n- [ ] open item\n- [x] done item\n").code == 0
    spec = next((empty_project / "specs").iterdir())
    readme = spec / "README.md"
    _fm, lines = body_lines(empty_project, str(readme.relative_to(empty_project)))
    h1 = lines.index("# Guarded") + 1
    open_item = lines.index("- [ ] open item") + 1
    done_item = open_item + 1
    original = readme.read_bytes()
    r = cli(empty_project, "compact", spec.name, "--remove", str(h1), "--json")
    assert r.code == 2 and "title" in r.json["error"]["message"]
    r = cli(empty_project, "compact", spec.name, "--remove", f"{open_item}-{done_item}", "--json")
    assert r.code == 2 and "open checklist" in r.json["error"]["message"]
    assert cli(empty_project, "compact", spec.name, "--remove", "0-2").code == 2
    assert cli(empty_project, "compact", spec.name).code == 2
    assert readme.read_bytes() == original
    r = cli(empty_project, "compact", spec.name, "--remove", str(done_item), "--json")
    assert r.code == 0
    r = cli(empty_project, "compact", spec.name, "--remove", str(open_item), "--force", "--json")
    assert r.code == 0
    assert "open item" not in readme.read_text(encoding="utf-8")


@pytest.mark.parametrize("cmd", ["analyze", "split", "compact"])
def test_unknown_spec(cli, fixture_project: Path, cmd: str) -> None:
    extra = {"split": ["--to", "A.md:1-2"], "compact": ["--remove", "1-2"]}.get(cmd, [])
    r = cli(fixture_project, cmd, "nope-nothing", *extra, "--json")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"


def test_split_and_concurrent_updates_do_not_lose_writes(cli_proc, fixture_project: Path) -> None:
    """split holds the project lock from reading the README to writing it, so updates
    running at the same time are applied either before it (and kept) or after it."""
    from concurrent.futures import ThreadPoolExecutor

    _fm, lines = body_lines(fixture_project)
    start = next(i + 1 for i, ln in enumerate(lines) if ln == "## Implementation Notes")
    jobs = [("split", "045", "--to", f"NOTES.md:{start}-end", "--update-refs")]
    jobs += [("update", "045", "--add-tags", f"concurrent-{k}") for k in range(4)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda args: cli_proc(fixture_project, *args, timeout=120), jobs))
    assert all(r.code == 0 for r in results), [(r.code, r.err) for r in results]
    text = (fixture_project / SPEC / "README.md").read_text(encoding="utf-8")
    for k in range(4):
        assert f"concurrent-{k}" in text
    assert "## Implementation Notes" not in text
    assert "See [NOTES.md](./NOTES.md)" in text
    assert (fixture_project / SPEC / "NOTES.md").read_text(encoding="utf-8").startswith("## Implementation Notes")
