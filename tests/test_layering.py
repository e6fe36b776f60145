"""The core never imports front-end frameworks, and the CLI stays lean at start-up."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "leanspec"
FORBIDDEN = {
    "argparse", "click", "starlette", "uvicorn", "jinja2", "mcp", "fastapi", "sse_starlette", "watchfiles",
    "textual", "rich",
}  # fmt: skip
FRONT_ENDS = {"cli", "mcp", "web", "tui"}
# The only leanspec modules the TUI may import (the core's public API, docs/architecture.md).
TUI_MAY_IMPORT = {"project", "board", "search", "searchindex", "graph", "listing", "model", "errors", "tui"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_front_end_framework() -> None:
    bad = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in FRONT_ENDS:
            continue
        hit = _imports(path) & FORBIDDEN
        if hit:
            bad[str(rel)] = sorted(hit)
    assert not bad, f"core modules import front-end frameworks: {bad}"


def test_textual_only_under_tui() -> None:
    """Textual (and Rich, which it brings) is imported only inside leanspec/tui/; nothing
    outside that package imports it at module level (cli/cmd_tui.py does inside the
    command function)."""
    bad = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "tui":
            continue
        hit = _imports(path) & {"textual", "rich"}
        if hit:
            bad[str(rel)] = sorted(hit)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for n in top:
            mod = n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
            if mod and (mod == "tui" or mod.endswith(".tui") or ".tui." in mod or mod.startswith("tui")):
                bad[str(rel)] = [f"module-level import of {mod}"]
    assert not bad, f"textual/rich or leanspec.tui imported outside leanspec/tui: {bad}"


def test_tui_uses_only_the_public_core_api() -> None:
    bad = {}
    for path in (SRC / "tui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                if node.module.split(".")[0] not in TUI_MAY_IMPORT:
                    bad.setdefault(path.name, []).append(node.module)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("leanspec"):
                parts = node.module.split(".")
                if len(parts) > 1 and parts[1] not in TUI_MAY_IMPORT:
                    bad.setdefault(path.name, []).append(node.module)
        text = path.read_text(encoding="utf-8")
        for needle in (r"(?<![\w.])open\(", r"\b(?:os|io)\.open\(", r"\.read_(?:text|bytes)\(", r"\.write_(?:text|bytes)\("):
            if re.search(needle, text):
                bad.setdefault(path.name, []).append(f"file access {needle}")
    assert not bad, f"leanspec/tui goes around the public core API: {bad}"


def test_only_store_and_fsutil_write_files() -> None:
    """Spec files are written only by store.py (through fsutil); other core modules
    never open files for writing."""
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("web", "mcp") or rel.name in ("store.py", "fsutil.py", "cache.py"):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in (".write_text(", ".write_bytes(", "open(", "os.replace(", "os.rename(", "shutil.move("):
            for line in text.splitlines():
                s = line.strip()
                if "not-a-spec-file" in s:
                    continue
                if needle in s and not s.startswith("#") and ('"w' in s or "'w" in s or needle != "open("):
                    offenders.append(f"{rel}: {s}")
    assert not offenders, "\n".join(offenders)


def test_list_does_not_import_heavy_front_ends(fixture_project: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from leanspec.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['--project', {str(fixture_project)!r}, 'list'])\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    mods = set(json.loads(out.strip().splitlines()[-1]))
    heavy = {
        m
        for m in mods
        if m.split(".")[0] in {"mcp", "starlette", "uvicorn", "pydantic", "markdown_it", "tiktoken", "anyio", "textual", "rich"}
        or m.startswith("leanspec.tui")
    }
    assert not heavy, f"`list` imported {sorted(heavy)}"
