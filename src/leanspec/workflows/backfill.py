"""Backfill timestamps (and optionally assignee and status transitions) from git history.

One ``git log --reverse -p --unified=0 --find-renames -- <specsDir>`` pass reads the
whole history (one process per file is ~100x slower on a real repository). For every
spec README it derives:

- ``created_at``: the first commit that touched the README (author date, UTC);
- ``updated_at``: the last commit that touched it;
- ``completed_at``: the commit where ``status`` first became ``complete``;
- ``transitions``: each status change with its commit time (``--transitions``);
- ``assignee``: the first commit's author name (``--assignee``).

Renames are followed: a spec moved into ``archived/`` keeps its folder name, and a
renumbered spec (``042-x`` -> ``043-x``) carries its history over via the rename lines.
Only missing fields are filled unless ``force``; every write goes through
``Store.set_fields`` (one locked, minimal-diff transaction per spec).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import datetimes as _dt
from ..core.errors import LeanSpecError
from ..core.model import STATUSES
from ..core.refs import SPEC_DIR
from . import gitutil

if TYPE_CHECKING:
    from ..project import Project

Progress = Callable[[int, int, str], None]

_FM_STATUS = re.compile(r"""^status:\s*['"]?([A-Za-z-]+)['"]?\s*(?:#.*)?$""")
# Legacy specs without frontmatter carry the status in the body header line.
_BODY_STATUS = re.compile(r"^>?\s*\*\*Status\*\*:\s*(?:[^\w\s]+\s*)?([A-Za-z][A-Za-z -]*?)\s*(?:·|\||$)")


def to_utc_ms(iso: str) -> str:
    """git's ``%aI`` (``2025-01-02T11:00:00+01:00``) -> ``2025-01-02T10:00:00.000Z``."""
    t = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.UTC)
    t = t.astimezone(_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _fm_status(lines: Sequence[str]) -> str | None:
    for ln in lines:
        m = _FM_STATUS.match(ln)
        if m and m.group(1).lower() in STATUSES:
            return m.group(1).lower()
    return None


def _status_of(change: gitutil.FileChange, legacy: bool) -> str | None:
    """The status this change sets, if any.

    Only a real frontmatter change counts: a hunk that opens the file with ``---``
    (a new file, or frontmatter added), or one that replaces a ``status:`` line. A
    ``status: x`` line added in a body code block is not a status change. Legacy specs
    without frontmatter fall back to the ``> **Status**:`` header line.
    """
    for h in change.hunks:
        if h.new_start <= 1 and h.added and h.added[0].strip() == "---":
            block = []
            for ln in h.added[1:]:
                if ln.strip() in ("---", "..."):
                    break
                block.append(ln)
            st = _fm_status(block)
            if st:
                return st
        elif _fm_status(h.removed):
            st = _fm_status(h.added)
            if st:
                return st
    if not legacy:
        return None
    for ln in change.added:
        b = _BODY_STATUS.match(ln.strip())
        if b:
            v = b.group(1).strip().lower().replace(" ", "-")
            if v in STATUSES:
                return v
    return None


@dataclass
class SpecHistory:
    """What git says about one spec folder (keyed by folder name)."""

    name: str
    created_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    author: str | None = None
    author_email: str | None = None
    transitions: list[dict[str, str]] = field(default_factory=list)
    commits: int = 0
    legacy: bool = False  # no frontmatter when first committed: status lives in the body

    @property
    def last_status(self) -> str | None:
        return self.transitions[-1]["status"] if self.transitions else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "completed_at": self.completed_at,
            "author": self.author,
            "transitions": list(self.transitions),
            "commits": self.commits,
        }


def _spec_name(path: str | None, default_file: str) -> str | None:
    """The spec folder name if ``path`` is a spec's main file, else None."""
    if not path:
        return None
    parts = path.split("/")
    if len(parts) < 2 or parts[-1] != default_file:
        return None
    return parts[-2] if SPEC_DIR.match(parts[-2]) else None


def read_history(project: Project, *, progress: Progress | None = None) -> tuple[dict[str, SpecHistory], int]:
    """Per-spec history from one ``git log`` pass. Returns (histories, commits read)."""
    root = project.root
    top = gitutil.require_repo(root)
    specs_rel = gitutil.repo_relative(top, project.store.specs_dir) if project.store.specs_dir.exists() else ""
    default_file = project.config.default_file
    records: dict[str, SpecHistory] = {}
    n = 0
    for commit in gitutil.history(top, specs_rel or "."):
        n += 1
        if progress is not None and n % 50 == 0:
            progress(n, 0, "reading git history")
        try:
            at = to_utc_ms(commit.author_date)
        except ValueError:
            continue
        for ch in commit.changes:
            old = _spec_name(ch.old_path, default_file)
            new = _spec_name(ch.new_path, default_file)
            if new is None:
                continue  # deleted, or not a spec README
            if old and old != new and old in records and new not in records:
                # Renumbered or renamed: the history moves with the folder.
                moved = records.pop(old)
                moved.name = new
                records[new] = moved
            rec = records.get(new) or records.setdefault(new, SpecHistory(new))
            rec.commits += 1
            if rec.created_at is None:
                first = ch.added[:1]
                rec.legacy = not (first and first[0].strip() == "---")
                rec.created_at = at
                rec.author = commit.author_name or None
                rec.author_email = commit.author_email or None
            rec.updated_at = at
            st = _status_of(ch, rec.legacy)
            if st and st != rec.last_status:
                rec.transitions.append({"status": st, "at": at})
                if st == "complete" and rec.completed_at is None:
                    rec.completed_at = at
    return records, n


@dataclass
class BackfillItem:
    name: str
    path: str
    changes: dict[str, Any]
    written: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "changes": self.changes,
            "written": self.written,
            "reason": self.reason,
        }


@dataclass
class BackfillReport:
    dry_run: bool
    commits: int
    items: list[BackfillItem]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> list[BackfillItem]:
        return [i for i in self.items if i.changes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.errors,
            "dry_run": self.dry_run,
            "commits": self.commits,
            "updated": sum(1 for i in self.items if i.written),
            "would_update": sum(1 for i in self.items if i.changes) if self.dry_run else 0,
            "unchanged": sum(1 for i in self.items if not i.changes and i.reason != "no git history"),
            "no_history": [i.name for i in self.items if i.reason == "no git history"],
            "specs": [i.to_dict() for i in self.items],
            "errors": self.errors,
        }


def _missing(v: Any) -> bool:
    return v is None or v == "" or v == []


def backfill(
    project: Project,
    refs: Sequence[str] = (),
    *,
    dry_run: bool = False,
    force: bool = False,
    assignee: bool = False,
    transitions: bool = False,
    bootstrap: bool = False,
    progress: Progress | None = None,
) -> BackfillReport:
    """Fill timestamps from git history. ``refs`` limits it to some specs."""
    histories, ncommits = read_history(project, progress=progress)
    # Unknown refs fail here, before anything is written.
    specs = [project.get(r) for r in refs] if refs else project.load(include_archived=True).specs
    report = BackfillReport(dry_run, ncommits, [])
    total = len(specs)
    for i, spec in enumerate(specs, 1):
        if progress is not None:
            progress(i, total, spec.name)
        folder = spec.path.rsplit("/", 1)[0]
        rec = histories.get(spec.name)
        if rec is None:
            report.items.append(BackfillItem(spec.name, spec.path, {}, reason="no git history"))
            continue
        want: dict[str, Any] = {}
        if rec.created_at:
            want["created_at"] = rec.created_at
        if rec.updated_at:
            want["updated_at"] = rec.updated_at
        if rec.completed_at:
            want["completed_at"] = rec.completed_at
        if assignee and rec.author:
            want["assignee"] = rec.author
        if transitions and rec.transitions:
            want["transitions"] = list(rec.transitions)
        if bootstrap:
            if rec.created_at:
                want["created"] = rec.created_at[:10]
            want["status"] = rec.last_status or "planned"
        item = BackfillItem(spec.name, spec.path, _changes(spec.frontmatter, want, force))
        report.items.append(item)
        if not item.changes or dry_run:
            continue
        try:
            with project.store.transaction():
                # Decide again under the lock: a field another writer filled since the
                # scan is no longer "missing" and must not be overwritten.
                current = project.store.get(folder)
                item.changes = _changes(current.frontmatter, want, force)
                if item.changes:
                    res = project.store.set_fields(folder, item.changes, touch_updated=False)
                    item.written = res.written
        except LeanSpecError as exc:
            item.reason = exc.message
            report.errors.append({"spec": spec.name, **exc.to_dict()})
    return report


def _changes(fm: dict[str, Any], want: dict[str, Any], force: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for k, v in want.items():
        cur = fm.get(k)
        if k in ("status", "created"):
            if _missing(cur):  # bootstrap never overrides what the author wrote
                changes[k] = v
        elif force:
            if _as_text(cur) != _as_text(v):
                changes[k] = v
        elif _missing(cur):
            changes[k] = v
    return changes


def _as_text(v: Any) -> Any:
    from ..core.model import jsonable

    return jsonable(v)
