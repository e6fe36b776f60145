"""Search: the query parser (precedence, phrases, fields, dates, fuzzy, errors), the
results on the real fixture and on small hand-made specs, and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from leanspec.core.errors import SearchSyntaxError
from leanspec.core.model import Spec
from leanspec.insight.search import And, FieldFilter, Not, Or, Term, levenshtein, parse_query, search
from leanspec.project import Project


def T(text: str) -> tuple[str, str]:
    return ("T", text)


def shape(node) -> object:
    """The AST without positions, for readable assertions."""
    if isinstance(node, Term):
        return ("P" if node.phrase else "F" if node.fuzzy is not None else "T", node.text)
    if isinstance(node, FieldFilter):
        return (node.field, node.op, node.value)
    if isinstance(node, Not):
        return ("NOT", shape(node.child))
    if isinstance(node, And):
        return ("AND", *[shape(c) for c in node.children])
    if isinstance(node, Or):
        return ("OR", *[shape(c) for c in node.children])
    raise AssertionError(node)


# ------------------------------------------------------------------------ parser
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("api", T("api")),
        ("api gateway", ("AND", T("api"), T("gateway"))),
        ("api AND gateway", ("AND", T("api"), T("gateway"))),
        ("a b OR c", ("OR", ("AND", T("a"), T("b")), T("c"))),
        ("a OR b c", ("OR", T("a"), ("AND", T("b"), T("c")))),
        ("NOT a b", ("AND", ("NOT", T("a")), T("b"))),
        ("-a b", ("AND", ("NOT", T("a")), T("b"))),
        ("(a OR b) c", ("AND", ("OR", T("a"), T("b")), T("c"))),
        ("a AND (b OR NOT c)", ("AND", T("a"), ("OR", T("b"), ("NOT", T("c"))))),
        ("NOT NOT a", ("NOT", ("NOT", T("a")))),
        ('"Exact  Phrase"', ("P", "exact phrase")),
        ("a and b", ("AND", T("a"), T("and"), T("b"))),  # keywords are upper-case only
        ("well-known", T("well-known")),
        ("http://x.org", T("http://x.org")),
        ("dashbord~", ("F", "dashbord")),
        ("tag:ux", ("tag", "=", "ux")),
        ("tags:UX", ("tag", "=", "ux")),
        ("status:complete priority:high", ("AND", ("status", "=", "complete"), ("priority", "=", "high"))),
        ('title:"unified dashboard"', ("title", "=", "unified dashboard")),
        ("created:>2025-11-01", ("created", ">", ">2025-11-01")),
        ("updated:<=2025-11-01", ("updated", "<=", "<=2025-11-01")),
        ("created:2025-11-01..2025-11-30", ("created", "range", "2025-11-01..2025-11-30")),
        ("created:2025-11-01..", ("created", "range", "2025-11-01..")),
    ],
)
def test_parse(query: str, expected: object) -> None:
    assert shape(parse_query(query)) == expected


def test_fuzzy_distance_depends_on_length() -> None:
    assert parse_query("api~").fuzzy == 1
    assert parse_query("ab~").fuzzy == 1
    assert parse_query("gateway~").fuzzy == 2
    assert parse_query("gateway~1").fuzzy == 1


def test_date_filter_bounds() -> None:
    f = parse_query("created:2025-11-01..2025-11-30")
    assert (f.lo, f.hi) == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("api AND", 4, "needs a term after"),
        ("api OR", 4, "needs a term after"),
        ("AND api", 0, "needs a term before"),
        ("a OR OR b", 5, "needs a term after"),
        ("NOT", 0, "needs a term after"),
        ("(api", 0, "missing ')'"),
        ("api)", 3, "unexpected ')'"),
        ("()", 0, "empty parentheses"),
        ('"open phrase', 0, "unclosed quote"),
        ("colour:red", 0, "unknown field"),
        ("status:", 0, "needs a value"),
        ("status:wip", 0, "unknown status"),
        ("priority:urgent", 0, "unknown priority"),
        ("api created:>2025-13-01", 4, "invalid date"),
        ("created:yesterday", 0, "invalid date"),
        ("created:2025-12-01..2025-11-01", 0, "empty date range"),
        ("created:..", 0, "at least one end"),
    ],
)
def test_syntax_errors_point_at_the_position(query: str, position: int, words: str) -> None:
    with pytest.raises(SearchSyntaxError) as ei:
        parse_query(query)
    err = ei.value
    assert err.code == "search_syntax"
    assert err.details["position"] == position
    assert words in err.message
    assert f"position {position + 1}" in err.message


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_empty_query_is_an_error(query: str) -> None:
    with pytest.raises(SearchSyntaxError):
        search([], query)


def test_levenshtein() -> None:
    assert levenshtein("dashboard", "dashbord", 2) == 1
    assert levenshtein("kitten", "sitting", 3) == 3
    assert levenshtein("abc", "abc", 0) == 0
    assert levenshtein("a", "abcdef", 2) == 3  # gives up past the limit


# ------------------------------------------------------------- hand-made specs
def mk(name: str, title: str, body: str, **fm: object) -> Spec:
    num = int(name.split("-", 1)[0])
    fm.setdefault("status", "planned")
    fm.setdefault("created", "2025-11-01")
    text = f"# {title}\n\n{body}"
    return Spec(name=name, number=num, path=f"specs/{name}/README.md", frontmatter=dict(fm), body=text, content_hash="0" * 64)


SPECS = [
    mk("001-api-gateway", "API Gateway", "Routes requests.\nThe gateway handles auth.\n", tags=["api", "infra"], priority="high", assignee="alice"),
    mk("002-billing", "Billing", "Invoices and payments.\nCalls the api for customers.\n", tags=["payments"], status="complete", created="2025-10-01"),
    mk("003-dashboard", "Dashboard", "Charts.\n\nUses the api gateway for data, mentions gateway twice: gateway.\n", tags=["ui", "ux"], status="in-progress", created="2025-12-05", updated_at="2025-12-20T10:00:00.000Z"),
    mk("004-old-search", "Old Search", "Legacy api search.\n", status="archived", created="2025-01-01"),
]


def names(res: dict) -> list[str]:
    return [r["spec"]["name"] for r in res["results"]]


def test_title_hit_ranks_above_body_hit() -> None:
    res = search(SPECS, "gateway")
    assert names(res) == ["001-api-gateway", "003-dashboard"]
    assert res["results"][0]["score"] > res["results"][1]["score"]
    assert all(0 < r["score"] <= 100 for r in res["results"])


def test_boolean_operators_on_results() -> None:
    assert names(search(SPECS, "api NOT gateway")) == ["002-billing"]
    assert sorted(names(search(SPECS, "api -gateway"))) == ["002-billing"]
    assert sorted(names(search(SPECS, "invoices OR charts"))) == ["002-billing", "003-dashboard"]
    assert names(search(SPECS, "(invoices OR charts) AND tag:ux")) == ["003-dashboard"]
    assert names(search(SPECS, "api gateway auth")) == ["001-api-gateway"]


def test_phrase_and_fuzzy() -> None:
    assert names(search(SPECS, '"handles auth"')) == ["001-api-gateway"]
    assert names(search(SPECS, '"auth handles"')) == []
    assert names(search(SPECS, "paymants~")) == ["002-billing"]
    assert names(search(SPECS, "paymants")) == []
    # 4-letter terms allow one edit only
    assert "003-dashboard" in names(search(SPECS, "dota~"))  # data
    assert names(search(SPECS, "dxtx~")) == []


def test_field_filters() -> None:
    assert names(search(SPECS, "status:complete")) == ["002-billing"]
    assert names(search(SPECS, "priority:high")) == ["001-api-gateway"]
    assert names(search(SPECS, "assignee:alice")) == ["001-api-gateway"]
    assert names(search(SPECS, "assignee:@ALICE")) == ["001-api-gateway"]
    assert names(search(SPECS, "tag:payments")) == ["002-billing"]
    assert names(search(SPECS, "tag:pay")) == []  # tags match whole
    assert names(search(SPECS, "title:dash")) == ["003-dashboard"]
    assert names(search(SPECS, "name:002")) == ["002-billing"]
    assert names(search(SPECS, "created:>2025-11-01")) == ["003-dashboard"]
    assert sorted(names(search(SPECS, "created:>=2025-11-01"))) == ["001-api-gateway", "003-dashboard"]
    assert names(search(SPECS, "created:<2025-11-01")) == ["002-billing"]
    assert names(search(SPECS, "created:2025-10-01")) == ["002-billing"]
    assert sorted(names(search(SPECS, "created:2025-10-01..2025-11-01"))) == ["001-api-gateway", "002-billing"]
    assert names(search(SPECS, "updated:>2025-12-10")) == ["003-dashboard"]


def test_archived_only_on_request() -> None:
    assert "004-old-search" not in names(search(SPECS, "api"))
    assert names(search(SPECS, "status:archived")) == ["004-old-search"]
    assert "004-old-search" in names(search(SPECS, "api", include_archived=True))
    assert names(search(SPECS, "legacy NOT status:archived")) == []


def test_matches_carry_lines_snippets_and_highlights() -> None:
    res = search(SPECS, "gateway")
    dash = next(r for r in res["results"] if r["spec"]["name"] == "003-dashboard")
    content = [m for m in dash["matches"] if m["field"] == "content"]
    assert len(content) == 1
    m = content[0]
    body_lines = SPECS[2].body.splitlines()
    assert body_lines[m["line"] - 1] == m["text"]  # short line: the whole line is the snippet
    assert m["line"] == 5
    assert len(m["highlights"]) == 3
    for a, b in m["highlights"]:
        assert m["text"][a:b].lower() == "gateway"
    gw = next(r for r in res["results"] if r["spec"]["name"] == "001-api-gateway")
    title = next(m for m in gw["matches"] if m["field"] == "title")
    assert title["line"] is None
    assert [title["text"][a:b] for a, b in title["highlights"]] == ["Gateway"]
    assert res["results"][0]["spec"] == SPECS[0].to_dict()


def test_long_line_snippet_is_cut_around_the_hit() -> None:
    long = "x" * 300 + " needle " + "y" * 300
    s = mk("010-long", "Long", long + "\n")
    m = next(m for m in search([s], "needle")["results"][0]["matches"] if m["field"] == "content")
    assert len(m["text"]) <= 6 + 2 * 80 + 2
    assert m["text"].startswith("…") and m["text"].endswith("…")
    (a, b), = m["highlights"]
    assert m["text"][a:b] == "needle"


def test_limit_keeps_total() -> None:
    res = search(SPECS, "api", limit=1)
    assert res["total"] == 3 and len(res["results"]) == 1
    assert res["query"] == "api"


# -------------------------------------------------------------------- fixture
def _independent_meta(root: Path) -> dict[str, dict]:
    """Frontmatter of every spec, read straight from disk (not through leanspec)."""
    out = {}
    for readme in (root / "specs").rglob("README.md"):
        text = readme.read_text(encoding="utf-8")
        if not text.startswith("---"):
            continue
        fm = yaml.safe_load(text.split("---", 2)[1]) or {}
        out[readme.parent.name] = {"fm": fm, "archived_dir": "archived" in readme.parts, "text": text}
    return out


def test_fixture_status_and_tag(fixture_project: Path) -> None:
    meta = _independent_meta(fixture_project)
    expected = sorted(
        n
        for n, m in meta.items()
        if m["fm"].get("status") == "complete" and "ux" in (m["fm"].get("tags") or []) and not m["archived_dir"]
    )
    assert expected  # the fixture has some
    specs = Project.open(fixture_project).load().specs
    assert sorted(names(search(specs, "status:complete AND tag:ux"))) == expected
    assert sorted(names(search(specs, "tag:ux status:complete"))) == expected


def test_fixture_word_search_finds_every_spec_containing_it(fixture_project: Path) -> None:
    meta = _independent_meta(fixture_project)
    expected = sorted(n for n, m in meta.items() if "websocket" in m["text"].lower() and not m["archived_dir"] and m["fm"].get("status") != "archived")
    specs = Project.open(fixture_project).load().specs
    got = search(specs, "websocket")
    assert sorted(names(got)) == expected
    scores = [r["score"] for r in got["results"]]
    assert scores == sorted(scores, reverse=True)


# ------------------------------------------------------------------------ CLI
def test_cli_syntax_error_is_an_error(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "search", "api", "AND", "--json")
    assert r.code != 0
    err = r.json["error"]
    assert err["code"] == "search_syntax"
    assert err["details"]["position"] == 4
    r = cli(fixture_project, "search", "--json")
    assert r.code != 0 and r.json["error"]["code"] == "search_syntax"


def test_cli_syntax_error_subprocess(cli_proc, fixture_project: Path) -> None:
    r = cli_proc(fixture_project, "search", "(api", "-o", "json")
    assert r.code == 1
    assert '"search_syntax"' in r.out
    assert "missing ')'" in r.err


def test_cli_results_and_prefilters(cli, fixture_project: Path) -> None:
    meta = _independent_meta(fixture_project)
    r = cli(fixture_project, "search", "status:complete", "AND", "tag:ux", "--json")
    assert r.code == 0
    expected = sorted(n for n, m in meta.items() if m["fm"].get("status") == "complete" and "ux" in (m["fm"].get("tags") or []) and not m["archived_dir"])
    assert sorted(x["spec"]["name"] for x in r.json["results"]) == expected
    r2 = cli(fixture_project, "search", "status:complete", "--tag", "ux", "--json")
    assert sorted(x["spec"]["name"] for x in r2.json["results"]) == expected
    r3 = cli(fixture_project, "search", "dashboard", "--limit", "1", "--json")
    assert len(r3.json["results"]) == 1 and r3.json["total"] >= 1
    r4 = cli(fixture_project, "search", "spec", "--archived", "--json")
    assert any(x["spec"]["archived"] for x in r4.json["results"])
    text = cli(fixture_project, "search", "dashboard")
    assert text.code == 0 and "«" in text.out and "results for 'dashboard'" in text.out


def test_cli_help_syntax(cli, empty_project: Path) -> None:
    r = cli(empty_project, "search", "--help-syntax")
    assert r.code == 0
    for word in ("AND", "OR", "NOT", '"exact phrase"', "status:", "tag:", "created:>", "..", "~"):
        assert word in r.out


# ------------------------------------------------- content hits: line by line
def _reference_lines(body: str, needle: str) -> list[tuple[int, list[list[int]]]]:
    """Independent reference: every body line (splitlines, 1-based) containing the
    needle case-insensitively, with each occurrence (overlapping ones too)."""
    out = []
    for i, line in enumerate(body.splitlines(), 1):
        low = line.lower()
        spans = [[k, k + len(needle)] for k in range(len(low)) if low.startswith(needle, k)]
        if spans:
            out.append((i, spans))
    return out


@pytest.mark.parametrize(
    "body",
    [
        "plain\nthe gate here\n\nno\nGATE and gate and GaTe\n",
        "crlf line\r\ngate one\r\n\r\ngate two\r\n",  # \r\n is one line break
        "old mac\rgate\rx gate\n",
        "unicode\u2028gate after a line separator\x85gate after NEL\x0cgate\n",
        "İstanbul gate (İ lower-cases to two characters)\ngate\n",
        "ΟΔΟΣ gate σ ς\nΣgate\n",  # final sigma is context-dependent
        "gategategate overlapping\ngatgate\n",
        "no trailing newline gate",
        "gate",
    ],
)
def test_content_hits_match_a_line_by_line_scan(body: str) -> None:
    s = mk("010-x", "Title", "")
    s.body = body
    for needle in ("gate", "gategate", "ate a"[:3]):
        res = search([s], needle)
        want = _reference_lines(body, needle)
        if not want:
            assert res["total"] == 0
            continue
        got = [(m["line"], m) for m in res["results"][0]["matches"] if m["field"] == "content"]
        assert [ln for ln, _m in got] == [ln for ln, _s in want][:10]
        lines = body.splitlines()
        for (_got_ln, m), (_want_ln, spans) in zip(got, want, strict=False):  # got: first 10
            assert len(m["highlights"]) == len(_merge_ref(spans))
            for a, b in m["highlights"]:
                assert needle in m["text"][a:b].lower()
        assert res["results"][0]["total_matches"] == sum(len(_merge_ref(sp)) for _l, sp in want)
        assert all(m["text"].strip("…") in lines[ln - 1] for ln, m in got)


def _merge_ref(spans: list[list[int]]) -> list[list[int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def test_fuzzy_and_phrase_results_do_not_depend_on_other_specs() -> None:
    """Fuzzy verdicts are remembered across specs within one search and phrases are
    pre-checked on the whole body: each spec's result equals searching it alone."""
    bodies = ["the gateway routes\n", "a gatewya typo\nand gate way\n", "nothing here\n", "Gateway\n  routes  here\n"]
    specs = [mk(f"0{i}1-s{i}", f"S{i}", b) for i, b in enumerate(bodies)]
    for q in ("gateway~", "gatewai~1", '"gateway routes"', '"gate way"', "gateway~ -typo"):
        together = search(specs, q)["results"]
        alone = [r for s in specs for r in search([s], q)["results"]]
        assert sorted(together, key=lambda r: r["spec"]["name"]) == sorted(alone, key=lambda r: r["spec"]["name"])
    assert [r["spec"]["name"] for r in search(specs, '"gateway routes"')["results"]] == ["001-s0"]
