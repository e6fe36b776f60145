"""The rules of an update: what ``UpdateOps`` does to one spec's ``Document``.

Pure domain logic, applied by the store inside its transaction (lock, re-read, *change*,
validate, write): status and priority checks, the status transition log, the
completion guard (open checklist items, open children), tags, dependencies and parent
with their cycle checks, free fields, body edits, and the status header line.
Everything it needs from the project (other specs, reference lookups, the clock, the
config) comes through ``World``, which ``store.Store`` implements, so the rules can be
tested without a disk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..core import body as bodyops
from ..core import datetimes as _dt
from ..core.clock import iso_ms
from ..core.config import Config
from ..core.errors import InvalidInput, LeanSpecError, RelationshipError
from ..core.frontmatter import Document
from ..core.guards import completion_error, draft_transition_error
from ..core.model import PRIORITIES, STATUSES, ListResult, Spec, checklist_counts
from ..core.refs import Entry, normalize_ref
from ..core.values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any, Protocol

    class World(Protocol):
        """What the rules may ask of the project (``store.Store`` provides it)."""

        config: Config
        clock: Callable[[], _dt.datetime]

        def entries(self) -> list[Entry]: ...
        def resolve(self, ref: str, entries: Sequence[Entry] | None = None) -> Entry: ...
        def load_all(self, *, include_archived: bool = True) -> ListResult: ...



_NEW: Any = object()  # UpdateOps' default for a list/dict field: a new empty one


class UpdateOps(Value):
    """Everything ``update`` can change in one spec, applied in one transaction.

    A plain class, not @dataclass: importing ``dataclasses`` costs ~6-10 ms of every
    run. Same init (a fresh list/dict per default), repr, equality (same class, field
    by field), unhashable, ``__match_args__``; ``replace()`` for ``dataclasses.replace``
    (tests/test_plain_classes.py compares them with the dataclass)."""

    _FIELDS = (
        "status",
        "priority",
        "assignee",
        "tags",
        "add_tags",
        "remove_tags",
        "fields",
        "replacements",
        "checks",
        "sections",
        "content",
        "add_depends",
        "remove_depends",
        "clear_depends",
        "parent",
        "title",
    )
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = None,  # "" clears
        tags: list[str] | None = None,  # replace
        add_tags: list[str] = _NEW,
        remove_tags: list[str] = _NEW,
        fields: dict[str, Any] = _NEW,  # None value deletes
        replacements: list[tuple[str, str, str]] = _NEW,  # old, new, mode
        checks: list[tuple[str, bool]] = _NEW,
        sections: list[tuple[str, str, str]] = _NEW,  # heading, content, mode
        content: str | None = None,  # full body (or full file when it starts with ---)
        add_depends: list[str] = _NEW,
        remove_depends: list[str] = _NEW,
        clear_depends: bool = False,
        parent: str | None = None,  # "" clears
        title: str | None = None,
    ) -> None:
        self.status = status
        self.priority = priority
        self.assignee = assignee
        self.tags = tags
        self.add_tags = [] if add_tags is _NEW else add_tags
        self.remove_tags = [] if remove_tags is _NEW else remove_tags
        self.fields = {} if fields is _NEW else fields
        self.replacements = [] if replacements is _NEW else replacements
        self.checks = [] if checks is _NEW else checks
        self.sections = [] if sections is _NEW else sections
        self.content = content
        self.add_depends = [] if add_depends is _NEW else add_depends
        self.remove_depends = [] if remove_depends is _NEW else remove_depends
        self.clear_depends = clear_depends
        self.parent = parent
        self.title = title

    def replace(self, **changes: Any) -> UpdateOps:
        """A copy with ``changes`` (``dataclasses.replace``: the other values shared,
        an unknown name a TypeError)."""
        values = {n: getattr(self, n) for n in self._FIELDS}
        values.update(changes)
        return self.__class__(**values)

    def is_empty(self) -> bool:
        return self == UpdateOps()


# ================================================================ validation
def check_status(status: str) -> str:
    s = status.strip().lower()
    if s not in STATUSES:
        raise InvalidInput(
            f"invalid status {status!r}: use one of {', '.join(STATUSES)}",
            details={"allowed": list(STATUSES)},
        )
    return s

def check_priority(priority: str) -> str:
    p = priority.strip().lower()
    if p not in PRIORITIES:
        raise InvalidInput(
            f"invalid priority {priority!r}: use one of {', '.join(PRIORITIES)}",
            details={"allowed": list(PRIORITIES)},
        )
    return p

def check_field_name(key: str) -> str:
    k = key.strip()
    import re

    if not re.match(r"^[A-Za-z_][\w-]*$", k):
        raise InvalidInput(f"invalid field name {key!r}")
    if k in ("status", "priority", "tags", "depends_on", "parent", "transitions", "created_at", "updated_at"):
        raise InvalidInput(f"{k!r} has its own option; --field is for other fields")
    return k

def resolve_targets(world: World, refs_in: Sequence[str], entries: Sequence[Entry] | None, self_name: str | None
) -> list[str]:
    out: list[str] = []
    for r in refs_in:
        for part in str(r).split(","):
            if not part.strip():
                continue
            t = world.resolve(part, entries)
            if self_name is not None and t.name == self_name:
                raise RelationshipError(f"a spec cannot depend on itself: {self_name}")
            if t.name not in out:
                out.append(t.name)
    return out

def dep_cycle(name: str, new_deps: list[str], specs: Sequence[Spec]) -> list[str] | None:
    graph: dict[str, list[str]] = {s.name: [d.rsplit("/", 1)[-1] for d in s.depends_on] for s in specs}
    graph[name] = new_deps
    # Does any new dependency reach back to `name`?
    stack: list[tuple[str, list[str]]] = [(d, [name, d]) for d in new_deps]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        if node == name:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in graph.get(node, []):
            stack.append((nxt, [*path, nxt]))
    return None

def parent_cycle(world: World, name: str, parent: str, entries: Sequence[Entry] | None, specs: Sequence[Spec]
) -> list[str] | None:
    by_name = {s.name: s for s in specs}
    chain = [name, parent]
    cur = parent
    for _ in range(len(specs) + 1):
        if cur == name:
            return chain
        s = by_name.get(cur)
        if s is None or not s.parent:
            return None
        try:
            cur = world.resolve(s.parent, entries).name
        except LeanSpecError:
            return None
        chain.append(cur)
    return chain



def apply_update(world: World, doc: Document, e: Entry, entries: Sequence[Entry] | None, ops: UpdateOps, force: bool) -> list[str]:
    """``entries``: every folder, or None to look references up one by one (a plain
    status or tag change resolves nothing else)."""
    changed: list[str] = []
    fm = doc.data
    old_status = str(fm.get("status") or "planned")
    # --- body edits first, so the completion guard sees the final checklist
    if ops.content is not None:
        new_content = ops.content.replace("\r\n", "\n")
        if doc.newline == "\r\n":
            new_content = new_content.replace("\n", "\r\n")
        if new_content.lstrip("\ufeff").startswith("---"):
            new_doc = Document.parse(new_content, path=e.name)
            # A whole-file write is validated like the flags: a status change goes
            # through the status path below (check, guard, transition).
            new_status = new_doc.data.get("status")
            if new_status is not None and ops.status is None and str(new_status) != old_status:
                ops = ops.replace(status=str(new_status))
            if new_doc.data.get("priority") is not None:
                check_priority(str(new_doc.data["priority"]))
            for k in list(doc.data):
                if k not in new_doc.data:
                    doc.delete(k)
            for k, v in new_doc.data.items():
                if k != "status" or ops.status is None:
                    doc.set(k, v)
            new_body = new_doc.body
        else:
            new_body = new_content if new_content.startswith(("\n", "\r\n")) or not doc.has_frontmatter else doc.newline + new_content
        if new_body != doc.body:
            doc.body = new_body
            changed.append("content")
    for old, new, mode in ops.replacements:
        nb, _n = bodyops.replace_text(doc.body, old, new, mode)
        if nb != doc.body:  # replacing a text by itself is not a change
            doc.body = nb
            changed.append("content")
    for heading, content, mode in ops.sections:
        nb = bodyops.update_section(doc.body, heading, content, mode)
        if nb != doc.body:
            doc.body = nb
            changed.append("content")
    for item, checked in ops.checks:
        nb, _t = bodyops.toggle_checklist(doc.body, item, checked)
        if nb != doc.body:
            doc.body = nb
            changed.append("checklist")
    # --- metadata
    if ops.status is not None:
        st = check_status(ops.status)
        if st != old_status:
            if old_status == "draft" and st in ("in-progress", "complete") and not force:
                raise draft_transition_error(e.name, st)
            if st == "complete" and not force:
                completion_guard(world, doc, e)
            doc.set("status", st)
            now = world.clock()
            trans = fm.get("transitions")
            trans_list = list(trans) if isinstance(trans, list) else []
            trans_list.append({"status": st, "at": iso_ms(now)})
            doc.set("transitions", trans_list)
            if st == "complete":
                if not fm.get("completed_at"):
                    doc.set("completed_at", iso_ms(now))
                if not fm.get("completed"):
                    doc.set("completed", now.date().isoformat())
            changed.append("status")
    if ops.priority is not None:
        p = check_priority(ops.priority)
        if doc.set("priority", p):
            changed.append("priority")
    if ops.assignee is not None:
        a = ops.assignee.strip()
        if a:
            if doc.set("assignee", a):
                changed.append("assignee")
        elif doc.delete("assignee"):
            changed.append("assignee")
    if ops.title is not None and ops.title.strip() and doc.set("title", ops.title.strip()):
        changed.append("title")
    tags_before = tag_list(fm.get("tags"))
    tags = list(tags_before)
    if ops.tags is not None:
        tags = dedupe(split_csv(ops.tags))
    for t in split_csv(ops.add_tags):
        if t not in tags:
            tags.append(t)
    rm = set(split_csv(ops.remove_tags))
    tags = [t for t in tags if t not in rm]
    for t in tags:
        if not t or "\n" in t:
            raise InvalidInput(f"invalid tag {t!r}")
    if tags != tags_before:
        doc.set("tags", tags)
        changed.append("tags")
    if (ops.add_depends or ops.remove_depends or ops.parent) and entries is None:
        entries = world.entries()
    if ops.add_depends or ops.remove_depends or ops.clear_depends:
        deps_before = [str(d) for d in tag_list(fm.get("depends_on"))]
        deps = [] if ops.clear_depends else list(deps_before)
        if ops.remove_depends:
            gone = set()
            for r in split_csv(ops.remove_depends):
                try:
                    gone.add(world.resolve(r, entries).name)
                except LeanSpecError:
                    gone.add(r)
            deps = [d for d in deps if d not in gone and d.rsplit("/", 1)[-1] not in gone]
        for name in resolve_targets(world, ops.add_depends, entries, e.name):
            if name not in deps:
                deps.append(name)
        if deps != deps_before:
            if ops.add_depends:
                specs = world.load_all().specs
                cyc = dep_cycle(e.name, [d.rsplit("/", 1)[-1] for d in deps], specs)
                if cyc:
                    raise RelationshipError(
                        "dependency cycle: " + " → ".join(cyc), details={"cycle": cyc}
                    )
            if deps:
                doc.set("depends_on", deps)
            else:
                doc.delete("depends_on")
            changed.append("depends_on")
    if ops.parent is not None:
        if ops.parent.strip():
            target = world.resolve(ops.parent, entries)
            if target.name == e.name:
                raise RelationshipError(f"a spec cannot be its own parent: {e.name}")
            cyc = parent_cycle(world, e.name, target.name, entries, world.load_all().specs)
            if cyc:
                raise RelationshipError("parent cycle: " + " → ".join(cyc), details={"cycle": cyc})
            if doc.set("parent", target.name):
                changed.append("parent")
        elif doc.delete("parent"):
            changed.append("parent")
    for k, v in ops.fields.items():
        key = check_field_name(k)
        if key == "assignee":
            continue
        if v is None:
            if doc.delete(key):
                changed.append(key)
        elif doc.set(key, v):
            changed.append(key)
    changed = dedupe(changed)
    if any(c in changed for c in ("status", "priority", "tags", "assignee")) or (
        "content" in changed and ops.content is not None
    ):
        sync_header(doc, insert=world.config.status_header_insert)
    return changed

def sync_header(doc: Document, *, insert: bool = False) -> None:
    """Bring the body's ``> **Status**: …`` header line in line with the frontmatter
    (idempotent). A spec without one gets one only when ``insert``
    (config ``statusHeader.insert``)."""
    fm = doc.data
    created = fm.get("created")
    lines = bodyops.header_lines(
        str(fm.get("status") or "planned"),
        str(fm["priority"]) if fm.get("priority") else None,
        created.isoformat() if isinstance(created, _dt.date) else (str(created) if created else None),
        tag_list(fm.get("tags")),
        str(fm["assignee"]) if fm.get("assignee") else None,
        str(fm["reviewer"]) if fm.get("reviewer") else None,
    )
    doc.body = bodyops.sync_header(doc.body, lines, insert=insert)

def completion_guard(world: World, doc: Document, e: Entry) -> None:
    """Refuse ``complete`` while checklist items or child specs are open, naming every
    open item and every open child in one refusal (core/guards.py)."""
    kids = [s for s in children_of(e.name, world.load_all().specs) if s.status not in ("complete", "archived")]
    done, total = checklist_counts(doc.body) if world.config.enforce_checklist else (0, 0)
    err = completion_error(
        e.name, doc.body, [(k.name, k.status) for k in kids],
        check_items=world.config.enforce_checklist, open_count=total - done,
    )  # fmt: skip
    if err is not None:
        raise err


def children_of(name: str, specs: Sequence[Spec]) -> list[Spec]:
    """The specs whose ``parent`` names the folder ``name``."""
    return [s for s in specs if s.parent and normalize_ref(s.parent).rsplit("/", 1)[-1] == name]


def split_csv(values: Sequence[str] | str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def dedupe(items: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for i in items:
        if i not in seen:
            seen.append(i)
    return seen


def tag_list(v: Any) -> list[str]:
    from ..core.model import as_str_list

    return as_str_list(v)
