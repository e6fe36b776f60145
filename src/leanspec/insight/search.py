"""Spec search: LeanSpec's TS query language over a list of specs (pure).

Syntax (docs/search.md): implicit AND between terms, ``AND`` / ``OR`` / ``NOT``
(upper-case keywords, as in TS; ``-term`` is NOT too), parentheses, ``"phrases"``,
field filters ``status: tag:/tags: priority: assignee: title: name: created:
updated:`` (dates take ``>``, ``>=``, ``<``, ``<=``, ``=`` and ``a..b`` ranges) and fuzzy
``term~`` (Levenshtein ≤1 for terms of ≤4 characters, ≤2 otherwise, per word;
``term~N`` sets the distance).

Precedence: NOT binds tightest, then AND (explicit or implicit), then OR.

A malformed query raises ``SearchSyntaxError`` naming the position; LeanSpec 0.3.0
returned an empty result instead, which reads as "nothing matches".

Scoring follows TS: field weights title 100, name 70, tags 70, description 50,
content 10; a whole-word hit doubles it; the n-th hit in a field gets
``max(1, 1.5 - 0.1·n)``; a field's hits are scaled by ``min(1, 3 / hits in that
field)`` (per field rather than per spec, so a spec that mentions a word often in
its body is not ranked below one that mentions it once); each match is capped at 100. The spec score is the weight-averaged best match per field.
Line numbers are 1-based lines of the spec body (after the frontmatter), as in TS.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import gc
import heapq
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import SearchSyntaxError
from ..core.model import PRIORITIES, STATUSES, Spec

if TYPE_CHECKING:
    from .searchindex import SearchIndex

FIELD_WEIGHTS = {"title": 100, "name": 70, "tags": 70, "description": 50, "content": 10}
FIELDS = ("status", "tag", "tags", "priority", "assignee", "title", "name", "created", "updated")
SNIPPET_RADIUS = 80
MAX_CONTENT_MATCHES = 10  # per spec in the output; all hits still count for scoring
_WORD = re.compile(r"\w+", re.UNICODE)
_DATE_OPS = (">=", "<=", ">", "<", "=")
_AMBIGUOUS = -2  # = searchindex.AMBIGUOUS (kept here so ranking imports nothing more)
_NO_WHOLE = -1  # = searchindex.NO_WHOLE


# ============================================================================ AST
# Plain immutable value classes rather than dataclasses: importing ``dataclasses``
# (it pulls in ``inspect``) and building seven of them cost ~25 ms per process, more
# than a whole indexed search at 1,000 specs.
class _Value:
    """Equality, hash and repr from ``__slots__``, like a frozen dataclass."""

    __slots__: tuple[str, ...] = ()

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self.__slots__)})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _init(self, **values: Any) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)


class Term(_Value):
    __slots__ = ("text", "pos", "fuzzy", "phrase")
    text: str  # lower-cased
    pos: int
    fuzzy: int | None  # max edit distance, None = substring match
    phrase: bool

    def __init__(self, text: str, pos: int, fuzzy: int | None = None, phrase: bool = False) -> None:
        self._init(text=text, pos=pos, fuzzy=fuzzy, phrase=phrase)


class FieldFilter(_Value):
    __slots__ = ("field", "value", "pos", "op", "lo", "hi", "phrase")
    field: str  # canonical: tag for tags
    value: str
    pos: int
    op: str  # for dates: = > >= < <= range
    lo: _dt.date | None
    hi: _dt.date | None
    phrase: bool

    def __init__(
        self,
        field: str,
        value: str,
        pos: int,
        op: str = "=",
        lo: _dt.date | None = None,
        hi: _dt.date | None = None,
        phrase: bool = False,
    ) -> None:
        self._init(field=field, value=value, pos=pos, op=op, lo=lo, hi=hi, phrase=phrase)


class Not(_Value):
    __slots__ = ("child", "pos")
    child: Node
    pos: int

    def __init__(self, child: Node, pos: int) -> None:
        self._init(child=child, pos=pos)


class And(_Value):
    __slots__ = ("children",)
    children: tuple[Node, ...]

    def __init__(self, children: tuple[Node, ...]) -> None:
        self._init(children=children)


class Or(_Value):
    __slots__ = ("children",)
    children: tuple[Node, ...]

    def __init__(self, children: tuple[Node, ...]) -> None:
        self._init(children=children)


Node = Term | FieldFilter | Not | And | Or


# ======================================================================= tokenizer
class _Tok(_Value):
    __slots__ = ("kind", "pos", "text", "extra")
    kind: str  # LP RP AND OR NOT TERM PHRASE FIELD
    pos: int
    text: str
    extra: Any

    def __init__(self, kind: str, pos: int, text: str = "", extra: Any = None) -> None:
        self._init(kind=kind, pos=pos, text=text, extra=extra)


def _err(query: str, pos: int, msg: str) -> SearchSyntaxError:
    caret = " " * pos + "^"
    return SearchSyntaxError(
        f"{msg} (at position {pos + 1})\n  {query}\n  {caret}",
        hint="see `lean-spec search --help-syntax`; quote words such as \"AND\" to search for them",
        details={"position": pos, "query": query, "reason": msg},
    )


def _read_quoted(query: str, i: int) -> tuple[str, int]:
    """The text between the quote at ``i`` and the closing quote; returns (text, index after)."""
    j = query.find('"', i + 1)
    if j < 0:
        raise _err(query, i, "unclosed quote")
    return query[i + 1 : j], j + 1


def _tokenize(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            toks.append(_Tok("LP", i))
            i += 1
            continue
        if ch == ")":
            toks.append(_Tok("RP", i))
            i += 1
            continue
        if ch == '"':
            text, j = _read_quoted(query, i)
            if not text.strip():
                raise _err(query, i, "empty phrase")
            toks.append(_Tok("PHRASE", i, text))
            i = j
            continue
        start = i
        if ch == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] not in "()-":
            # -term is NOT term (a lone "-" or "a-b" inside a word stays literal).
            toks.append(_Tok("NOT", i, "-"))
            i += 1
            continue
        while i < n and not query[i].isspace() and query[i] not in '()"':
            if query[i] == ":":
                break
            i += 1
        word = query[start:i]
        if i < n and query[i] == ":":
            fname = word.lower()
            if not re.fullmatch(r"[a-z_]+", fname) or query.startswith("//", i + 1):
                # "http://x" or "a.b:c": not a field, a plain term containing a colon.
                while i < n and not query[i].isspace() and query[i] not in '()"':
                    i += 1
                toks.append(_Tok("TERM", start, query[start:i]))
                continue
            if fname not in FIELDS:
                raise _err(query, start, f"unknown field '{word}:' (fields: {', '.join(FIELDS)})")
            i += 1
            if i < n and query[i] == '"':
                value, i = _read_quoted(query, i)
                quoted = True
            else:
                vs = i
                while i < n and not query[i].isspace() and query[i] not in '()"':
                    i += 1
                value, quoted = query[vs:i], False
            if not value.strip():
                raise _err(query, start, f"field '{word}:' needs a value")
            toks.append(_Tok("FIELD", start, fname, (value.strip(), quoted)))
            continue
        if word in ("AND", "OR", "NOT"):
            toks.append(_Tok(word, start, word))
        else:
            toks.append(_Tok("TERM", start, word))
    return toks


# ========================================================================== parser
class _Parser:
    def __init__(self, query: str, toks: list[_Tok]) -> None:
        self.q = query
        self.toks = toks
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Node:
        node = self.parse_or()
        t = self.peek()
        if t is not None:
            if t.kind == "RP":
                raise _err(self.q, t.pos, "unexpected ')' without a matching '('")
            raise _err(self.q, t.pos, f"unexpected '{t.text}'")
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (t := self.peek()) is not None and t.kind == "OR":
            self.take()
            parts.append(self.parse_and(after=t))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, after: _Tok | None = None) -> Node:
        parts = [self.parse_unary(after)]
        while (t := self.peek()) is not None:
            if t.kind == "AND":
                self.take()
                parts.append(self.parse_unary(t))
            elif t.kind in ("TERM", "PHRASE", "FIELD", "NOT", "LP"):
                parts.append(self.parse_unary(None))  # implicit AND
            else:
                break
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self, after: _Tok | None) -> Node:
        t = self.peek()
        if t is None:
            if after is not None:
                raise _err(self.q, after.pos, f"'{after.text}' needs a term after it")
            raise _err(self.q, len(self.q), "unexpected end of query")
        if t.kind == "NOT":
            self.take()
            return Not(self.parse_unary(t), t.pos)
        return self.parse_primary(after)

    def parse_primary(self, after: _Tok | None) -> Node:
        t = self.take()
        if t.kind == "LP":
            if (nx := self.peek()) is not None and nx.kind == "RP":
                raise _err(self.q, t.pos, "empty parentheses")
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "RP":
                raise _err(self.q, t.pos, "missing ')' for this '('")
            self.take()
            return node
        if t.kind == "TERM":
            return _term(self.q, t)
        if t.kind == "PHRASE":
            return Term(" ".join(t.text.lower().split()), t.pos, phrase=True)
        if t.kind == "FIELD":
            value, quoted = t.extra
            return _field(self.q, t.pos, t.text, value, quoted)
        if t.kind == "RP":
            raise _err(self.q, t.pos, "unexpected ')'")
        # AND / OR where a term was expected
        if after is not None:
            raise _err(self.q, t.pos, f"'{after.text}' needs a term after it, found '{t.text}'")
        raise _err(self.q, t.pos, f"'{t.text}' needs a term before it")


def _term(query: str, t: _Tok) -> Term:
    word = t.text
    m = re.fullmatch(r"(.+?)~(\d*)", word)
    if m:
        base = m.group(1).lower()
        if m.group(2):
            dist = int(m.group(2))
            if dist > 3:
                raise _err(query, t.pos, "fuzzy distance must be 0-3")
        else:
            dist = 1 if len(base) <= 4 else 2
        return Term(base, t.pos, fuzzy=dist)
    if word.endswith("~"):
        raise _err(query, t.pos, "'~' needs a term before it")
    return Term(word.lower(), t.pos)


def _parse_date(query: str, pos: int, s: str) -> _dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            raise ValueError
        return _dt.date.fromisoformat(s)
    except ValueError:
        raise _err(query, pos, f"invalid date '{s}' (use YYYY-MM-DD)") from None


def _field(query: str, pos: int, fname: str, value: str, quoted: bool) -> FieldFilter:
    canon = "tag" if fname == "tags" else fname
    if canon in ("created", "updated"):
        if ".." in value:
            a, b = value.split("..", 1)
            if not a and not b:
                raise _err(query, pos, "a date range needs at least one end (a..b)")
            lo = _parse_date(query, pos, a) if a else None
            hi = _parse_date(query, pos, b) if b else None
            if lo and hi and lo > hi:
                raise _err(query, pos, f"empty date range {a}..{b} (start is after end)")
            return FieldFilter(canon, value, pos, "range", lo, hi)
        for op in _DATE_OPS:
            if value.startswith(op):
                d = _parse_date(query, pos, value[len(op) :])
                return FieldFilter(canon, value, pos, op, d, d)
        d = _parse_date(query, pos, value)
        return FieldFilter(canon, value, pos, "=", d, d)
    v = value.lower()
    if canon == "status" and v not in STATUSES:
        raise _err(query, pos, f"unknown status '{value}' (use one of {', '.join(STATUSES)})")
    if canon == "priority" and v not in PRIORITIES:
        raise _err(query, pos, f"unknown priority '{value}' (use one of {', '.join(PRIORITIES)})")
    if canon == "assignee":
        v = v.lstrip("@")
    if canon in ("title", "name"):
        v = " ".join(v.split())
    return FieldFilter(canon, v, pos, phrase=quoted)


def parse_query(query: str) -> Node:
    """Parse a query into an AST; raises ``SearchSyntaxError``."""
    if not isinstance(query, str) or not query.strip():
        raise SearchSyntaxError(
            "empty search query",
            hint='give at least one term, e.g. `lean-spec search "api gateway" status:planned`',
            details={"position": 0, "query": query or "", "reason": "empty query"},
        )
    toks = _tokenize(query)
    if not toks:
        raise _err(query, 0, "empty search query")
    return _Parser(query, toks).parse()


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


def _find_all(hay_lower: str, needle: str) -> list[tuple[int, int]]:
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
    return re.compile(r"\s+".join(re.escape(w) for w in phrase.split()), re.IGNORECASE)


def _phrase_spans(hay: str, phrase: str) -> list[tuple[int, int]]:
    """Phrase hits, tolerant of runs of whitespace between the words."""
    return [(m.start(), m.end()) for m in _phrase_re(phrase).finditer(hay)]


def _term_spans(hay: str, term: Term) -> list[tuple[int, int]]:
    if term.phrase:
        return _phrase_spans(hay, term.text)
    if term.fuzzy is not None:
        return [
            (m.start(), m.end())
            for m in _WORD.finditer(hay)
            if levenshtein(m.group().lower(), term.text, term.fuzzy) <= term.fuzzy
        ]
    return _find_all(_lower(hay), term.text)


def _lower(s: str) -> str:
    """``s.lower()``, except that characters whose lower case is longer (``İ``) keep
    their case, so offsets found in the result are offsets in ``s``."""
    low = s.lower()
    if len(low) == len(s):
        return low
    return "".join(lc if len(lc := ch.lower()) == 1 else ch for ch in s)


class _Doc:
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
                low = [_lower(ln) for ln in lines]
            self._lower = "\n".join(low)
        return self._lower

    def line(self, n: int) -> str:
        """Body line ``n`` (1-based)."""
        return self.lines[n - 1]


def _date_of(v: Any) -> _dt.date | None:
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


def _doc(spec: Spec) -> _Doc:
    fm = spec.frontmatter
    desc = fm.get("description")
    fields = {
        "title": spec.title,
        "name": spec.name,
        "tags": ", ".join(spec.tags),
        "description": desc.strip() if isinstance(desc, str) else "",
    }
    created = _date_of(fm.get("created")) or _date_of(fm.get("created_at"))
    updated = _date_of(fm.get("updated_at")) or _date_of(fm.get("updated")) or created
    return _Doc(spec, fields, spec.body, created, updated)


# A hit: (field, line or None) -> spans in that field's text / that line.
Hits = dict[tuple[str, int | None], list[tuple[int, int]]]


def _content_find(doc: _Doc, needle: str, hits: Hits) -> bool:
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
    while k >= 0:
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


def _match_term(doc: _Doc, term: Term, hits: Hits, fuzzy_memo: dict[str, bool] | None = None) -> bool:
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
    for i, line in enumerate(doc.lines, 1):
        if not line:
            continue
        spans = _fuzzy_spans(line, term, fuzzy_memo) if term.fuzzy is not None else _term_spans(line, term)
        if spans:
            hits.setdefault(("content", i), []).extend(spans)
            found = True
    return found


def _fuzzy_spans(hay: str, term: Term, memo: dict[str, bool] | None) -> list[tuple[int, int]]:
    """``_term_spans`` for a fuzzy term, remembering each word's verdict for the search."""
    if memo is None:
        return _term_spans(hay, term)
    out = []
    dist = term.fuzzy
    assert dist is not None
    for m in _WORD.finditer(hay):
        w = m.group().lower()
        ok = memo.get(w)
        if ok is None:
            ok = memo[w] = levenshtein(w, term.text, dist) <= dist
        if ok:
            out.append((m.start(), m.end()))
    return out


def _match_field(doc: _Doc, f: FieldFilter, hits: Hits) -> bool:
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
        spans = _phrase_spans(text, f.value) if f.phrase else _find_all(_lower(text), f.value)
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


def _eval(node: Node, doc: _Doc, hits: Hits, memos: dict[Term, dict[str, bool]] | None = None) -> bool:
    """Does ``doc`` match ``node``? Collects highlight spans in ``hits``; ``memos``
    remembers fuzzy verdicts per word across the specs of one search."""
    if isinstance(node, Term):
        memo = None
        if node.fuzzy is not None and memos is not None:
            memo = memos.setdefault(node, {})
        return _match_term(doc, node, hits, memo)
    if isinstance(node, FieldFilter):
        return _match_field(doc, node, hits)
    if isinstance(node, Not):
        return not _eval(node.child, doc, {}, memos)  # what a NOT matched is never highlighted
    if isinstance(node, And):
        local: Hits = {}
        for c in node.children:
            if not _eval(c, doc, local, memos):
                return False
        for k, v in local.items():
            hits.setdefault(k, []).extend(v)
        return True
    ok = False
    for c in node.children:  # OR: keep the highlights of every branch that matched
        ok = _eval(c, doc, hits, memos) or ok
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


# ======================================================================= scoring
def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(spans) == 1:
        return spans
    out: list[tuple[int, int]] = []
    for a, b in sorted(set(spans)):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _is_whole_word(text: str, a: int, b: int) -> bool:
    before = text[a - 1] if a > 0 else " "
    after = text[b] if b < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _snippet(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[list[int]]]:
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


_FIELD_ORDER = {f: i for i, f in enumerate(FIELD_WEIGHTS)}
# From the 5th hit in a field on, the n-th-hit factor max(1, 1.5 - 0.1·n) is 1.0.
_DECAY_HITS = 5
_CONTENT_W = FIELD_WEIGHTS["content"]


def _field_best(w: int, scale: float, texts_spans: list[tuple[str, list[tuple[int, int]]]]) -> float:
    """The best per-hit score in one field (hits in order): ``w`` doubled for a whole
    word, times ``max(1, 1.5 - 0.1·n)`` for the n-th hit, times ``scale``, capped at 100."""
    return _best_of(w, scale, (_is_whole_word(text, a, b) for text, spans in texts_spans for a, b in spans))


def _best_of(w: int, scale: float, whole: Iterable[bool]) -> float:
    """``_field_best`` over the hits' whole-word flags (in hit order).

    Only the first five hits can have a factor above 1, so after them only the first
    whole-word hit (if none came earlier) can raise the best; the rest are not examined
    (``whole`` is consumed lazily).
    """
    best = 0.0
    whole_seen = False
    for n, is_whole in enumerate(whole):
        if n < _DECAY_HITS:
            s = float(w)
            if is_whole:
                s *= 2
                whole_seen = True
            s *= max(1.0, 1.5 - 0.1 * n)
            s = min(100.0, s * scale)
            if s > best:
                best = s
        elif whole_seen:
            return best
        elif is_whole:
            s = float(w) * 2
            s *= max(1.0, 1.5 - 0.1 * n)
            return max(best, min(100.0, s * scale))
    return best


@functools.lru_cache(maxsize=4096)
def _best_cls(w: int, count: int, first_whole: int) -> float:
    """``_field_best`` for a field with ``count`` merged hits whose first whole-word hit
    is the ``first_whole``-th (0-4; 5 = fifth or later, which scores the same; -1 none).

    The result depends on nothing else: a whole-word hit scores more than any earlier
    or later non-whole one and than any later whole one (the factor only falls), so the
    flags after the first whole-word hit, or after five non-whole ones, never change it."""
    none = first_whole < 0
    flags = [False] * min(count, _DECAY_HITS) if none else [False] * min(first_whole, _DECAY_HITS) + [True]
    return _best_of(w, min(1.0, 3.0 / count), flags)


def _first_whole(text: str, spans: list[tuple[int, int]]) -> int:
    """Index of the first whole-word span (5 for "fifth or later"), -1 if none."""
    for j, (a, b) in enumerate(spans):
        if _is_whole_word(text, a, b):
            return min(j, _DECAY_HITS)
    return -1


def _score(doc: _Doc, hits: Hits, with_matches: bool = True) -> tuple[float, list[dict[str, Any]], int]:
    keys = [k for k in hits if k[1] is None]
    keys.sort(key=lambda k: _FIELD_ORDER[k[0]])
    keys.extend(("content", ln) for ln in sorted(k[1] for k in hits if k[1] is not None))
    by_field: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}
    total = 0
    matches: list[dict[str, Any]] = []
    content_shown = 0
    for key in keys:
        fname, line = key
        spans = _merge(hits[key])
        total += len(spans)
        text = doc.line(line) if line is not None else doc.fields[fname]
        if spans:
            by_field.setdefault(fname, []).append((text, spans))
        if not with_matches:
            continue  # ranking only: snippets are built for the results actually returned
        if fname == "content":
            content_shown += 1
            if content_shown > MAX_CONTENT_MATCHES:
                continue
        snippet, hl = _snippet(text, spans)
        matches.append({"field": fname, "text": snippet, "line": line, "highlights": hl})
    best: dict[str, float] = {}
    for fname, ts in by_field.items():
        count = sum(len(sp) for _t, sp in ts)
        best[fname] = _field_best(FIELD_WEIGHTS[fname], min(1.0, 3.0 / count), ts)
    if not best:
        return 100.0, matches, 0  # matched on structured filters only: a full match
    wsum = sum(FIELD_WEIGHTS[f] for f in best)
    score = sum(best[f] * FIELD_WEIGHTS[f] for f in best) / wsum
    return round(min(100.0, score), 1), matches, total


# ========================================================================== entry
def search(
    specs: Sequence[Spec],
    query: str,
    *,
    limit: int | None = None,
    include_archived: bool = False,
    index: SearchIndex | None = None,
    names_only: bool = False,
) -> dict[str, Any]:
    """Run ``query`` over ``specs``.

    Returns ``{query, total, results[{spec, score, total_matches, matches[{field,
    text, line, highlights}]}]}``, best first; ``total`` counts results before
    ``limit``. Archived specs take part only if the query filters
    ``status:archived`` or ``include_archived`` is set.

    ``index`` (``searchindex.for_root(project.root)``): rank from the persistent index
    instead of scanning every body; the result is identical. Without it (or for
    queries with phrases or fuzzy terms) every body is read and scanned.

    ``names_only``: ``{query, total, names}`` instead, the names of every match best
    first (a filter, as the web UI's list and board use it): no snippets, so no body
    is read for them.
    """
    if limit is not None and limit < 0:
        from ..core.errors import InvalidInput

        raise InvalidInput("limit must be zero or more")
    ast = parse_query(query)
    archived_ok = include_archived or wants_archived(ast)
    if index is not None and _indexable(ast):
        from .searchindex import IndexCorrupt

        for _attempt in range(2):
            # Ranking allocates ~10 small acyclic objects per spec; with 10,000 specs
            # alive the cyclic GC would re-scan all of them several times (a third of
            # the time), so it waits until the ranking is done.
            gc_was = gc.isenabled()
            gc.disable()
            try:
                out = _search_indexed(specs, archived_ok, query, ast, limit, index, names_only)
            except IndexCorrupt:
                index.drop()  # damaged on disk in a way the load checks missed: rebuild
                continue
            finally:
                if gc_was:
                    gc.enable()
            if out is not None:
                return out
            break
    return _search_exact([s for s in specs if archived_ok or not s.archived], query, ast, limit, names_only)


def _search_exact(
    eligible: Sequence[Spec], query: str, ast: Node, limit: int | None, names_only: bool = False
) -> dict[str, Any]:
    """The reference implementation: every body read and scanned."""
    ranked: list[tuple[float, str, int, Spec, _Doc, Hits]] = []
    memos: dict[Term, dict[str, bool]] = {}
    for spec in eligible:
        doc = _doc(spec)
        hits: Hits = {}
        if not _eval(ast, doc, hits, memos):
            continue
        score, _m, total = _score(doc, hits, with_matches=False)
        ranked.append((score, spec.name, total, spec, doc, hits))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    shown = ranked[:limit] if limit is not None else ranked
    if names_only:
        return {"query": query, "total": len(ranked), "names": [r[1] for r in shown]}
    out = []
    for score, _name, total, spec, doc, hits in shown:
        _s, matches, _t = _score(doc, hits)
        out.append({"spec": spec.to_dict(), "score": score, "total_matches": total, "matches": matches})
    return {"query": query, "total": len(ranked), "results": out}


# ================================================================ indexed search
def _assemble(best: dict[str, float], total: int) -> tuple[float, int]:
    """``_score``'s (score, total) from the per-field bests (in field order)."""
    if not best:
        return 100.0, 0  # matched on structured filters only: a full match
    wsum = sum(FIELD_WEIGHTS[f] for f in best)
    score = sum(best[f] * FIELD_WEIGHTS[f] for f in best) / wsum
    return round(min(100.0, score), 1), total


def _indexable(node: Node) -> bool:
    """Plain terms and field filters only: phrases and fuzzy terms scan bodies."""
    if isinstance(node, Term):
        return not node.phrase and node.fuzzy is None
    if isinstance(node, FieldFilter):
        return True
    if isinstance(node, Not):
        return _indexable(node.child)
    return all(_indexable(c) for c in node.children)  # type: ignore[union-attr]


class _FieldText:
    """One field's text for every spec, lower-cased and joined with ``\n`` (a term has
    no whitespace, so it never matches across two specs): one ``find`` loop gives every
    spec's hits, as ``_find_all(_lower(text), term)`` would per spec."""

    __slots__ = ("texts", "low", "starts", "_hits")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        joined = "\n".join(texts)
        low = joined.lower()
        if len(low) != len(joined):  # İ and friends: per text, keeping offsets
            low = "\n".join(_lower(t) for t in texts)
        self.low = low
        # Text i starts after the i texts and i separators before it (all in C).
        self.starts = list(map(operator.add, itertools.accumulate(map(len, texts), initial=0), range(len(texts))))
        self._hits: dict[str, dict[int, list[tuple[int, int]]]] = {}

    def hits(self, needle: str) -> dict[int, list[tuple[int, int]]]:
        got = self._hits.get(needle)
        if got is not None:
            return got
        out: dict[int, list[tuple[int, int]]] = {}
        low, starts = self.low, self.starts
        n = len(needle)
        k = low.find(needle)
        while k >= 0:
            i = bisect.bisect_right(starts, k) - 1
            a = k - starts[i]
            sp = out.get(i)
            if sp is None:
                out[i] = [(a, a + n)]
            else:
                sp.append((a, a + n))
            k = low.find(needle, k + 1)
        self._hits[needle] = out
        return out


_TEXT_FIELDS = ("title", "name", "tags", "description")


def _leaves(node: Node, out: list[Term | FieldFilter]) -> None:
    if isinstance(node, (Term, FieldFilter)):
        out.append(node)
    elif isinstance(node, Not):
        _leaves(node.child, out)
    else:
        for c in node.children:
            _leaves(c, out)


def _truth(node: Node, leaf_of: dict[int, int], bits: tuple[bool, ...]) -> bool:
    if isinstance(node, (Term, FieldFilter)):
        return bits[leaf_of[id(node)]]
    if isinstance(node, Not):
        return not _truth(node.child, leaf_of, bits)
    if isinstance(node, And):
        return all(_truth(c, leaf_of, bits) for c in node.children)
    return any(_truth(c, leaf_of, bits) for c in node.children)


def _contrib(node: Node, leaf_of: dict[int, int], bits: tuple[bool, ...], out: set[int]) -> None:
    """The leaves whose hits ``_eval`` keeps for a spec whose leaf truths are ``bits``:
    a matching leaf, through ANDs that match and every matching OR branch, never under
    a NOT."""
    if isinstance(node, (Term, FieldFilter)):
        k = leaf_of[id(node)]
        if bits[k]:
            out.add(k)
    elif isinstance(node, And):
        if _truth(node, leaf_of, bits):
            for c in node.children:
                _contrib(c, leaf_of, bits, out)
    elif isinstance(node, Or):
        for c in node.children:
            if _truth(c, leaf_of, bits):
                _contrib(c, leaf_of, bits, out)


def _eval_sets(node: Node, leaf_of: dict[int, int], sets: list[set[int]], universe: set[int]) -> set[int]:
    if isinstance(node, (Term, FieldFilter)):
        return sets[leaf_of[id(node)]]
    if isinstance(node, Not):
        return universe - _eval_sets(node.child, leaf_of, sets, universe)
    parts = [_eval_sets(c, leaf_of, sets, universe) for c in node.children]
    if isinstance(node, And):
        return set.intersection(*parts)
    return set.union(*parts)


def _search_indexed(
    specs: Sequence[Spec],
    archived_ok: bool,
    query: str,
    ast: Node,
    limit: int | None,
    index: SearchIndex,
    names_only: bool = False,
) -> dict[str, Any] | None:
    """``_search_exact``'s result from the index; None to fall back to it.

    Leaf matches are computed as sets of spec positions (bodies: posting lists; fields:
    one joined string per field), the query is evaluated with set operations, and each
    matching spec is scored from its fields' spans and its body's (C, first whole-word
    hit) from ``content_stats``, with exactly ``_score``'s arithmetic. Bodies are read
    only for the rows returned (snippets) and for the rare spec whose first whole-word
    hit the index cannot place."""
    with index.lock:
        hashes = [s.content_hash for s in specs]
        # Everything the ranking depends on is a function of the specs' names, paths
        # (the archived folder) and content hashes (all else), so a long-lived server
        # reuses rankings and field texts while the listing is the same version.
        # Positions are positions in ``specs``.
        fp = (tuple([s.name for s in specs]), tuple([s.path for s in specs]), tuple(hashes))
        memo = index.memo
        if len(memo) > 32:
            memo.clear()
        key = ("ranked", query, archived_ok, fp)
        got = memo.get(key)
        if got is not None:
            ranked, ordered = got
            if ordered is None:
                ordered = sorted(ranked)
                memo[key] = (ranked, ordered)
        else:
            at = [i for i, s in enumerate(specs) if archived_ok or not s.archived]
            if len(at) != len(specs):
                eligible = [specs[i] for i in at]
                ehashes = [hashes[i] for i in at]
            else:
                eligible, ehashes = list(specs), hashes
            gid = index.gid
            if not all(map(gid.__contains__, ehashes)):
                index.sync(eligible, complete=False)  # the caller did not sync: add them
                gid = index.gid
                memo = index.memo
            try:
                gids = [gid[h] for h in ehashes]
            except KeyError:
                return None  # a spec changed while we indexed it: scan
            fields = memo.setdefault(("fields", archived_ok, fp), {})
            part = _rank(eligible, ast, index, gids, ehashes, [s.name for s in eligible], fields)
            if part is None:
                return None
            ranked = part if len(at) == len(specs) else [(a, b, at[i], t) for a, b, i, t in part]
            ordered = None
            memo[key] = (ranked, None)
    if ordered is not None:
        shown = ordered[:limit]
    elif limit is not None and limit * 4 < len(ranked):
        shown = heapq.nsmallest(limit, ranked)
    else:
        shown = sorted(ranked)[:limit]
    if names_only:
        return {"query": query, "total": len(ranked), "names": [specs[i].name for _neg, _name, i, _t in shown]}
    exact_memos: dict[Term, dict[str, bool]] = {}
    out = []
    for neg, _name, i, total in shown:
        score = -neg
        spec = specs[i]
        doc = _doc(spec)
        hits: Hits = {}
        ok = _eval(ast, doc, hits, exact_memos)
        if spec.content_hash != hashes[i] or not ok:
            return None  # the file changed since the listing: answer from the files
        _s, matches, _t = _score(doc, hits)
        out.append({"spec": spec.to_dict(), "score": score, "total_matches": total, "matches": matches})
    return {"query": query, "total": len(ranked), "results": out}


def _rank(
    eligible: Sequence[Spec],
    ast: Node,
    index: SearchIndex,
    gids: list[int],
    hashes: list[str],
    names: list[str],
    ftext: dict[str, _FieldText],
) -> list[tuple[float, str, int, int]] | None:
    """Every matching spec as (-score, name, position, total_matches), unsorted."""
    n = len(eligible)
    universe = set(range(n))
    leaves: list[Term | FieldFilter] = []
    _leaves(ast, leaves)
    leaf_of = {id(lf): k for k, lf in enumerate(leaves)}

    def field(name: str) -> _FieldText:
        ft = ftext.get(name)
        if ft is None:
            # Titles and tags are functions of the content (a title the content does
            # not give comes from the folder name), kept in the index.
            if name == "title":
                ctitles = index.titles
                texts = [t if (t := ctitles[g]) else s.title for s, g in zip(eligible, gids, strict=True)]
            elif name == "name":
                texts = names
            elif name == "tags":
                ctags = index.tags
                texts = [ctags[g] for g in gids]
            else:
                desc = index.desc
                texts = [desc[g] for g in gids]
            ft = ftext[name] = _FieldText(texts)
        return ft

    # Per leaf: its set of spec positions, and its spans per text field.
    sets: list[set[int]] = []
    fspans: list[dict[str, dict[int, list[tuple[int, int]]]]] = []
    for lf in leaves:
        per: dict[str, dict[int, list[tuple[int, int]]]] = {}
        if isinstance(lf, Term):
            ds = index.docs_with(lf.text)
            hit = set(itertools.compress(range(n), map(ds.__contains__, gids))) if ds else set()
            for fname in _TEXT_FIELDS:
                fh = field(fname).hits(lf.text)
                if fh:
                    per[fname] = fh
                    hit.update(fh)
        elif lf.field in ("title", "name"):
            ft = field(lf.field)
            if lf.phrase:
                fh = {}
                for i, text in enumerate(ft.texts):
                    if text and (sp := _phrase_spans(text, lf.value)):
                        fh[i] = sp
            else:
                fh = ft.hits(lf.value)
            per[lf.field] = fh
            hit = set(fh)
        else:
            created, updated = index.created, index.updated
            date = index.date
            hit = {
                i
                for i, s in enumerate(eligible)
                if _match_field(_Doc(s, {}, "", date(created[gids[i]]), date(updated[gids[i]])), lf, {})
            }
        sets.append(hit)
        fspans.append(per)
    matched = _eval_sets(ast, leaf_of, sets, universe)

    # Specs with the same leaf truths keep the same leaves' hits: group them with
    # set operations instead of testing every leaf for every spec.
    groups: list[tuple[tuple[bool, ...], set[int]]] = [((), matched)]
    for st in sets:
        nxt: list[tuple[tuple[bool, ...], set[int]]] = []
        for bits, members in groups:
            inside = members & st
            outside = members - st if len(inside) != len(members) else set()
            if inside:
                nxt.append(((*bits, True), inside))
            if outside:
                nxt.append(((*bits, False), outside))
        groups = nxt

    # (-score, name, position, total): sorted as tuples, that is the exact path's
    # stable sort by (-score, name) of specs in listing order.
    ranked: list[tuple[float, str, int, int]] = []
    exact_memos: dict[Term, dict[str, bool]] = {}
    weights = FIELD_WEIGHTS
    ftexts = {f: field(f).texts for f in _TEXT_FIELDS}
    for bits, members in groups:
        cs: set[int] = set()
        _contrib(ast, leaf_of, bits, cs)
        ks = sorted(cs)
        terms = frozenset(t.text for k in ks if isinstance(t := leaves[k], Term))
        counts, first = index.content_stats(terms) if terms else (None, None)
        # Per text field: each spec's spans from the contributing leaves.
        gf: dict[str, dict[int, list[tuple[int, int]]]] = {}
        with_fields: set[int] = set()
        for fname in _TEXT_FIELDS:
            parts = [fk for k in ks if (fk := fspans[k].get(fname))]
            if not parts:
                continue
            if len(parts) == 1:
                joined = parts[0]
            else:
                joined = {}
                for part in parts:
                    for j, sp in part.items():
                        got_sp = joined.get(j)
                        joined[j] = sp if got_sp is None else got_sp + sp
            gf[fname] = joined
            with_fields.update(joined)
        plain: dict[tuple[int, int], tuple[float, int]] = {}  # (C, first whole) -> (-score, total)
        mixed: dict[Any, tuple[float, int]] = {}
        for i in members:
            g = gids[i]
            c = counts[g] if counts is not None else 0
            fw = first[g] if c and first is not None else _NO_WHOLE
            if fw == _AMBIGUOUS:
                doc = _doc(eligible[i])
                hits: Hits = {}
                if eligible[i].content_hash != hashes[i] or not _eval(ast, doc, hits, exact_memos):
                    return None  # changed since the listing: scan
                score, _m, total = _score(doc, hits, with_matches=False)
                ranked.append((-score, names[i], i, total))
                continue
            if i not in with_fields:
                got = plain.get((c, fw))
                if got is None:
                    sc, tot = _assemble({"content": _best_cls(_CONTENT_W, c, fw)} if c else {}, c)
                    got = plain[(c, fw)] = (-sc, tot)
                ranked.append((got[0], names[i], i, got[1]))
                continue
            # A spec's score and total depend only on (field, hits, first whole-word
            # hit) per field with hits, in field order, and the body's (C, first).
            sig = []
            for fname, per_spec in gf.items():  # in field order, as _score adds them up
                spans = per_spec.get(i)
                if spans:
                    merged = _merge(spans)
                    sig.append((fname, len(merged), _first_whole(ftexts[fname][i], merged)))
            key = (tuple(sig), c, fw)
            got = mixed.get(key)
            if got is None:
                best = {f: _best_cls(weights[f], k, w) for f, k, w in sig}
                total = sum(k for _f, k, _w in sig)
                if c:
                    total += c
                    best["content"] = _best_cls(_CONTENT_W, c, fw)
                score, total = _assemble(best, total)
                got = mixed[key] = (-score, total)
            ranked.append((got[0], names[i], i, got[1]))
    return ranked


SYNTAX_HELP = """\
Search syntax (LeanSpec-compatible)

  api gateway            both words (implicit AND), anywhere: title, name, tags, description, body
  api AND gateway        the same, explicit
  api OR graphql         either word
  NOT legacy, -legacy    exclude specs containing the word
  (api OR rpc) AND auth  parentheses group; NOT binds tighter than AND, AND tighter than OR
  "exact phrase"         words in this order (any whitespace between them)
  dashbord~              fuzzy: edit distance ≤1 for words ≤4 chars, ≤2 otherwise; dashbord~1 sets it

Field filters
  status:in-progress     planned, in-progress, complete, archived, draft
  tag:api  tags:api      has the tag (exact, case-insensitive)
  priority:high          low, medium, high, critical
  assignee:alice         assigned to alice
  title:dashboard        title contains; title:"unified dashboard" for a phrase
  name:045               folder name contains
  created:>2025-11-01    also >=, <, <=, =; created:2025-11-01..2025-11-30 (either end may be omitted)
  updated:>=2025-12-01   updated_at (or updated), else created

Archived specs are searched only with status:archived (or --archived).
Keywords AND, OR and NOT are upper-case; lower-case and/or/not are plain words.
Line numbers count lines of the spec body (after the frontmatter).
"""
