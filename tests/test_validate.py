"""validate: each rule on planted problems, thresholds from config, --check-deps,
sub-spec checks, completion, malformed specs, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leanspec.insight.validate import validate_project
from leanspec.project import Project

GOOD = """---
status: planned
created: '2025-11-01'
priority: medium
tags:
  - api
---

# {title}

## Overview

Something useful.

## Design

- [ ] first step
"""


def write_spec(root: Path, name: str, text: str | None = None, **files: str) -> Path:
    d = root / "specs" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "README.md").write_text(text if text is not None else GOOD.format(title=name), encoding="utf-8")
    for fname, content in files.items():
        (d / fname.replace("_", ".")).write_text(content, encoding="utf-8")
    return d


def issues(root: Path, *refs: str, **kw) -> list[dict]:
    return validate_project(Project.open(root), list(refs) or None, **kw).to_dict()["issues"]


def rules_of(found: list[dict], spec: str | None = None) -> set[tuple[str, str]]:
    return {(i["rule"], i["severity"]) for i in found if spec is None or i["spec"] == spec}


def test_clean_spec_has_no_issues(empty_project: Path) -> None:
    write_spec(empty_project, "001-clean")
    rep = validate_project(Project.open(empty_project))
    assert rep.ok and rep.to_dict() == {
        "ok": True,
        "summary": {"errors": 0, "warnings": 0, "infos": 0, "specs": 1},
        "issues": [],
    }


def test_unclosed_code_fence_is_flagged_with_file_line(empty_project: Path, cli) -> None:
    text = GOOD.format(title="Broken") + "\n## Notes\n\n```python\nprint('never closed')\n"
    write_spec(empty_project, "001-broken", text)
    fence_line = text.splitlines().index("```python") + 1
    found = [i for i in issues(empty_project) if i["rule"] == "corruption"]
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["line"] == fence_line
    assert "never closed" in found[0]["message"]
    r = cli(empty_project, "validate")
    assert r.code == 1
    assert f"{fence_line}" in r.out and "corruption" in r.out


def test_emphasis_checks(empty_project: Path) -> None:
    body = GOOD.format(title="Emph") + (
        "\nThis is **bold and never closed.\n\n"
        "Math a * b = c, globs specs/**/README.md and *.md, a literal (**) and `**code**`.\n\n"
        "**Label:** fine, *italic* fine, **bold** fine.\n\n"
        "An *italic that never ends.\n"
    )
    write_spec(empty_project, "001-emph", body)
    lines = body.splitlines()
    found = sorted((i["line"], i["message"]) for i in issues(empty_project) if i["rule"] == "corruption")
    assert found == [
        (lines.index("This is **bold and never closed.") + 1, "unclosed bold marker (**)"),
        (lines.index("An *italic that never ends.") + 1, "unclosed italic marker (*)"),
    ]


def test_duplicated_block_warning(empty_project: Path) -> None:
    block = "\n".join(f"- item number {k} with enough text to be a real line of prose" for k in range(8))
    body = GOOD.format(title="Dup") + f"\n## A\n\n{block}\n\n## B\n\n{block}\n"
    write_spec(empty_project, "001-dup", body)
    found = [i for i in issues(empty_project) if i["rule"] == "corruption"]
    assert len(found) == 1 and found[0]["severity"] == "warning" and "duplicate" in found[0]["message"]


def test_frontmatter_rules(empty_project: Path) -> None:
    write_spec(empty_project, "001-bad-status", GOOD.format(title="x").replace("status: planned", "status: wip"))
    write_spec(empty_project, "002-bad-date", GOOD.format(title="x").replace("'2025-11-01'", "'Nov 1st'"))
    write_spec(empty_project, "003-bad-prio", GOOD.format(title="x").replace("priority: medium", "priority: urgent\ndue: soon"))
    write_spec(empty_project, "004-no-fm", "# No frontmatter\n\nText.\n")
    write_spec(empty_project, "005-self", GOOD.format(title="x").replace("tags:", "depends_on:\n  - 005-self\ntags:"))
    found = issues(empty_project, rules=["frontmatter"])
    by = {(i["spec"], i["severity"]): i for i in found}
    assert "invalid status 'wip'" in by[("001-bad-status", "error")]["message"]
    assert by[("001-bad-status", "error")]["line"] == 2
    assert "invalid created" in by[("002-bad-date", "error")]["message"]
    assert "invalid priority" in by[("003-bad-prio", "error")]["message"]
    assert "invalid due" in by[("003-bad-prio", "warning")]["message"]
    assert "no frontmatter" in by[("004-no-fm", "error")]["message"]
    assert "depend on itself" in by[("005-self", "error")]["message"]
    assert {i["rule"] for i in found} == {"frontmatter"}


def test_malformed_spec_is_reported_and_others_still_checked(empty_project: Path, cli) -> None:
    write_spec(empty_project, "001-ok")
    write_spec(empty_project, "002-yaml", "---\nstatus: [unclosed\n---\n# X\n")
    (empty_project / "specs" / "003-binary").mkdir()
    (empty_project / "specs" / "003-binary" / "README.md").write_bytes(b"\x89PNG\x00\x01\xff")
    rep = validate_project(Project.open(empty_project))
    d = rep.to_dict()
    assert not rep.ok
    bad = {i["spec"]: i for i in d["issues"] if i["severity"] == "error"}
    assert set(bad) == {"002-yaml", "003-binary"}
    assert bad["002-yaml"]["path"] == "specs/002-yaml/README.md" and "YAML" in bad["002-yaml"]["message"]
    assert d["summary"]["specs"] == 3
    # A malformed spec named explicitly is reported too, not raised.
    r = cli(empty_project, "validate", "002", "--json")
    assert r.code == 1 and r.json["issues"][0]["spec"] == "002-yaml"
    r = cli(empty_project, "validate", "001", "--json")
    assert r.code == 0 and r.json["summary"]["specs"] == 1


def test_structure_rules(empty_project: Path) -> None:
    cfg = empty_project / ".lean-spec" / "config.json"
    cfg.write_text(json.dumps({"validation": {"requiredSections": ["Overview", "Testing"]}}))
    text = GOOD.format(title="S").replace("# S\n", "") + "\n## Design\n\nAgain.\n"
    write_spec(empty_project, "001-struct", text)
    found = issues(empty_project, rules=["structure"])
    msgs = {(i["severity"], i["message"].split(" (")[0]) for i in found}
    assert ("error", "no H1 title") in msgs
    assert ("error", "duplicate heading '## Design'") in msgs
    assert ("warning", "missing required section '## Testing'") in msgs
    strict = issues(empty_project, rules=["structure"], strict=True)
    assert all(i["severity"] == "error" for i in strict)


def test_line_and_token_thresholds_from_config(empty_project: Path, cli) -> None:
    body = GOOD.format(title="Long") + "\n## More\n\n" + "".join(f"Line {k} of filler text for the size checks.\n" for k in range(60))
    write_spec(empty_project, "001-long", body)
    n_lines = len(body.splitlines())
    assert not rules_of(issues(empty_project)) & {("line-count", "warning"), ("complexity", "error")}
    cfg = empty_project / ".lean-spec" / "config.json"
    cfg.write_text(json.dumps({"validation": {"maxLines": 50, "warnLines": 30, "maxTokens": 300, "warnTokens": 200}}))
    found = issues(empty_project)
    lc = [i for i in found if i["rule"] == "line-count"]
    assert lc and lc[0]["severity"] == "warning" and f"{n_lines} lines" in lc[0]["message"]
    assert ("complexity", "error") in rules_of(found)
    # --max-lines overrides the config
    r = cli(empty_project, "validate", "--max-lines", "1000", "--rule", "line-count", "--json")
    assert r.code == 0 and [i["severity"] for i in r.json["issues"]] == ["info"]  # over warnLines only
    r = cli(empty_project, "validate", "--max-lines", "10", "--rule", "max-lines", "--json")
    assert [i["rule"] for i in r.json["issues"]] == ["line-count"]


def test_check_deps(empty_project: Path, cli) -> None:
    write_spec(empty_project, "045-dashboard")
    text = GOOD.format(title="Uses") + "\nThis builds on spec 045 and also mentions 999-nowhere.\n"
    write_spec(empty_project, "046-uses", text)
    assert not [i for i in issues(empty_project) if i["rule"] == "dependency-alignment"]
    found = [i for i in issues(empty_project, check_deps=True) if i["rule"] == "dependency-alignment"]
    assert len(found) == 1
    assert found[0]["spec"] == "046-uses" and found[0]["severity"] == "warning"
    assert found[0]["line"] == text.splitlines().index("This builds on spec 045 and also mentions 999-nowhere.") + 1
    assert found[0]["suggestion"] == "lean-spec link 046-uses --depends-on 045-dashboard"
    strict = [i for i in issues(empty_project, check_deps=True, strict=True) if i["rule"] == "dependency-alignment"]
    assert strict[0]["severity"] == "error"
    assert cli(empty_project, "link", "046", "045").code == 0
    assert not [i for i in issues(empty_project, check_deps=True) if i["rule"] == "dependency-alignment"]


def test_sub_spec_rules(empty_project: Path) -> None:
    text = GOOD.format(title="Parent") + "\nSee [DESIGN.md](./DESIGN.md) and [gone](./GONE.md) and [web](https://example.org).\n"
    write_spec(empty_project, "001-parent", text, DESIGN_md="# Design\n\nLinked.\n", notes_md="# Notes\n\nNot linked, lower-case.\n")
    found = [i for i in issues(empty_project) if i["rule"] == "sub-specs"]
    msgs = sorted(i["message"] for i in found)
    assert msgs == [
        "broken link: ./GONE.md",
        "sub-spec notes.md is not linked from README.md (orphan)",
        "sub-spec notes.md is not upper-case",
    ]
    broken = next(i for i in found if "broken" in i["message"])
    assert broken["line"] == len(text.splitlines())


def test_completion_checks(empty_project: Path) -> None:
    done = GOOD.format(title="Done").replace("status: planned", "status: complete")
    write_spec(empty_project, "001-done-open-box", done)
    write_spec(empty_project, "002-umbrella", done.replace("- [ ] first step", "- [x] first step"))
    write_spec(empty_project, "003-child", GOOD.format(title="Child").replace("tags:", "parent: 002-umbrella\ntags:"))
    found = [i for i in issues(empty_project) if i["rule"] == "completion"]
    by = {i["spec"]: i for i in found}
    assert set(by) == {"001-done-open-box", "002-umbrella"}
    # Open items on a complete spec are a warning by default (old finished specs often
    # keep unticked items); an incomplete child stays an error.
    assert by["001-done-open-box"]["severity"] == "warning" and "1 checklist item" in by["001-done-open-box"]["message"]
    assert by["001-done-open-box"]["line"] == done.splitlines().index("- [ ] first step") + 1
    assert "003-child" in by["002-umbrella"]["message"] and by["002-umbrella"]["severity"] == "error"

    cfg = empty_project / ".lean-spec" / "config.json"
    for setting, want in (("error", {"error"}), ("off", set())):
        cfg.write_text(json.dumps({"validation": {"openItemsOnComplete": setting}}))
        got = {i["severity"] for i in issues(empty_project, "001") if i["rule"] == "completion"}
        assert got == want, setting


def test_formats_rules_and_exit_codes(empty_project: Path, cli) -> None:
    write_spec(empty_project, "001-fence", GOOD.format(title="F") + "\n```\nopen\n")
    write_spec(empty_project, "002-wip", GOOD.format(title="W").replace("status: planned", "status: wip"))
    r = cli(empty_project, "validate", "--format", "compact")
    assert r.code == 1
    lines = [ln for ln in r.out.splitlines() if ln.startswith("specs/")]
    assert any(ln.startswith("specs/001-fence/README.md:") and ": error [corruption]" in ln for ln in lines)
    assert any(ln.startswith("specs/002-wip/README.md:2: error [frontmatter] invalid status") for ln in lines)
    j = cli(empty_project, "validate", "--format", "json")
    assert j.code == 1 and j.json["ok"] is False and j.json["summary"]["errors"] == 2
    assert set(j.json["issues"][0]) == {"spec", "path", "rule", "severity", "message", "line", "suggestion"}
    assert cli(empty_project, "validate", "--warnings-only").code == 0
    only = cli(empty_project, "validate", "--rule", "corruption", "--json")
    assert {i["rule"] for i in only.json["issues"]} == {"corruption"}
    assert cli(empty_project, "validate", "001", "--json").json["summary"]["errors"] == 1
    bad = cli(empty_project, "validate", "--rule", "nonsense", "--json")
    assert bad.code == 2 and bad.json["error"]["code"] == "invalid_input"
    missing = cli(empty_project, "validate", "999", "--json")
    assert missing.code == 3 and missing.json["error"]["code"] == "spec_not_found"
    verbose = cli(empty_project, "validate", "--verbose")
    assert "→" in verbose.out
    quiet = cli(empty_project, "validate", "--quiet")
    assert "2 errors" in quiet.out


@pytest.mark.parametrize("ref", ["045", "155"])
def test_fixture_specs_validate_without_false_corruption(fixture_project: Path, ref: str) -> None:
    found = issues(fixture_project, ref)
    assert not [i for i in found if i["rule"] == "corruption"]


# ------------------------------------------------------------ the results cache
CACHE = Path(".lean-spec/cache")


def _report(root: Path, monkeypatch: pytest.MonkeyPatch, cached: bool, **kw) -> dict:
    if cached:
        monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    return validate_project(Project.open(root), **kw).to_dict()


def _planted(root: Path) -> None:
    """Specs that trip every content rule and the cross-spec ones."""
    write_spec(root, "001-base")
    write_spec(
        root,
        "002-messy",
        GOOD.format(title="Messy").replace("Something useful.", "An **unclosed bold\n\n```\nnever closed"),
        DESIGN_md="# Design\n\nSee [missing](./NOPE.md) and *open italic.\n",
        notes_md="# notes\n",
    )
    done = GOOD.format(title="Done").replace("status: planned", "status: complete")
    write_spec(root, "003-done", done.replace("Something useful.", "Builds on spec 001 and depends on 002."))
    kid = GOOD.format(title="Kid").replace("priority: medium", "priority: medium\nparent: 003-done")
    write_spec(root, "004-kid", kid + "\n[design](./DESIGN.md)\n")


@pytest.mark.parametrize("kw", [{}, {"check_deps": True, "strict": True}, {"rules": ["sub-specs", "completion"]}])
def test_cache_gives_identical_reports(fixture_project: Path, monkeypatch: pytest.MonkeyPatch, kw: dict) -> None:
    """No cache, a cold cache and a warm cache report exactly the same issues, on the
    real fixture plus planted problems; the cache files exist only when caching."""
    _planted(fixture_project)
    plain = _report(fixture_project, monkeypatch, False, **kw)
    assert not (fixture_project / CACHE / "validate.pickle").exists()
    assert plain["issues"], "the planted problems must be found"
    cold = _report(fixture_project, monkeypatch, True, **kw)
    assert (fixture_project / CACHE / "validate.pickle").is_file()
    warm = _report(fixture_project, monkeypatch, True, **kw)
    assert plain == cold == warm


def test_cache_follows_file_changes(empty_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _planted(empty_project)
    before = _report(empty_project, monkeypatch, True, check_deps=True)
    assert ("corruption", "error") in rules_of(before["issues"], "002-messy")
    # Fix the README, break a sub-spec, create the missing link target: the warm run
    # sees all of it (content by hash, link targets on disk every run).
    d = empty_project / "specs" / "002-messy"
    (d / "README.md").write_text(GOOD.format(title="Messy") + "\n[design](./DESIGN.md) [n](./notes.md)\n", encoding="utf-8")
    (d / "DESIGN.md").write_text("# Design\n\n```\nopen fence\n", encoding="utf-8")
    (d / "NOPE.md").write_text("# Nope\n", encoding="utf-8")
    after = _report(empty_project, monkeypatch, True, check_deps=True)
    assert after == _report(empty_project, monkeypatch, False, check_deps=True)
    messy = [i for i in after["issues"] if i["spec"] == "002-messy"]
    assert not any(i["path"].endswith("README.md") and i["rule"] == "corruption" for i in messy)
    assert any(i["path"].endswith("DESIGN.md") and "never closed" in i["message"] for i in messy)
    assert not any("broken link" in i["message"] for i in messy)
    # Settings are part of the key: a lower --max-lines is applied to cached files.
    strictish = _report(empty_project, monkeypatch, True, max_lines=3)
    assert strictish == _report(empty_project, monkeypatch, False, max_lines=3)
    assert any(i["rule"] == "line-count" for i in strictish["issues"])


@pytest.mark.parametrize(
    "junk",
    [
        b"not a cache at all",
        b"",
        None,  # truncated: the real file cut in half
        b"EVIL",  # a pickle that would call os.system if it were trusted
    ],
)
def test_corrupt_cache_files_are_ignored(empty_project: Path, monkeypatch: pytest.MonkeyPatch, junk: bytes | None) -> None:
    import pickle

    _planted(empty_project)
    expected = _report(empty_project, monkeypatch, False)
    _report(empty_project, monkeypatch, True)  # writes both cache files
    for name in ("validate.pickle", "tokens.bin"):
        f = empty_project / CACHE / name
        real = f.read_bytes()
        if junk is None:
            data = real[: len(real) // 2]
        elif junk == b"EVIL":
            magic = real.split(b"\n", 1)[0] + b"\n"
            data = magic + pickle.dumps(__import__("os").system)
        else:
            data = junk
        f.write_bytes(data)
    assert _report(empty_project, monkeypatch, True) == expected
    # ... and they were rewritten as valid caches that give the same answer again.
    assert (empty_project / CACHE / "validate.pickle").read_bytes().startswith(b"LEANSPEC-VALIDATE")
    assert _report(empty_project, monkeypatch, True) == expected


def test_validate_progress_only_on_a_terminal(fixture_project: Path) -> None:
    """Long validations show a counter on stderr when it is a terminal, nothing on a pipe."""
    import os
    import subprocess
    import sys

    from conftest import run_on_tty

    argv = [sys.executable, "-m", "leanspec", "--project", str(fixture_project), "validate", "--json"]
    piped = subprocess.run(argv, capture_output=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert b"validate 1/" not in piped.stderr
    _code, shown, out = run_on_tty(argv, stream="stderr")
    err = shown.decode()
    assert "validate 1/17" in err and "validate 17/17" in err
    assert out == piped.stdout  # the report itself is the same either way
