"""checklist_counts and first_h1 take whole-body regex paths; they give what the
line-by-line versions give, on every fixture file and on random bodies full of
fences, checkboxes, headings and odd line breaks. Document.parse finds the closing
line without splitting the body and splits files as before."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from leanspec.core import model

FIXTURE = Path("/work/shared/fixtures/leanspec-dec2025")

PIECES = [
    "- [ ] a",
    "- [x] b",
    "* [X] c",
    "+ [ ]",
    "1. [x] d",
    "2) [ ] e",
    "  - [ ] indented",
    "-[ ] no",
    "- [] no",
    "- [ ]x",
    "- [y] no",
    "```",
    "~~~",
    "  ```py",
    "````",
    "~~~~",
    "# Title",
    "#Title",
    "# ",
    " # not",
    "## Sub",
    "text [ ] x",
    "",
    " ",
    "\t- [ ] tab",
    "- [ ]\t",
    "\u00a0- [ ] nbsp",
    "\u3000```",
    "- [ ] a\r",
    "x\x0by",
    "x\x0cy",
    "x\x1cy",
    "x\x1f- [ ] y",
    "x\x85y",
    "x\u2028y",
    "x\u2029- [x] y",
    "\u0661. [x] arabic digit",
]


def _body(rng: random.Random) -> str:
    lines = [rng.choice(PIECES) for _ in range(rng.randint(0, 25))]
    return rng.choice(["\n", "\n", "\n", "\r\n"]).join(lines) + rng.choice(["", "\n", " "])


def test_fast_scans_equal_line_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole-body paths only: no budget of line-by-line scans first (model._line_scan).
    monkeypatch.setattr(model, "_line_scan_left", [0])
    bodies = [p.read_text(encoding="utf-8") for p in FIXTURE.rglob("*.md")] if FIXTURE.is_dir() else []
    rng = random.Random(3)
    bodies += [_body(rng) for _ in range(20000)]
    for b in bodies:
        assert model.checklist_counts(b) == (model._checklist_lines(b) if "[" in b else (0, 0)), repr(b)
        assert model.first_h1(b) == model._first_h1_lines(b), repr(b)


def _old_split(text: str) -> tuple[str, list[str], str, str, bool] | str:
    """The split Document.parse did before (whole file into lines)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r").rstrip() != "---":
        return "no frontmatter"
    close = None
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r").rstrip() in ("---", "..."):
            close = i
            break
    if close is None:
        return "not closed"
    fm_lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines[1:close]]
    return (
        lines[0].rstrip("\r"),
        fm_lines,
        lines[close].rstrip("\r"),
        "\n".join(lines[close + 1 :]),
        close + 1 < len(lines),
    )


def test_document_split_as_before() -> None:
    from leanspec.core.errors import MalformedSpec
    from leanspec.core.frontmatter import Document

    parts = [
        "---",
        "--- ",
        "---\r",
        "---\u2003",
        "...",
        "... x",
        "--- x",
        "-- -",
        "----",
        "a: 1",
        "b: [x]",
        "",
        " ",
        "body",
        "# H",
        "\r",
        "c: 'x\r'",
        ".....",
        "---#",
    ]
    rng = random.Random(9)
    for _ in range(20000):
        text = rng.choice(["\n", "\r\n"]).join(rng.choice(parts) for _ in range(rng.randint(0, 8)))
        old = _old_split(text)
        try:
            doc = Document.parse(text)
        except MalformedSpec as exc:
            assert old == "not closed" or "YAML" in exc.message or "mapping" in exc.message, (text, old)
            continue
        if old == "no frontmatter":
            assert not doc.has_frontmatter and doc.body == text
            continue
        assert old != "not closed", text
        assert (doc.open_line, doc.fm_lines, doc.close_line, doc.body, doc.close_newline) == old, text


def test_box_mark_reads_lines_as_the_checkbox_pattern() -> None:
    """The line-by-line scan (the first bodies of a process, no ``re``) reads each line's
    task mark with string steps: the same as ``_CHECKBOX.match(line + " ")``."""
    pieces = [" ", "\t", "-", "*", "+", "1", "\u0663", "2", ".", ")", "[", "]", "x", "X", "a", "\u3000", "\x1c", "\x85"]
    pieces += ["[ ]", "[x]", "- [ ] ", "1. [X]", "10) [x]"]
    rng = random.Random(15)
    for _ in range(100_000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        m = model._CHECKBOX.match(line + " ")
        assert model.box_mark(line) == (m.group(1) if m else None), repr(line)
