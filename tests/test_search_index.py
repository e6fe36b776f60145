"""The persistent search index never changes a search result.

Every check compares the whole output (totals, order, scores, total_matches, matches,
snippets, highlights) of ``search(..., index=idx)`` with the reference implementation
(``index=None``: every body read and scanned), over the real fixture and a generated
corpus full of traps (terms that overlap or touch each other, self-overlapping terms,
repeated non-whole-word chunks before the first whole word, non-ASCII case tricks),
with random queries, and across random edit sequences through the tool and behind its
back (same-size rewrites in the same timestamp tick, deleted and renamed folders,
truncated and garbage index files, a fresh process). It also checks that the index
path really answered (no silent fallback to the scan) for plain-term queries.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import cli_inprocess, cli_subprocess
from leanspec.insight import search as search_mod
from leanspec.insight import searchindex, textmatch
from leanspec.insight.search import search
from leanspec.project import Project
from leanspec.store import cache
from test_cache import random_step, rewrite_same_size_same_mtime

IDX = Path(".lean-spec/cache") / searchindex.BASE_FILE
DELTA = Path(".lean-spec/cache") / searchindex.DELTA_FILE

# Words chosen so that random terms overlap, touch, contain each other and repeat.
TRAPS = [
    "cache", "caches", "cached", "ache", "cach", "aa", "aaa", "aaaa", "abab", "ababab", "ba",
    "atomic", "atomicache", "cacheatomic", "atomic-cache", "cache_3", "_cache", "cache.",
    "(cache)", "cache,", "x", "xx", "İstanbul", "İ", "i̇", "STRASSE", "straße", "ΣΑΣ", "σας",
    "Ünïcödé", "naïve", "ﬁle", "k8s", "v0.2.0", "a-b", "a--b", "foo/bar", "http://x.org",
    "über-cache", "ümlaut", "日本語", "日本", "emoji🙂", "tab\there", "AND", "or", "not",
]
WORDS = ["alpha", "beta", "gamma", "delta", "spec", "server", "index", "search", "token", "graph"]


def gen_corpus(root: Path, rnd: random.Random, n: int = 40) -> None:
    """A small project whose bodies mix the trap words at random."""
    (root / "specs").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    vocab = TRAPS + WORDS
    for i in range(1, n + 1):
        name = f"{i:03d}-" + "-".join(rnd.choice(WORDS + ["cache", "atomic", "aa"]) for _ in range(rnd.randint(1, 3)))
        d = root / "specs" / name
        d.mkdir()
        lines = []
        for _ in range(rnd.randint(0, 25)):
            k = rnd.randint(0, 12)
            words = [rnd.choice(vocab) for _ in range(k)]
            if rnd.random() < 0.3:  # glue words together: touching and overlapping hits
                words = ["".join(words[:3])] + words[3:]
            sep = rnd.choice([" ", "  ", "\t", " "])
            lines.append(sep.join(words))
        title = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 4)))
        fm = {
            "status": rnd.choice(["planned", "in-progress", "complete", "draft", "archived"]),
            "created": f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "priority": rnd.choice(["low", "medium", "high", "critical"]),
            "tags": rnd.sample(["api", "cache", "ui", "İ", "aa", "perf"], rnd.randint(0, 3)),
        }
        if rnd.random() < 0.5:
            fm["description"] = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 8)))
        if rnd.random() < 0.3:
            fm["assignee"] = rnd.choice(["alice", "bob"])
        head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fm.items())  # JSON values are YAML
        h1 = f"# {title}\n\n" if rnd.random() < 0.8 else ""
        (d / "README.md").write_text(f"---\n{head}\n---\n\n{h1}" + "\n".join(lines) + "\n", encoding="utf-8")


def vocabulary(specs: list[Any]) -> list[str]:
    words: set[str] = set()
    for s in specs:
        words.update(s.body.split())
        words.update(s.title.split())
        words.update(s.tags)
    return sorted(w for w in words if w)


def random_term(rnd: random.Random, vocab: list[str]) -> str:
    r = rnd.random()
    if r < 0.35:
        w = rnd.choice(vocab)
    elif r < 0.65:  # a substring of a corpus word
        w = rnd.choice(vocab)
        a = rnd.randrange(len(w))
        w = w[a : rnd.randint(a + 1, len(w))]
    elif r < 0.85:
        w = rnd.choice(TRAPS)
    else:
        w = rnd.choice(["aa", "a", "ab", "ba", "cach", "ache", "he", "e", "İ", "ß", "SS", "σ", "_", "-", ".", "c"])
    w = "".join(ch for ch in w if not ch.isspace() and ch not in '()"') or "x"
    if rnd.random() < 0.2:
        w = w.upper()
    if w in ("AND", "OR", "NOT") or w.endswith("~") or ":" in w or w.startswith("-"):
        w = w.strip("-~:").lower().replace(":", "") or "x"
    return w


def random_leaf(rnd: random.Random, vocab: list[str], fuzzy: bool) -> str:
    r = rnd.random()
    if r < 0.7:
        return random_term(rnd, vocab)
    if r < 0.85:
        f = rnd.choice(
            [
                f"status:{rnd.choice(['planned', 'complete', 'in-progress', 'archived'])}",
                f"tag:{rnd.choice(['api', 'cache', 'aa', 'perf'])}",
                f"priority:{rnd.choice(['low', 'high'])}",
                f"assignee:{rnd.choice(['alice', 'bob'])}",
                f"title:{random_term(rnd, vocab)}",
                f"name:{random_term(rnd, vocab)}",
                f"created:>{rnd.choice(['2025-03-01', '2025-08-15'])}",
                "updated:2025-01-01..2025-06-30",
                f'title:"{random_term(rnd, vocab)} {random_term(rnd, vocab)}"',
            ]
        )
        return f
    if fuzzy and r < 0.93:
        return random_term(rnd, vocab) + "~"
    if fuzzy:
        return f'"{random_term(rnd, vocab)} {random_term(rnd, vocab)}"'
    return random_term(rnd, vocab)


def random_query(rnd: random.Random, vocab: list[str], depth: int = 0, fuzzy: bool = False) -> str:
    if depth >= 2 or rnd.random() < 0.35:
        leaf = random_leaf(rnd, vocab, fuzzy)
        return ("NOT " if rnd.random() < 0.1 else "-" if rnd.random() < 0.05 else "") + leaf
    k = rnd.randint(2, 3)
    parts = [random_query(rnd, vocab, depth + 1, fuzzy) for _ in range(k)]
    op = rnd.choice([" ", " AND ", " OR "])
    q = op.join(parts)
    return f"({q})" if depth and rnd.random() < 0.7 else q


class Spy:
    """Counts how often the reference scan answered an indexed search."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scans = 0
        real = search_mod._search_exact

        def counted(*a: Any, **kw: Any) -> Any:
            self.scans += 1
            return real(*a, **kw)

        monkeypatch.setattr(search_mod, "_search_exact", counted)


def same(specs: list[Any], idx: searchindex.SearchIndex, query: str, spy: Spy | None = None, **kw: Any) -> dict[str, Any]:
    ref = search(specs, query, **kw)
    before = spy.scans if spy else 0
    got = search(specs, query, index=idx, **kw)
    assert got == ref, query
    if spy is not None and search_mod._indexable(search_mod.parse_query(query)):
        assert spy.scans == before, f"index path fell back to a scan for {query!r}"
    return ref


def load(root: Path) -> tuple[list[Any], searchindex.SearchIndex]:
    specs = Project.open(root).load(include_archived=True).specs
    idx = searchindex.for_root(root)
    assert idx is not None
    idx.sync(specs)
    return specs, idx


@pytest.fixture
def gen_project(tmp_path: Path) -> Path:
    root = tmp_path / "gen"
    gen_corpus(root, random.Random(7))
    return root


@pytest.fixture(autouse=True)
def _fresh_index_memo() -> Any:
    yield
    searchindex._memo.clear()


# ------------------------------------------------------------------ random queries
@pytest.mark.parametrize("which", ["fixture", "generated"])
def test_random_queries_identical(which: str, fixture_project: Path, gen_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fixture_project if which == "fixture" else gen_project
    specs, idx = load(root)
    spy = Spy(monkeypatch)
    vocab = vocabulary(specs)
    rnd = random.Random(11)
    fixed = [
        "cach ache", "ache cach", "cache ache cach", "aa", "aaa aa", "abab ba", "atomic cache",
        "atomicache", "cache OR atomic", "İ", "i̇", "ß", "ss", "σ", "ς", "_", "-", ".", "e",
        "cache -aa", "NOT cache", "(aa OR ba) -x", "title:cache", "name:aa cache", "tag:aa",
        "status:archived cache", "he e", "c ca cac cach cache",
    ]
    queries = fixed + [random_query(rnd, vocab) for _ in range(250)]
    for q in queries:
        try:
            search_mod.parse_query(q)
        except Exception:
            continue
        same(specs, idx, q, spy)
        same(specs, idx, q, spy, limit=rnd.choice([0, 1, 3, 20]))
        same(specs, idx, q, spy, include_archived=True)


def test_random_queries_with_phrases_and_fuzzy(gen_project: Path) -> None:
    """Phrases and fuzzy terms take the scan; mixed with plain terms the answer is the same."""
    specs, idx = load(gen_project)
    vocab = vocabulary(specs)
    rnd = random.Random(5)
    for _ in range(80):
        q = random_query(rnd, vocab, fuzzy=True)
        try:
            search_mod.parse_query(q)
        except Exception:
            continue
        same(specs, idx, q, limit=10)


def test_capped_bodies_identical(gen_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Search reads a body up to ``MAX_BODY_CHARS`` (cut at a line break): the index and
    the scan apply the same cut, list the same ``capped`` specs, and a word only past
    the cut is not found by either. (Real cap: 1 MiB; here 300 characters, so most
    generated bodies are cut, some mid-line.)"""
    monkeypatch.setattr(textmatch, "MAX_BODY_CHARS", 300)
    d = gen_project / "specs" / "900-long"
    d.mkdir()
    (d / "README.md").write_text("---\nstatus: planned\n---\n\n" + "alpha beta\n" * 40 + "zzpastthecut\n")
    d = gen_project / "specs" / "901-one-line"
    d.mkdir()
    (d / "README.md").write_text("---\nstatus: planned\n---\n\n" + "gamma " * 80 + "zzmidline\n")
    specs, idx = load(gen_project)
    spy = Spy(monkeypatch)
    vocab = vocabulary(specs)
    rnd = random.Random(3)
    capped = [s.name for s in specs if not s.archived and len(s.body) > 300]
    assert "900-long" in capped and "901-one-line" in capped and len(capped) < len(specs)
    for q in ("zzpastthecut", "zzmidline", "alpha", "gamma", "cache OR alpha"):
        res = same(specs, idx, q, spy)
        assert res["capped"] == capped, q
        same(specs, idx, q, spy, names_only=True)
    assert same(specs, idx, "zzpastthecut")["total"] == 0
    for _ in range(120):
        q = random_query(rnd, vocab)
        try:
            search_mod.parse_query(q)
        except Exception:
            continue
        same(specs, idx, q, spy, limit=rnd.choice([None, 1, 5]))
    # Without a cut nothing is listed.
    monkeypatch.setattr(textmatch, "MAX_BODY_CHARS", 1 << 20)
    searchindex._memo.clear()
    specs, idx = load(gen_project)
    assert "capped" not in same(specs, idx, "alpha", spy)


def test_ambiguous_first_whole_word_goes_to_the_exact_path(tmp_path: Path) -> None:
    """A chunk seen twice before the first whole-word hit: the ranks cannot tell how many
    hits come first, so that spec alone is scored by the scan; the answer is the same."""
    root = tmp_path / "p"
    gen_corpus(root, random.Random(1), n=1)
    d = next((root / "specs").iterdir())
    bodies = [
        "caches caches cache",  # 2 non-whole before: n_w = 2
        "caches x caches x caches x caches x caches cache",  # n_w >= 5
        "caches\ncaches\ncaches\nxcache cache",
        "cache caches",
        "caches cached caches cached cache",
    ]
    for k, body in enumerate(bodies):
        target = root / "specs" / f"{900 + k}-amb"
        shutil.copytree(d, target)
        (target / "README.md").write_text(f"---\nstatus: planned\n---\n\n{body}\n")
    specs, idx = load(root)
    counts, first = idx.content_stats(frozenset(["cache"]))
    assert searchindex.AMBIGUOUS in first  # the case really occurs
    for q in ("cache", "cache caches", "ache", "cache OR x"):
        same(specs, idx, q)


def test_bench_shaped_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark generator's corpus (300 specs): its query, and random ones."""
    import subprocess
    import sys

    from conftest import REPO

    root = tmp_path / "bench"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "--n", "300", "--out", str(root)], check=True, capture_output=True)
    specs, idx = load(root)
    spy = Spy(monkeypatch)
    vocab = vocabulary(specs)
    rnd = random.Random(3)
    same(specs, idx, "atomic cache", spy, limit=20)
    same(specs, idx, "atomic cache", spy)
    for _ in range(40):
        q = random_query(rnd, vocab)
        try:
            search_mod.parse_query(q)
        except Exception:
            continue
        same(specs, idx, q, spy, limit=10)


# ------------------------------------------------------------------ edits
def index_step(root: Path, rnd: random.Random) -> str:
    """Damage or forget the index itself."""
    op = rnd.choice(["truncate", "garbage", "forget", "delete", "empty"])
    f = root / rnd.choice([IDX, DELTA])
    if op == "truncate" and f.exists():
        data = f.read_bytes()
        f.write_bytes(data[: rnd.randint(0, max(0, len(data) - 1))])
    elif op == "garbage":
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(searchindex.file_magic() + os.urandom(rnd.randint(0, 400)))
    elif op == "delete" and f.exists():
        f.unlink()
    elif op == "empty":
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"")
    searchindex.forget(root)
    return op


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("which", ["fixture", "generated"])
def test_random_edit_sequences(which: str, seed: int, fixture_project: Path, gen_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fixture_project if which == "fixture" else gen_project
    # Tiny thresholds, so folding the delta into the base and compacting both happen.
    monkeypatch.setattr(searchindex, "DELTA_MAX", 2)
    rnd = random.Random(seed)
    spy = Spy(monkeypatch)
    specs, idx = load(root)
    vocab = vocabulary(specs) or ["x"]
    ops = []
    for step in range(16):
        if rnd.random() < 0.25:
            ops.append(index_step(root, rnd))
        else:
            ops.append(random_step(root, rnd, monkeypatch))
        if rnd.random() < 0.3:
            cache.forget(Project.open(root).store)
        specs = Project.open(root).load(include_archived=True).specs
        idx = searchindex.for_root(root)
        assert idx is not None
        if rnd.random() < 0.7:
            idx.sync(specs)  # as the front ends do; else search adds what is missing
        for _ in range(6):
            q = random_query(rnd, vocab)
            try:
                search_mod.parse_query(q)
            except Exception:
                continue
            same(specs, idx, q, spy, limit=rnd.choice([None, 5]))
        same(specs, idx, "the", spy)
        if step % 4 == 3:
            vocab = vocabulary(specs) or vocab
    assert len(set(ops)) > 4


def test_same_size_rewrite_in_the_same_tick_changes_the_answer(fixture_project: Path) -> None:
    """The index is keyed by content hash: a rewrite the stat key cannot see (same size,
    same mtime) still reaches search, exactly as without the index."""
    specs, idx = load(fixture_project)
    rnd = random.Random(2)
    target = Path(fixture_project) / next(s for s in specs if not s.archived).path
    before = same(specs, idx, "q OR z OR spec")
    for _ in range(3):
        rewrite_same_size_same_mtime(target, rnd)
        specs = Project.open(fixture_project).load(include_archived=True).specs
        after = same(specs, idx, "q OR z OR spec")  # the same in-memory index, not re-synced
    assert after != before


def test_long_lived_index_follows_other_processes(gen_project: Path) -> None:
    """A server's in-memory index reloads after another process rewrote the files."""
    specs, idx = load(gen_project)
    same(specs, idx, "cache")
    live = next(s for s in specs if not s.archived)
    d = gen_project / live.path
    d.write_text(d.read_text() + "\nbrandnewword cache\n")
    r = cli_subprocess(gen_project, "search", "brandnewword")  # another process updates the index
    assert r.code == 0 and "1 result" in r.out
    specs = Project.open(gen_project).load(include_archived=True).specs
    assert idx._stat_keys() != idx.keys
    idx.sync(specs)
    assert next(s for s in specs if s.name == live.name).content_hash in idx.gid
    same(specs, idx, "brandnewword cache")


# ------------------------------------------------------------------ the files
def test_index_files_cache_clear_and_no_cache(gen_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = cli_inprocess(gen_project, "search", "cache")
    assert r.code == 0
    assert (gen_project / IDX).is_file() and (gen_project / DELTA).is_file()
    gi = gen_project / ".lean-spec/cache/.gitignore"
    assert gi.read_text().strip().endswith("*")
    assert cli_inprocess(gen_project, "cache", "clear").code == 0
    assert not (gen_project / IDX).exists() and not (gen_project / DELTA).exists()
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    assert searchindex.for_root(gen_project) is None
    r2 = cli_inprocess(gen_project, "search", "cache")
    assert r2.out == r.out
    assert not (gen_project / IDX).exists()


def test_cli_output_identical_with_and_without_index(gen_project: Path) -> None:
    """Real processes: text and JSON output, first run (builds), warm run, after an update."""
    env_off = {"LEANSPEC_NO_CACHE": "1"}
    for q in ("cache", "aa OR ache", "atomic cache -x", "status:planned cach"):
        for extra in ((), ("--json",), ("--json", "--limit", "3")):
            a = cli_subprocess(gen_project, "search", q, *extra)
            b = cli_subprocess(gen_project, "search", q, *extra)
            c = _run_env(gen_project, env_off, "search", q, *extra)
            assert a.code == b.code == c.code
            assert a.out == b.out == c.out, q
    name = Project.open(gen_project).load().specs[0].name
    assert cli_subprocess(gen_project, "update", name, "--status", "complete").code == 0
    for q in ("cache", "aa"):
        assert cli_subprocess(gen_project, "search", q).out == _run_env(gen_project, env_off, "search", q).out


def _run_env(root: Path, env: dict[str, str], *args: str) -> Any:
    import subprocess
    import sys

    from conftest import REPO, Run

    e = {**os.environ, **env}
    p = subprocess.run([sys.executable, "-m", "leanspec", "--project", str(root), *args], capture_output=True, text=True, env=e, cwd=REPO, timeout=60)
    return Run(p.returncode, p.stdout, p.stderr)


def test_planted_index_cannot_run_code(gen_project: Path, tmp_path: Path) -> None:
    """Unpickling refuses every global: a planted index is ignored, nothing runs."""
    marker = tmp_path / "pwned"
    header = pickle.dumps((os.system, (f"touch {marker}",)))
    evil = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    for blob in (header, evil):
        f = gen_project / IDX
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(searchindex.file_magic() + len(blob).to_bytes(8, "little") + blob)
        seg, _key = searchindex.Segment.load(str(f))
        assert seg is None
        specs, idx = load(gen_project)
        same(specs, idx, "cache")
        searchindex.forget(gen_project)
    assert not marker.exists()


def test_foreign_version_is_ignored(gen_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs, idx = load(gen_project)
    assert searchindex.Segment.load(str(gen_project / IDX))[0] is not None
    monkeypatch.setattr(searchindex, "FORMAT", searchindex.FORMAT + 1)
    assert searchindex.Segment.load(str(gen_project / IDX))[0] is None
    searchindex.forget(gen_project)
    specs, idx = load(gen_project)  # rebuilt in the new format
    assert searchindex.Segment.load(str(gen_project / IDX))[0] is not None
    same(specs, idx, "cache aa")


@pytest.mark.parametrize("array_at", [0, 1, 2])  # doc ids, counts, ranks
def test_damaged_postings_are_detected(gen_project: Path, array_at: int) -> None:
    """Damage the load checks cannot see (a posting's doc id, count or rank changed
    inside the file): the per-list checksum catches it when a query touches the list,
    the index drops itself and the answer is still right."""
    specs, idx = load(gen_project)
    f = gen_project / IDX
    data = bytearray(f.read_bytes())
    seg = searchindex.Segment.load(str(f))[0]
    assert seg is not None
    c = seg.chunks_with("cache")[0]
    npost, at = len(seg.pdoc), seg.off[c]
    del seg
    start = len(data) - 12 * npost + 4 * npost * array_at + 4 * at  # pdoc, pcnt, prank
    data[start : start + 4] = (int.from_bytes(data[start : start + 4], "little") + 1).to_bytes(4, "little")
    f.write_bytes(bytes(data))
    searchindex.forget(gen_project)
    specs, idx = load(gen_project)
    for q in ("cache", "aa", "e"):
        same(specs, idx, q)
    assert f.read_bytes() != bytes(data)  # detected, dropped and rebuilt
    assert searchindex.Segment.load(str(f))[0] is not None


def test_concurrent_processes_never_corrupt_the_index(gen_project: Path) -> None:
    import subprocess
    import sys

    from conftest import REPO

    code = (
        "import sys, random\n"
        "from pathlib import Path\n"
        "from leanspec.project import Project\n"
        "from leanspec.insight import searchindex\n"
        "from leanspec.insight.search import search\n"
        "root = Path(sys.argv[1]); rnd = random.Random(int(sys.argv[2]))\n"
        "for i in range(6):\n"
        "    specs = Project.open(root).load(include_archived=True).specs\n"
        "    f = root / specs[rnd.randrange(len(specs))].path\n"
        "    f.write_text(f.read_text() + f'\\nw{rnd.randint(0, 99)} cache\\n')\n"
        "    specs = Project.open(root).load(include_archived=True).specs\n"
        "    idx = searchindex.SearchIndex(root); idx.sync(specs)\n"
        "    assert search(specs, 'cache', index=idx) == search(specs, 'cache')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(gen_project), str(k)], cwd=REPO) for k in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    for f in (IDX, DELTA):
        assert searchindex.Segment.load(str(gen_project / f))[0] is not None
    leftovers = [p.name for p in (gen_project / ".lean-spec/cache").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    specs, idx = load(gen_project)
    same(specs, idx, "cache w1")


def test_field_score_depends_only_on_count_and_first_whole_word() -> None:
    """The claim the index's scoring rests on: ``_field_best`` over any sequence of hits
    equals ``_best_cls(weight, hits, index of the first whole-word hit)``."""
    import itertools

    for w in search_mod.FIELD_WEIGHTS.values():
        for n in range(1, 10):
            for flags in itertools.product([False, True], repeat=n):
                first = next((j for j, f in enumerate(flags) if f), -1)
                cls = min(first, 5) if first >= 0 else -1
                assert search_mod._best_of(w, min(1.0, 3.0 / n), flags) == search_mod._best_cls(w, n, cls)


def test_record_chunks_are_those_of_search_lowering(tmp_path: Path) -> None:
    """The index's chunks of a body are exactly the whitespace pieces of the text search
    scans (``textmatch.Doc.lower``), whatever the line breaks and case rules."""
    from collections import Counter

    from leanspec.core.model import Spec

    bodies = [
        "a\r\nb\rc\x85d\u2028e\x0bf\x0cg\x1ch",
        "İstanbul İ i̇ ΣΑΣ ς σ\nStraße ß ﬁle",
        "tab\there  two  spaces\n\n\nend",
        "",
        "ΑΣ\nΣΑ Σ",
    ]
    for body in bodies:
        spec = Spec("001-x", 1, "specs/001-x/README.md", {}, body, "h")
        rec = searchindex.record_of(spec)
        want = Counter(textmatch.Doc(spec, {}, body, None, None).lower.split())
        assert dict(zip(rec[4], rec[5], strict=True)) == dict(want)
        assert rec[4] == list(want)  # first-occurrence order


def test_names_only_is_the_ranked_names(fixture_project: Path, gen_project: Path) -> None:
    """The web UI's ``?q=`` filters (list, board) ask for names only: the same specs in the
    same order as the full result, from the index and from the scan alike."""
    rnd = random.Random(5)
    for root in (fixture_project, gen_project):
        specs, idx = load(root)
        vocab = vocabulary(specs)
        for q in ["atomic cache", "cache OR atomic", "NOT cache", "aa", "status:archived cache", "\"the spec\"", "cach~"] + [
            random_query(rnd, vocab) for _ in range(40)
        ]:
            try:
                search_mod.parse_query(q)
            except Exception:
                continue
            for kw in ({}, {"include_archived": True}, {"limit": 3}):
                full = search(specs, q, **kw)
                want = [r["spec"]["name"] for r in full["results"]]
                for index in (idx, None):
                    got = search(specs, q, index=index, names_only=True, **kw)
                    assert got["names"] == want and got["total"] == full["total"], (q, kw, index is None)
