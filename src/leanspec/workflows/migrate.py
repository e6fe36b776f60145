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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidInput, LeanSpecError
from ..core.frontmatter import emit_scalar
from .migrate_sources import Candidate, detect, read_adr, read_backlog, read_openspec, read_speckit

if TYPE_CHECKING:
    from ..core.model import Spec
    from ..project import Project

FORMATS = ("speckit", "openspec", "adr", "backlog")
Progress = Callable[[int, int, str], None]


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
            out += read_speckit(path, src, project.store.specs_dir)
        elif fmt == "openspec":
            out += read_openspec(path, src)
        elif fmt == "adr":
            out += read_adr(path, src)
        elif fmt == "backlog":
            out += read_backlog(path, src)
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
