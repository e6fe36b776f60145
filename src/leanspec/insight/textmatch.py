"""Matching one spec against a query tree: the spec's searchable text (``Doc``),
hit spans per field and body line, phrase and fuzzy matching, and the span helpers
(``find_all``, ``merge_spans``, ``is_whole_word``, ``snippet``) that the persistent
index (``searchindex``) shares, so both paths find exactly the same hits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from ..core import datetimes as _dt
from ..core.lazyre import LazyRe
from ..core.model import Spec
from .budget import current as current_budget
from .query import And, FieldFilter, Node, Not, Or, Term

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re
    from typing import Any

SNIPPET_RADIUS = 80
#: Search reads at most this many characters of a spec body: a fixed prefix, cut at
#: the last line break inside it (``searched_body``). The index and the scan apply the
#: same cut, so both give the same answer; results list the specs cut (``capped``).
#: A hostile 20 MB body is searched by its first MiB, in bounded time and memory
#: (docs/search.md#limits).
MAX_BODY_CHARS = 1 << 20
_MEMO_MAX = 50_000  # fuzzy verdicts remembered per term and search (bounded memory)
_TICK = 4095  # check the request's budget every 4,096 words or 256 lines
_WORD = LazyRe(r"\w+")  # str patterns are Unicode-aware


class FuzzyMemos(dict):  # type: ignore[type-arg]  # Term -> {word: verdict}
    """The fuzzy verdicts of one search, per term (``evaluate``'s ``memos``). ``words``
    keeps one string per distinct word, shared by every term's memo: a query with 40
    fuzzy terms stores each word once, not 40 times (~60 bytes a word)."""

    __slots__ = ("words",)

    def __init__(self) -> None:
        super().__init__()
        self.words: dict[str, str] = {}


# ====================================================================== matching
def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance, giving up (returning limit+1) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            cur.append(v)
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def find_all(hay_lower: str, needle: str) -> list[tuple[int, int]]:
    out = []
    start = 0
    while needle:
        k = hay_lower.find(needle, start)
        if k < 0:
            break
        out.append((k, k + len(needle)))
        start = k + 1
    return out


@functools.lru_cache(maxsize=64)
def _phrase_re(phrase: str) -> re.Pattern[str]:
    import re

    return re.compile(r"\s+".join(re.escape(w) for w in phrase.split()), re.IGNORECASE)


def phrase_spans(hay: str, phrase: str) -> list[tuple[int, int]]:
    """Phrase hits, tolerant of runs of whitespace between the words."""
    return [(m.start(), m.end()) for m in _phrase_re(phrase).finditer(hay)]


def _term_spans(hay: str, term: Term) -> list[tuple[int, int]]:
    if term.phrase:
        return phrase_spans(hay, term.text)
    if term.fuzzy is not None:
        return _fuzzy_spans(hay, term, None)
    return find_all(lower_aligned(hay), term.text)


def lower_aligned(s: str) -> str:
    """``s.lower()``, except that characters whose lower case is longer (``İ``) keep
    their case, so offsets found in the result are offsets in ``s``."""
    low = s.lower()
    if len(low) == len(s):
        return low
    return "".join(lc if len(lc := ch.lower()) == 1 else ch for ch in s)


class Doc:
    """A spec's searchable text, computed once per search.

    ``lower`` is the body's lines, each lower-cased on its own (as the line-by-line
    scan did; most lines are ASCII, which lower-cases fastest), joined with ``\\n``: a
    term never contains a line break, so one ``find`` over it gives exactly the
    per-line hits, and the line number is one plus the ``\\n`` before the hit.
    """

    __slots__ = ("spec", "fields", "body", "created", "updated", "_lines", "_lower")

    def __init__(self, spec: Spec, fields: dict[str, str], body: str, created: _dt.date | None, updated: _dt.date | None) -> None:
        self.spec = spec
        self.fields = fields
        self.body = body
        self.created = created
        self.updated = updated
        self._lines: list[str] | None = None
        self._lower: str | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.body.splitlines()
        return self._lines

    @property
    def lower(self) -> str:
        if self._lower is None:
            body = self.body
            low_all = body.lower()
            if len(low_all) == len(body):
                # One C-level pass. lower() never shrinks a character, so an unchanged
                # total length means no character grew (no İ): every offset is kept, and
                # line separators lower to themselves.
                self._lower = "\n".join(low_all.splitlines())
                return self._lower
            lines = self.lines
            low = [ln.lower() for ln in lines]
            if sum(map(len, low)) != sum(map(len, lines)):  # İ and friends: keep offsets
                low = [lower_aligned(ln) for ln in lines]
            self._lower = "\n".join(low)
        return self._lower

    def line(self, n: int) -> str:
        """Body line ``n`` (1-based)."""
        return self.lines[n - 1]


def date_of(v: Any) -> _dt.date | None:
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            return None
    return None


def searched_body(body: str) -> str:
    """The part of ``body`` search reads: all of it, or its first ``MAX_BODY_CHARS``
    characters cut at the last line break inside them (mid-line only for a first line
    that long)."""
    cap = MAX_BODY_CHARS
    if len(body) <= cap:
        return body
    k = body.rfind("\n", 0, cap + 1)
    return body[:k] if k > 0 else body[:cap]


def is_capped(body: str) -> bool:
    """Does search read only a prefix of ``body``?"""
    return len(body) > MAX_BODY_CHARS


def doc_of(spec: Spec) -> Doc:
    fm = spec.frontmatter
    desc = fm.get("description")
    fields = {
        "title": spec.title,
        "name": spec.name,
        "tags": ", ".join(spec.tags),
        "description": desc.strip() if isinstance(desc, str) else "",
    }
    created = date_of(fm.get("created")) or date_of(fm.get("created_at"))
    updated = date_of(fm.get("updated_at")) or date_of(fm.get("updated")) or created
    return Doc(spec, fields, searched_body(spec.body), created, updated)


# A hit: (field, line or None) -> spans in that field's text / that line.
Hits = dict[tuple[str, int | None], list[tuple[int, int]]]


def _content_find(doc: Doc, needle: str, hits: Hits) -> bool:
    """Substring hits in the body, by line, from one scan of ``doc.lower`` (same hits,
    spans and line numbers as scanning line by line)."""
    low = doc.lower
    k = low.find(needle)
    if k < 0:
        return False
    n = len(needle)
    line_no = low.count("\n", 0, k) + 1
    line_start = low.rfind("\n", 0, k) + 1
    spans = hits.setdefault(("content", line_no), [])
    prev = k
    budget = current_budget()
    found = 0
    while k >= 0:
        found += 1
        if budget is not None and not found & _TICK:
            budget.spend(_TICK + 1)  # a hostile body can hold millions of hits
            budget.tick()
        if k != prev:
            nls = low.count("\n", prev, k)
            if nls:
                line_no += nls
                line_start = low.rfind("\n", prev, k) + 1
                spans = hits.setdefault(("content", line_no), [])
        a = k - line_start
        spans.append((a, a + n))
        prev = k
        k = low.find(needle, k + 1)
    return True


def _match_term(doc: Doc, term: Term, hits: Hits, fuzzy_memo: dict[str, bool] | None = None, words: dict[str, str] | None = None) -> bool:
    found = False
    for fname, text in doc.fields.items():
        if not text:
            continue
        spans = _term_spans(text, term)
        if spans:
            hits.setdefault((fname, None), []).extend(spans)
            found = True
    if term.phrase:
        # A phrase found on some line is found in the whole body too: one regex over
        # the body rules out most specs before the per-line scan.
        if not doc.body or _phrase_re(term.text).search(doc.body) is None:
            return found
    elif term.fuzzy is None:
        return _content_find(doc, term.text, hits) or found
    # Fuzzy and phrase scans run line by line under the request's budget (time,
    # collected spans, cancellation): ``budget.py``.
    budget = current_budget()
    for i, line in enumerate(doc.lines, 1):
        if budget is not None and not i & 255:
            budget.tick()
        if not line:
            continue
        spans = _fuzzy_spans(line, term, fuzzy_memo, words) if term.fuzzy is not None else _term_spans(line, term)
        if spans:
            if budget is not None:
                budget.spend(len(spans))
            hits.setdefault(("content", i), []).extend(spans)
            found = True
    return found


def _fuzzy_spans(hay: str, term: Term, memo: dict[str, bool] | None, words: dict[str, str] | None = None) -> list[tuple[int, int]]:
    """Fuzzy hits in ``hay``, remembering each word's verdict for the search (up to
    ``_MEMO_MAX`` words per term; ``words``: one shared string per word), under the
    request's budget."""
    out = []
    dist = term.fuzzy
    assert dist is not None
    text = term.text
    budget = current_budget()
    if memo is None:
        memo = {}
    for n, m in enumerate(_WORD.finditer(hay)):
        if budget is not None and not n & _TICK:
            budget.tick()
        w = m.group().lower()
        ok = memo.get(w)
        if ok is None:
            ok = levenshtein(w, text, dist) <= dist
            if len(memo) < _MEMO_MAX:
                if words is not None:
                    w = words.setdefault(w, w)
                memo[w] = ok
        if ok:
            out.append((m.start(), m.end()))
    return out


def match_field(doc: Doc, f: FieldFilter, hits: Hits) -> bool:
    s = doc.spec
    if f.field == "status":
        return s.status.lower() == f.value
    if f.field == "priority":
        return (s.priority or "").lower() == f.value
    if f.field == "tag":
        return any(t.lower() == f.value for t in s.tags)
    if f.field == "assignee":
        return (s.assignee or "").lower().lstrip("@") == f.value
    if f.field in ("title", "name"):
        text = doc.fields[f.field]
        spans = phrase_spans(text, f.value) if f.phrase else find_all(lower_aligned(text), f.value)
        if spans:
            hits.setdefault((f.field, None), []).extend(spans)
        return bool(spans)
    d = doc.created if f.field == "created" else doc.updated
    if d is None:
        return False
    if f.op == "range":
        return (f.lo is None or d >= f.lo) and (f.hi is None or d <= f.hi)
    assert f.lo is not None
    return {
        "=": d == f.lo,
        ">": d > f.lo,
        ">=": d >= f.lo,
        "<": d < f.lo,
        "<=": d <= f.lo,
    }[f.op]


def evaluate(node: Node, doc: Doc, hits: Hits, memos: dict[Term, dict[str, bool]] | None = None) -> bool:
    """Does ``doc`` match ``node``? Collects highlight spans in ``hits``; ``memos``
    remembers fuzzy verdicts per word across the specs of one search."""
    if isinstance(node, Term):
        memo = None
        if node.fuzzy is not None and memos is not None:
            memo = memos.setdefault(node, {})
        return _match_term(doc, node, hits, memo, getattr(memos, "words", None))
    if isinstance(node, FieldFilter):
        return match_field(doc, node, hits)
    if isinstance(node, Not):
        return not evaluate(node.child, doc, {}, memos)  # what a NOT matched is never highlighted
    if isinstance(node, And):
        local: Hits = {}
        for c in node.children:
            if not evaluate(c, doc, local, memos):
                return False
        for k, v in local.items():
            hits.setdefault(k, []).extend(v)
        return True
    ok = False
    for c in node.children:  # OR: keep the highlights of every branch that matched
        ok = evaluate(c, doc, hits, memos) or ok
    return ok


def _positive_terms(node: Node, neg: bool = False) -> Iterable[str]:
    if isinstance(node, Term) and not neg:
        yield node.text
    elif isinstance(node, FieldFilter) and not neg and node.field in ("title", "name"):
        yield node.value
    elif isinstance(node, Not):
        yield from _positive_terms(node.child, not neg)
    elif isinstance(node, (And, Or)):
        for c in node.children:
            yield from _positive_terms(c, neg)


def wants_archived(node: Node, neg: bool = False) -> bool:
    """True if the query asks for archived specs (``status:archived`` outside a NOT)."""
    if isinstance(node, FieldFilter):
        return not neg and node.field == "status" and node.value == "archived"
    if isinstance(node, Not):
        return wants_archived(node.child, not neg)
    if isinstance(node, (And, Or)):
        return any(wants_archived(c, neg) for c in node.children)
    return False


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(spans) == 1:
        return spans
    out: list[tuple[int, int]] = []
    for a, b in sorted(set(spans)):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def is_whole_word(text: str, a: int, b: int) -> bool:
    before = text[a - 1] if a > 0 else " "
    after = text[b] if b < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def snippet(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[list[int]]]:
    """±80 characters around the first hit, with highlight ranges relative to it."""
    a0 = spans[0][0]
    start = max(0, a0 - SNIPPET_RADIUS)
    end = min(len(text), spans[0][1] + SNIPPET_RADIUS)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[start:end]
    shift = len(prefix) - start
    hl = [[a + shift, min(b, end) + shift] for a, b in spans if a < end and b > start]
    return prefix + body + suffix, hl
