"""A git merge driver for spec files: concurrent frontmatter edits merge by field.

Two branches that both touched one spec's metadata (one added a tag, the other moved
the status) conflict in plain git, because the edits sit on neighbouring lines and
the ``> **Status**:`` header line changes on both sides. This driver merges:

- ``tags``, ``depends_on`` (and other lists of strings): a 3-way set merge, i.e. the
  union of both sides minus what either side removed;
- ``transitions``: both sides' entries, de-duplicated and sorted by time;
- ``updated_at``: the later of the two;
- every other field (status, priority, assignee, ...): 3-way; when both sides changed
  it, the side with the newer ``updated_at`` wins (ours on a tie);
- the body: a real 3-way merge with ``git merge-file``; genuine conflicts stay as the
  usual conflict markers and the driver reports a conflict, as git expects.

The result keeps ours' key order and YAML style (the minimal-diff ``Document`` editor).
Registered by ``install_merge_driver`` (``lean-spec init --git-merge`` or
``lean-spec merge-driver --install``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import body as bodyops
from ..core import datetimes as _dt
from ..core.errors import LeanSpecError
from ..core.frontmatter import Document, same_value
from . import gitutil

if TYPE_CHECKING:
    from ..project import Project

DRIVER_NAME = "leanspec"
DRIVER_LABEL = "LeanSpec spec files (field-aware frontmatter merge)"
SET_FIELDS = ("tags", "depends_on")


# ====================================================================== merge
def merge_spec_text(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    """3-way merge of one spec file. Returns (merged text, conflicted)."""
    try:
        db = Document.parse(base, path="base")
        do = Document.parse(ours, path="ours")
        dt = Document.parse(theirs, path="theirs")
    except LeanSpecError:
        # Unparseable frontmatter on some side: a plain textual merge is the honest answer.
        return merge_text(base, ours, theirs)
    if not do.has_frontmatter and not dt.has_frontmatter:
        return merge_text(base, ours, theirs)
    merged = merge_frontmatter(db.data, do.data, dt.data)
    out = do
    if not out.has_frontmatter:
        out = Document.parse(theirs, path="theirs")  # keep a side that has frontmatter
        out.body = do.body
    for k in [k for k in out.data if k not in merged]:
        out.delete(k)
    for k, v in merged.items():
        if k not in out.data or not same_value(out.data[k], v):
            out.set(k, v)
    bodies = [db.body, do.body, dt.body]
    if any(bodyops._HEADER.search(b) for b in bodies):
        # Each side regenerated the header line from its own metadata; regenerate all
        # three from the merged metadata so only real body edits can conflict.
        lines = _header_for(merged)
        bodies = [bodyops.sync_header(b, lines) if bodyops._HEADER.search(b) else b for b in bodies]
    body, conflicted = merge_text(*bodies)
    out.body = body
    return out.render(), conflicted


def _header_for(fm: dict[str, Any]) -> list[str]:
    from ..core.model import as_str_list

    created = fm.get("created")
    return bodyops.header_lines(
        str(fm.get("status") or "planned"),
        str(fm["priority"]) if fm.get("priority") else None,
        created.isoformat() if isinstance(created, _dt.date) else (str(created) if created else None),
        as_str_list(fm.get("tags")),
        str(fm["assignee"]) if fm.get("assignee") else None,
        str(fm["reviewer"]) if fm.get("reviewer") else None,
    )


def _stamp(fm: dict[str, Any]) -> str:
    v = fm.get("updated_at")
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=_dt.UTC)
        return v.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(v, str) and v.strip():
        try:
            t = _dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=_dt.UTC)
            return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        except ValueError:
            return v.strip()
    return ""


_MISSING = object()


def merge_frontmatter(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Field-by-field 3-way merge; never conflicts. Key order: ours, then theirs' new keys."""
    theirs_newer = _stamp(theirs) > _stamp(ours)
    keys = list(ours) + [k for k in theirs if k not in ours]
    keys += [k for k in base if k not in keys]
    out: dict[str, Any] = {}
    for k in keys:
        b, o, t = base.get(k, _MISSING), ours.get(k, _MISSING), theirs.get(k, _MISSING)
        if k == "transitions":
            v = _merge_transitions(b, o, t)
        elif k == "updated_at":
            v = _later(o, t)
        elif k in SET_FIELDS or (_is_str_list(o) and _is_str_list(t) and (b is _MISSING or _is_str_list(b))):
            v = _merge_set(b, o, t)
        else:
            v = _merge_scalar(b, o, t, theirs_newer)
        if v is not _MISSING:
            out[k] = v
    return out


def _eq(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return a is b
    return same_value(a, b)


def _merge_scalar(b: Any, o: Any, t: Any, theirs_newer: bool) -> Any:
    if _eq(o, t):
        return o
    if _eq(o, b):
        return t
    if _eq(t, b):
        return o
    # Both sides changed it: one deleted, the other edited -> keep the edit.
    if o is _MISSING:
        return t
    if t is _MISSING:
        return o
    return t if theirs_newer else o


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v)


def _as_list(v: Any) -> list[Any]:
    if v is _MISSING or v is None:
        return []
    if isinstance(v, list):
        return list(v)
    if isinstance(v, str):
        from ..core.model import as_str_list

        return list(as_str_list(v))
    return [v]


def _merge_set(b: Any, o: Any, t: Any) -> Any:
    if _eq(o, t):
        return o
    if _eq(o, b):
        return t
    if _eq(t, b):
        return o
    base_l, ours_l, theirs_l = _as_list(b), _as_list(o), _as_list(t)
    removed = {str(x) for x in base_l if str(x) not in {str(y) for y in ours_l}}
    removed |= {str(x) for x in base_l if str(x) not in {str(y) for y in theirs_l}}
    out: list[Any] = []
    seen: set[str] = set()
    for x in ours_l + theirs_l:
        s = str(x)
        if s in removed or s in seen:
            continue
        seen.add(s)
        out.append(x)
    if not out and o is _MISSING and t is _MISSING:
        return _MISSING
    return out


def _later(o: Any, t: Any) -> Any:
    if o is _MISSING:
        return t
    if t is _MISSING:
        return o
    return t if _stamp({"updated_at": t}) > _stamp({"updated_at": o}) else o


def _merge_transitions(b: Any, o: Any, t: Any) -> Any:
    if _eq(o, t):
        return o
    items: list[Any] = []
    keys: set[tuple[str, str]] = set()
    for x in _as_list(o) + _as_list(t):
        if isinstance(x, dict):
            key = (str(x.get("status")), _stamp({"updated_at": x.get("at")}) or str(x.get("at")))
        else:
            key = (str(x), "")
        if key in keys:
            continue
        keys.add(key)
        items.append(x)
    if not items and o is _MISSING and t is _MISSING:
        return _MISSING

    def when(x: Any) -> str:
        return _stamp({"updated_at": x.get("at")}) if isinstance(x, dict) else ""

    return sorted(items, key=when)  # stable: same-time entries keep ours-then-theirs order


def merge_text(
    base: str, ours: str, theirs: str, *, labels: tuple[str, str, str] = ("ours", "base", "theirs")
) -> tuple[str, bool]:
    """Plain 3-way text merge with ``git merge-file -p``; conflicts get the usual markers."""
    if ours == theirs:
        return ours, False
    if base == ours:
        return theirs, False
    if base == theirs:
        return ours, False
    git = gitutil.git_binary()
    with tempfile.TemporaryDirectory(prefix="leanspec-merge-") as d:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = Path(d) / name
            p.write_bytes(text.encode("utf-8"))  # not-a-spec-file: merge-file input in a temp dir
            paths.append(str(p))
        cmd = [git, "merge-file", "-p", "-L", labels[0], "-L", labels[1], "-L", labels[2], *paths]
        proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode < 0 or proc.returncode >= 128:
        raise gitutil.GitError(f"git merge-file failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace"), proc.returncode > 0


# ===================================================================== driver
def _read(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise gitutil.GitError(f"cannot read {path}: {exc.strerror}") from None
    return data.decode("utf-8", "surrogateescape")


def run_driver(base_path: str, ours_path: str, theirs_path: str) -> bool:
    """What git calls: merge %O/%A/%B and write the result over %A. True if conflicted."""
    base, ours, theirs = _read(base_path), _read(ours_path), _read(theirs_path)
    if "\x00" in base + ours + theirs:
        # Binary content: leave ours in place and let git report the conflict.
        return True
    text, conflicted = merge_spec_text(base, ours, theirs)
    target = Path(ours_path)
    tmp = target.with_name(target.name + f".leanspec-{os.getpid()}")
    tmp.write_bytes(text.encode("utf-8", "surrogateescape"))  # not-a-spec-file: git's %A temp file
    os.replace(tmp, target)  # not-a-spec-file: git reads %A back after the driver exits
    return conflicted


# ==================================================================== install
def driver_command() -> str:
    """The command git runs. ``lean-spec`` when it is on PATH, else this interpreter."""
    exe = "lean-spec" if shutil.which("lean-spec") else f"{shlex.quote(sys.executable)} -m leanspec"
    return f"{exe} merge-driver %O %A %B %P"


def attributes_line(project: Project) -> str:
    specs = project.config.specs_dir.strip("/") or "."
    return f"{specs}/**/*.md merge={DRIVER_NAME}"


def install_merge_driver(project: Project) -> list[str]:
    """Register the driver for this clone: a ``.gitattributes`` line (committed, so the
    whole team gets it) and ``merge.leanspec.*`` in ``.git/config`` (per clone).
    Idempotent. Returns one message per step."""
    root = project.root
    try:
        gitutil.require_repo(root)
    except gitutil.NotARepo as exc:
        raise gitutil.NotARepo(
            f"cannot register the merge driver: {exc.message}",
            hint="run `git init` first, then `lean-spec merge-driver --install`",
        ) from None
    msgs: list[str] = []
    line = attributes_line(project)
    ga = root / ".gitattributes"
    try:
        current = ga.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise gitutil.GitError(f"cannot read {ga}: {exc}") from None
    if any(ln.strip() == line for ln in current.splitlines()):
        msgs.append(f".gitattributes already routes {line.split()[0]} to the {DRIVER_NAME} driver")
    else:
        nl = "\r\n" if "\r\n" in current else "\n"
        new = current + ("" if not current or current.endswith(("\n", "\r\n")) else nl)
        new += f"# LeanSpec: merge concurrent spec metadata edits field by field{nl}{line}{nl}"
        project.store.write_project_file(".gitattributes", new.encode("utf-8"))
        msgs.append(f"added `{line}` to .gitattributes")
    cmd = driver_command()
    if gitutil.get_config(root, f"merge.{DRIVER_NAME}.driver") != cmd:
        gitutil.set_config(root, f"merge.{DRIVER_NAME}.driver", cmd)
        msgs.append(f"set git config merge.{DRIVER_NAME}.driver = {cmd}")
    else:
        msgs.append(f"git config merge.{DRIVER_NAME}.driver already set")
    if gitutil.get_config(root, f"merge.{DRIVER_NAME}.name") != DRIVER_LABEL:
        gitutil.set_config(root, f"merge.{DRIVER_NAME}.name", DRIVER_LABEL)
    return msgs
