"""body.py: header line sync, exact replace modes, sections, checklist toggles."""

from __future__ import annotations

import pytest

from leanspec.core import body
from leanspec.core.errors import InvalidInput, NoMatch

BODY = """
# Title

> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-12-05

## Overview

Intro text.

## Plan

- [ ] Write the parser
- [x] Write the emitter
- [ ] Write the parser tests

### Sub step

detail

## Test

```markdown
- [ ] not a real item
## Not a heading
```

Done.
"""


# ------------------------------------------------------------------- header
def test_header_lines_format() -> None:
    assert body.header_lines("in-progress", "high", "2025-12-05", ["a", "b"]) == [
        "> **Status**: ⏳ In Progress · **Priority**: High · **Created**: 2025-12-05 · **Tags**: a, b"
    ]
    assert body.header_lines("weird", None, None, []) == ["> **Status**: 📄 Weird"]
    assert body.header_lines("complete", None, None, [], "alice", "bob") == [
        "> **Status**: ✅ Complete",
        "> **Assignee**: alice · **Reviewer**: bob",
    ]


def test_sync_header_replaces_only_that_line() -> None:
    new = body.header_lines("complete", "high", "2025-12-05", [])
    out = body.sync_header(BODY, new)
    assert out == BODY.replace(
        "> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-12-05",
        "> **Status**: ✅ Complete · **Priority**: High · **Created**: 2025-12-05",
    )
    assert body.sync_header(out, new) == out  # idempotent


def test_sync_header_adds_and_removes_assignee_line() -> None:
    with_a = body.sync_header(BODY, body.header_lines("planned", "medium", "2025-12-05", [], "alice"))
    assert "> **Status**: 🗓️ Planned · **Priority**: Medium · **Created**: 2025-12-05\n> **Assignee**: alice\n" in with_a
    without = body.sync_header(with_a, body.header_lines("planned", "medium", "2025-12-05", []))
    assert without == BODY


def test_sync_header_inserted_after_h1_when_missing() -> None:
    b = "\n# T\n\nText\n"
    out = body.sync_header(b, ["> **Status**: 🗓️ Planned"])
    assert out == "\n# T\n\n> **Status**: 🗓️ Planned\n\nText\n"
    assert body.sync_header("no heading\n", ["> x"]) == "no heading\n"


def test_sync_header_ignores_fenced_lookalike() -> None:
    b = "# T\n\n```\n> **Status**: fake\n```\n\n> **Status**: real\n"
    out = body.sync_header(b, ["> **Status**: new"])
    assert "> **Status**: fake" in out and "> **Status**: new" in out and "real" not in out


def test_sync_header_crlf() -> None:
    b = BODY.replace("\n", "\r\n")
    out = body.sync_header(b, body.header_lines("complete", None, None, []))
    assert out.count("\n") == out.count("\r\n")
    assert "> **Status**: ✅ Complete\r\n" in out


# ------------------------------------------------------------------ replace
def test_replace_unique() -> None:
    out, n = body.replace_text(BODY, "Intro text.", "New intro.")
    assert n == 1 and "New intro." in out and "Intro text." not in out


def test_replace_unique_refuses_several() -> None:
    with pytest.raises(NoMatch) as ei:
        body.replace_text(BODY, "Write the parser", "x")
    assert ei.value.details["matches"] == 2
    assert "match mode" in (ei.value.hint or "")


def test_replace_all_and_first() -> None:
    out, n = body.replace_text(BODY, "Write the parser", "Build it", "all")
    assert n == 2 and out.count("Build it") == 2
    out, n = body.replace_text(BODY, "Write the parser", "Build it", "first")
    assert n == 1 and out.count("Build it") == 1
    assert out.index("Build it") < out.index("Write the parser tests")


def test_replace_errors() -> None:
    with pytest.raises(NoMatch):
        body.replace_text(BODY, "absent", "x")
    with pytest.raises(InvalidInput):
        body.replace_text(BODY, "", "x")
    with pytest.raises(InvalidInput):
        body.replace_text(BODY, "Intro", "x", "sometimes")


# ---------------------------------------------------------------- checklist
def test_toggle_check_and_uncheck() -> None:
    out, t = body.toggle_checklist(BODY, "emitter", False)
    assert "- [ ] Write the emitter" in out and t.checked is False
    out, t = body.toggle_checklist(BODY, "parser tests", True)
    assert "- [x] Write the parser tests" in out
    assert t.line == BODY.split("\n").index("- [ ] Write the parser tests") + 1
    assert out.replace("- [x] Write the parser tests", "- [ ] Write the parser tests") == BODY


def test_toggle_prefers_exact_text_among_several() -> None:
    out, t = body.toggle_checklist(BODY, "Write the parser", True)  # exact match wins
    assert "- [x] Write the parser\n" in out and "- [ ] Write the parser tests" in out


def test_toggle_ambiguous_and_missing() -> None:
    with pytest.raises(NoMatch) as ei:
        body.toggle_checklist(BODY, "Write", True)
    assert len(ei.value.details["candidates"]) == 3
    with pytest.raises(NoMatch):
        body.toggle_checklist(BODY, "not a real item", True)  # only inside a code fence
    with pytest.raises(InvalidInput):
        body.toggle_checklist(BODY, "  ", True)


def test_toggle_numbered_and_star_items() -> None:
    b = "1. [ ] one\n* [X] two\n"
    out, _ = body.toggle_checklist(b, "one", True)
    assert out == "1. [x] one\n* [X] two\n"
    out, _ = body.toggle_checklist(b, "two", False)
    assert out == "1. [ ] one\n* [ ] two\n"


# ----------------------------------------------------------------- sections
def test_section_replace_keeps_subsections_of_other_levels_out() -> None:
    out = body.update_section(BODY, "Overview", "Replaced.")
    assert "## Overview\n\nReplaced.\n\n## Plan" in out
    assert "Intro text." not in out


def test_section_extends_to_next_same_level_heading() -> None:
    out = body.update_section(BODY, "## Plan", "Only this.")
    assert "## Plan\n\nOnly this.\n\n## Test" in out
    assert "### Sub step" not in out  # a sub-heading belongs to its section


def test_section_append_and_prepend() -> None:
    out = body.update_section(BODY, "overview", "Appended.", "append")
    assert "## Overview\n\nIntro text.\n\nAppended.\n\n## Plan" in out
    out = body.update_section(BODY, "Overview", "First.", "prepend")
    assert "## Overview\n\nFirst.\n\nIntro text.\n\n## Plan" in out


def test_section_last_in_file_and_fenced_heading_ignored() -> None:
    out = body.update_section(BODY, "Test", "New test section.", "replace")
    assert out.endswith("## Test\n\nNew test section.\n")
    with pytest.raises(NoMatch):
        body.update_section(BODY, "Not a heading", "x")


def test_section_errors_and_crlf() -> None:
    with pytest.raises(InvalidInput):
        body.update_section(BODY, "Overview", "x", "sideways")
    crlf = BODY.replace("\n", "\r\n")
    out = body.update_section(crlf, "Overview", "a\nb", "append")
    assert "Intro text.\r\n\r\na\r\nb\r\n\r\n## Plan" in out
    assert out.count("\n") == out.count("\r\n")


def test_section_append_nothing_is_a_noop() -> None:
    assert body.update_section(BODY, "Overview", "", "append") == BODY
    assert body.update_section(BODY, "Overview", "\n\n", "prepend") == BODY
    # Replacing with nothing empties the section, keeping the gap before the next heading.
    assert "## Overview\n\n## Plan" in body.update_section(BODY, "Overview", "", "replace")
