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
TUI_MAY_IMPORT = {
    "project", "insight.board", "insight.search", "insight.searchindex", "insight.graph", "core.listing",
    "core.model", "core.errors", "tui", "workflows.claims", "store.leases",
}  # fmt: skip


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
                if node.module not in TUI_MAY_IMPORT:
                    bad.setdefault(path.name, []).append(node.module)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("leanspec"):
                parts = node.module.split(".")
                if len(parts) > 1 and ".".join(parts[1:]) not in TUI_MAY_IMPORT:
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
        if rel.parts[0] in ("web", "mcp") or rel.name in ("store.py", "fsutil.py", "cache.py", "projectfiles.py"):
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


# ---------------------------------------------------------------- layers
# Each subpackage is a layer; a module may import only from its own layer or lower
# ones (docs/architecture.md, "Layers"). The CLI launches the other front ends.
LAYERS = {
    "core": 0,
    "rules": 1,
    "store": 2,
    "project": 3,
    "insight": 4,
    "workflows": 5,
    "mcp": 6,
    "web": 6,
    "tui": 6,
    "cli": 7,
    "__main__": 8,
    "__init__": 0,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _internal_imports(path: Path) -> list[tuple[str, str, int]]:
    """(target module, imported name or "", line) for every import of a leanspec module,
    lazy and TYPE_CHECKING ones included."""
    mod = _module_name(path)
    is_pkg = path.name == "__init__.py"
    modules = {_module_name(p) for p in SRC.rglob("*.py")}
    out: list[tuple[str, str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("leanspec"):
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in modules:
                    out.append((sub, "", node.lineno))
                else:
                    out.append((target, a.name, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, "", node.lineno) for a in node.names if a.name.startswith("leanspec."))
    return out


def _layer(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS[key]


def test_every_module_belongs_to_a_layer() -> None:
    unknown = sorted({_module_name(p) for p in SRC.rglob("*.py") if (_module_name(p).split(".") + ["__init__"])[1] not in LAYERS})
    assert not unknown, f"modules outside the known layers (add them to LAYERS and docs/architecture.md): {unknown}"


def test_layers_import_only_downward() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        mod = _module_name(path)
        for target, _name, line in _internal_imports(path):
            if target == "leanspec":  # the package itself: __version__ only
                continue
            if _layer(target) > _layer(mod):
                bad.append(f"{path.relative_to(SRC)}:{line} imports {target} (a higher layer)")
    assert not bad, "\n".join(bad)


def test_no_private_name_imported_across_modules() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        mod = _module_name(path)
        for target, name, line in _internal_imports(path):
            if name.startswith("_") and not name.startswith("__") and target != mod:
                bad.append(f"{path.relative_to(SRC)}:{line} imports {name} from {target}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        mod = _module_name(path)
        graph[mod] = {t for t, _n, _l in _internal_imports(path) if t != mod and t != "leanspec"}
    # A cycle is a strongly connected component of more than one module (Tarjan).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
