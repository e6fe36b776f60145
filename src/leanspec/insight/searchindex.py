"""Persistent search index: what ``search`` needs of each body, keyed by content hash.

Why: the benchmark query matches ~9,000 of ~9,200 specs, so pruning non-matching
specs is not enough; ranking needs, per spec and query term, the number of merged
hit spans in the body and where the first whole-word hit is. Reading, hash-checking,
lower-casing and scanning 85 MB of bodies for that takes seconds. This index answers
it from a small vocabulary and posting lists instead.

What is stored, per README content hash (``Spec.content_hash``, SHA-256 of the bytes,
verified by the metadata cache): the description and created/updated dates search
uses, and the body's *chunks*: the whitespace-separated pieces of ``textmatch.Doc.lower``
(the body's lines lower-cased exactly as search does), each with its count and the
rank of its first occurrence. A query term never contains whitespace, so every hit
lies inside one chunk; two hits in different chunks are at least one character apart
and never merge; and a chunk's neighbours are whitespace or a line end, so which hits
are whole words is decided inside the chunk. So the merged-span count of a term set
in a spec is a sum over the chunks that contain a term, and the first whole-word hit
is found from first-occurrence ranks (see ``content_stats``; the rare spec where the
ranks cannot decide it is flagged for the exact per-spec path).

It is never trusted over the files: it is keyed by content hash, so a stale entry can
only be unused, never wrong; specs whose hash is not in it are read (through
``spec.body``) and added. Files (``.lean-spec/cache/``, git-ignored by that folder):

* ``search.idx``, the base segment, and ``search-delta.idx``, the docs added since
  (a one-spec edit rewrites only the small delta). When the delta grows past
  ``DELTA_MAX`` docs (or a 40th of the base) it is folded into the base; when over a
  quarter of the base is dead (hashes no longer listed) the base is compacted.
* layout: magic line, header length and CRC-32, a pickled header (format, Python,
  leanspec version, byte order, doc table, vocabulary, a CRC-32 per posting list), then
  four raw ``uint32`` arrays (per-chunk posting offsets; posting doc ids, counts,
  ranks), memory-mapped so only the postings of the chunks a query touches are paged
  in. A file with a wrong magic, header, checksum or length is ignored and rebuilt; a
  posting list is checked (CRC-32, doc ids in range) before its first use, and damage
  found there makes the index drop itself and rebuild.
* written with ``fsutil.write_cache_file`` (unique temp file + rename): readers see the
  old file or the new one. Any base/delta pairing is correct (both are content-keyed),
  so concurrent writers can only lose each other's additions, which are re-added.
* unpickling refuses every global; ``LEANSPEC_NO_CACHE=1`` turns the index off (front
  ends then pass ``index=None`` and search scans bodies); ``cache clear`` deletes it.

Long-lived servers keep the loaded index (``for_root``) and memoise per-term results for
the current generation; ``sync`` re-stats the two files on every call and reloads
after another process wrote them.
"""

from __future__ import annotations

import _thread  # the locks without importing threading (~1 ms per process)
import array
import bisect
import gc
import io
import itertools
import mmap
import operator
import os
import struct
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core import datetimes as _dt
from ..core.pickling import PROTOCOL, DataUnpickler, dumps

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

    from ..core.model import Spec

    Ints = Any  # array.array of uint32, or a uint32 memoryview of the mapped file

CACHE_DIR = ".lean-spec/cache"
BASE_FILE = "search.idx"
DELTA_FILE = "search-delta.idx"
FORMAT = 4
MAGIC = b"LEANSPEC-SEARCH\n"
DELTA_MAX = 256  # docs; beyond it (or a 40th of the base) the delta joins the base
_U32 = "I" if array.array("I").itemsize == 4 else "L"
_LEN = struct.Struct("<QI")  # header length, CRC-32 of the header
NO_WHOLE = -1  # content_stats: no whole-word hit
AMBIGUOUS = -2  # content_stats: ranks cannot place the first whole-word hit
_BIG = 1 << 62


class IndexCorrupt(Exception):
    """A loaded segment holds values out of range: drop it and rebuild."""


def enabled() -> bool:
    return os.environ.get("LEANSPEC_NO_CACHE", "").strip() not in ("1", "true", "yes", "on")


def file_magic() -> bytes:
    """MAGIC and this user's cache key (``fsutil.cache_key``): an index file planted in a
    repository is foreign before its header is read."""
    from ..store.fsutil import cache_key

    return MAGIC + cache_key()


class _NoGlobals(DataUnpickler):
    ALLOWED: dict[tuple[str, str], Any] = {}
    what = "search index"


def _header_id() -> tuple[Any, ...]:
    from .. import __version__
    from .textmatch import MAX_BODY_CHARS

    # The body cap is part of what an entry means: another cap, another index.
    return (FORMAT, sys.version_info[:2], __version__, sys.byteorder, MAX_BODY_CHARS)


# ================================================================ one document
# (content hash, description, created ordinal or 0, updated ordinal or 0,
#  chunks in first-occurrence order, their counts, the tags field's text, the title if
#  the content gives one (frontmatter title or first H1) else "": it then comes from
#  the folder name, 1 if only a prefix of the body is indexed (``textmatch.searched_body``)
#  else 0)
Record = tuple[str, str, int, int, list[str], list[int], str, str, int]


def record_of(spec: Spec) -> Record:
    """What the index keeps of one spec version. The body is read first: if the file
    changed since the listing, the spec object moves to the new version, and the hash,
    frontmatter and body read after it all describe that one version."""
    from ..core.model import as_str_list, first_h1
    from .textmatch import Doc, date_of, is_capped, searched_body

    full = spec.body
    fm = spec.frontmatter
    h = spec.content_hash
    title = fm.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else (first_h1(full) or "")
    # What search reads of the body (a 20 MB body: its first MiB), as ``doc_of`` does.
    body = searched_body(full)
    desc = fm.get("description")
    created = date_of(fm.get("created")) or date_of(fm.get("created_at"))
    updated = date_of(fm.get("updated_at")) or date_of(fm.get("updated")) or created
    low = body.lower()
    if len(low) != len(body):  # İ and friends: lower-cased line by line, as search does
        low = Doc(spec, {}, body, None, None).lower
    # (Otherwise ``Doc.lower`` is these lines joined with "\n": every line break is
    # whitespace, so the chunks are the same.)
    cnt = Counter(low.split())  # insertion order = first occurrence: the rank
    return (
        h,
        desc.strip() if isinstance(desc, str) else "",
        created.toordinal() if created else 0,
        updated.toordinal() if updated else 0,
        list(cnt),
        list(cnt.values()),
        ", ".join(as_str_list(fm.get("tags"))),
        title,
        1 if is_capped(full) else 0,
    )


# ================================================================ a segment
class Segment:
    """An immutable set of docs with their vocabulary and posting lists."""

    __slots__ = ("docs", "desc", "created", "updated", "tags", "titles", "capped", "vocab", "vblob", "vstarts", "off", "pdoc", "pcnt", "prank", "_term_chunks", "_buf", "_crcs", "_checked")

    def __init__(
        self,
        docs: list[str],
        desc: list[str],
        created: list[int],
        updated: list[int],
        vocab: list[str],
        off: Ints,
        pdoc: Ints,
        pcnt: Ints,
        prank: Ints,
        tags: list[str],
        titles: list[str],
        capped: list[int],
        buf: Any = None,
    ) -> None:
        self.docs, self.desc, self.created, self.updated = docs, desc, created, updated
        self.tags, self.titles, self.capped = tags, titles, capped
        self.vocab = vocab
        self.off, self.pdoc, self.pcnt, self.prank = off, pdoc, pcnt, prank
        self._buf = buf  # keeps the mapping alive
        self._crcs: Any = None  # per-chunk CRC-32 of a loaded segment (built ones are trusted)
        self._checked: set[int] = set()
        self._term_chunks: dict[str, list[int]] = {}
        # The vocabulary as one string: a term's chunks are found by C-level ``find``.
        self.vblob = "\n".join(vocab)
        self.vstarts = list(map(operator.add, itertools.accumulate(map(len, vocab), initial=0), range(len(vocab))))

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, records: Sequence[Record]) -> Segment:
        ids: dict[str, int] = {}
        get = ids.get
        # Per chunk one flat list of (doc, count, rank) triples: one Python step per
        # posting (the cold build's inner loop), the arrays are then cut out in C.
        lists: list[list[int]] = []
        c: int | None
        for d, rec in enumerate(records):
            for r, (w, n) in enumerate(zip(rec[4], rec[5], strict=True)):
                c = get(w)
                if c is None:
                    c = ids[w] = len(lists)
                    lists.append([])
                lists[c] += (d, n, r)  # a count never exceeds the body's length (< 2**32)
        flat = array.array(_U32, itertools.chain.from_iterable(lists))
        off = array.array(_U32, itertools.accumulate((len(x) // 3 for x in lists), initial=0))
        pdoc, pcnt, prank = flat[0::3], flat[1::3], flat[2::3]
        return cls(
            [r[0] for r in records],
            [r[1] for r in records],
            [r[2] for r in records],
            [r[3] for r in records],
            list(ids),
            off,
            pdoc,
            pcnt,
            prank,
            [r[6] for r in records],
            [r[7] for r in records],
            [r[8] for r in records],
        )

    def records(self, keep: Iterable[int]) -> list[Record]:
        """The docs ``keep`` (local ids) back as records (for small segments: it walks
        every posting)."""
        want = set(keep)
        per: dict[int, list[tuple[int, str, int]]] = {d: [] for d in want}
        off, pdoc, pcnt, prank = self.off, self.pdoc, self.pcnt, self.prank
        for c, w in enumerate(self.vocab):
            self.check(c)
            a, b = off[c], off[c + 1]
            for d, n, r in zip(pdoc[a:b], pcnt[a:b], prank[a:b], strict=True):
                if d in want:
                    per[d].append((r, w, n))
        out: list[Record] = []
        for d in sorted(want):
            items = sorted(per[d])
            out.append(
                (
                    self.docs[d],
                    self.desc[d],
                    self.created[d],
                    self.updated[d],
                    [w for _r, w, _n in items],
                    [n for _r, _w, n in items],
                    self.tags[d],
                    self.titles[d],
                    self.capped[d],
                )
            )
        return out

    @classmethod
    def fold(cls, base: Segment, extra: Sequence[Record]) -> Segment:
        """``base`` plus ``extra`` docs, copying the base's posting runs as raw slices."""
        add = cls.build(extra)
        nb = len(base.docs)
        ids = {w: c for c, w in enumerate(base.vocab)}
        vocab = list(base.vocab)
        add_of: dict[int, int] = {}
        for c, w in enumerate(add.vocab):
            got = ids.get(w)
            if got is None:
                got = ids[w] = len(vocab)
                vocab.append(w)
            add_of[got] = c
        off = array.array(_U32, [0])
        pdoc, pcnt, prank = array.array(_U32), array.array(_U32), array.array(_U32)
        bo = base.off
        ao = add.off
        for k in range(len(vocab)):
            if k < len(base.vocab):
                base.check(k)  # never copy damaged postings under a fresh checksum
                a, b = bo[k], bo[k + 1]
                pdoc.frombytes(_raw(base.pdoc, a, b))
                pcnt.frombytes(_raw(base.pcnt, a, b))
                prank.frombytes(_raw(base.prank, a, b))
            j = add_of.get(k)
            if j is not None:
                a, b = ao[j], ao[j + 1]
                pdoc.extend(d + nb for d in add.pdoc[a:b])
                pcnt.frombytes(_raw(add.pcnt, a, b))
                prank.frombytes(_raw(add.prank, a, b))
            off.append(len(pdoc))
        return cls(
            base.docs + add.docs,
            base.desc + add.desc,
            base.created + add.created,
            base.updated + add.updated,
            vocab,
            off,
            pdoc,
            pcnt,
            prank,
            base.tags + add.tags,
            base.titles + add.titles,
            base.capped + add.capped,
        )

    # ------------------------------------------------------------ persistence
    def to_parts(self) -> list[bytes]:
        def raw(a: Ints) -> bytes:
            return a.tobytes() if isinstance(a, array.array) else bytes(memoryview(a))  # type: ignore[arg-type]

        parts = [raw(self.off), raw(self.pdoc), raw(self.pcnt), raw(self.prank)]
        crcs = array.array(_U32, (self._crc(c) for c in range(len(self.vocab))))
        header = dumps(
            (
                _header_id(),
                self.docs,
                self.desc,
                self.created,
                self.updated,
                self.tags,
                self.titles,
                self.capped,
                self.vblob,
                len(self.vocab),
                len(self.pdoc),
                [len(p) for p in parts],
                crcs.tobytes(),
            ),
            protocol=PROTOCOL,
        )
        return [file_magic(), _LEN.pack(len(header), zlib.crc32(header)), header, *parts]

    def _crc(self, c: int) -> int:
        a, b = self.off[c], self.off[c + 1]
        crc = zlib.crc32(_raw(self.pdoc, a, b))
        crc = zlib.crc32(_raw(self.pcnt, a, b), crc)
        return zlib.crc32(_raw(self.prank, a, b), crc)

    def check(self, c: int) -> None:
        """Verify chunk ``c``'s postings (CRC-32 and doc ids) before first use: a
        damaged file gives ``IndexCorrupt``, never a wrong answer. Only the chunks a
        query touches are checked (a few hundred KB, not the whole file)."""
        if self._crcs is None or c in self._checked:
            return
        a, b = self.off[c], self.off[c + 1]
        if not (0 <= a <= b <= len(self.pdoc)) or self._crc(c) != self._crcs[c] or (b > a and max(self.pdoc[a:b]) >= len(self.docs)):
            raise IndexCorrupt(f"posting list {c} is damaged")
        self._checked.add(c)

    @classmethod
    def load(cls, path: str) -> tuple[Segment | None, tuple[int, int, int] | None]:
        """(segment or None if missing/foreign/damaged, the file's stat key)."""
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                key = (st.st_size, st.st_mtime_ns, st.st_ino)
                magic = file_magic()
                if st.st_size < len(magic) + _LEN.size:
                    return None, key
                buf: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None, None
        try:
            mv = memoryview(buf)
            if bytes(mv[: len(magic)]) != magic:
                return None, key
            p = len(magic)
            hlen, hcrc = _LEN.unpack(mv[p : p + _LEN.size])
            p += _LEN.size
            if p + hlen > len(mv) or zlib.crc32(mv[p : p + hlen]) != hcrc:
                return None, key
            head = _NoGlobals(io.BytesIO(mv[p : p + hlen])).load()
            p += hlen
            hid, docs, desc, created, updated, tags, titles, capped, vblob, nvocab, npost, lens, crcs = head
            if tuple(hid) != _header_id():
                return None, key
            if p + sum(lens) != len(mv) or lens != [4 * (nvocab + 1), 4 * npost, 4 * npost, 4 * npost]:
                return None, key
            if not (len(docs) == len(desc) == len(created) == len(updated) == len(tags) == len(titles) == len(capped)):
                return None, key
            arrs: list[Any] = []
            for n in lens:
                arrs.append(mv[p : p + n].cast(_U32))  # type: ignore[call-overload]
                p += n
            vocab = vblob.split("\n") if nvocab else []
            if len(vocab) != nvocab or arrs[0][0] != 0 or arrs[0][nvocab] != npost:
                return None, key
            if len(crcs) != 4 * nvocab:
                return None, key
            seg = cls(docs, desc, created, updated, vocab, arrs[0], arrs[1], arrs[2], arrs[3], tags, titles, capped, buf)
            seg._crcs = memoryview(crcs).cast(_U32)  # type: ignore[call-overload]
        except Exception:  # any damage: ignore the file, rebuild
            return None, key
        return seg, key

    # ------------------------------------------------------------ querying
    def chunks_with(self, term: str) -> list[int]:
        """Ids of the chunks that contain ``term`` (memoised: segments are immutable)."""
        got = self._term_chunks.get(term)
        if got is not None:
            return got
        out: list[int] = []
        blob, starts = self.vblob, self.vstarts
        k = blob.find(term)
        n = len(starts)
        while k >= 0:
            c = bisect.bisect_right(starts, k) - 1
            out.append(c)
            if c + 1 >= n:
                break
            k = blob.find(term, starts[c + 1])
        self._term_chunks[term] = out
        return out


def _raw(arr: Ints, a: int, b: int) -> memoryview:
    """Items ``a:b`` of a uint32 array or memoryview as raw bytes (no per-item copy)."""
    return memoryview(arr)[a:b].cast("B")


def _chunk_stats(chunk: str, terms: Iterable[str]) -> tuple[int, int]:
    """(merged hit spans of ``terms`` in ``chunk``, index of the first whole-word one or
    -1), exactly as ``search._score`` merges and judges them."""
    from .textmatch import find_all, is_whole_word, merge_spans

    spans: list[tuple[int, int]] = []
    for t in terms:
        if t in chunk:
            spans.extend(find_all(chunk, t))
    if not spans:
        return 0, -1
    merged = merge_spans(spans)
    for j, (a, b) in enumerate(merged):
        if is_whole_word(chunk, a, b):
            return len(merged), j
    return len(merged), -1


# ================================================================ the index
class SearchIndex:
    """The base and delta segments of one project, plus per-generation memos."""

    def __init__(self, root: str | Path) -> None:
        self.dir = os.path.join(str(root), CACHE_DIR)
        self.base_path = os.path.join(self.dir, BASE_FILE)
        self.delta_path = os.path.join(self.dir, DELTA_FILE)
        self.lock = _thread.RLock()
        self.base: Segment | None = None
        self.delta: Segment | None = None
        self.keys: tuple[Any, Any] | None = None
        self.loaded = False
        self._reset_views()

    def _reset_views(self) -> None:
        segs = [s for s in (self.base, self.delta) if s is not None]
        self.segments = segs
        self.bases: list[int] = []
        gid: dict[str, int] = {}
        desc: list[str] = []
        created: list[int] = []
        updated: list[int] = []
        tags: list[str] = []
        titles: list[str] = []
        capped: list[int] = []
        n = 0
        for s in segs:
            self.bases.append(n)
            if not gid:
                gid = dict(zip(s.docs, range(n, n + len(s.docs)), strict=True))
            else:
                for i, h in enumerate(s.docs):
                    gid.setdefault(h, n + i)  # a hash in both segments: same data either way
            desc += s.desc
            tags += s.tags
            titles += s.titles
            capped += s.capped
            created += s.created
            updated += s.updated
            n += len(s.docs)
        self.gid = gid
        self.ndocs = n
        self.desc, self.created, self.updated = desc, created, updated
        self.tags, self.titles, self.capped = tags, titles, capped
        self.generation = object()
        self._synced: list[str] | None = None  # hashes of a complete listing with nothing to do
        self._stats: dict[frozenset[str], tuple[list[int], list[int]]] = {}
        self._docsets: dict[str, set[int]] = {}
        self.memo: dict[Any, Any] = {}  # search's per-generation memos (rankings, field texts)

    # ------------------------------------------------------------ load / save
    def _stat_keys(self) -> tuple[Any, Any]:
        out: list[Any] = []
        for p in (self.base_path, self.delta_path):
            try:
                st = os.stat(p)
                out.append((st.st_size, st.st_mtime_ns, st.st_ino))
            except OSError:
                out.append(None)
        return out[0], out[1]

    def _load(self) -> None:
        self.base, kb = Segment.load(self.base_path)
        self.delta, kd = Segment.load(self.delta_path)
        self.keys = (kb, kd)
        self.loaded = True
        self._reset_views()

    def _write(self, path: str, seg: Segment) -> Any:
        from ..store.fsutil import read_only, write_cache_file

        if read_only(self.dir) or not write_cache_file(path, *seg.to_parts()):
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def drop(self) -> None:
        """Forget a damaged index (memory and files); the next sync rebuilds it."""
        with self.lock:
            for p in (self.base_path, self.delta_path):
                try:
                    os.unlink(p)
                except OSError:
                    pass
            self.base = self.delta = None
            self.keys = (None, None)
            self._reset_views()

    # ------------------------------------------------------------ sync
    def sync(self, specs: Sequence[Spec], *, complete: bool = True) -> None:
        """Make every spec's content hash known. ``complete``: ``specs`` is the whole
        listing, so docs whose hash is not among them are dead and may be dropped."""
        # Loading makes ~20,000 small objects (nothing cyclic): with 10,000 specs alive a
        # cyclic GC pass in the middle would cost more than the load itself.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            try:
                self._sync(specs, complete)
            except IndexCorrupt:  # found while copying postings: start afresh
                self.drop()
                self._sync(specs, complete)
        finally:
            if gc_was:
                gc.enable()

    def _sync(self, specs: Sequence[Spec], complete: bool) -> None:
        with self.lock:
            if not self.loaded or self._stat_keys() != self.keys:
                self._load()
            gid = self.gid
            hashes = [s.content_hash for s in specs]
            if hashes == self._synced:
                return  # the listing this generation was last checked against
            missing: dict[str, Spec] = {}
            known = all(map(gid.__contains__, hashes))
            if known and not complete:
                return
            if not known:
                for s in specs:
                    h = s.content_hash
                    if h not in gid and h not in missing:
                        missing[h] = s
            new: list[Record] = []
            seen = set(gid)
            from .budget import current

            budget = current()
            for s in missing.values():
                if budget is not None:
                    budget.check()  # an abandoned request stops building (nothing is saved)
                rec = record_of(s)
                if rec[0] not in seen:  # moved to a version we already have: nothing to add
                    seen.add(rec[0])
                    new.append(rec)
            live = set(hashes) if complete else None
            delta, base = self.delta, self.base
            nd = len(delta.docs) if delta is not None else 0
            nb = len(base.docs) if base is not None else 0
            dead_delta = [] if live is None or delta is None else [i for i, h in enumerate(delta.docs) if h not in live]
            dead_base = 0 if live is None or base is None else nb - sum(map(live.__contains__, base.docs))
            if not new and not dead_delta and dead_base * 4 <= max(nb, 1):
                self._synced = hashes
                return
            gone = set(dead_delta)
            keep = [i for i in range(nd) if i not in gone]
            extra = (delta.records(keep) if delta is not None and keep else []) + new
            if base is None or dead_base * 4 > nb:
                # Compact: every live doc into one new base (walks every posting, rare).
                recs = base.records(i for i, h in enumerate(base.docs) if live is None or h in live) if base is not None else []
                self.base = Segment.build(recs + extra)
                self.delta = Segment.build([])
                kb = self._write(self.base_path, self.base)
                kd = self._write(self.delta_path, self.delta)
            elif len(extra) > max(DELTA_MAX, nb // 40):
                self.base = Segment.fold(base, extra)
                self.delta = Segment.build([])
                kb = self._write(self.base_path, self.base)
                kd = self._write(self.delta_path, self.delta)
            else:
                self.delta = Segment.build(extra)
                kb = self.keys[0] if self.keys else None
                kd = self._write(self.delta_path, self.delta)
            self.keys = (kb, kd)
            self._reset_views()

    # ------------------------------------------------------------ queries
    def docs_with(self, term: str) -> set[int]:
        """Global ids of the docs whose body contains ``term``."""
        got = self._docsets.get(term)
        if got is not None:
            return got
        out: set[int] = set()
        for seg, base in zip(self.segments, self.bases, strict=True):
            off, pdoc = seg.off, seg.pdoc
            for c in seg.chunks_with(term):
                seg.check(c)
                a, b = off[c], off[c + 1]
                if base:
                    out.update(d + base for d in pdoc[a:b])
                else:
                    out.update(pdoc[a:b])
        if out and max(out) >= self.ndocs:
            raise IndexCorrupt("doc id out of range")
        self._docsets[term] = out
        return out

    def content_stats(self, terms: frozenset[str]) -> tuple[list[int], list[int]]:
        """Per global doc id: the merged hit spans of ``terms`` in the body (C), and the
        0-based index among them of the first whole-word one: 0-4, 5 for "5 or more",
        ``NO_WHOLE``, or ``AMBIGUOUS`` (a chunk seen more than once before the first
        whole-word chunk: the exact per-spec path decides).

        Spans are ordered by body position, and chunk occurrences are too: the first
        whole-word span is in the earliest-ranked chunk with one (k*); the spans before
        it are those of every occurrence of other matching chunks ranked before k*, plus
        the chunk's own spans before its first whole-word one."""
        got = self._stats.get(terms)
        if got is not None:
            return got
        n = self.ndocs
        total = [0] * n
        kst = [_BIG] * n
        kpre = [0] * n
        lo = [0] * n
        amb = [False] * n
        later = []
        from .budget import current

        budget = current()
        for seg, base in zip(self.segments, self.bases, strict=True):
            cids: set[int] = set()
            for t in terms:
                cids.update(seg.chunks_with(t))
            off, pdoc, pcnt, prank = seg.off, seg.pdoc, seg.pcnt, seg.prank
            for j, c in enumerate(sorted(cids)):
                if budget is not None and not j & 1023:
                    budget.tick()
                seg.check(c)
                m, fw = _chunk_stats(seg.vocab[c], terms)
                a, b = off[c], off[c + 1]
                if fw < 0:
                    later.append((base, m, pdoc[a:b], pcnt[a:b], prank[a:b]))
                    continue
                # A chunk with a whole-word hit: the earliest-ranked one sets k*. (Only
                # chunks without one can rank before k*: k* is the minimum over these.)
                for d, k, r in zip(pdoc[a:b], pcnt[a:b], prank[a:b], strict=True):
                    g = d + base
                    total[g] += m * k
                    if r < kst[g]:
                        kst[g] = r
                        kpre[g] = fw
        for base, m, docs, cnts, ranks in later:
            for d, k, r in zip(docs, cnts, ranks, strict=True):
                g = d + base
                total[g] += m * k
                if r < kst[g]:
                    lo[g] += m
                    if k > 1:
                        amb[g] = True
        nw = [NO_WHOLE] * n
        for g in range(n):
            k = kst[g]
            if k == _BIG:
                continue
            x = lo[g] + kpre[g]
            nw[g] = 5 if x >= 5 else (AMBIGUOUS if amb[g] else x)
        self._stats[terms] = (total, nw)
        return total, nw

    def date(self, ordinal: int) -> _dt.date | None:
        return _dt.date.fromordinal(ordinal) if ordinal > 0 else None


_memo: dict[str, SearchIndex] = {}
_memo_lock = _thread.allocate_lock()


def for_root(root: str | Path | None) -> SearchIndex | None:
    """The project's index, kept per process (servers reuse it between calls); None
    when caches are off."""
    if root is None or not enabled():
        return None
    key = os.path.join(str(root), CACHE_DIR)
    with _memo_lock:
        idx = _memo.get(key)
        if idx is None:
            idx = _memo[key] = SearchIndex(root)
        return idx


def synced(root: str | Path | None, listing: Sequence[Spec]) -> SearchIndex | None:
    """``for_root(root)`` brought up to date with ``listing`` (the whole listing, so the
    entries of specs that are gone can be dropped): what front ends pass to ``search``."""
    idx = for_root(root)
    if idx is not None:
        idx.sync(listing)
    return idx


def forget(root: str | Path) -> None:
    with _memo_lock:
        _memo.pop(os.path.join(str(root), CACHE_DIR), None)
