"""The fast frontmatter reader (``yamlsubset``) answers exactly what PyYAML's C loader
answers (same values, same types, same datetime tzinfo), or refuses so that PyYAML
answers: on every frontmatter of the real fixture, of a generated corpus, and on
thousands of random frontmatters built from tricky YAML 1.1 scalars and shapes.
Malformed YAML always goes to PyYAML, so its error messages stay."""

from __future__ import annotations

import datetime as _dt
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from leanspec.core import yamlsubset
from leanspec.core.errors import MalformedSpec
from leanspec.core.frontmatter import Document, emit_scalar

FIXTURE = Path("/work/shared/fixtures/leanspec-dec2025")
REPO = Path(__file__).resolve().parents[1]
LOADER = yaml.CSafeLoader


def _same(a: Any, b: Any) -> bool:
    """Equal values of the very same types (True is not 1, a date is not a datetime,
    and datetimes carry the same tzinfo)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, _dt.datetime):
        return a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def _pyyaml(text: str) -> tuple[str, Any]:
    try:
        return "ok", yaml.load(text, Loader=LOADER)
    except Exception as exc:  # YAMLError, or ValueError for dates like 2025-02-30
        return "error", type(exc).__name__


def _check(text: str) -> bool:
    """True when the fast reader answered (and agreed); False when it refused."""
    try:
        fast = yamlsubset.load(text)
    except yamlsubset.Unsupported:
        return False
    kind, slow = _pyyaml(text)
    assert kind == "ok", (text, slow)
    assert _same(fast, slow), (text, fast, slow)
    return True


def _frontmatter(text: str) -> str | None:
    lines = text.split("\n")
    if lines[0].rstrip("\r").rstrip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r").rstrip() in ("---", "..."):
            return "\n".join(ln[:-1] if ln.endswith("\r") else ln for ln in lines[1:i])
    return None


def _files(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*.md")):
        fm = _frontmatter(p.read_text(encoding="utf-8"))
        if fm is not None:
            out.append(fm)
    return out


def test_fixture_frontmatter_read_fast_and_the_same() -> None:
    if not FIXTURE.is_dir():
        pytest.skip("fixture not found")
    fms = _files(FIXTURE)
    assert fms
    assert all(_check(t) for t in fms)  # every real spec is in the subset


def test_generated_corpus_read_fast_and_the_same(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "--n", "150", "--out", str(out)], check=True)
    fms = _files(out)
    assert len(fms) >= 150
    assert all(_check(t) for t in fms)


ATOMS = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "NO",
    "true",
    "False",
    "TRUE",
    "NULL",
    "Null",
    "~",
    "null",
    "1",
    "-1",
    "+1",
    "0",
    "-0",
    "00",
    "007",
    "08",
    "0x1F",
    "0b101",
    "0o17",
    "1_000",
    "1e3",
    "1.5",
    "1.",
    "1.5e+3",
    "1.5E-3",
    "1.5e3",
    "-0.0",
    ".5",
    "+.5",
    ".inf",
    "-.inf",
    ".Inf",
    ".nan",
    "1:30",
    "12:30",
    "190:20:30",
    "1:30.5",
    "123456789012345678901234567890",
    "2025-01-01",
    "2025-1-1",
    "2025-02-30",
    "2025-13-01",
    "2025-01-01T10:00:00Z",
    "2025-01-01 10:00:00",
    "2025-01-01T10:00:00.123456789+05:30",
    "2025-01-01T10:00:00-08",
    "2025-01-01T10:00:00+0800",
    "2025-01-01t10:00:00Z",
    "2025-01-01T10:00:00 Z",
    "2024-02-09T05:05:00.000Z",
    "2025-01-01T25:00:00Z",
    "2025-01-01T1:00:00Z",
    "2025-01-01T10:00:00.Z",
    "2025-01-01T10:00",
    "planned",
    "in-progress",
    "a b",
    "a  b",
    "a, b",
    "a,b",
    "C#",
    "a #b",
    "a#b",
    "a: b",
    "a:b",
    "a:",
    "http://x.y/z?q=1",
    "-x",
    "- x",
    "-",
    "--",
    "---",
    "...",
    "--- x",
    "a]",
    "[a",
    "{a}",
    "a{b}",
    "a[b]",
    "!tag",
    "!",
    "&a",
    "*a",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "?x",
    "? x",
    ":x",
    "a?",
    "=",
    "<<",
    "é",
    "日本語",
    "a\xa0",
    "\xa0a",
    "a\\b",
    'a"b',
    "a'b",
    "#x",
    "a#",
    "a #",
    "",
    " ",
    "x\ty",
    "a\u2028b",
    "\ufeff",
    "\x85",
    "\x01",
    "a\rb",
    "😀",
    "'",
    '"',
    "''",
    "a''b",
    "\\",
    "\\n",
    'x\\"y',
    "0.1.2",
    "v1.2.3",
    "1-2",
    "+",
    ".",
    "-.",
    "._",
    "1__0",
    "0b",
    "0x",
    "1e+3",
    "True_x",
    "nan",
    "inf",
]
KEYS = [
    "status",
    "tags",
    "title",
    "a",
    "b_c",
    "x-y",
    "_k",
    "K9",
    "yes",
    "null",
    "On",
    "a.b",
    "1a",
    '"q"',
    "'s'",
    "é",
    "a b",
    "<<",
    "k ",
]


def _atom(rng: random.Random) -> str:
    a = rng.choice(ATOMS)
    if rng.random() < 0.15:
        a = a + rng.choice(ATOMS)
    return a


def _scalar(rng: random.Random) -> str:
    a = _atom(rng)
    r = rng.random()
    if r < 0.55:
        return a
    if r < 0.8:
        return "'" + (a.replace("'", "''") if rng.random() < 0.9 else a) + "'"
    return '"' + (a.replace("\\", "\\\\").replace('"', '\\"') if rng.random() < 0.7 else a) + '"'


def _value_lines(rng: random.Random, key: str) -> list[str]:
    sep = rng.choice([": ", ": ", ":  ", ":", ": "])
    r = rng.random()
    if r < 0.5:
        return [f"{key}{sep}{_scalar(rng)}" + rng.choice(["", "", " ", "  ", " # c", "\t"])]
    if r < 0.65:
        items = [_scalar(rng) for _ in range(rng.randint(0, 3))]
        glue = rng.choice([", ", ",", " , ", ",  "])
        return [f"{key}{sep}[{glue.join(items)}{rng.choice(['', '', ',', ' '])}]" + rng.choice(["", " ", " # c"])]
    ind = rng.choice(["", "  ", "  ", "    ", " "])
    lines = [f"{key}:" + rng.choice(["", "", " ", " # c"])]
    if r < 0.85:
        for _ in range(rng.randint(0, 4)):
            lines.append(f"{ind}{rng.choice(['- ', '- ', '-  ', '-'])}{_scalar(rng)}")
            if rng.random() < 0.05:
                lines.append(ind + rng.choice(["  more", " x", "- y", "    - z"]))
    else:
        for _ in range(rng.randint(0, 3)):
            sub = rng.sample(["status", "at", "by", "yes", "note"], rng.randint(1, 3))
            for j, k in enumerate(sub):
                lead = f"{ind}- " if j == 0 else ind + rng.choice(["  ", "  ", "   ", " "])
                v = _scalar(rng) if rng.random() < 0.9 else ""
                lines.append(f"{lead}{k}:{' ' + v if v else ''}")
                if not v and rng.random() < 0.5:
                    lines.append(ind + "      - deep")
    return lines


def _document(rng: random.Random) -> str:
    lines: list[str] = []
    for _ in range(rng.randint(0, 7)):
        key = rng.choice(KEYS[:7]) if rng.random() < 0.85 else rng.choice(KEYS)
        lines.extend(_value_lines(rng, key))
        r = rng.random()
        if r < 0.08:
            lines.append("")
        elif r < 0.12:
            lines.append(rng.choice(["# comment", "  # indented", "#", "   "]))
        elif r < 0.14:
            lines.append(rng.choice(["  continued", "---", "...", "%YAML 1.1", "- stray", "\t"]))
    return "\n".join(lines)


def test_random_frontmatter_same_or_refused() -> None:
    rng = random.Random(20251201)
    fast = 0
    total = 10000
    for _ in range(total):
        if _check(_document(rng)):
            fast += 1
    # Not vacuous: a good share is read by the fast path (the rest is refused).
    assert fast > total // 8, fast


def test_shapes_that_matter() -> None:
    cases = [
        "status: planned\ntags:\n  - a\n  - b\npriority: high",
        "tags:\n- a\n- b\nstatus: x",  # a block list at the key's own indent
        "tags: [a, 'b, c', \"d\"]\ntitle: It's done, really",
        "transitions:\n  - status: in-progress\n    at: '2025-11-05T05:43:43.501Z'\n  - status: complete\n    at: x",
        "created: 2025-01-01\nat: 2025-01-01T10:00:00+01:00\nz: 2025-01-01T10:00:00Z\nn: 2025-01-01 10:00:00",
        "tags:\n  - a\n# a comment\n  - b",
        "a:\nb: ~\nc: ''\nd: []",
        "",
        "# only a comment",
    ]
    for text in cases:
        assert _check(text), text


def test_refusals_keep_pyyaml_errors() -> None:
    for text in ["status: [a, b", "a: 'x", "a: b: c", "  - x\na: 1", "a: 1\na: 2", "a: &x 1\nb: *x", "a: |\n  x"]:
        with pytest.raises(yamlsubset.Unsupported):
            yamlsubset.load(text)
    # The message of a malformed spec is PyYAML's, as before.
    with pytest.raises(MalformedSpec) as ei:
        Document.parse("---\nstatus: [a, b\n---\nbody\n", path="x/README.md")
    assert "invalid YAML frontmatter" in ei.value.message and "flow sequence" in ei.value.message


def test_plain_scalar_check_matches_pyyaml() -> None:
    rng = random.Random(5)
    words = [a for a in ATOMS if a] + ["abc", "a.b", "x_y", "(a)", "a+b", "1 2", "a/b", "@x", "...x", "---x"]
    for _ in range(3000):
        s = rng.choice(words) + (rng.choice(words) if rng.random() < 0.3 else "")
        try:
            fast = yamlsubset.load_scalar(s)
        except yamlsubset.Unsupported:
            continue
        kind, slow = _pyyaml(s)
        assert kind == "ok" and _same(fast, slow), (s, fast, slow)
    # emit_scalar's quoting decisions are unchanged: bare only where PyYAML reads it back.
    for s in words:
        out = emit_scalar(s)
        if out == s:
            assert yaml.load(f"k: {out}", Loader=LOADER) == {"k": s}


def test_key_check_without_regex_matches_the_key_pattern() -> None:
    """``_check_key`` tests key text with string steps (no ``re`` after a write): the same
    verdict as ``_SOURCES["key"]`` on random keys."""
    import random
    import re

    from leanspec.core import yamlsubset as y

    pattern = re.compile(y._SOURCES["key"])
    alphabet = [*"aZ_-09Az", "é", "\u0663", " ", ".", "\n", "\t"]
    rnd = random.Random(15)
    for _ in range(50_000):
        key = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6)))
        expected = pattern.fullmatch(key) is not None
        assert bool(key and key[0] in y._KEY_FIRST and key.strip(y._KEY_CHARS) == "") == expected, repr(key)
