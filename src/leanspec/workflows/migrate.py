"""Import specs from other spec-driven tools into this project.

Sources (auto-detected, or chosen with ``source=``):

- ``speckit``: GitHub Spec Kit feature folders, ``.specify/specs/NNN-name/`` (older
  layout) or ``specs/NNN-name/spec.md``; ``spec.md`` becomes the README, ``plan.md``,
  ``tasks.md``, ``research.md``... become sub-spec files (PLAN.md, TASKS.md, ...).
- ``openspec``: ``openspec/specs/<capability>/spec.md`` (status complete: they describe
  what exists) and ``openspec/changes/<name>/proposal.md`` with tasks.md and design.md
  (status from the tasks checklist; ``changes/archive/`` ones are complete).
- ``adr``: ``doc/adr``, ``docs/adr``, ``docs/decisions``: ``NNNN-title.md`` files
  (Nygard or MADR); the status comes from the ADR's Status section (or frontmatter).
- ``backlog``: Backlog.md task files ``backlog/tasks/task-N - Title.md`` (and
  ``backlog/completed/``) with their own YAML frontmatter.

Every spec is created through ``Project.create`` (so numbers are allocated under the
project lock), sub-spec files through ``Project.write_content``. Each imported spec
records its source in a ``migrated_from`` field, so running the import again skips what
is already there (and fills in sub-spec files an interrupted run did not write).
Source files are only read, never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidInput, LeanSpecError
from ..core.frontmatter import Document, emit_scalar
from ..core.model import as_str, as_str_list, checklist_counts, first_h1

if TYPE_CHECKING:
    from ..core.model import Spec
    from ..project import Project

FORMATS = ("speckit", "openspec", "adr", "backlog")
ADR_DIRS = ("doc/adr", "docs/adr", "docs/decisions", "doc/decisions", "adr", "decisions")
Progress = Callable[[int, int, str], None]

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


@dataclass
class MigrateReport:
    dry_run: bool
    formats: list[str]
    created: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.errors,
            "dry_run": self.dry_run,
            "formats": self.formats,
            "created": self.created,
            "skipped": self.skipped,
            "errors": self.errors,
            "warnings": self.warnings,
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
def _speckit(path: Path, src: Callable[[Path], str], project_specs: Path) -> list[Candidate]:
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


def _openspec(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
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


def _adr(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
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


def _backlog(path: Path, src: Callable[[Path], str]) -> list[Candidate]:
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


# ================================================================== import
def collect(path: Path, formats: Sequence[str], project: Project) -> list[Candidate]:
    root = project.root.resolve()

    def src(p: Path) -> str:
        rp = p.resolve()
        try:
            return rp.relative_to(root).as_posix()
        except ValueError:
            return rp.as_posix()

    out: list[Candidate] = []
    for fmt in formats:
        if fmt == "speckit":
            out += _speckit(path, src, project.store.specs_dir)
        elif fmt == "openspec":
            out += _openspec(path, src)
        elif fmt == "adr":
            out += _adr(path, src)
        elif fmt == "backlog":
            out += _backlog(path, src)
    return out


def _content(c: Candidate) -> str:
    fm: list[str] = ["---", f"status: {c.status}"]
    if c.created:
        fm.append(f"created: '{c.created}'")
    if c.created:
        fm.append(f"created_at: '{c.created}T00:00:00.000Z'")
    if c.completed_at:
        fm.append(f"completed_at: {emit_scalar(c.completed_at)}")
    fm.append("---")
    body = c.body if c.body.startswith("\n") else "\n" + c.body
    return "\n".join(fm) + "\n" + body


def migrate(
    project: Project,
    path: str | Path,
    *,
    source: str | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    progress: Progress | None = None,
) -> MigrateReport:
    src_path = Path(path).expanduser()
    if not src_path.exists():
        raise InvalidInput(f"source path does not exist: {src_path}")
    if not src_path.is_dir():
        raise InvalidInput(f"source path is not a folder: {src_path}")
    if source is not None and source not in FORMATS:
        raise InvalidInput(f"unknown source format {source!r}: use one of {', '.join(FORMATS)}")
    formats = [source] if source else detect(src_path)
    if not formats:
        raise InvalidInput(
            f"no Spec Kit, OpenSpec, ADR or Backlog.md files found under {src_path}",
            hint="pass the folder that holds .specify/, openspec/, doc/adr/ or backlog/, or use --from",
        )
    candidates = collect(src_path, formats, project)
    report = MigrateReport(dry_run, formats)
    seen = _Seen(project)
    seen.refresh()
    todo = []
    for c in candidates:
        if c.source in seen.sources:
            report.skipped.append({"source": c.source, "spec": seen.sources[c.source], "reason": "already imported"})
            if not dry_run:
                _fill_files(project, seen.sources[c.source], c, report)
        else:
            todo.append(c)
    if limit is not None:
        todo = todo[: max(0, limit)]
    imported: list[tuple[Candidate, str]] = []
    for i, c in enumerate(todo, 1):
        if progress is not None:
            progress(i, len(todo), c.name)
        if dry_run:
            report.created.append({**c.to_dict(), "spec": None})
            continue
        fields: dict[str, Any] = {**c.extra, "migrated_from": c.source}
        if c.source_id:
            fields["migrated_id"] = c.source_id
        try:
            with project.store.transaction():
                # Check again under the lock: a concurrent `migrate` of the same
                # source may have imported this one since the scan.
                seen.refresh()
                if c.source in seen.sources:
                    report.skipped.append(
                        {"source": c.source, "spec": seen.sources[c.source], "reason": "already imported"}
                    )
                    continue
                res = project.create(
                    c.name,
                    title=c.title,
                    content=_content(c),
                    tags=c.tags,
                    status=c.status,
                    priority=c.priority,
                    assignee=c.assignee,
                    fields=fields,
                )
                seen.add(res.spec)
        except LeanSpecError as exc:
            report.errors.append({"source": c.source, **exc.to_dict()})
            continue
        name = res.spec.name
        entry = {**c.to_dict(), "spec": name, "path": res.spec.path}
        report.created.append(entry)
        imported.append((c, name))
        _fill_files(project, name, c, report)
        if c.status == "archived" and project.config.archive_mode == "move":
            # Where an archived spec lives in this project (specs/archived/).
            try:
                entry["path"] = project.archive(name).spec.path
            except LeanSpecError as exc:
                report.warnings.append(f"{name}: imported but not moved into archived/: {exc.message}")
    # Backlog.md dependencies point at task ids; now that every task has a spec name,
    # link them (the store rejects unknown targets and cycles).
    seen.refresh()
    id_to_name = seen.ids
    for c, name in imported:
        targets = [id_to_name[d] for d in c.depends if d in id_to_name]
        missing = [d for d in c.depends if d not in id_to_name]
        if missing:
            report.warnings.append(f"{name}: dependencies not imported: {', '.join(missing)}")
        if targets:
            try:
                project.link(name, targets)
            except LeanSpecError as exc:
                report.warnings.append(f"{name}: cannot link {', '.join(targets)}: {exc.message}")
    return report


class _Seen:
    """``migrated_from`` and ``migrated_id`` of every spec in the project, kept current
    cheaply: a refresh reads only spec folders it has not seen before."""

    def __init__(self, project: Project) -> None:
        self.store = project.store
        self.rels: set[str] = set()
        self.sources: dict[str, str] = {}  # migrated_from -> spec name
        self.ids: dict[str, str] = {}  # migrated_id (lower case) -> spec name

    def refresh(self) -> None:
        for e in self.store.entries():
            if e.rel in self.rels:
                continue
            self.rels.add(e.rel)
            try:
                self.add(self.store.load_entry(e))
            except LeanSpecError:
                continue  # a malformed spec is reported by `list`/`validate`, not here

    def add(self, spec: Spec) -> None:
        mf = spec.frontmatter.get("migrated_from")
        if isinstance(mf, str):
            self.sources[mf] = spec.name
        mid = spec.frontmatter.get("migrated_id")
        if isinstance(mid, str):
            self.ids[mid.lower()] = spec.name


def _fill_files(project: Project, name: str, c: Candidate, report: MigrateReport) -> None:
    have = set(project.get(name).sub_specs)
    for fn, text in c.files.items():
        if fn in have:
            continue
        try:
            project.write_content(f"{name}/{fn}", text)
        except LeanSpecError as exc:
            report.errors.append({"source": c.source, "file": fn, **exc.to_dict()})
