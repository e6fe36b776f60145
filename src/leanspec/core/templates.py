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


MAX_TEMPLATE_BYTES = 1024 * 1024


def _read(p: Path, folder: Path, base: str) -> str:
    """A template file under the containment rule: inside ``folder``, whose real path
    is inside ``base`` (docs/security.md); a symlink out is a TemplateError."""
    import os

    from . import confine

    try:
        data = confine.read_file(str(p), str(folder), base, MAX_TEMPLATE_BYTES)[0]
    except OSError as exc:
        raise TemplateError(f"cannot read template {p.name}: {exc.strerror}", details={"path": os.fspath(p)}) from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"template {p.name} is too large")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateError(f"template {p.name} is not UTF-8 text") from None


def project_template_files(templates_dir: Path, ref: str, base: str | None = None) -> dict[str, str] | None:
    """A project template: a file (the README) or a folder (README.md + other .md).
    Files are read under the containment rule: inside ``base`` (a real path; None:
    the templates folder's own real path)."""
    rp = Path(ref)
    if rp.is_absolute() or ".." in rp.parts or "\\" in ref:
        # `create --template /etc/passwd` (or `../config.json`) must not copy an
        # arbitrary file into a spec; MCP and HTTP clients pass this name too.
        raise TemplateError(
            f"invalid template name {ref!r}: a template is a name inside .lean-spec/templates/",
            hint="run `lean-spec templates` to list templates",
        )
    import os

    if base is None:
        base = os.path.realpath(templates_dir)
    p = templates_dir / ref
    if p.is_file() or (p.is_symlink() and not p.exists()):
        return {"README.md": _read(p, p.parent, base)}
    if p.is_dir():
        files = {
            f.name: _read(f, p, base)
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
