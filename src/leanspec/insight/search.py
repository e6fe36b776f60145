"""Spec search: run a query (``query``) over a list of specs (pure), by scanning
(``textmatch``) or through the persistent index (``searchindex``), and rank the hits.

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
import functools
import gc
import heapq
import itertools
import operator
from collections.abc import Iterable, Sequence

from ..core.model import Spec
from .budget import Budget, activate
from .budget import current as current_budget
from .query import FIELDS, And, FieldFilter, Node, Not, Or, Term, parse_query
from .textmatch import (
    Doc,
    FuzzyMemos,
    Hits,
    doc_of,
    evaluate,
    is_capped,
    is_whole_word,
    levenshtein,
    lower_aligned,
    match_field,
    merge_spans,
    phrase_spans,
    snippet,
    wants_archived,
)

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

    from .searchindex import SearchIndex

FIELD_WEIGHTS = {"title": 100, "name": 70, "tags": 70, "description": 50, "content": 10}
MAX_CONTENT_MATCHES = 10  # per spec in the output; all hits still count for scoring
_AMBIGUOUS = -2  # = searchindex.AMBIGUOUS (kept here so ranking imports nothing more)
_NO_WHOLE = -1  # = searchindex.NO_WHOLE

__all__ = ["FIELDS", "And", "FieldFilter", "Node", "Not", "Or", "Term", "levenshtein", "parse_query", "search", "uses_index", "wants_archived"]


_FIELD_ORDER = {f: i for i, f in enumerate(FIELD_WEIGHTS)}
# From the 5th hit in a field on, the n-th-hit factor max(1, 1.5 - 0.1·n) is 1.0.
_DECAY_HITS = 5
_CONTENT_W = FIELD_WEIGHTS["content"]


def _field_best(w: int, scale: float, texts_spans: list[tuple[str, list[tuple[int, int]]]]) -> float:
    """The best per-hit score in one field (hits in order): ``w`` doubled for a whole
    word, times ``max(1, 1.5 - 0.1·n)`` for the n-th hit, times ``scale``, capped at 100."""
    return _best_of(w, scale, (is_whole_word(text, a, b) for text, spans in texts_spans for a, b in spans))


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
        if is_whole_word(text, a, b):
            return min(j, _DECAY_HITS)
    return -1


def _score(doc: Doc, hits: Hits, with_matches: bool = True) -> tuple[float, list[dict[str, Any]], int]:
    keys = [k for k in hits if k[1] is None]
    keys.sort(key=lambda k: _FIELD_ORDER[k[0]])
    keys.extend(("content", ln) for ln in sorted(k[1] for k in hits if k[1] is not None))
    by_field: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}
    total = 0
    matches: list[dict[str, Any]] = []
    content_shown = 0
    for key in keys:
        fname, line = key
        spans = merge_spans(hits[key])
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
        snip, hl = snippet(text, spans)
        matches.append({"field": fname, "text": snip, "line": line, "highlights": hl})
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
    if current_budget() is None:
        # Called outside a request (the CLI, a script): bounded all the same.
        with activate(Budget()):
            return _search(specs, query, ast, limit, include_archived, index, names_only)
    return _search(specs, query, ast, limit, include_archived, index, names_only)


def _search(
    specs: Sequence[Spec],
    query: str,
    ast: Node,
    limit: int | None,
    include_archived: bool,
    index: SearchIndex | None,
    names_only: bool,
) -> dict[str, Any]:
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
    ranked: list[tuple[float, str, int, Spec, Doc, Hits]] = []
    memos: dict[Term, dict[str, bool]] = FuzzyMemos()
    budget = current_budget()
    capped: list[str] = []
    for spec in eligible:
        if budget is not None:
            budget.tick()  # abandoned, or over the deadline: stop between specs
        doc = doc_of(spec)
        if is_capped(spec.body):
            capped.append(spec.name)
        hits: Hits = {}
        if not evaluate(ast, doc, hits, memos):
            continue
        score, _m, total = _score(doc, hits, with_matches=False)
        ranked.append((score, spec.name, total, spec, doc, hits))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    shown = ranked[:limit] if limit is not None else ranked
    if names_only:
        return _with_capped({"query": query, "total": len(ranked), "names": [r[1] for r in shown]}, capped)
    out = []
    for score, _name, total, spec, doc, hits in shown:
        if budget is not None:
            budget.tick()
        _s, matches, _t = _score(doc, hits)
        out.append({"spec": spec.to_dict(), "score": score, "total_matches": total, "matches": matches})
    return _with_capped({"query": query, "total": len(ranked), "results": out}, capped)


def _with_capped(res: dict[str, Any], capped: list[str]) -> dict[str, Any]:
    """``res`` plus ``capped``: the specs searched (when any) whose body was read only
    up to ``textmatch.MAX_BODY_CHARS`` characters (both paths list the same)."""
    if capped:
        res["capped"] = capped
    return res


# ================================================================ indexed search
def _assemble(best: dict[str, float], total: int) -> tuple[float, int]:
    """``_score``'s (score, total) from the per-field bests (in field order)."""
    if not best:
        return 100.0, 0  # matched on structured filters only: a full match
    wsum = sum(FIELD_WEIGHTS[f] for f in best)
    score = sum(best[f] * FIELD_WEIGHTS[f] for f in best) / wsum
    return round(min(100.0, score), 1), total


def uses_index(query: str) -> bool:
    """Would ``search(query)`` rank from the index? (Fuzzy terms and phrases scan the
    bodies instead, so front ends need not build or sync the index for them.) A
    malformed query says False: ``search`` then reports the syntax error at once."""
    from ..core.errors import SearchSyntaxError

    try:
        return _indexable(parse_query(query))
    except SearchSyntaxError:
        return False


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
    spec's hits, as ``find_all(lower_aligned(text), term)`` would per spec."""

    __slots__ = ("texts", "low", "starts", "_hits")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        joined = "\n".join(texts)
        low = joined.lower()
        if len(low) != len(joined):  # İ and friends: per text, keeping offsets
            low = "\n".join(lower_aligned(t) for t in texts)
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
    """The leaves whose hits ``evaluate`` keeps for a spec whose leaf truths are ``bits``:
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
            ranked, ordered, capped = got
            if ordered is None:
                ordered = sorted(ranked)
                memo[key] = (ranked, ordered, capped)
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
            icapped = index.capped
            capped = [s.name for s, g in zip(eligible, gids, strict=True) if icapped[g]]
            memo[key] = (ranked, None, capped)
    if ordered is not None:
        shown = ordered[:limit]
    elif limit is not None and limit * 4 < len(ranked):
        shown = heapq.nsmallest(limit, ranked)
    else:
        shown = sorted(ranked)[:limit]
    if names_only:
        return _with_capped({"query": query, "total": len(ranked), "names": [specs[i].name for _neg, _name, i, _t in shown]}, capped)
    exact_memos: dict[Term, dict[str, bool]] = FuzzyMemos()
    out = []
    budget = current_budget()
    for neg, _name, i, total in shown:
        if budget is not None:
            budget.tick()  # snippets: abandoned, or over the deadline
        score = -neg
        spec = specs[i]
        doc = doc_of(spec)
        hits: Hits = {}
        ok = evaluate(ast, doc, hits, exact_memos)
        if spec.content_hash != hashes[i] or not ok:
            return None  # the file changed since the listing: answer from the files
        _s, matches, _t = _score(doc, hits)
        out.append({"spec": spec.to_dict(), "score": score, "total_matches": total, "matches": matches})
    return _with_capped({"query": query, "total": len(ranked), "results": out}, capped)


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
                    if text and (sp := phrase_spans(text, lf.value)):
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
                if match_field(Doc(s, {}, "", date(created[gids[i]]), date(updated[gids[i]])), lf, {})
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
    exact_memos: dict[Term, dict[str, bool]] = FuzzyMemos()
    weights = FIELD_WEIGHTS
    ftexts = {f: field(f).texts for f in _TEXT_FIELDS}
    budget = current_budget()
    for bits, members in groups:
        if budget is not None:
            budget.tick()
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
                doc = doc_of(eligible[i])
                hits: Hits = {}
                if eligible[i].content_hash != hashes[i] or not evaluate(ast, doc, hits, exact_memos):
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
                    merged = merge_spans(spans)
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
