"""Checks a write makes before it changes anything, written so that an agent can act
on the refusal in one step: the expected-hash rule, the completion guard (every open
checklist item and every open child in one answer) and the draft rule.

Pure: the store passes what it read; nothing here touches files.
"""

from __future__ import annotations

from collections.abc import Sequence

from .body import MAX_LISTED, checklist_items
from .errors import CompletionBlocked, Conflict, DraftTransition, DuplicateSlug, InvalidInput

#: Shortest ``expected_hash`` prefix accepted (hex digits).
MIN_HASH_PREFIX = 8
#: Length of the short hashes the MCP server shows.
SHORT_HASH = 12
_HEX = frozenset("0123456789abcdef")


def short_hash(h: str | None) -> str | None:
    return h[:SHORT_HASH] if h else h


def check_expected_hash(actual: str, expected: str | None, *, where: str) -> None:
    """Refuse a stale write. ``expected`` is the full SHA-256 or a prefix of at least
    ``MIN_HASH_PREFIX`` hex digits; a prefix of the current hash is never a conflict.
    A prefix that is too short (or not hex) is ``invalid_input``, not a conflict."""
    if expected is None:
        return
    want = expected.strip().lower()
    if len(want) < MIN_HASH_PREFIX or not set(want) <= _HEX or len(want) > len(actual):
        raise InvalidInput(
            f"expected_hash {expected!r} is not a content hash: give the full SHA-256 or its first "
            f"{SHORT_HASH} hex digits (at least {MIN_HASH_PREFIX})",
            hint="pass the content_hash exactly as `view` or the last write returned it",
            details={"expected_hash": expected, "min_length": MIN_HASH_PREFIX},
        )
    if not actual.startswith(want):
        raise Conflict(
            f"{where} changed since you read it (expected hash {want[:SHORT_HASH]}…, "
            f"current {actual[:SHORT_HASH]}…); nothing was written",
            hint="re-read the spec and apply your change again",
            details={"current_hash": actual, "expected_hash": expected},
        )


def completion_error(
    name: str,
    body: str,
    open_children: Sequence[tuple[str, str]],
    *,
    check_items: bool = True,
    open_count: int | None = None,
) -> CompletionBlocked | None:
    """The refusal to complete ``name``, listing every open checklist item (section,
    line, text) and every open child ``(name, status)`` at once; None if nothing blocks."""
    items = checklist_items(body, open_only=True) if check_items else []
    count = (len(items) if open_count is None else open_count) if check_items else 0
    if not count and not open_children:
        return None
    parts = []
    if count:
        parts.append(f"{count} open checklist item(s)")
    if open_children:
        parts.append(
            f"{len(open_children)} incomplete child spec(s): " + ", ".join(n for n, _st in open_children)
        )
    first = f" (first: line {items[0].line} {items[0].text!r})" if items else ""
    details: dict[str, object] = {
        "open_items": count,
        "items": [{"section": i.section, "line": i.line, "text": i.text} for i in items[:MAX_LISTED]],
        "children": [n for n, _st in open_children],
        "open_children": [{"name": n, "status": st} for n, st in open_children],
        "code_detail": "INCOMPLETE_CHECKLIST" if count else "INCOMPLETE_CHILDREN",
    }
    if len(items) > MAX_LISTED:
        details["items_truncated"] = len(items) - MAX_LISTED
    return CompletionBlocked(
        f"{name} has {' and '.join(parts)}{first}",
        hint="tick the items in details.items and complete the children in details.open_children, "
        "or pass --force to complete anyway",
        details=details,
    )


def draft_transition_error(name: str, new_status: str) -> DraftTransition:
    return DraftTransition(
        f"{name} is a draft: it cannot move to {new_status} before it is planned",
        hint="set status planned first (that approves the draft), then " + new_status + "; or pass --force",
        details={"status": "draft", "requested": new_status, "next": "planned"},
    )


def duplicate_slug_error(slug: str, existing: Sequence[str]) -> DuplicateSlug:
    names = sorted(existing)
    return DuplicateSlug(
        f"a spec named {slug!r} already exists: {', '.join(names)}; a second one would make the name ambiguous",
        hint="update the existing spec, choose another name, or pass --allow-duplicate",
        details={"slug": slug, "existing": names},
    )
