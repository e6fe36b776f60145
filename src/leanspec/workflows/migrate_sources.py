"""The sources ``migrate`` reads: detecting Spec Kit, OpenSpec, ADR and Backlog.md
layouts, and reading each into ``Candidate`` specs (title, status, body, sub-spec
files, dates). Read-only: nothing here writes (``migrate`` creates the specs through
``Project``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InvalidInput, LeanSpecError
from ..core.frontmatter import Document
from ..core.model import as_str, as_str_list, checklist_counts, first_h1

ADR_DIRS = ("doc/adr", "docs/adr", "docs/decisions", "doc/decisions", "adr", "decisions")

_NUM_DIR = re.compile(r"^(\d{2,})-(.+)$")
_ADR_FILE = re.compile(r"^(\d{3,})-(.+)\.md$", re.I)
_BACKLOG_FILE = re.compile(r"^(task-[\w.]+)\s*-\s*(.*)\.md$", re.I)
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")



@dataclass
class Candidate:
    """One thing to import: a spec to create and its sub-spec files."""

    format: str
    source: str  # the main source file, as recorded in migrated_from
    name: str  # slug for the new folder
    title: str
    body: str
    status: str = "planned"
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    assignee: str | None = None
    created: str | None = None  # YYYY-MM-DD
    created_at: str | None = None
    completed_at: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # sub-spec name -> text
    source_id: str | None = None  # Backlog.md task id, for dependency mapping
    depends: list[str] = field(default_factory=list)  # source ids
    extra: dict[str, str] = field(default_factory=dict)  # more custom fields

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "tags": self.tags,
            "assignee": self.assignee,
            "created": self.created,
            "files": sorted(self.files),
        }


# ================================================================= helpers
def _read(p: Path) -> str:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {p}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise InvalidInput(f"{p} is not UTF-8 text (binary file?)") from None
    if "\x00" in text:
        # Every source is read before anything is written, so this stops the whole import.
        raise InvalidInput(f"{p} contains NUL bytes (binary file?)")
    return text


def _split_fm(text: str, path: str) -> tuple[dict[str, Any], str]:
    try:
        doc = Document.parse(text, path=path)
    except LeanSpecError:
        return {}, text
    return doc.data, doc.body


def _status_from_tasks(text: str | None, default: str = "planned") -> str:
    if not text:
        return default
    done, total = checklist_counts(text)
    if total and done == total:
        return "complete"
    if done:
        return "in-progress"
    return default


def _title(slug: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in re.split(r"[-_\s]+", slug) if w)


def _date(v: Any) -> str | None:
    s = as_str(v)
    if not s:
        return None
    m = _DATE.search(s)
    return m.group(1) if m else None


def _ensure_h1(body: str, title: str) -> str:
    if first_h1(body):
        return body
    return f"# {title}\n\n{body.lstrip(chr(10))}"


def _sub_name(filename: str) -> str:
    stem = filename[:-3] if filename.lower().endswith(".md") else filename
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").upper() + ".md"


# ================================================================= detection
def _speckit_root(path: Path) -> list[Path]:
    """Folders holding Spec Kit feature folders (NNN-name/spec.md)."""
    out = []
    for d in (path / ".specify" / "specs", path / "specs", path):
        if d.is_dir() and any((c / "spec.md").is_file() and _NUM_DIR.match(c.name) for c in _subdirs(d)):
            out.append(d)
    return out[:1]


def _openspec_root(path: Path) -> Path | None:
    for d in (path / "openspec", path):
        if (
            d.is_dir()
            and ((d / "specs").is_dir() or (d / "changes").is_dir())
            and (d.name == "openspec" or (d / "project.md").exists() or (d / "config.yaml").exists())
        ):
            return d
    return None


def _adr_dirs(path: Path) -> list[Path]:
    out = [path / d for d in ADR_DIRS if (path / d).is_dir()]
    if not out and path.is_dir() and any(_ADR_FILE.match(p.name) for p in path.iterdir() if p.is_file()):
        out = [path]
    return [d for d in out if any(_ADR_FILE.match(p.name) for p in d.iterdir() if p.is_file())]


def _backlog_root(path: Path) -> Path | None:
    for d in (path / "backlog", path):
        if (d / "tasks").is_dir() and any(_BACKLOG_FILE.match(p.name) for p in (d / "tasks").iterdir()):
            return d
    return None


def detect(path: Path) -> list[str]:
    found = []
    if _speckit_root(path):
        found.append("speckit")
    if _openspec_root(path):
        found.append("openspec")
    if _adr_dirs(path):
        found.append("adr")
    if _backlog_root(path):
        found.append("backlog")
    return found


def _subdirs(d: Path) -> list[Path]:
    try:
        return sorted((c for c in d.iterdir() if c.is_dir() and not c.name.startswith(".")), key=_num_key)
    except OSError:
        return []


def _num_key(p: Path) -> tuple[int, str]:
    m = re.match(r"^(\d+)", p.name)
    return (int(m.group(1)) if m else 10**9, p.name)


# ================================================================= readers
def read_speckit(path: Path, src: Callable[[Path], str], project_specs: Path) -> list[Candidate]:
    out: list[Candidate] = []
    for root in _speckit_root(path):
        if root.resolve() == project_specs.resolve():
            raise InvalidInput(
                f"the Spec Kit features live in this project's own specs folder ({root}); "
                "importing them there would mix both layouts",
                hint="set a different specsDir in .lean-spec/config.json (e.g. 'lean-specs') and run migrate again",
            )
        for feat in _subdirs(root):
            m = _NUM_DIR.match(feat.name)
            spec_md = feat / "spec.md"
            if not m or not spec_md.is_file():
                continue
            text = _read(spec_md)
            fm, body = _split_fm(text, str(spec_md))
            h1 = first_h1(body) or ""
            title = re.sub(r"^Feature Specification:\s*", "", h1).strip() or _title(m.group(2))
            created = _date(fm.get("created")) or _date(_field_line(body, "Created"))
            files: dict[str, str] = {}
            for f in sorted(feat.iterdir()):
                if f.is_file() and f.suffix.lower() == ".md" and f.name != "spec.md":
                    files[_sub_name(f.name)] = _read(f)
            tasks = files.get("TASKS.md")
            out.append(
                Candidate(
                    "speckit",
                    src(spec_md),
                    m.group(2),
                    title,
                    _ensure_h1(body, title),
                    status=_status_from_tasks(tasks),
                    tags=["speckit"],
                    created=created,
                    files=files,
                )
            )
    return out


def _field_line(body: str, name: str) -> str | None:
    m = re.search(rf"^\s*[-*]?\s*\*\*{re.escape(name)}\*\*:\s*(.+)$", body, re.M | re.I)
    if m:
        return m.group(1).strip()
    m = re.search(rf"^{re.escape(name)}:\s*(.+)$", body, re.M | re.I)
    return m.group(1).strip() if m else None


def read_openspec(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
    root = _openspec_root(path)
    if root is None:
        return []
    out: list[Candidate] = []
    specs = root / "specs"
    if specs.is_dir():
        for spec_md in sorted(specs.rglob("spec.md")):
            cap = spec_md.parent.relative_to(specs).as_posix().replace("/", "-")
            text = _read(spec_md)
            fm, body = _split_fm(text, str(spec_md))
            title = first_h1(body) or _title(cap)
            out.append(
                Candidate(
                    "openspec",
                    src(spec_md),
                    cap,
                    title,
                    _ensure_h1(body, title),
                    status="complete",
                    tags=["openspec", "capability"],
                )
            )
    changes = root / "changes"
    if changes.is_dir():
        dirs = [(d, False) for d in _subdirs(changes) if d.name != "archive"]
        if (changes / "archive").is_dir():
            dirs += [(d, True) for d in _subdirs(changes / "archive")]
        for d, archived in dirs:
            proposal = d / "proposal.md"
            if not proposal.is_file():
                continue
            name = d.name
            created = None
            dm = re.match(r"^(\d{4}-\d{2}-\d{2})-(.+)$", name)
            if dm:
                created, name = dm.group(1), dm.group(2)
            text = _read(proposal)
            fm, body = _split_fm(text, str(proposal))
            title = first_h1(body) or _title(name)
            files: dict[str, str] = {}
            for f in sorted(d.iterdir()):
                if f.is_file() and f.suffix.lower() == ".md" and f.name != "proposal.md":
                    files[_sub_name(f.name)] = _read(f)
            delta = d / "specs"
            if delta.is_dir():
                for sm in sorted(delta.rglob("*.md")):
                    cap = sm.parent.relative_to(delta).as_posix().replace("/", "-") or sm.stem
                    files[_sub_name(f"delta-{cap}.md")] = _read(sm)
            status = "complete" if archived else _status_from_tasks(files.get("TASKS.md"))
            out.append(
                Candidate(
                    "openspec",
                    src(proposal),
                    name,
                    title,
                    _ensure_h1(body, title),
                    status=status,
                    tags=["openspec", "change"],
                    created=created,
                    completed_at=f"{created}T00:00:00.000Z" if archived and created else None,
                    files=files,
                )
            )
    return out


_ADR_STATUS = {
    "proposed": "planned",
    "draft": "planned",
    "pending": "planned",
    "accepted": "complete",
    "approved": "complete",
    "done": "complete",
    "deprecated": "archived",
    "superseded": "archived",
    "rejected": "archived",
    "declined": "archived",
}


def _adr_status(fm: dict[str, Any], body: str) -> tuple[str, str | None]:
    """(our status, the ADR's own words)."""
    raw = as_str(fm.get("status"))
    if not raw:
        m = re.search(r"^#{1,6}\s*Status\s*$\n+(.+?)$", body, re.M | re.I)
        raw = m.group(1) if m else _field_line(body, "Status")
    if not raw:
        return "planned", None
    word = re.sub(r"[^a-z ]", " ", raw.lower()).split()
    for w in word:
        if w in _ADR_STATUS:
            return _ADR_STATUS[w], raw.strip()
    return "planned", raw.strip()


def read_adr(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
    out: list[Candidate] = []
    for d in _adr_dirs(path):
        for f in sorted(d.iterdir(), key=_num_key):
            m = _ADR_FILE.match(f.name)
            if not f.is_file() or not m:
                continue
            text = _read(f)
            fm, body = _split_fm(text, str(f))
            h1 = first_h1(body) or as_str(fm.get("title")) or _title(m.group(2))
            title = re.sub(r"^(?:ADR[-\s]?)?\d+[.:]?\s+", "", h1).strip() or h1
            if title != h1:
                # "# 2. Use Postgres": the ADR's number would read as a second spec number.
                body = re.sub(rf"^# {re.escape(h1)}[ \t]*$", f"# {title}", body, count=1, flags=re.M)
            status, raw = _adr_status(fm, body)
            created = _date(fm.get("date")) or _date(_field_line(body, "Date"))
            out.append(
                Candidate(
                    "adr",
                    src(f),
                    m.group(2),
                    title,
                    _ensure_h1(body, title),
                    status=status,
                    tags=["adr"],
                    created=created,
                    completed_at=f"{created}T00:00:00.000Z" if status == "complete" and created else None,
                    extra={"adr_status": raw} if raw else {},
                )
            )
    return out


_BACKLOG_STATUS = {"to do": "planned", "todo": "planned", "in progress": "in-progress", "done": "complete"}


def read_backlog(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
    root = _backlog_root(path)
    if root is None:
        return []
    out: list[Candidate] = []
    files = [(f, False) for f in sorted((root / "tasks").iterdir())]
    if (root / "completed").is_dir():
        files += [(f, True) for f in sorted((root / "completed").iterdir())]

    def key(item: tuple[Path, bool]) -> tuple[float, str]:
        m = re.match(r"^task-(\d+(?:\.\d+)?)", item[0].name, re.I)
        return (float(m.group(1)) if m else 1e18, item[0].name)

    for f, completed in sorted(files, key=key):
        m = _BACKLOG_FILE.match(f.name)
        if not f.is_file() or not m:
            continue
        text = _read(f)
        fm, body = _split_fm(text, str(f))
        title = as_str(fm.get("title")) or m.group(2).strip() or m.group(1)
        st_raw = (as_str(fm.get("status")) or "").strip().lower()
        status = "complete" if completed else _BACKLOG_STATUS.get(st_raw, "planned")
        assignees = [a.lstrip("@") for a in as_str_list(fm.get("assignee"))]
        prio = (as_str(fm.get("priority")) or "").strip().lower() or None
        if prio not in (None, "low", "medium", "high", "critical"):
            prio = None
        created = _date(fm.get("created_date"))
        updated = _date(fm.get("updated_date"))
        tid = (as_str(fm.get("id")) or m.group(1)).lower()
        out.append(
            Candidate(
                "backlog",
                src(f),
                _slug_of(title) or m.group(1),
                title,
                _ensure_h1(body, title),
                status=status,
                priority=prio,
                tags=[t for t in as_str_list(fm.get("labels")) if t],
                assignee=assignees[0] if assignees else None,
                created=created,
                completed_at=f"{updated or created}T00:00:00.000Z"
                if status == "complete" and (updated or created)
                else None,
                source_id=tid,
                depends=[d.lower() for d in as_str_list(fm.get("dependencies"))],
            )
        )
    return out


def _slug_of(title: str) -> str:
    from ..core.refs import slugify

    try:
        return slugify(title)[:60].strip("-")
    except LeanSpecError:
        return ""
