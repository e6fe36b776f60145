"""Layer 3, the façade every front end uses: ``Project.open(root)`` and one method per
operation. May import ``core``, ``rules`` and ``store``; the insight modules (search,
board, stats, …) sit above it and take the specs it lists.

Reads and writes go to the store; analysis (search, board, stats, graph, validate,
tokens) lives in pure modules over lists of specs, imported lazily so the CLI's
start-up stays small.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from pathlib import Path

from .core.listing import make_filter, sort_specs
from .core.model import ListResult, LoadProblem, Spec, WriteResult
from .store.store import Store

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

    from .rules.update import UpdateOps

__all__ = ["Project", "UpdateOps"]


def __getattr__(name: str) -> Any:
    # UpdateOps is part of this façade, but the update rules are imported only by the
    # commands that write (list, board and search never need them: ~1.5 ms).
    if name == "UpdateOps":
        from .rules.update import UpdateOps

        return UpdateOps
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Project:
    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    def open(cls, root: str | Path | None = None, *, specs_dir: str | None = None) -> Project:
        return cls(Store.open(root, specs_dir=specs_dir))

    @property
    def root(self) -> Path:
        return self.store.root

    @property
    def config(self) -> Any:
        return self.store.config

    # ------------------------------------------------------- long-lived processes
    def keep_warm(self) -> bool:
        """For servers (MCP, web UI): keep the last listing in memory and re-check only
        the spec folders the OS's change journal (Linux inotify) reports as changed, so
        a warm listing of 10,000 specs costs milliseconds and still sees every change
        made before the call. False where no journal is available (other systems,
        ``LEANSPEC_NO_WATCH=1``): listings are then validated with ``stat`` as in the CLI."""
        from .store.watch import Journal, WarmState

        if self.store.__dict__.get("_warm") is not None:
            return True
        j = Journal.open()
        if j is None:
            return False
        self.store.__dict__["_warm"] = WarmState(j)
        return True

    def stop_warm(self) -> None:
        """Release the change journal (its watches and file descriptor)."""
        warm = self.store.__dict__.pop("_warm", None)
        if warm is not None:
            warm.save(self.store)
            with warm.lock:
                warm.journal.close()
                warm.reset()

    # ------------------------------------------------------------------ reads
    def load(self, *, include_archived: bool = True) -> ListResult:
        """Every spec (archived included by default) plus load problems."""
        return self.store.load_all(include_archived=include_archived)

    def list(
        self,
        *,
        status: Sequence[str] | str | None = None,
        tags: Sequence[str] | str | None = None,
        priority: Sequence[str] | str | None = None,
        assignee: str | None = None,
        fields: dict[str, str] | Sequence[str] | None = None,
        include_archived: bool = False,
        sort: str = "id",
        order: str | None = None,
    ) -> tuple[builtins.list[Spec], builtins.list[LoadProblem]]:
        f = make_filter(
            status=status,
            tags=tags,
            priority=priority,
            assignee=assignee,
            fields=fields,
            include_archived=include_archived,
        )
        res = self.store.load_all(include_archived=True)
        warm = self.store.__dict__.get("_warm")
        if warm is None:
            return sort_specs(f.apply(res.specs), sort, order), res.problems
        # A warm server answers the same question about an unchanged listing often.
        version = warm.version_seen()
        key = ("list", repr(f), sort, order)
        hit = warm.remembered(version, key)
        if hit is None:
            hit = sort_specs(f.apply(res.specs), sort, order)
            warm.remember(version, key, hit)
        return list(hit), res.problems

    def listing_version(self) -> int | None:
        """For servers: a number naming the listing this thread last loaded (same number,
        same specs), or None when listings are not kept warm."""
        warm = self.store.__dict__.get("_warm")
        return warm.version_seen() if warm is not None else None

    def remembered(self, version: int | None, key: Any) -> Any:
        """A value a front end derived from listing ``version`` (None if not kept)."""
        warm = self.store.__dict__.get("_warm")
        return warm.remembered(version, key) if warm is not None else None

    def remember(self, version: int | None, key: Any, value: Any) -> None:
        """Keep a value derived from listing ``version`` until the listing changes."""
        warm = self.store.__dict__.get("_warm")
        if warm is not None:
            warm.remember(version, key, value)

    def get(self, ref: str) -> Spec:
        return self.store.get(ref)

    def read(self, ref: str) -> tuple[str, str, str]:
        """(spec name, path, text) for ``045`` or ``045/DESIGN.md``."""
        spec_ref, filename = self.store.split_file_ref(ref)
        e, rel, text = self.store.read_file(spec_ref, filename)
        return e.name, rel, text

    def files(self, ref: str) -> builtins.list[dict[str, Any]]:
        e = self.store.resolve(ref)
        out = []
        readme = self.store.readme_path(e)
        for name in [self.config.default_file, *self.store.sub_files(e.dir)]:
            p = readme if name == self.config.default_file else e.dir / name
            try:
                size = p.stat().st_size
            except OSError:
                continue
            out.append(
                {
                    "name": name,
                    "path": p.relative_to(self.root).as_posix(),
                    "type": "document" if name.lower().endswith(".md") else "asset",
                    "size": size,
                }
            )
        return out

    def children(self, ref: str) -> builtins.list[Spec]:
        e = self.store.resolve(ref)
        return self.store.children_of(e.name, self.store.load_all().specs)

    def duplicates(self) -> builtins.list[dict[str, Any]]:
        return [
            {"number": n, "specs": [e.rel for e in group]} for n, group in self.store.duplicates().items()
        ]

    def duplicate_slugs(self) -> builtins.list[dict[str, Any]]:
        return [{"slug": k, "specs": [e.rel for e in group]} for k, group in self.store.duplicate_slugs().items()]

    # ----------------------------------------------------------------- writes
    def create(self, name: str, **kw: Any) -> WriteResult:
        return self.store.create(name, **kw)

    def update(
        self,
        ref: str,
        ops: UpdateOps,
        *,
        expected_hash: str | None = None,
        force: bool = False,
        if_status: str | None = None,
        if_assignee: str | None = None,
    ) -> WriteResult:
        """``if_status`` / ``if_assignee`` (``none`` = unassigned): compare-and-set
        preconditions checked under the lock; a mismatch is a ``conflict``."""
        return self.store.update(
            ref, ops, expected_hash=expected_hash, force=force, if_status=if_status, if_assignee=if_assignee
        )

    def link(self, ref: str, depends_on: Sequence[str], *, expected_hash: str | None = None) -> WriteResult:
        from .rules.update import UpdateOps

        return self.update(ref, UpdateOps(add_depends=list(depends_on)), expected_hash=expected_hash)

    def unlink(
        self, ref: str, depends_on: Sequence[str] = (), *, all: bool = False, expected_hash: str | None = None
    ) -> WriteResult:
        from .rules.update import UpdateOps

        return self.update(
            ref, UpdateOps(remove_depends=list(depends_on), clear_depends=all), expected_hash=expected_hash
        )

    def set_parent(self, ref: str, parent: str | None, *, expected_hash: str | None = None) -> WriteResult:
        from .rules.update import UpdateOps

        return self.update(ref, UpdateOps(parent=parent or ""), expected_hash=expected_hash)

    def archive(self, ref: str, *, expected_hash: str | None = None) -> WriteResult:
        return self.store.archive(ref, expected_hash=expected_hash)

    def write_content(self, ref: str, text: str, *, expected_hash: str | None = None) -> WriteResult:
        spec_ref, filename = self.store.split_file_ref(ref)
        return self.store.write_file(spec_ref, filename, text, expected_hash=expected_hash)

    def fix_duplicates(self) -> builtins.list[dict[str, str]]:
        return self.store.fix_duplicates()
