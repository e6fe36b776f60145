"""The search query language (LeanSpec's TS syntax): tokenizer, parser and the query
tree (``Term``, ``FieldFilter``, ``Not``, ``And``, ``Or``).

Syntax (docs/search.md): implicit AND between terms, ``AND`` / ``OR`` / ``NOT``
(upper-case keywords, as in TS; ``-term`` is NOT too), parentheses, ``"phrases"``,
field filters ``status: tag:/tags: priority: assignee: title: name: created:
updated:`` (dates take ``>``, ``>=``, ``<``, ``<=``, ``=`` and ``a..b`` ranges) and fuzzy
``term~`` (Levenshtein ≤1 for terms of ≤4 characters, ≤2 otherwise, per word;
``term~N`` sets the distance).

Precedence: NOT binds tightest, then AND (explicit or implicit), then OR.

A malformed query raises ``SearchSyntaxError`` naming the position; LeanSpec 0.3.0
returned an empty result instead, which reads as "nothing matches".
"""

from __future__ import annotations

from ..core import datetimes as _dt
from ..core.errors import SearchSyntaxError
from ..core.lazyre import LazyRe
from ..core.model import PRIORITIES, STATUSES

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

# Bounds on one query (docs/search.md#limits): a query past them is a
# ``search_syntax`` error, so no caller can make the parser recurse without end or
# the matcher run hundreds of fuzzy scans.
MAX_QUERY_CHARS = 2000
MAX_TERMS = 50  # terms, phrases and field filters
MAX_DEPTH = 20  # nested parentheses and NOTs

FIELDS = ("status", "tag", "tags", "priority", "assignee", "title", "name", "created", "updated")
_DATE_OPS = (">=", "<=", ">", "<", "=")
_FIELD_CHARS = "abcdefghijklmnopqrstuvwxyz_"  # a field name is [a-z_]+
_FUZZY = LazyRe(r"(.+?)~(\d*)")
_ISO_DATE = LazyRe(r"\d{4}-\d{2}-\d{2}")


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
            if not (fname and fname.strip(_FIELD_CHARS) == "") or query.startswith("//", i + 1):
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
        self.depth = 0
        self.terms = 0

    def enter(self, t: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _err(self.q, t.pos, f"query nested too deeply (at most {MAX_DEPTH} levels of parentheses and NOT)")

    def count_term(self, t: _Tok) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _err(self.q, t.pos, f"too many terms (at most {MAX_TERMS} terms, phrases and filters)")

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
            self.enter(t)
            node = Not(self.parse_unary(t), t.pos)
            self.depth -= 1
            return node
        return self.parse_primary(after)

    def parse_primary(self, after: _Tok | None) -> Node:
        t = self.take()
        if t.kind == "LP":
            if (nx := self.peek()) is not None and nx.kind == "RP":
                raise _err(self.q, t.pos, "empty parentheses")
            self.enter(t)
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "RP":
                raise _err(self.q, t.pos, "missing ')' for this '('")
            self.take()
            self.depth -= 1
            return node
        if t.kind in ("TERM", "PHRASE", "FIELD"):
            self.count_term(t)
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
    m = _FUZZY.fullmatch(word) if "~" in word else None  # no "~": no fuzzy term (and no re)
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
        if not _ISO_DATE.fullmatch(s):
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
    if len(query) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            f"search query too long ({len(query)} characters; at most {MAX_QUERY_CHARS})",
            hint="search for fewer words; combine field filters such as tag: or status: instead",
            details={"position": MAX_QUERY_CHARS, "query": query[:200], "reason": "query too long"},
        )
    toks = _tokenize(query)
    if not toks:
        raise _err(query, 0, "empty search query")
    return _Parser(query, toks).parse()
