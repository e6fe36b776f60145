"""Spec templates: the bundled ones (standard, detailed) and the project's own in
``.lean-spec/templates/``. Rendering is pure; the store reads and writes the files.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TemplateError
from .lazyre import LazyRe

BUILTIN = ("standard", "detailed")
_VAR = LazyRe(r"\{([A-Za-z_][\w]*)\}")


def builtin_files(name: str) -> dict[str, str]:
    """{filename: text} of a bundled template; README.md is the main file."""
    if name not in BUILTIN:
        raise TemplateError(f"unknown built-in template {name!r} (have: {', '.join(BUILTIN)})")
    from importlib import resources  # ~2 ms (tempfile, shutil): only templates need it

    base = resources.files("leanspec") / "data" / "templates" / name
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(base.iterdir(), key=lambda p: p.name) if p.name.endswith(".md")}


def project_template_files(templates_dir: Path, ref: str) -> dict[str, str] | None:
    """A project template: a file (the README) or a folder (README.md + other .md)."""
    rp = Path(ref)
    if rp.is_absolute() or ".." in rp.parts or "\\" in ref:
        # `create --template /etc/passwd` (or `../config.json`) must not copy an
        # arbitrary file into a spec; MCP and HTTP clients pass this name too.
        raise TemplateError(
            f"invalid template name {ref!r}: a template is a name inside .lean-spec/templates/",
            hint="run `lean-spec templates` to list templates",
        )
    p = templates_dir / ref
    if p.is_file():
        return {"README.md": p.read_text(encoding="utf-8-sig")}
    if p.is_dir():
        files = {
            f.name: f.read_text(encoding="utf-8-sig")
            for f in sorted(p.iterdir())
            if f.is_file() and f.name.endswith(".md") and not f.name.startswith(".")
        }
        if "README.md" not in files:
            raise TemplateError(f"template folder {p} has no README.md")
        return files
    return None


def render(text: str, variables: dict[str, str]) -> str:
    """Fill ``{name}``-style variables; unknown ``{...}`` stays as written (it may be code)."""
    return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def fill_overview(body: str, description: str) -> str:
    """Put ``description`` under ``## Overview`` (replacing the placeholder comment)."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.strip().lower() == "## overview":
            j = i + 1
            while j < len(lines) and not lines[j].startswith("#"):
                j += 1
            lines[i + 1 : j] = ["", description.strip(), ""]
            return "\n".join(lines)
    return body.rstrip("\n") + "\n\n## Overview\n\n" + description.strip() + "\n"
