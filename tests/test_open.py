"""open: runs a real editor process (a small script that records its argv)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest


@pytest.fixture
def editor(tmp_path: Path) -> tuple[Path, Path]:
    """(script, log): the script appends its argv as one JSON line to the log."""
    log = tmp_path / "argv.log"
    script = tmp_path / "fake editor.py"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "sys.exit(int(__import__('os').environ.get('FAKE_EDITOR_EXIT', '0')))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def calls(log: Path) -> list[list[str]]:
    return [json.loads(ln) for ln in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def project(empty_project: Path, cli) -> Path:
    assert cli(empty_project, "create", "alpha", "-T", "detailed").code == 0
    return empty_project


def test_opens_readme_with_editor(project: Path, editor, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    script, log = editor
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"'{script}' --wait")
    r = cli(project, "open", "1", "--json")
    assert r.code == 0, r.err
    readme = project / "specs" / "001-alpha" / "README.md"
    assert calls(log) == [["--wait", str(readme)]]
    assert r.json == {
        "ok": True,
        "spec": "001-alpha",
        "path": "specs/001-alpha/README.md",
        "editor": f"'{script}' --wait",
        "exit_code": 0,
    }


def test_visual_beats_editor_and_flag_beats_both(project: Path, editor, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    script, log = editor
    monkeypatch.setenv("EDITOR", "/bin/false")
    monkeypatch.setenv("VISUAL", f"'{script}' visual")
    assert cli(project, "open", "alpha").code == 0
    monkeypatch.setenv("VISUAL", "/bin/false")
    assert cli(project, "open", "001/DESIGN.md", "--editor", f"'{script}' flag").code == 0
    design = project / "specs" / "001-alpha" / "DESIGN.md"
    assert calls(log) == [["visual", str(project / "specs" / "001-alpha" / "README.md")], ["flag", str(design)]]


def test_errors(project: Path, editor, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    script, log = editor
    monkeypatch.setenv("EDITOR", f"'{script}'")  # a path with a space must be quoted, as in git
    r = cli(project, "open", "999", "--json")
    assert r.code == 3 and r.json["error"]["code"] == "spec_not_found"
    r = cli(project, "open", "001/NOPE.md")
    assert r.code == 3
    assert calls(log) == []  # the editor never ran
    monkeypatch.setenv("FAKE_EDITOR_EXIT", "3")
    r = cli(project, "open", "1", "--json")
    assert r.code == 1 and r.json["exit_code"] == 3
    r = cli(project, "open", "1", "--editor", "/nonexistent/editor")
    assert r.code != 0 and "cannot run editor" in r.err
    monkeypatch.delenv("EDITOR")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("PATH", str(project))  # no xdg-open/open either
    r = cli(project, "open", "1")
    assert r.code != 0 and "EDITOR" in r.err
    assert os.environ.get("EDITOR") is None
