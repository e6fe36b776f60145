"""The cached spec: a ``Spec`` whose metadata came from the metadata cache
(``store/cache.py`` has the design), answering list/board/filter properties from the
record's listing columns and its JSON shape from a pickled blob, and reading its body
from the file (checked against the recorded hash) only when asked. Also the allow-list
unpickler every cache blob and file goes through: a planted cache cannot run code.
"""

from __future__ import annotations

import io
import sys

from ..core.config import json_loads
from ..core.digest import sha256_hex
from ..core.model import Spec, checklist_counts, cli_json, dumps_compact, first_h1, json_string
from ..core.pickling import DataUnpickler, UnpicklingError

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Protocol

    from ..core.refs import Entry

    class SpecSource(Protocol):
        """What a cached spec needs of the store: its files, read the store's way."""

        def load_entry(self, e: Entry) -> Spec: ...
        def read_spec_bytes(self, e: Entry, path: Path) -> tuple[bytes, Any]: ...
        def readme_path(self, e: Entry) -> Path: ...

    class BodySession(Protocol):
        """What a cached spec needs of the listing that made it (cache.Session)."""

        body_budget: list[int] | None

        def sub_specs_of(self, e: Entry) -> list[str]: ...

MAX_READ = 64 * 1024 * 1024  # = specfile.MAX_SPEC_BYTES; bigger files take the store's path

BODY_SLOT = Spec.__dict__["body"]  # the slot descriptors CachedSpec's properties wrap
_FM = Spec.__dict__["frontmatter"]
_SUBS = Spec.__dict__["sub_specs"]


_meta_keys: tuple[str, ...] | None = None


def meta_halves(meta: dict[str, Any]) -> tuple[str, str]:
    """``cli_json(meta)`` cut around the value of ``"sub_specs"``: (everything up to and
    including ``"sub_specs":``, everything after the value). Encoded as two dicts, so
    no text inside a value can be taken for the cut."""
    keys = list(meta)
    at = keys.index("sub_specs")
    head = cli_json({k: meta[k] for k in keys[:at]})
    tail = cli_json({k: meta[k] for k in keys[at + 1 :]})
    first = head[:-1] + ',"sub_specs":' if at else '{"sub_specs":'
    rest = "," + tail[1:] if at + 1 < len(keys) else "}"
    return first, rest


def meta_keys() -> tuple[str, ...]:
    """The keys of ``Spec.to_dict()``, in order (read off an empty spec)."""
    global _meta_keys
    if _meta_keys is None:
        _meta_keys = tuple(Spec("0-x", 0, "", {}, "", "").to_dict())
    return _meta_keys


class CachedSpec(Spec):
    """A spec whose metadata came from the cache; the body is read on first use.

    The body is read from the file and checked against ``content_hash``. If the file
    changed since the listing, the whole object is refreshed from the new file, so
    metadata, body and hash always describe one version of the file.
    """

    __slots__ = (
        "_h1",
        "_checks",
        "_store",
        "_entry",
        "_cols",
        "_meta_blob",
        "_fm_blob",
        "_session",
        "_json",
        "cached_facts",
    )
    _h1: str | None
    _checks: tuple[int, int]
    _store: SpecSource
    _entry: Entry
    # COLS of this file version (what lists, boards and filters read), or None: ask the
    # frontmatter. _meta_blob: its to_dict() as the CLI's compact JSON, in two halves
    # around the sub-spec list (``meta_halves``): decoded per spec by to_dict() only (a
    # text listing never builds 10,000 dicts), joined as they are by json_text().
    _cols: tuple[Any, ...] | None
    _meta_blob: tuple[str, str] | None
    _fm_blob: bytes | None
    _session: BodySession
    _json: bytes | None
    # facts.facts_key of this file version (facts.spec_facts reads it); None: compute it.
    cached_facts: tuple[Any, ...] | None

    @property  # type: ignore[override]
    def sub_specs(self) -> list[str]:
        # Checked (one stat of the folder) on first use: a text listing never shows
        # them, and at 10,000 specs that stat is a tenth of the listing's time.
        try:
            return _SUBS.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            subs = self._session.sub_specs_of(self._entry)
            _SUBS.__set__(self, subs)
            return subs

    @sub_specs.setter
    def sub_specs(self, value: list[str]) -> None:
        _SUBS.__set__(self, value)

    @property  # type: ignore[override]
    def frontmatter(self) -> dict[str, Any]:
        # Kept pickled until first use: a listing sorted by number never needs it, and
        # each spec object gets its own dict (nobody can change the cache through it).
        try:
            return _FM.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            try:
                fm = unpickle_blob(self._fm_blob)
            except Exception:  # a damaged entry in a file that loaded: ask the file
                fm = _fresh_frontmatter(self)
            _FM.__set__(self, fm)
            return fm  # type: ignore[no-any-return]

    @frontmatter.setter
    def frontmatter(self, value: dict[str, Any]) -> None:
        _FM.__set__(self, value)
        self.cached_facts = None  # derived from the old frontmatter

    @property  # type: ignore[override]
    def body(self) -> str:
        try:
            return BODY_SLOT.__get__(self, Spec)  # type: ignore[no-any-return]
        except AttributeError:
            return self._load_body()

    @body.setter
    def body(self, value: str) -> None:
        BODY_SLOT.__set__(self, value)

    @property
    def title(self) -> str:
        m = self._cols
        if m is not None:
            return m[0]  # type: ignore[no-any-return]
        t = self.frontmatter.get("title")
        if isinstance(t, str) and t.strip():
            return t.strip()
        if self._h1:
            return str(self._h1)
        return self.slug.replace("-", " ").title()

    @property
    def checklist(self) -> tuple[int, int]:
        return self._checks  # type: ignore[no-any-return]

    # The frontmatter-derived properties, as Spec computed them when the file was read
    # (they are in the cached to_dict()); filters, sorting and rendering call them a
    # lot. Lists are copied: callers may change what they get.
    @property
    def status(self) -> str:
        m = self._cols
        return m[1] if m is not None else Spec.status.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def priority(self) -> str | None:
        m = self._cols
        return m[2] if m is not None else Spec.priority.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def tags(self) -> list[str]:
        m = self._cols
        return list(m[3]) if m is not None else Spec.tags.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def depends_on(self) -> list[str]:
        m = self._cols
        return list(m[4]) if m is not None else Spec.depends_on.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def parent(self) -> str | None:
        m = self._cols
        return m[5] if m is not None else Spec.parent.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def assignee(self) -> str | None:
        m = self._cols
        return m[6] if m is not None else Spec.assignee.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def archived(self) -> bool:
        m = self._cols
        return m[7] if m is not None else Spec.archived.fget(self)  # type: ignore[attr-defined,no-any-return]

    @property
    def created(self) -> str | None:
        m = self._cols
        return m[8] if m is not None else Spec.created.fget(self)  # type: ignore[attr-defined,no-any-return]

    def to_dict(self, *, content: bool = False) -> dict[str, Any]:
        halves = self._meta_blob
        if content or halves is None:
            return Spec.to_dict(self, content=content)
        try:
            meta = json_loads(halves[0] + "null" + halves[1])
            if type(meta) is not dict or tuple(meta) != meta_keys():
                raise ValueError("bad shape")
        except Exception:  # a damaged entry in a file that loaded: compute it
            self._meta_blob = self._cols = None
            return Spec.to_dict(self, content=content)
        # Spec.to_dict() of this very file version, computed when it was read (a new
        # object per call: callers can never change what the cache holds); only the
        # sub-spec list lives outside the README.
        meta["sub_specs"] = list(self.sub_specs)
        return meta  # type: ignore[no-any-return]

    def json_text(self) -> str:
        halves = self._meta_blob
        if halves is None or type(halves) is not tuple or len(halves) != 2:
            return Spec.json_text(self)
        return f"{halves[0]}[{','.join([json_string(x) for x in self.sub_specs])}]{halves[1]}"

    def json_bytes(self) -> bytes:
        """``to_dict()`` as compact JSON (the web API's encoding), kept on the object:
        a warm server hands the same object out until its folder changes, so a full
        listing is a join of these instead of encoding 10,000 dicts per request."""
        try:
            j = self._json
        except AttributeError:
            j = None
        if j is None:
            j = self._json = dumps_compact(self.to_dict())
        return j

    def _keep_body(self, body: str) -> str:
        # A warm server reuses spec objects between calls: keep bodies up to a memory
        # budget (then re-read them on each use). One-shot processes keep them all.
        budget = self._session.body_budget
        if budget is None:
            BODY_SLOT.__set__(self, body)
        elif budget[0] > len(body):
            budget[0] -= len(body)
            BODY_SLOT.__set__(self, body)
        return body

    def _load_body(self) -> str:
        from ..core.errors import LeanSpecError

        store, e = self._store, self._entry
        # Fast path: the bytes are the listed version (same SHA-256): only split off
        # the body, no YAML, no folder listing.
        try:
            data = store.read_spec_bytes(e, store.readme_path(e))[0]
            if len(data) < MAX_READ and sha256_hex(data) == self.content_hash:
                return self._keep_body(body_of(data.decode("utf-8")))
        except (OSError, UnicodeDecodeError):
            pass
        try:
            fresh = store.load_entry(e)
        except (LeanSpecError, OSError):
            # Deleted or broken since the listing: keep the listed metadata; there is
            # no body of that version left to show.
            BODY_SLOT.__set__(self, "")
            return ""
        if fresh.content_hash != self.content_hash:
            # Changed since the listing: move the whole object to the new version.
            self.frontmatter = fresh.frontmatter
            self.content_hash = fresh.content_hash
            self.sub_specs = fresh.sub_specs
            self.size = fresh.size
            self.mtime = fresh.mtime
            self._h1 = first_h1(fresh.body)
            self._checks = checklist_counts(fresh.body)
            self._cols = None
            self._meta_blob = None
            self._json = None
        BODY_SLOT.__set__(self, fresh.body)
        return fresh.body


def columns(spec: Spec) -> tuple[Any, ...]:
    """The record's listing columns: (title, status, priority, tags, depends_on, parent,
    assignee, archived, created) as ``Spec`` computes them (the properties
    ``CachedSpec`` answers from them). Lists are stored as tuples; the small
    vocabularies (status, priority, tags, assignee) are interned, so the cache file holds
    each once and unpickling them is a memo lookup, not a new string per spec."""
    intern = sys.intern
    st, pr, who = spec.status, spec.priority, spec.assignee
    return (
        spec.title,
        intern(st) if type(st) is str else st,
        intern(pr) if type(pr) is str else pr,
        tuple(intern(t) if type(t) is str else t for t in spec.tags),
        tuple(spec.depends_on),
        spec.parent,
        intern(who) if type(who) is str else who,
        spec.archived,
        spec.created,
    )


def body_of(text: str) -> str:
    """``Document.parse(text).body`` without parsing the YAML (tests compare the two on
    every spec). Only called for bytes that parsed fine when they were cached."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # Walk only the frontmatter's lines (a few), then slice: no split/join of the body.
    nl = text.find("\n")
    first = text if nl < 0 else text[:nl]
    if first.rstrip("\r").rstrip() != "---" or nl < 0:
        return text
    start = nl + 1
    while True:
        nl = text.find("\n", start)
        line = text[start:] if nl < 0 else text[start:nl]
        if line.rstrip("\r").rstrip() in ("---", "..."):
            return "" if nl < 0 else text[nl + 1 :]
        if nl < 0:
            return text  # unreachable for cached bytes (they had a closed frontmatter)
        start = nl + 1


class SafeUnpickler(DataUnpickler):
    """Only plain data and dates: a cache file someone planted cannot run code."""


def _fresh_frontmatter(spec: CachedSpec) -> dict[str, Any]:
    from ..core.errors import LeanSpecError

    try:
        return spec._store.load_entry(spec._entry).frontmatter  # type: ignore[no-any-return]
    except (LeanSpecError, OSError):
        return {}


def unpickle_blob(blob: bytes | None) -> Any:
    if not isinstance(blob, bytes):
        raise UnpicklingError("no frontmatter blob")
    return SafeUnpickler(io.BytesIO(blob)).load()
