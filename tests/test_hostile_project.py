"""A hostile cloned repository (issue 10, docs/security.md), driven for real: the CLI
as subprocesses, ``lean-spec mcp`` through the MCP stdio client, ``lean-spec ui``
over HTTP.

The project holds symlinks out of it (a sub-spec file to a secret, a README, a spec
folder, the lock file, ``.lean-spec/.gitignore``), a YAML alias bomb, values PyYAML's
constructors raise on, terminal escapes in titles and tags. A sentinel folder outside
the project is hashed before and after (symlink targets included, dangling ones must
stay dangling); secrets planted outside (a file, the environment) must never appear
in any output; every call returns within 5 s; peak RSS stays under 300 MB; the
ordinary specs keep listing, viewing and updating."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

CALL_BUDGET = 5.0  # seconds per call (issue 10)
RSS_BUDGET_KB = 300 * 1024
SECRET = "S3CRET-" + hashlib.sha256(b"hostile-project").hexdigest()[:16]
ENV_SECRET = "ENVSECRET-" + hashlib.sha256(b"environ").hexdigest()[:16]
# Characters nothing we send may carry raw (C0 but newline and tab, DEL, C1, bidi).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR_OURS = re.compile(r"\x1b\[(?:0|1|2|3[1-6]|90)(?:;(?:0|1|2|3[1-6]|90))*m")

GOOD = """---
status: planned
created: '2025-01-02'
priority: medium
tags: [core]
---

# {title}

> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-01-02 · **Tags**: core

## Overview

Plain spec.

- [ ] a task
"""

BOMB = "---\nstatus: planned\n" + "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "lol"] * 9) + "]\n" for i in range(9)
) + "tags: *a8\n---\n\n# Bomb\n"


def spec_text(fm: str, title: str = "Hostile") -> str:
    return f"---\n{fm}\n---\n\n# {title}\n\nBody.\n"


# ====================================================================== the project
def build(tmp: Path) -> tuple[Path, Path]:
    root = tmp / "proj"
    outside = tmp / "outside"
    (root / ".lean-spec").mkdir(parents=True)
    specs = root / "specs"
    specs.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(f"api_token={SECRET}\n")
    (outside / "target.md").write_text("# outside target\n")
    (outside / "evil.sh").write_text("#!/bin/sh\necho original\n")
    (outside / "linked-readme.md").write_text(GOOD.format(title=f"Linked {SECRET}"))
    (outside / "specdir").mkdir()
    (outside / "specdir" / "README.md").write_text(GOOD.format(title=f"Folder {SECRET}"))
    for n, t in ((1, "good-one"), (2, "good-two")):
        d = specs / f"00{n}-{t}"
        d.mkdir()
        (d / "README.md").write_text(GOOD.format(title=t.replace("-", " ").title()))
    d = specs / "003-links"
    d.mkdir()
    (d / "README.md").write_text(GOOD.format(title="Links"))
    (d / "ENV.md").symlink_to(outside / "secret.txt")
    (d / "PROC.md").symlink_to("/proc/self/environ")
    (d / "DESIGN.md").symlink_to(outside / "target.md")
    (d / "UP.md").symlink_to("../../../outside/secret.txt")
    d = specs / "004-readme-link"
    d.mkdir()
    (d / "README.md").symlink_to(outside / "linked-readme.md")
    (specs / "005-folder-link").symlink_to(outside / "specdir")
    bad = {
        "006-bomb": BOMB,
        "007-bad-date": spec_text("status: planned\ncreated: 2025-13-45"),
        "008-bad-int": spec_text("status: planned\nx: !!int abc"),
        "009-huge-int": spec_text("status: planned\nx: " + "9" * 5000),
        "011-deep": spec_text("status: planned\nx: " + "[" * 5000 + "]" * 5000),
        "012-surrogate": spec_text('status: planned\ntitle: "\\ud800"'),
        "013-injected": spec_text('status: planned\nassignee: "alice\\nINJECTED"', title="Injected"),
    }
    for name, text in bad.items():
        (specs / name).mkdir()
        (specs / name / "README.md").write_text(text)
    (specs / "010-escapes").mkdir()
    (specs / "010-escapes" / "README.md").write_text(
        spec_text('status: planned\ntitle: "Evil \\e]0;pwned\\a \\e[2J\\r title"\ntags: ["\\e[31mred", "ok"]\n'
                  'assignee: "bob\\e[8m"', title="x")
    )
    (specs / "014-raw-escape").mkdir()
    (specs / "014-raw-escape" / "README.md").write_text(spec_text("status: planned", title="Raw \x1b[2J\x1b]0;t\x07 heading"))
    # C1 controls (CSI), DEL and bidi overrides: json.dumps leaves them raw.
    (specs / "015-bidi").mkdir()
    (specs / "015-bidi" / "README.md").write_text(
        spec_text('status: planned\ntitle: "Bidi \\u202e txt.exe \\x9b2J \\x7f end"\ntags: ["\\u2066rtl"]', title="x")
        + "Body \u202e reversed \x9b31m and \x1b[2J \x07 here.\n"
    )
    # Local state a repository should never carry: symlinks to files that do not exist.
    (root / ".lean-spec" / "write.lock").symlink_to(outside / "created-by-lock")
    (root / ".lean-spec" / ".gitignore").symlink_to(outside / "created-by-gitignore")
    return root, outside


def snapshot(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            st = p.stat()
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() + f":{st.st_mode:o}:{st.st_mtime_ns}"
    return out


def env(home: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("LEANSPEC_")}
    e.update(
        HOME=str(home),
        NO_COLOR="1",
        PYTHONPATH=str(REPO / "src") + os.pathsep + e.get("PYTHONPATH", ""),
        LEANSPEC_TEST_SECRET=ENV_SECRET,  # what /proc/self/environ would leak
        LEANSPEC_SKIP_BROWSER="1",
    )
    e.pop("FORCE_COLOR", None)
    return e



# Peak RSS of each CLI child. Not this process's RUSAGE_CHILDREN maximum: it also
# counts other modules' children run by the same worker, and a child's ru_maxrss
# starts from the image it was forked from (a pytest worker of a few hundred MB). A
# small wrapper process forks the real child and reports its wait4 peak.
CLI_PEAKS_KB: list[int] = []
PEAK_WRAPPER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(os.environ['PEAK_FILE'], 'w') as f:\n"
    "    f.write(str(usage.ru_maxrss))\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "os._exit(code if code >= 0 else 128 - code)\n"
)


def run_measured(
    argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``subprocess.run(argv, capture_output=True, text=True)`` and the child's own peak
    RSS in KiB."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        peak_file = os.path.join(d, "peak")
        r = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, *argv],
            env={**env, "PEAK_FILE": peak_file},
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=timeout,
        )
        with open(peak_file) as f:
            peak = int(f.read())
    return subprocess.CompletedProcess(argv, r.returncode, r.stdout, r.stderr), peak


class Proj:
    def __init__(self, tmp: Path) -> None:
        self.root, self.outside = build(tmp)
        self.home = tmp / "home"
        self.home.mkdir()
        self.env = env(self.home)
        self.before = snapshot(self.outside)

    def cli(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        t0 = time.monotonic()
        r, peak_kb = run_measured(
            [sys.executable, "-m", "leanspec", "--project", str(self.root), *args],
            env={**self.env, **(extra_env or {})},
            cwd=self.root,
            timeout=CALL_BUDGET * 6,  # a hang fails below with a clear message, not here
        )
        took = time.monotonic() - t0
        assert took < CALL_BUDGET, f"lean-spec {' '.join(args)} took {took:.1f}s"
        assert peak_kb < RSS_BUDGET_KB, f"lean-spec {' '.join(args)} peaked at {peak_kb // 1024} MB"
        CLI_PEAKS_KB.append(peak_kb)
        no_secret(r.stdout + r.stderr)
        return r


    def unchanged(self) -> None:
        assert snapshot(self.outside) == self.before, "something outside the project changed"


def no_secret(text: str) -> None:
    assert SECRET not in text and ENV_SECRET not in text, "a secret from outside the project leaked"


def readme(root: Path, name: str) -> str:
    return (root / "specs" / name / "README.md").read_text()


@pytest.fixture
def proj(tmp_path: Path) -> Proj:
    return Proj(tmp_path)


# ============================================================================ CLI
def test_cli_lists_reads_and_writes_only_inside(proj: Proj) -> None:
    r = proj.cli("list", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    names = {s["name"] for s in data["specs"]}
    assert {"001-good-one", "002-good-two", "003-links", "010-escapes", "014-raw-escape", "013-injected"} <= names
    problems = {p["path"].split("/")[1]: p for p in data["problems"]}
    for bad in ("004-readme-link", "005-folder-link", "006-bomb", "007-bad-date", "008-bad-int", "009-huge-int",
                "011-deep", "012-surrogate"):  # fmt: skip
        assert bad in problems and problems[bad]["code"] == "malformed_spec", (bad, data["problems"])
        assert bad not in names
    assert "outside the project" in problems["004-readme-link"]["reason"]
    assert "outside the project" in problems["005-folder-link"]["reason"]
    assert "alias" in problems["006-bomb"]["reason"]
    # Sub-spec files that lead outside are not files of the spec.
    spec3 = next(s for s in data["specs"] if s["name"] == "003-links")
    assert spec3["sub_specs"] == []
    for cmd in (["list"], ["board"], ["stats"], ["search", "spec"], ["validate"], ["view", "001"], ["view", "010"],
                ["view", "014"], ["deps", "001"], ["tokens", "001"], ["check"]):  # fmt: skip
        r = proj.cli(*cmd)
        assert "Traceback" not in r.stderr, (cmd, r.stderr)
        assert r.returncode in (0, 1), (cmd, r.returncode, r.stderr)
        for ch in ("\x1b", "\x07", "\r", "\x00"):
            assert ch not in r.stdout and ch not in r.stderr, (cmd, ch, r.stdout)
    for ref in ("003/ENV.md", "003/PROC.md", "003/UP.md", "003/DESIGN.md", "004", "005"):
        r = proj.cli("view", ref)
        assert r.returncode != 0, (ref, r.stdout)
    # Writes through symlinks are refused; nothing outside changes.
    for args in (["update", "004", "--add-tags", "x"], ["update", "005", "--status", "in-progress"],
                 ["archive", "004"]):  # fmt: skip
        r = proj.cli(*args)
        assert r.returncode == 1 and "outside the project" in r.stderr, (args, r.stderr)
    # Ordinary specs still update (the symlinked lock file is replaced by a plain one,
    # the symlinked .gitignore left alone).
    r = proj.cli("update", "001", "--status", "in-progress", "--add-tags", "ok")
    assert r.returncode == 0, r.stderr
    assert "status: in-progress" in readme(proj.root, "001-good-one")
    assert not (proj.root / ".lean-spec" / "write.lock").is_symlink()
    assert proj.cli("create", "fresh-spec", "--title", "Fresh").returncode == 0
    proj.unchanged()


def test_cli_colour_output_only_carries_our_colours(proj: Proj) -> None:
    for cmd in (["list"], ["view", "010"], ["board"], ["view", "014"]):
        r = proj.cli(*cmd, extra_env={"FORCE_COLOR": "1", "NO_COLOR": ""})
        assert r.returncode == 0, r.stderr
        rest = SGR_OURS.sub("", r.stdout)
        for ch in ("\x1b", "\x07", "\r"):
            assert ch not in rest, (cmd, rest)
    proj.unchanged()


def test_cli_refuses_control_characters_before_writing(proj: Proj) -> None:
    before = readme(proj.root, "001-good-one")
    for args in (
        ["update", "001", "--assignee", "alice\nINJECTED"],
        ["update", "001", "--title", "t\x1b]0;x\x07"],
        ["update", "001", "--add-tags", "a\rb"],
        ["update", "001", "--field", "k\x1b=v"],
        ["link", "001", "002\n003"],
        ["create", "x", "--title", "bad\x1b[2J"],
        ["create", "y", "--assignee", "eve\ninjected"],
    ):
        r = proj.cli(*args)
        assert r.returncode == 2 and "invalid" in r.stderr, (args, r.stderr)
        assert "\x1b" not in r.stderr
    assert readme(proj.root, "001-good-one") == before
    assert not any(p.name.endswith(("-x", "-y")) for p in (proj.root / "specs").iterdir())
    # A hostile value already in a file: the header re-sync keeps it on one line,
    # and a second write changes nothing more (idempotent).
    assert proj.cli("update", "013", "--priority", "high").returncode == 0
    once = readme(proj.root, "013-injected")
    assert "\nINJECTED" not in once.split("---", 2)[2]
    assert proj.cli("update", "013", "--priority", "low").returncode == 0
    assert proj.cli("update", "013", "--priority", "high").returncode == 0
    twice = readme(proj.root, "013-injected")
    assert [ln for ln in twice.splitlines() if "INJECTED" in ln] == [ln for ln in once.splitlines() if "INJECTED" in ln]
    proj.unchanged()


def test_config_naming_files_outside_is_a_config_error(tmp_path: Path) -> None:
    proj = Proj(tmp_path)
    evil = proj.outside / "evil.sh"
    for key, cfg in (
        ("structure.defaultFile", {"structure": {"defaultFile": "../../../../outside/evil.sh"}}),
        ("structure.defaultFile", {"structure": {"defaultFile": str(evil)}}),
        ("specsDir", {"specsDir": "../outside"}),
        ("templates.default", {"templates": {"default": "../../../outside/secret.txt"}}),
        ("template", {"template": "/etc/passwd"}),
    ):
        (proj.root / ".lean-spec" / "config.json").write_text(json.dumps(cfg))
        for args in (["list"], ["create", "evil"], ["update", "001", "--add-tags", "x"]):
            r = proj.cli(*args)
            assert r.returncode == 1 and key in r.stderr and "config" not in r.stdout, (key, args, r.stderr)
    (proj.root / ".lean-spec" / "config.json").unlink()
    # A config file that is itself a symlink out is refused, never read.
    (proj.root / ".lean-spec" / "config.yaml").symlink_to(proj.outside / "secret.txt")
    r = proj.cli("list")
    assert r.returncode == 1 and "outside the project" in r.stderr
    (proj.root / ".lean-spec" / "config.yaml").unlink()
    # A template file that is a symlink out.
    (proj.root / ".lean-spec" / "templates").mkdir()
    (proj.root / ".lean-spec" / "templates" / "spec-template.md").symlink_to(proj.outside / "secret.txt")
    r = proj.cli("create", "from-template")
    assert r.returncode == 1 and "outside the project" in r.stderr, r.stderr
    assert not any("from-template" in p.name for p in (proj.root / "specs").iterdir())
    proj.unchanged()


def test_project_files_symlinked_out_are_never_read_written_or_removed(tmp_path: Path) -> None:
    """Project files (templates, AGENTS.md, the agent-tool links, the skill) follow the
    containment rule (store ``*_project_file``): a symlinked ``.lean-spec/templates``,
    ``AGENTS.md`` or ``.agents/`` folder that leads out is never read, listed, written
    through or removed through, by ``templates`` or ``init --force``."""
    proj = Proj(tmp_path)
    tpl = proj.outside / "tpl"
    tpl.mkdir()
    (tpl / "bugfix.md").write_text(f"# Bugfix {SECRET}\n")
    (proj.outside / "agents.md").write_text(f"outside agents {SECRET}\n")
    (proj.outside / "agentsdir").mkdir()
    (proj.outside / "githubdir").mkdir()
    (proj.root / ".lean-spec" / "templates").symlink_to(tpl)
    (proj.root / "AGENTS.md").symlink_to(proj.outside / "agents.md")
    (proj.root / ".agents").symlink_to(proj.outside / "agentsdir")
    (proj.root / ".github").symlink_to(proj.outside / "githubdir")
    (proj.root / "mine.md").write_text("# Mine\n")
    proj.before = snapshot(proj.outside)
    r = proj.cli("templates", "list", "--json")
    assert r.returncode == 0 and "bugfix" not in r.stdout, r.stdout
    for args in (["templates", "show", "bugfix"], ["create", "x", "--template", "bugfix"],
                 ["templates", "remove", "bugfix"], ["templates", "copy", "standard", "mine"],
                 ["templates", "add", "mine", str(proj.root / "mine.md")]):  # fmt: skip
        r = proj.cli(*args)
        assert r.returncode == 1 and "outside the project" in r.stderr, (args, r.returncode, r.stderr)
    assert (tpl / "bugfix.md").exists() and sorted(p.name for p in tpl.iterdir()) == ["bugfix.md"]
    (proj.root / ".lean-spec" / "templates").unlink()
    # init --force would rewrite AGENTS.md: never through the link.
    r = proj.cli("init", "--force", "-y")
    assert r.returncode == 1 and "AGENTS.md" in r.stderr and "outside the project" in r.stderr, r.stderr
    (proj.root / "AGENTS.md").unlink()
    # The skill goes under .agents/, the copilot link under .github/: both lead out.
    r = proj.cli("init", "--force", "-y")
    assert r.returncode == 1 and ".agents" in r.stderr and "outside the project" in r.stderr, r.stderr
    (proj.root / ".agents").unlink()
    r = proj.cli("init", "--force", "-y", "--agent-tools", "copilot")
    assert r.returncode == 1 and ".github" in r.stderr and "outside the project" in r.stderr, r.stderr
    assert os.listdir(proj.outside / "agentsdir") == [] and os.listdir(proj.outside / "githubdir") == []
    (proj.root / ".github").unlink()
    # MCP client configs are read and merged under the same rule.
    (proj.outside / "mcp.json").write_text(json.dumps({"mcpServers": {"x": {"command": SECRET}}}))
    (proj.outside / "vscodedir").mkdir()
    (proj.root / ".mcp.json").symlink_to(proj.outside / "mcp.json")
    (proj.root / ".vscode").symlink_to(proj.outside / "vscodedir")
    proj.before = snapshot(proj.outside)
    for client in ("claude-code", "vscode"):
        r = proj.cli("init", "--mcp-config", client)
        assert r.returncode == 1 and "outside the project" in r.stderr, (client, r.stderr)
    (proj.root / ".mcp.json").unlink()
    (proj.root / ".vscode").unlink()
    # With the links gone, the same commands work inside the project.
    assert proj.cli("init", "--force", "-y", "--agent-tools", "copilot,claude").returncode == 0
    assert (proj.root / ".github" / "copilot-instructions.md").is_symlink()
    assert proj.cli("templates", "copy", "standard", "mine").returncode == 0
    assert proj.cli("templates", "remove", "mine").returncode == 0
    proj.unchanged()


def test_cli_processes_stay_small(proj: Proj) -> None:
    """Every CLI child run by this module peaked under the budget (each call checks its
    own child, ``cli``); here the bomb once more, and the peaks recorded so far."""
    proj.cli("list")
    proj.cli("view", "006-bomb")
    assert CLI_PEAKS_KB and max(CLI_PEAKS_KB) < RSS_BUDGET_KB, f"a child peaked at {max(CLI_PEAKS_KB) // 1024} MB"


# ============================================================================ MCP
def vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def test_mcp_server(proj: Proj) -> None:
    pytest.importorskip("mcp")
    from test_mcp_server import Session, server_params

    params = server_params(proj.root, proj.home)
    params.env = {**proj.env}
    s = Session(params)
    try:

        def call(name: str, args: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
            t0 = time.monotonic()
            err, payload = s.call(name, args)
            took = time.monotonic() - t0
            assert took < CALL_BUDGET, f"MCP {name} took {took:.1f}s"
            no_secret(json.dumps(payload))
            return err, payload

        err, listing = call("list", {"include_archived": True, "limit": 500})
        assert not err
        names = {x["name"] for x in listing["specs"]}
        assert "001-good-one" in names and "006-bomb" not in names and "005-folder-link" not in names
        assert {p["path"].split("/")[1] for p in listing["problems"]} >= {"004-readme-link", "005-folder-link", "006-bomb"}
        for tool in ("board", "stats", "validate"):
            err, _ = call(tool, {})
            assert not err, tool
        err, _ = call("search", {"query": "spec"})
        assert not err
        for ref in ("003/ENV.md", "003/PROC.md", "003/DESIGN.md", "004", "005"):
            err, payload = call("view", {"spec": ref})
            assert err, (ref, payload)
        err, payload = call("update", {"spec": "003/DESIGN.md", "content": "# pwned\n"})
        assert err and payload["error"]["code"] in ("malformed_spec", "invalid_input"), payload
        err, payload = call("update", {"spec": "004", "add_tags": ["x"]})
        assert err and payload["error"]["code"] == "malformed_spec"
        before = readme(proj.root, "001-good-one")
        for bad in ({"add_tags": ["a\u0000b"]}, {"assignee": "alice\nINJECTED"}, {"title": "t\x1b]0;x\x07"},
                    {"fields": {"k\n": "v"}}):  # fmt: skip
            err, payload = call("update", {"spec": "001", **bad})
            assert err and payload["error"]["code"] == "invalid_input", (bad, payload)
        assert readme(proj.root, "001-good-one") == before
        err, payload = call("update", {"spec": "001", "add_tags": ["fine"]})
        assert not err, payload
        err, payload = call("view", {"spec": "001"})
        assert not err and "fine" in payload["spec"]["tags"]
        # Tool results, resources and prompts carry no raw control or bidi character:
        # JSON escapes them, prompts quote spec values on one line (docs/security.md).
        for name, args in (("view", {"spec": "015"}), ("list", {"limit": 100}), ("view", {"spec": "010"}),
                           ("search", {"query": "bidi"}), ("board", {})):  # fmt: skip
            res = s.run(s.client.call_tool(name, args))
            text = res.content[0].text
            assert not RAW_CONTROL.search(text), (name, RAW_CONTROL.search(text))
            if args.get("spec") == "015":  # escaped on the wire, the same value once decoded
                assert json.loads(text)["spec"]["title"] == "Bidi \u202e txt.exe \x9b2J \x7f end"
        for uri in ("board://kanban", "stats://overview"):
            text = s.run(s.client.read_resource(uri)).contents[0].text
            assert not RAW_CONTROL.search(text), uri
        for prompt, args in (("project-progress-overview", {}), ("checkpoint", {}), ("plan-project-roadmap", {"goal": "g"}),
                             ("create-spec", {"description": "d"}), ("update-spec-status", {"spec": "013", "status": "complete"}),
                             ("update-spec-status", {"spec": "010", "status": "complete"}),
                             ("update-spec-status", {"spec": "015", "status": "complete"})):  # fmt: skip
            got = s.run(s.client.get_prompt(prompt, args))
            text = "".join(m.content.text for m in got.messages)
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), (prompt, text)
            assert "\nINJECTED" not in text and "\n- INJECTED" not in text, (prompt, text)
        text = "".join(m.content.text for m in s.run(s.client.get_prompt("project-progress-overview", {})).messages)
        assert "@alice INJECTED" in text and "Evil" in text  # the values are there, on their line
        pid = server_pid(proj.root)
        assert pid, "the MCP server process was not found"
        assert 0 < vm_hwm_kb(pid) < RSS_BUDGET_KB
    finally:
        s.close()
    proj.unchanged()


def server_pid(root: Path) -> int:
    """The pid of the `lean-spec mcp` child serving ``root`` (0 if not found)."""
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"mcp" in cmd and str(root).encode() in cmd and str(os.getpid()) == (d / "stat").read_text().split()[3]:
            return int(d.name)
    return 0


# =========================================================================== HTTP
def request(base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if method != "GET":
        req.add_header("Origin", base)  # a same-origin write, as the browser sends it
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=CALL_BUDGET * 2) as r:
            status, hdrs, data = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, dict(e.headers), e.read()
    took = time.monotonic() - t0
    assert took < CALL_BUDGET, f"{method} {path} took {took:.1f}s"
    no_secret(data.decode("utf-8", "replace"))
    return status, hdrs, data


def test_http_api(proj: Proj) -> None:
    pytest.importorskip("starlette")
    from test_server_listing import start_ui

    proc, base = start_ui(proj.root, proj.env)
    try:
        status, _h, data = request(base, "GET", "/api/specs?archived=1")
        assert status == 200
        listing = json.loads(data)
        names = {x["name"] for x in listing["specs"]}
        assert "001-good-one" in names and "006-bomb" not in names
        assert {p["path"].split("/")[1] for p in listing["problems"]} >= {"004-readme-link", "005-folder-link", "006-bomb"}
        for path in ("/api/specs/3/files/ENV.md", "/api/specs/3/files/PROC.md", "/api/specs/3/files/UP.md",
                     "/api/specs/4", "/api/specs/5", "/api/board", "/api/stats"):  # fmt: skip
            status, _h, _d = request(base, "GET", path)
            assert status != 500, path
        status, _h, _d = request(base, "GET", "/api/specs/3/files/ENV.md")
        assert status >= 400
        status, _h, d = request(base, "PUT", "/api/specs/3/files/DESIGN.md", json.dumps({"content": "# pwned\n"}).encode(),
                                {"If-Match": "*"})
        assert 400 <= status < 500, (status, d)
        status, h, _d = request(base, "GET", "/api/specs/1")
        assert status == 200
        etag = h.get("ETag") or h.get("etag") or ""
        before = readme(proj.root, "001-good-one")
        for raw in (b'{"add_tags": ["a\\u0000b"]}', b'{"title": "\\ud800"}', b'{"assignee": "a\\nINJECTED"}',
                    b'{"tags": ["\\u001b[2J"]}'):  # fmt: skip
            status, _h, d = request(base, "PATCH", "/api/specs/1", raw, {"If-Match": etag})
            assert status == 400 and json.loads(d)["error"]["code"] == "invalid_input", (raw, status, d)
        assert readme(proj.root, "001-good-one") == before
        status, _h, d = request(base, "PATCH", "/api/specs/1", b'{"add_tags": ["fine"]}', {"If-Match": etag})
        assert status == 200, d
        status, _h, d = request(base, "GET", "/api/specs?archived=1")
        assert status == 200 and "001-good-one" in {x["name"] for x in json.loads(d)["specs"]}
        # The server-rendered markdown shows control and bidi characters escaped.
        for ref in ("14", "15"):
            status, _h, d = request(base, "GET", f"/api/specs/{ref}")
            html = json.loads(d)["spec"]["html"]
            assert status == 200 and not RAW_CONTROL.search(html), (ref, html)
            assert "\\x1b" in html or "\\u202e" in html, html
        assert 0 < vm_hwm_kb(proc.pid) < RSS_BUDGET_KB
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proj.unchanged()
