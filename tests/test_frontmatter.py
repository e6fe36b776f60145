"""frontmatter.Document: parsing, minimal-diff set/delete, style detection, verify."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from leanspec.core.errors import MalformedSpec
from leanspec.core.frontmatter import Document, _Style, emit_scalar

TS_FILE = """---
status: planned
created: '2025-12-05'
tags:
  - ui
  - config
priority: medium
created_at: '2025-12-05T04:42:31.397Z'
transitions:
  - status: in-progress
    at: '2025-12-08T07:25:44.598Z'
---

# Title

> **Status**: 🗓️ Planned · **Priority**: Medium

Body text.
"""


def lines_changed(a: str, b: str) -> tuple[list[str], list[str]]:
    import difflib

    d = list(difflib.ndiff(a.splitlines(), b.splitlines()))
    return [x[2:] for x in d if x.startswith("- ")], [x[2:] for x in d if x.startswith("+ ")]


# -------------------------------------------------------------------- parse
def test_parse_parts() -> None:
    d = Document.parse(TS_FILE)
    assert d.data["status"] == "planned"
    assert d.data["created"] == "2025-12-05"  # quoted: a string
    assert d.data["tags"] == ["ui", "config"]
    assert d.body.startswith("\n# Title\n")
    assert d.newline == "\n" and d.bom == "" and d.has_frontmatter
    assert d.render() == TS_FILE


def test_unquoted_dates_are_dates() -> None:
    d = Document.parse("---\ncreated: 2025-12-05\nat: 2025-12-05T04:42:31Z\n---\n")
    assert d.data["created"] == dt.date(2025, 12, 5)
    assert isinstance(d.data["at"], dt.datetime)


@pytest.mark.parametrize(
    "text,says",
    [
        ("---\nstatus: [a\n---\n", "invalid YAML"),
        ("---\nstatus: planned\n", "not closed"),
        ("---\n- a\n---\n", "not a mapping"),
        ("---\nstatus: planned\n---\n\x00", "NUL"),
        ("---\nkey: value\n  bad: indent\n---\n", "invalid YAML"),
    ],
)
def test_malformed(text: str, says: str) -> None:
    with pytest.raises(MalformedSpec) as ei:
        Document.parse(text, path="specs/x/README.md")
    assert says in ei.value.message
    assert ei.value.message.startswith("specs/x/README.md")


def test_no_frontmatter_is_all_body() -> None:
    d = Document.parse("# Legacy\n\n**Status**: Complete\n")
    assert not d.has_frontmatter and d.data == {}
    assert d.render() == "# Legacy\n\n**Status**: Complete\n"
    assert d.set("status", "planned")
    assert d.render() == "---\nstatus: planned\n---\n\n# Legacy\n\n**Status**: Complete\n"


# ---------------------------------------------------------------------- set
def test_set_scalar_touches_one_line() -> None:
    d = Document.parse(TS_FILE)
    assert d.set("status", "in-progress")
    minus, plus = lines_changed(TS_FILE, d.render())
    assert (minus, plus) == (["status: planned"], ["status: in-progress"])


def test_set_same_value_is_noop() -> None:
    d = Document.parse(TS_FILE)
    assert not d.set("status", "planned")
    assert not d.set("tags", ["ui", "config"])
    assert not d.set("created", "2025-12-05")
    assert d.render() == TS_FILE


def test_set_new_key_appends_at_end() -> None:
    d = Document.parse(TS_FILE)
    assert d.set("assignee", "alice")
    out = d.render()
    assert out.split("---\n")[1].splitlines()[-1] == "assignee: alice"
    assert list(d.data)[-1] == "assignee"


def test_list_append_keeps_item_lines_and_indent() -> None:
    d = Document.parse(TS_FILE)
    d.set("tags", ["ui", "config", "new"])
    minus, plus = lines_changed(TS_FILE, d.render())
    assert minus == [] and plus == ["  - new"]


def test_list_indent_zero_detected() -> None:
    text = "---\ntags:\n- a\n- b\nstatus: planned\n---\n"
    d = Document.parse(text)
    assert d.style().list_indent == ""
    d.set("tags", ["a", "b", "c"])
    assert d.render() == "---\ntags:\n- a\n- b\n- c\nstatus: planned\n---\n"
    d.set("depends_on", ["x"])  # a new list follows the file's indent
    assert d.render().endswith("depends_on:\n- x\n---\n")


def test_list_remove_and_reorder_reuses_chunks() -> None:
    d = Document.parse(TS_FILE)
    d.set("transitions", [*d.data["transitions"], {"status": "complete", "at": "2025-12-09T00:00:00.000Z"}])
    minus, plus = lines_changed(TS_FILE, d.render())
    assert minus == []
    assert plus == ["  - status: complete", "    at: '2025-12-09T00:00:00.000Z'"]
    d.set("tags", ["config"])
    assert "  - ui\n" not in d.render() and "  - config\n" in d.render()


def test_flow_list_stays_flow() -> None:
    d = Document.parse("---\ntags: [a, b]\n---\n")
    d.set("tags", ["a", "b", "needs quote: yes"])
    assert d.render() == "---\ntags: [a, b, 'needs quote: yes']\n---\n"
    assert yaml.safe_load(d.render().split("---\n")[1])["tags"][2] == "needs quote: yes"


def test_empty_list() -> None:
    d = Document.parse(TS_FILE)
    d.set("tags", [])
    assert "tags: []\n" in d.render()
    assert Document.parse(d.render()).data["tags"] == []


def test_quote_style_kept_for_existing_key() -> None:
    d = Document.parse('---\ncreated: "2025-12-05"\nowner: "bob"\n---\n')
    d.set("created", "2025-12-06")
    d.set("owner", "carol")
    assert d.render() == '---\ncreated: "2025-12-06"\nowner: "carol"\n---\n'


@pytest.mark.parametrize(
    "value,expected",
    [
        ("plain", "plain"),
        ("2025-12-05", "'2025-12-05'"),
        ("2025-12-05T01:02:03.000Z", "'2025-12-05T01:02:03.000Z'"),
        ("yes", "'yes'"),
        ("null", "'null'"),
        ("123", "'123'"),
        ("a: b", "'a: b'"),
        ("it's", "'it''s'"),
        ("line\nbreak", '"line\\nbreak"'),
        ("", "''"),
        ("#tag", "'#tag'"),
        (True, "true"),
        (3, "3"),
        (None, "null"),
    ],
)
def test_emit_scalar_round_trips(value: object, expected: str) -> None:
    out = emit_scalar(value)
    assert out == expected
    assert yaml.safe_load(f"k: {out}")["k"] == value


def test_bare_date_style_detected() -> None:
    d = Document.parse("---\ncreated: 2025-12-05\ncompleted: 2025-12-06\n---\n")
    assert d.style().quote_dates is False
    assert _Style.detect(Document.parse(TS_FILE)).quote_dates is True
    d.set("due", dt.date(2026, 1, 1))
    assert d.render().endswith("due: 2026-01-01\n---\n")


def test_crlf_and_bom_kept_on_edit() -> None:
    text = "\ufeff" + TS_FILE.replace("\n", "\r\n")
    d = Document.parse(text)
    assert d.bom == "\ufeff" and d.newline == "\r\n"
    assert d.data["status"] == "planned"
    d.set("status", "complete")
    d.set("tags", ["ui", "config", "x"])
    out = d.render()
    assert out.startswith("\ufeff---\r\n")
    assert out.count("\n") == out.count("\r\n")
    assert out == text.replace("status: planned", "status: complete").replace("  - config\r\n", "  - config\r\n  - x\r\n")


# ------------------------------------------------------------------- delete
def test_delete_removes_whole_block() -> None:
    d = Document.parse(TS_FILE)
    assert d.delete("transitions")
    assert "transitions" not in d.render() and "  at:" not in d.render()
    assert not d.delete("transitions")
    assert d.delete("tags")
    assert Document.parse(d.render()).data == {k: v for k, v in Document.parse(TS_FILE).data.items() if k not in ("tags", "transitions")}


def test_comments_and_blank_lines_survive_edits() -> None:
    text = "---\n# leading comment\nstatus: planned  # inline\n\ntags:\n  - a\n# between\npriority: low\n---\n"
    d = Document.parse(text)
    d.set("priority", "high")
    out = d.render()
    assert "# leading comment\n" in out and "# between\n" in out and "\n\ntags:" in out
    assert out.endswith("priority: high\n---\n")


# ------------------------------------------------------------------- verify
def test_verify_accepts_consistent_edit() -> None:
    d = Document.parse(TS_FILE)
    d.set("tags", ["a: b", "yes", "2025-01-01"])
    d.verify(dict(d.data))  # no exception
    assert Document.parse(d.render()).data["tags"] == ["a: b", "yes", "2025-01-01"]


def test_verify_refuses_lines_that_do_not_mean_the_data() -> None:
    d = Document.parse(TS_FILE)
    d.fm_lines.append("status: complete")  # a duplicate key YAML reads differently
    with pytest.raises(MalformedSpec) as ei:
        d.verify(dict(d.data), path="x/README.md")
    assert "nothing was written" in ei.value.message
    d2 = Document.parse(TS_FILE)
    with pytest.raises(MalformedSpec):
        d2.verify({**d2.data, "status": "complete"})


def test_verify_refuses_edit_that_is_not_yaml() -> None:
    """An emitter bug that breaks the YAML itself is a clean MalformedSpec, not a
    parser traceback."""
    d = Document.parse(TS_FILE)
    d.fm_lines.insert(3, "   - misindented: [")
    with pytest.raises(MalformedSpec) as ei:
        d.verify(dict(d.data), path="x/README.md")
    assert "would not round-trip" in ei.value.message
