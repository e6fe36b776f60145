"""Renumbering: duplicate spec numbers (and names) found, and the later spec of each
duplicate number moved to a free number, with every ``depends_on``/``parent`` that
named it rewritten, all in one store transaction (``lean-spec check --fix``, the git
merge driver's renumbering of numbers another branch took)."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.clock import iso_ms
from ..core.errors import LeanSpecError, WriteFailed
from ..core.frontmatter import Document
from ..core.refs import Entry
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2.5 ms per process
if TYPE_CHECKING:
    import datetime as _dt
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import Any, Protocol

    from ..core.config import Config
    from ..core.model import Spec

    class RenumberStore(Protocol):
        """What renumbering needs of the store (``store.Store`` is one)."""

        config: Config
        clock: Callable[[], _dt.datetime]

        def entries(self) -> list[Entry]: ...
        def transaction(self) -> AbstractContextManager[None]: ...
        def load_entry(self, e: Entry) -> Spec: ...
        def readme_path(self, e: Entry) -> Path: ...
        def read_spec_bytes(self, e: Entry, path: Path) -> tuple[bytes, Any]: ...
        def rel(self, p: Path) -> str: ...
        def write_doc(self, e: Entry, doc: Document, expected: dict[str, Any]) -> bytes: ...


def duplicates(store: RenumberStore, entries: Sequence[Entry] | None = None) -> dict[int, list[Entry]]:
    ents = list(entries) if entries is not None else store.entries()
    by: dict[int, list[Entry]] = {}
    for e in ents:
        if e.number is not None:
            by.setdefault(e.number, []).append(e)
    return {n: v for n, v in sorted(by.items()) if len(v) > 1}

def duplicate_slugs(store: RenumberStore, entries: Sequence[Entry] | None = None) -> dict[str, list[Entry]]:
    """Slugs (ignoring case) used by more than one spec folder: a slug reference to
    them is ambiguous."""
    by: dict[str, list[Entry]] = {}
    for e in entries if entries is not None else store.entries():
        if e.number is not None:
            by.setdefault(e.slug.lower(), []).append(e)
    return {k: v for k, v in sorted(by.items()) if len(v) > 1}

def fix_duplicates(store: RenumberStore, *, avoid: Sequence[int] | set[int] = (), also: Sequence[str] = ()) -> list[dict[str, str]]:
    """Renumber the later spec of each duplicate number and rewrite every reference.

    ``also`` names more specs to renumber (numbers that clash with another git
    branch); new numbers skip ``avoid`` (numbers in use on other branches)."""
    from ..core.model import jsonable

    renames: list[dict[str, str]] = []
    with store.transaction():
        entries = store.entries()
        dups = duplicates(store, entries)
        wanted = set(also)
        extra = [e for e in entries if e.name in wanted or e.rel in wanted]
        if not dups and not extra:
            return []
        taken = {e.number for e in entries if e.number is not None} | set(avoid)
        nxt = max(taken, default=0) + 1
        loaded = {e.rel: _safe_load(store, e) for e in entries}

        def age(e: Entry) -> tuple[str, str, str]:
            # The author-visible `created` day first: `created_at` may have been
            # backfilled later, so it only breaks ties within a day.
            s = loaded.get(e.rel)
            fm = s.frontmatter if s else {}
            at = str(jsonable(fm.get("created_at")) or "")
            day = str(jsonable(fm.get("created")) or at[:10] or "9999")
            return (day, at or "~", e.name)

        movers: list[Entry] = []
        for _n, group in dups.items():
            movers.extend(sorted(group, key=age)[1:])
        movers.extend(e for e in extra if e not in movers)
        mapping: dict[str, str] = {}
        if movers:
            for e in movers:
                while nxt in taken:
                    nxt += 1
                slug = e.slug
                new_name = f"{store.config.prefix}{nxt:0{store.config.sequence_digits}d}-{slug}"
                taken.add(nxt)
                dest = e.dir.parent / new_name
                try:
                    fsutil.rename_noreplace(e.dir, dest)
                except OSError as exc:
                    raise WriteFailed(f"cannot rename {e.rel} to {new_name}: {exc.strerror or exc}") from None
                fsutil.fsync_dir(e.dir.parent)
                mapping[e.name] = new_name
                renames.append({"from": e.rel, "to": store.rel(dest)[len(store.config.specs_dir) + 1 :]})
        # Rewrite references (depends_on, parent) that named a renamed folder.
        for e in store.entries():
            path = store.readme_path(e)
            try:
                doc = Document.parse(store.read_spec_bytes(e, path)[0].decode("utf-8"), path=store.rel(path))
            except (LeanSpecError, OSError, UnicodeDecodeError):
                continue
            touched = False
            deps = doc.data.get("depends_on")
            if isinstance(deps, list):
                new = [renamed_ref(d, mapping) for d in deps]
                if new != deps:
                    doc.set("depends_on", new)
                    touched = True
            par = doc.data.get("parent")
            if isinstance(par, str) and renamed_ref(par, mapping) != par:
                doc.set("parent", renamed_ref(par, mapping))
                touched = True
            if touched:
                doc.set("updated_at", iso_ms(store.clock()))
                store.write_doc(e, doc, dict(doc.data))
    return renames

def _safe_load(store: RenumberStore, e: Entry) -> Spec | None:
    try:
        return store.load_entry(e)
    except LeanSpecError:
        return None


def renamed_ref(ref: Any, mapping: dict[str, str]) -> Any:
    """A depends_on/parent value after folder renames (``038-x`` or ``archived/038-x``)."""
    if not isinstance(ref, str):
        return ref
    head, _, last = ref.rpartition("/")
    if last in mapping:
        return f"{head}/{mapping[last]}" if head else mapping[last]
    return ref
