"""The HTTP API, in-process (starlette TestClient over the real app and a copy of the
real fixture project): every route, ETag/If-Match conflicts, origin/host checks,
bearer token, read-only mode, traversal attempts, multi-project routes, and SSE over
a real uvicorn server."""

from __future__ import annotations

import hashlib
import json
import queue
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

from leanspec.project import Project
from leanspec.web.app import create_app

BASE = "http://127.0.0.1:3000"


def client(*roots: Path, **kw: Any) -> TestClient:
    # As a browser page of this server does, every request carries its Origin.
    return TestClient(create_app(list(roots), **kw), base_url=BASE, headers={"Origin": BASE})


@pytest.fixture
def c(fixture_project: Path) -> TestClient:
    return client(fixture_project)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def readme(root: Path, name: str) -> Path:
    hits = list((root / "specs").glob(f"**/{name}*/README.md"))
    assert len(hits) == 1, hits
    return hits[0]


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body


# ===================================================================== reads
def test_health_info_projects(c: TestClient, fixture_project: Path) -> None:
    assert c.get("/api/health").json()["ok"] is True
    info = c.get("/api/info").json()
    assert info["readonly"] is False and info["auth"] is False
    assert info["statuses"][:4] == ["draft", "planned", "in-progress", "complete"]
    assert info["projects"][0]["root"] == str(fixture_project.resolve())
    pr = c.get("/api/projects").json()
    assert pr["default"] == info["default_project"] == pr["projects"][0]["id"]


def test_list_specs_filters_and_sort(c: TestClient) -> None:
    r = c.get("/api/specs")
    assert r.status_code == 200
    data = r.json()
    names = [s["name"] for s in data["specs"]]
    assert "045-unified-dashboard" in names
    assert not any(s["archived"] for s in data["specs"])  # archived hidden by default
    assert data["total"] == len(names)
    # Spec JSON is Spec.to_dict() everywhere
    s0 = data["specs"][0]
    for key in ("name", "number", "title", "status", "priority", "tags", "depends_on", "content_hash", "checklist"):
        assert key in s0
    with_arch = c.get("/api/specs?archived=true").json()
    assert any(s["archived"] for s in with_arch["specs"])
    planned = c.get("/api/specs?status=planned").json()["specs"]
    assert planned and all(s["status"] == "planned" for s in planned)
    tagged = c.get("/api/specs?tag=mcp").json()["specs"]
    assert tagged and all("mcp" in s["tags"] for s in tagged)
    by_title = c.get("/api/specs?sort=title").json()["specs"]
    assert [s["title"].lower() for s in by_title] == sorted(s["title"].lower() for s in by_title)
    desc = c.get("/api/specs?sort=id&order=desc").json()["specs"]
    assert [s["number"] for s in desc] == sorted((s["number"] for s in desc), reverse=True)
    q = c.get("/api/specs", params={"q": "dashboard"}).json()["specs"]
    assert "045-unified-dashboard" in [s["name"] for s in q]
    # ?q= keeps the listing's order and exactly the specs the search finds.
    full = [s["name"] for s in c.get("/api/specs").json()["specs"]]
    found = c.get("/api/search", params={"q": "dashboard", "limit": 10000, "archived": "true"}).json()["results"]
    assert [s["name"] for s in q] == [n for n in full if n in {r["spec"]["name"] for r in found}]
    assert c.get("/api/specs?limit=2").json()["specs"].__len__() == 2
    assert_error(c.get("/api/specs?status=bogus"), 400, "invalid_input")
    assert_error(c.get("/api/specs?sort=bogus"), 400, "invalid_input")


def test_get_spec_etag_html_files(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "045-unified-dashboard")
    r = c.get("/api/specs/045")
    assert r.status_code == 200
    spec = r.json()["spec"]
    assert spec["name"] == "045-unified-dashboard"
    assert r.headers["etag"] == f'"{sha(path)}"' and spec["content_hash"] == sha(path)
    assert spec["content"] and "<h2>" in spec["html"]
    assert "DESIGN.md" in [f["name"] for f in spec["files"]]
    assert set(spec["relationships"]) == {"depends_on", "required_by", "children", "parent"}
    # by slug and by full name too
    assert c.get("/api/specs/unified-dashboard").json()["spec"]["name"] == spec["name"]
    # conditional GET
    r304 = c.get("/api/specs/045", headers={"If-None-Match": r.headers["etag"]})
    assert r304.status_code == 304
    assert_error(c.get("/api/specs/999"), 404, "spec_not_found")
    assert_error(c.get("/api/specs/038"), 409, "ambiguous_spec")  # two archived 038s


def test_markdown_is_rendered_safely(c: TestClient, fixture_project: Path) -> None:
    p = Project.open(fixture_project)
    content = (
        "# Safe\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- [ ] open item\n- [x] done item\n\n```python\nx = 1\n```\n\n```mermaid\ngraph TD; A-->B\n```\n\n"
        "[bad](javascript:alert(1))\n"
    )
    p.create("render-check", content=content)
    html = c.get("/api/specs/render-check").json()["spec"]["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<table>" in html
    assert html.count('class="task-list-item-checkbox"') == 2 and 'checked="checked"' in html
    assert 'data-lang="python"' in html and "tok-" in html
    assert "mermaid-src" in html and "A--&gt;B" in html
    assert 'href="javascript:' not in html


def test_hostile_markdown_cannot_script_or_disguise_the_page(c: TestClient, fixture_project: Path) -> None:
    """Spec text that tries HTML, attribute and URL tricks, terminal escapes and bidi
    overrides: nothing becomes markup, no script URL is linked, controls show escaped,
    and task items keep their line (docs/security.md)."""
    import re

    p = Project.open(fixture_project)
    content = (
        "# Hostile \x1b]0;title\x07\n\n"
        "<img src=x onerror=alert(1)>\n\n<a href=\"javascript:alert(1)\">a</a>\n\n"
        "[x](JaVaScRiPt:alert(1)) [y](<java\tscript:alert(2)>) [z](vbscript:x) [f](file:///etc/passwd) "
        "[d](data:text/html,<script>alert(3)</script>) ![i](javascript:alert(4)) <javascript:alert(5)>\n\n"
        "[r][ref]\n\n[ref]: javascript:alert(6)\n\n"
        "```x\" onmouseover=\"alert(7)\ncode\n```\n\n```mermaid\n<img src=x onerror=alert(8)>\n```\n\n"
        "| h |\n|---|\n| <b onclick=x>y</b> |\n\n"
        "Reversed \u202etxt.exe\u202c, CSI \x9b2J, DEL \x7f, BEL \x07, ESC \x1b[2J.\n\n"
        "- [ ] first \x1b[8m hidden\n- [x] second\n"
    )
    p.create("hostile-render", content=content)
    html = c.get("/api/specs/hostile-render").json()["spec"]["html"]
    assert not re.search(r"<(script|img|iframe|object|embed|svg)\b", html, re.I), html
    assert not re.search(r"\son\w+\s*=\s*[\"']", html), html  # no event-handler attribute
    assert not re.search(r'href="\s*(javascript|vbscript|file|data):', html, re.I), html
    assert 'href="java%09script:' in html  # percent-encoded: not a script URL to a browser
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", html), html
    assert "\\x1b" in html and "\\u202e" in html and "\\x9b" in html
    body_lines = p.get("hostile-render").body.split("\n")
    lines = [int(x) for x in re.findall(r'data-line="(\d+)"', html)]
    assert len(lines) == 2 and body_lines[lines[0]].startswith("- [ ] first") and body_lines[lines[1]] == "- [x] second"


def test_sub_spec_files(c: TestClient, fixture_project: Path) -> None:
    r = c.get("/api/specs/045/files/DESIGN.md")
    assert r.status_code == 200
    body = r.json()
    design = fixture_project / "specs/045-unified-dashboard/DESIGN.md"
    assert body["content"] == design.read_text()
    assert r.headers["etag"] == f'"{sha(design)}"'
    assert body["html"]
    assert_error(c.get("/api/specs/045/files/NOPE.md"), 404, "file_not_found")
    # write it back with the right hash, then a stale hash
    r2 = c.put(
        "/api/specs/045/files/DESIGN.md", json={"content": "# Design\n\nnew\n"}, headers={"If-Match": r.headers["etag"]}
    )
    assert r2.status_code == 200, r2.text
    assert design.read_text() == "# Design\n\nnew\n"
    stale = c.put("/api/specs/045/files/DESIGN.md", json={"content": "lost\n"}, headers={"If-Match": r.headers["etag"]})
    body = assert_error(stale, 409, "conflict")
    assert body["current"]["content"] == "# Design\n\nnew\n"
    assert design.read_text() == "# Design\n\nnew\n"


def test_board_deps_stats_search_validate(c: TestClient) -> None:
    b = c.get("/api/board").json()
    assert b["group_by"] == "status"
    cols = [g["name"] for g in b["groups"]]
    assert cols[:3] == ["planned", "in-progress", "complete"] and "archived" not in cols
    assert "archived" in [g["name"] for g in c.get("/api/board?archived=true").json()["groups"]]
    assert sum(g["count"] for g in c.get("/api/board?tag=mcp").json()["groups"]) >= 1

    d = c.get("/api/deps").json()
    for key in ("nodes", "edges", "cycles", "layers", "critical_path", "unresolved"):
        assert key in d
    assert {n["id"] for n in d["nodes"]} == {n for layer in d["layers"] for n in layer}
    focus = c.get("/api/deps?spec=045").json()
    assert focus["focus"] == "045-unified-dashboard"
    assert "045-unified-dashboard" in [n["id"] for n in focus["nodes"]]
    sd = c.get("/api/specs/045/deps?mode=upstream&depth=2").json()
    assert sd["spec"]["name"] == "045-unified-dashboard" and sd["mode"] == "upstream"
    assert_error(c.get("/api/specs/045/deps?mode=sideways"), 400, "invalid_input")

    st = c.get("/api/stats").json()
    for key in ("overview", "by_status", "by_priority", "by_tag", "velocity", "timeline", "cycle_times"):
        assert key in st
    assert st["timeline"]["series"]
    assert c.get("/api/stats?days=30").json()["timeline"]["days"] == 30

    s = c.get("/api/search", params={"q": "tag:mcp"}).json()
    assert s["total"] >= 1 and all("mcp" in r["spec"]["tags"] for r in s["results"])
    assert_error(c.get("/api/search", params={"q": '"unterminated'}), 400, "search_syntax")
    assert_error(c.get("/api/search"), 400, "invalid_input")

    v = c.get("/api/validate").json()
    assert v["ok"] is True and isinstance(v["valid"], bool) and "issues" in v


# ==================================================================== writes
def test_create_allocates_a_number(c: TestClient, fixture_project: Path) -> None:
    r = c.post("/api/specs", json={"name": "via-http", "title": "Via HTTP", "tags": ["api"], "priority": "high"})
    assert r.status_code == 201, r.text
    spec = r.json()["spec"]
    assert re.match(r"^\d{3}-via-http$", spec["name"]) and spec["number"] > 155
    assert r.headers["location"] == f"/api/specs/{spec['name']}"
    p = fixture_project / "specs" / spec["name"] / "README.md"
    assert p.is_file() and r.headers["etag"] == f'"{sha(p)}"'
    assert "api" in p.read_text() and "priority: high" in p.read_text()
    assert c.get(f"/api/specs/{spec['number']}").json()["spec"]["title"] == "Via HTTP"
    assert_error(c.post("/api/specs", json={"title": "no name"}), 400, "invalid_input")
    assert_error(c.post("/api/specs", json={"name": "../../evil"}), 400, "invalid_input")
    assert_error(c.post("/api/specs", json={"name": "x", "status": "bogus"}), 400, "invalid_input")
    assert_error(c.post("/api/specs", json={"name": "x", "bogus": 1}), 400, "invalid_input")
    assert_error(
        c.post("/api/specs", content=b"{not json", headers={"Content-Type": "application/json"}), 400, "invalid_input"
    )
    assert_error(c.post("/api/specs", json=["a"]), 400, "invalid_input")
    assert not (fixture_project / "evil").exists()


def test_patch_metadata_with_if_match(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    r = c.get("/api/specs/152")
    et = r.headers["etag"]
    upd = c.patch(
        "/api/specs/152",
        json={
            "status": "in-progress",
            "priority": "high",
            "tags": ["cli", "new-tag"],
            "assignee": "alice",
            "depends_on": ["147", "150"],
            "parent": "059",
        },
        headers={"If-Match": et},
    )
    assert upd.status_code == 200, upd.text
    body = upd.json()
    assert set(body["changed"]) >= {"status", "priority", "tags", "assignee", "depends_on", "parent"}
    assert upd.headers["etag"] == f'"{sha(path)}"' == f'"{body["content_hash"]}"'
    text = path.read_text()
    assert "status: in-progress" in text and "assignee: alice" in text and "new-tag" in text
    assert "147-json-config-format" in text and "parent: 059-programmatic-spec-management" in text
    spec = c.get("/api/specs/152").json()["spec"]
    assert spec["depends_on"] == ["147-json-config-format", "150-tag-management"]
    # expected_hash in the body works as well as If-Match; clearing values
    clr = c.patch(
        "/api/specs/152",
        json={"assignee": None, "parent": None, "depends_on": [], "expected_hash": spec["content_hash"]},
    )
    assert clr.status_code == 200, clr.text
    s2 = clr.json()["spec"]
    assert s2["assignee"] is None and s2["parent"] is None and s2["depends_on"] == []
    # add/remove forms
    s3 = c.patch(
        "/api/specs/152", json={"add_tags": ["x1"], "remove_tags": ["cli"]}, headers={"If-Match": s2["content_hash"]}
    ).json()["spec"]
    assert "x1" in s3["tags"] and "cli" not in s3["tags"]


def test_write_without_precondition_is_refused(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    before = path.read_bytes()
    assert_error(c.patch("/api/specs/152", json={"status": "complete"}), 428, "precondition_required")
    assert_error(c.put("/api/specs/152/content", json={"content": "x"}), 428, "precondition_required")
    assert_error(c.post("/api/specs/152/archive"), 428, "precondition_required")
    assert_error(c.post("/api/specs/152/checklist", json={"line": 0, "checked": True}), 428, "precondition_required")
    assert path.read_bytes() == before
    # If-Match: * is an explicit "overwrite whatever is there"
    r = c.patch("/api/specs/152", json={"priority": "low"}, headers={"If-Match": "*"})
    assert r.status_code == 200 and "priority: low" in path.read_text()


def test_stale_write_gets_409_with_current_version(c: TestClient, fixture_project: Path, cli: Any) -> None:
    path = readme(fixture_project, "147-")
    et = c.get("/api/specs/147").headers["etag"]
    # someone else (the CLI) changes the spec
    run = cli(fixture_project, "update", "147", "--add-tags", "from-cli")
    assert run.code == 0, run.err
    after_cli = path.read_bytes()
    for method, url, body in [
        ("PATCH", "/api/specs/147", {"tags": ["mine"]}),
        ("PUT", "/api/specs/147/content", {"content": "# Mine\n"}),
        ("POST", "/api/specs/147/archive", None),
        ("POST", "/api/specs/147/checklist", {"line": 0, "checked": True}),
    ]:
        r = c.request(method, url, json=body, headers={"If-Match": et})
        err = assert_error(r, 409, "conflict")
        assert err["error"]["details"]["current_hash"] == sha(path)
        assert err["current"]["content_hash"] == sha(path)
        assert "from-cli" in err["current"]["tags"]
        assert path.read_bytes() == after_cli  # nothing overwritten


def test_put_content_and_checklist(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "150-")
    spec = c.get("/api/specs/150").json()["spec"]
    lines = spec["content"].split("\n")
    line = next(i for i, ln in enumerate(lines) if ln.startswith("- [ ] "))
    r = c.post(
        "/api/specs/150/checklist", json={"line": line, "checked": True}, headers={"If-Match": spec["content_hash"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["spec"]["checklist"]["done"] == spec["checklist"]["done"] + 1
    assert "- [x] " + lines[line][6:] in path.read_text()
    h2 = r.json()["content_hash"]
    assert_error(
        c.post("/api/specs/150/checklist", json={"line": 0, "checked": True}, headers={"If-Match": h2}),
        400,
        "invalid_input",
    )
    r = c.post("/api/specs/150/checklist", json={"item": lines[line][6:], "checked": False}, headers={"If-Match": h2})
    assert r.status_code == 200 and "- [ ] " + lines[line][6:] in path.read_text()
    # replace the body: frontmatter is kept
    h3 = r.json()["content_hash"]
    r = c.put(
        "/api/specs/150/content",
        json={"content": "\n# Tag Management and Governance\n\nRewritten.\n"},
        headers={"If-Match": h3},
    )
    assert r.status_code == 200, r.text
    text = path.read_text()
    assert text.startswith("---\n") and "status: planned" in text and "Rewritten." in text
    assert "- [ ]" not in text


def test_archive(c: TestClient, fixture_project: Path) -> None:
    et = c.get("/api/specs/154").headers["etag"]
    r = c.post("/api/specs/154/archive", headers={"If-Match": et})
    assert r.status_code == 200, r.text
    assert r.json()["spec"]["archived"] is True
    assert not (fixture_project / "specs/154-dependencies-page-focus-mode").exists()
    assert (fixture_project / "specs/archived/154-dependencies-page-focus-mode/README.md").is_file()
    assert "154-dependencies-page-focus-mode" not in [s["name"] for s in c.get("/api/specs").json()["specs"]]


def test_invalid_writes_change_nothing(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    before = path.read_bytes()
    et = c.get("/api/specs/152").headers["etag"]
    assert_error(c.patch("/api/specs/152", json={"status": "bogus"}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(c.patch("/api/specs/152", json={"priority": "urgent"}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(
        c.patch("/api/specs/152", json={"depends_on": ["152"]}, headers={"If-Match": et}), 400, "invalid_relationship"
    )
    assert_error(
        c.patch("/api/specs/152", json={"depends_on": ["999"]}, headers={"If-Match": et}), 404, "spec_not_found"
    )
    assert_error(c.patch("/api/specs/152", json={"tags": [1.5]}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(c.patch("/api/specs/152", json={"owner": "x"}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(c.patch("/api/specs/152", json={}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(c.put("/api/specs/152/content", json={"content": 5}, headers={"If-Match": et}), 400, "invalid_input")
    assert_error(
        c.put("/api/specs/152/content", json={"content": "---\nstatus: nope\n---\n"}, headers={"If-Match": et}),
        400,
        "invalid_input",
    )
    # completing with open checklist items is blocked (409), as in the CLI
    assert_error(
        c.patch("/api/specs/152", json={"status": "complete"}, headers={"If-Match": et}), 409, "completion_blocked"
    )
    assert path.read_bytes() == before


def test_oversized_body_is_refused(c: TestClient) -> None:
    big = b'{"name": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert_error(
        c.post("/api/specs", content=big, headers={"Content-Type": "application/json"}), 413, "payload_too_large"
    )


def test_cycles_in_the_graph(c: TestClient, fixture_project: Path) -> None:
    # the store refuses cycles; a hand edit can still make one, and the graph reports it
    Project.open(fixture_project).link("152", ["147"])
    p = readme(fixture_project, "147-")
    p.write_text(p.read_text().replace("priority: medium", "priority: medium\ndepends_on:\n  - 152", 1))
    d = c.get("/api/deps").json()
    assert sorted(d["cycles"][0]) == ["147-json-config-format", "152-link-required-by-syntax"]
    layer = next(layer for layer in d["layers"] if "147-json-config-format" in layer)
    assert "152-link-required-by-syntax" in layer  # a cycle shares one layer


def test_unknown_routes_and_methods(c: TestClient) -> None:
    assert_error(c.get("/api/nope"), 404, "not_found")
    r = c.delete("/api/specs/045")
    assert_error(r, 405, "method_not_allowed")
    assert "PATCH" in r.headers["allow"]
    assert_error(c.get("/api/specs/045/archive"), 405, "method_not_allowed")


# ================================================================== security
@pytest.mark.parametrize(
    "url",
    [
        "/api/specs/..%2F..%2Fetc%2Fpasswd",
        "/api/specs/045%2F..%2F..%2Fx",
        "/api/specs/%2e%2e",
        "/api/specs/045/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/specs/045/files/.lean-spec",
        "/api/specs/045/files/%2e%2e%2fREADME.md",
        "/api/specs/045/files/..%5C..%5Cx",
        "/api/specs/%00",
    ],
)
def test_path_traversal_is_refused(c: TestClient, url: str) -> None:
    r = c.get(url)
    assert r.status_code in (400, 404), r.text
    body = r.json()
    assert body["ok"] is False and body["error"]["code"] in (
        "invalid_input",
        "not_found",
        "spec_not_found",
        "file_not_found",
    )
    assert "root:" not in r.text


def test_traversal_in_write_bodies(c: TestClient, fixture_project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "x"
    et = c.get("/api/specs/045").headers["etag"]
    assert c.patch("/api/specs/045", json={"depends_on": ["045/../../x"]}, headers={"If-Match": et}).status_code in (
        400,
        404,
    )
    assert c.patch("/api/specs/045", json={"parent": "../../../etc/passwd"}, headers={"If-Match": et}).status_code in (
        400,
        404,
    )
    r = c.put("/api/specs/045/files/..%2F..%2Fx", json={"content": "pwned"}, headers={"If-Match": "*"})
    assert r.status_code in (400, 404)
    assert not outside.exists() and not (fixture_project / "x").exists()


def test_foreign_origin_and_host_are_refused(c: TestClient, fixture_project: Path) -> None:
    path = readme(fixture_project, "152-")
    before = path.read_bytes()
    et = c.get("/api/specs/152").headers["etag"]
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:3000"):
        r = c.patch("/api/specs/152", json={"priority": "low"}, headers={"If-Match": et, "Origin": origin})
        assert_error(r, 403, "forbidden_origin")
    assert_error(
        c.post("/api/specs", json={"name": "csrf"}, headers={"Origin": "http://evil.example"}), 403, "forbidden_origin"
    )
    assert_error(
        c.post("/api/specs", json={"name": "csrf"}, headers={"Sec-Fetch-Site": "cross-site"}), 403, "forbidden_origin"
    )
    # DNS rebinding: a foreign Host is refused for reads too
    assert_error(c.get("/api/specs", headers={"Host": "evil.example:3000"}), 403, "forbidden_host")
    assert_error(c.get("/", headers={"Host": "attacker.test"}), 403, "forbidden_host")
    assert path.read_bytes() == before
    assert not list((fixture_project / "specs").glob("*-csrf"))
    # same origin works; localhost and IP literals are fine as Host
    ok = c.patch("/api/specs/152", json={"priority": "low"}, headers={"If-Match": et, "Origin": BASE})
    assert ok.status_code == 200, ok.text
    assert c.get("/api/health", headers={"Host": "localhost:3000"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "[::1]:3000"}).status_code == 200


def test_allowed_hosts_option(fixture_project: Path) -> None:
    c = client(fixture_project, allowed_hosts=["devbox.lan"])
    assert c.get("/api/health", headers={"Host": "devbox.lan:3000"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "other.lan:3000"}).status_code == 403


def test_bearer_token(fixture_project: Path) -> None:
    c = client(fixture_project, api_key="s3cret-key")
    assert c.get("/api/health").status_code == 200  # liveness stays open
    r = c.get("/api/specs")
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(c.get("/api/specs", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert_error(c.get("/api/specs", headers={"Authorization": "Basic s3cret-key"}), 401, "unauthorized")
    assert c.get("/api/specs", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
    # the page shell and assets need no key (they hold no data)
    assert c.get("/").status_code == 200
    assert c.get("/static/js/app.js").status_code == 200
    assert c.get("/api/info", headers={"Authorization": "Bearer s3cret-key"}).json()["auth"] is True


def test_readonly(fixture_project: Path) -> None:
    c = client(fixture_project, readonly=True)
    path = readme(fixture_project, "152-")
    before = path.read_bytes()
    et = c.get("/api/specs/152").headers["etag"]
    assert_error(c.patch("/api/specs/152", json={"priority": "low"}, headers={"If-Match": et}), 403, "readonly")
    assert_error(c.post("/api/specs", json={"name": "nope"}), 403, "readonly")
    assert_error(c.put("/api/specs/152/content", json={"content": "x"}, headers={"If-Match": et}), 403, "readonly")
    assert path.read_bytes() == before
    assert c.get("/api/board").status_code == 200
    assert c.get("/api/info").json()["readonly"] is True


# ============================================================ multi-project
def test_multi_project_routes(fixture_project: Path, empty_project: Path) -> None:
    p2 = Project.open(empty_project)
    p2.create("second-project-spec", title="Only in project two")
    c = client(fixture_project, empty_project)
    projects = c.get("/api/projects").json()["projects"]
    assert [p["root"] for p in projects] == [str(fixture_project.resolve()), str(empty_project.resolve())]
    a, b = projects[0]["id"], projects[1]["id"]
    assert a != b
    names_b = [s["name"] for s in c.get(f"/api/projects/{b}/specs").json()["specs"]]
    assert names_b == ["001-second-project-spec"]
    assert "045-unified-dashboard" in [s["name"] for s in c.get(f"/api/projects/{a}/specs").json()["specs"]]
    # /api/... is the first (default) project
    assert "045-unified-dashboard" in [s["name"] for s in c.get("/api/specs").json()["specs"]]
    for route in ("board", "deps", "stats", "validate"):
        assert c.get(f"/api/projects/{b}/{route}").status_code == 200, route
    assert c.get(f"/api/projects/{b}/search?q=second").json()["total"] == 1
    r = c.get(f"/api/projects/{b}/specs/1")
    et = r.headers["etag"]
    upd = c.patch(f"/api/projects/{b}/specs/1", json={"tags": ["two"]}, headers={"If-Match": et})
    assert upd.status_code == 200 and "two" in (empty_project / "specs/001-second-project-spec/README.md").read_text()
    created = c.post(f"/api/projects/{b}/specs", json={"name": "another"})
    assert created.status_code == 201 and created.json()["spec"]["name"] == "002-another"
    assert_error(c.get("/api/projects/nope/specs"), 404, "project_not_found")
    assert_error(c.get(f"/api/projects/{b}/specs/045"), 404, "spec_not_found")


def test_same_folder_names_get_distinct_ids(tmp_path: Path) -> None:
    roots = []
    for parent in ("a", "b"):
        r = tmp_path / parent / "proj"
        (r / "specs").mkdir(parents=True)
        roots.append(r)
    ids = [p["id"] for p in client(*roots).get("/api/projects").json()["projects"]]
    assert len(set(ids)) == 2


# ================================================================== pages
def test_page_shell_and_static(c: TestClient) -> None:
    pid = c.get("/api/projects").json()["default"]
    ok = (
        "/",
        "/board",
        "/specs",
        "/specs/045",
        "/graph",
        "/graph/045",
        "/stats",
        f"/p/{pid}/board",
        f"/p/{pid}/specs/045",
    )
    # Unknown pages get the same shell (it draws a 404 page) with a real 404 status.
    missing = ("/nope", "/specs/045/DESIGN.md", "/board/x", "/p/x/board", f"/p/{pid}/nope")
    for path in ok + missing:
        r = c.get(path)
        assert r.status_code == (200 if path in ok else 404), path
        assert "text/html" in r.headers["content-type"], path
        assert '<script type="module" src="/static/js/app.js' in r.text
        assert "Content-Security-Policy" in r.headers
    # no CDN: every script/style the page loads is ours
    shell = c.get("/").text
    assert not re.search(r"""(src|href)=["']https?://""", shell)
    static = Path(__import__("leanspec.web", fromlist=["x"]).__file__).parent / "static"
    vendor = static / "vendor"
    assert (vendor / "mermaid.min.js").stat().st_size > 1_000_000 and (vendor / "mermaid.LICENSE").is_file()
    for f in static.rglob("*"):
        if f.suffix in (".js", ".css", ".html") and vendor not in f.parents:  # vendored code names URLs in strings
            text = f.read_text()
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f
            assert c.get("/static/" + f.relative_to(static).as_posix()).status_code == 200
    assert c.get("/static/js/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_every_ui_string_has_a_chinese_translation() -> None:
    """Every t("…") string (and data-i18n text in the shell) has a zh-CN entry."""
    import html as _html

    static = Path(__import__("leanspec.web", fromlist=["x"]).__file__).parent / "static"
    zh_text = (static / "js" / "zh.js").read_text()
    zh = {json.loads(m.group(1)) for m in re.finditer(r'^  ("(?:[^"\\]|\\.)*"): ', zh_text, re.M)}
    keys: set[str] = set()
    for f in (static / "js").glob("*.js"):
        if f.name == "zh.js":
            continue
        for m in re.finditer(r'\bt\(\s*("(?:[^"\\]|\\.)*")', f.read_text()):
            keys.add(json.loads(m.group(1)))
    for m in re.finditer(r'data-i18n(?:-title|-placeholder|-label)?="([^"]*)"', (static / "index.html").read_text()):
        keys.add(_html.unescape(m.group(1)))
    assert len(keys) > 150
    missing = sorted(keys - zh)
    assert not missing, f"no zh-CN translation for {missing}"


def test_board_compact_cards_and_problems(c: TestClient, fixture_project: Path) -> None:
    bad = fixture_project / "specs" / "170-broken"
    bad.mkdir()
    (bad / "README.md").write_text("---\nstatus: [oops\n---\n# x\n")
    full = c.get("/api/board").json()
    small = c.get("/api/board?compact=true").json()
    assert small["compact"] is True and full["compact"] is False
    assert [g["count"] for g in small["groups"]] == [g["count"] for g in full["groups"]]
    card = small["groups"][0]["specs"][0]
    assert {"name", "number", "title", "status", "content_hash"} <= set(card) and "created" not in card
    assert len(card["content_hash"]) == 16
    assert any("170-broken" in p["path"] for p in small["problems"])
    st = c.get("/api/stats").json()
    assert any("170-broken" in p["path"] for p in st["problems"]) and "other_values" in st
    tok = c.get("/api/specs/045/tokens").json()
    assert tok["ok"] and tok["total"] > 0 and tok["files"][0]["name"] == "README.md"


# ================================================================ OpenAPI
def test_openapi_describes_every_route(c: TestClient) -> None:
    doc = c.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = set()
    for r in c.app.router.routes:  # type: ignore[attr-defined]
        path = getattr(r, "path", "")
        if not path.startswith("/api") or "{rest:path}" in path or path == "/api":
            continue
        for m in r.methods - {"HEAD"}:
            served.add((m, path))
    assert served == described, served ^ described


def test_http_api_doc_mentions_every_route() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "http-api.md").read_text()
    from leanspec.web.api import PROJECT_ROUTES

    for method, path, _fn in PROJECT_ROUTES:
        assert f"{method} /api{path}" in doc, (method, path)
    for extra in (
        "GET /api/events",
        "GET /api/health",
        "GET /api/info",
        "GET /api/projects",
        "GET /api/openapi.json",
        "/api/projects/{pid}/",
    ):
        assert extra in doc, extra


# ============================================================ SSE (real server)
class Server:
    def __init__(self, app: Any) -> None:
        from leanspec.web.server import UIServer

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.server = UIServer(app)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def test_raw_traversal_requests_over_the_wire(fixture_project: Path) -> None:
    """Paths a browser would normalise, sent verbatim on a socket to a real server."""
    with Server(create_app([fixture_project])) as srv:
        for raw in (
            "/api/specs/../../../../etc/passwd",
            "/api/specs/045/files/../../../../etc/passwd",
            "/api/specs/045/files/..",
            "/api/specs/..",
            "/static/../app.py",
            "/static/../../../../etc/passwd",
        ):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
                s.sendall(f"GET {raw} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            status = int(head.split()[1])
            assert b"root:x:" not in body and b"def create_app" not in body, raw
            if raw.startswith("/api/"):
                assert status in (400, 404), (raw, status)
                assert json.loads(body)["ok"] is False
            else:
                assert status == 404 or b"<!doctype html>" in body.lower(), (raw, status)


class EventReader(threading.Thread):
    """Reads one SSE response in the background; events land in a queue."""

    def __init__(self, resp: Any) -> None:
        super().__init__(daemon=True)
        self.resp = resp
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()

    def run(self) -> None:
        try:
            for line in self.resp.iter_lines():
                if line.startswith("data: "):
                    self.events.put(json.loads(line[6:]))
        except Exception:  # the stream closes when the test ends
            pass

    def wait_for(self, pred: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(ev)
            if pred(ev):
                return ev
        raise AssertionError(f"no matching event within {timeout}s; saw {seen}")


def test_events_stream_reports_disk_changes(fixture_project: Path, cli_proc: Any) -> None:
    import httpx

    with (
        Server(create_app([fixture_project])) as srv,
        httpx.Client(timeout=httpx.Timeout(60, read=None)) as hc,
        hc.stream("GET", f"http://127.0.0.1:{srv.port}/api/events") as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(resp)
        reader.start()
        hello = reader.wait_for(lambda e: True)
        assert hello["type"] == "hello"
        # a change made by another process (the real CLI) arrives as an event
        run = cli_proc(fixture_project, "update", "147", "--status", "in-progress")
        assert run.code == 0, run.err
        ev = reader.wait_for(
            lambda e: e["type"] == "changed" and any("147-json-config-format" in p for p in e["paths"])
        )
        assert not any(".tmp" in p or p.endswith(".lock") for p in ev["paths"])
        # and one made by a plain editor write
        (fixture_project / "specs/150-tag-management/README.md").write_text(
            (fixture_project / "specs/150-tag-management/README.md").read_text() + "\nedited\n"
        )
        reader.wait_for(lambda e: e["type"] == "changed" and any("150-tag-management" in p for p in e["paths"]))


# ============================================================ the CLI command
def _start_ui(*args: str) -> tuple[Any, dict[str, Any]]:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "leanspec", *args, "--port", "0", "--no-open", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return proc, json.loads(line)


def _stop_ui(proc: Any) -> tuple[int, str]:
    import signal

    proc.send_signal(signal.SIGINT)
    out, _err = proc.communicate(timeout=60)
    return proc.returncode, out


def test_ui_command_serves_and_stops(fixture_project: Path, empty_project: Path) -> None:
    import httpx

    proc, info = _start_ui("ui", "--project", str(fixture_project), "--project", str(empty_project), "--readonly")
    try:
        assert info["host"] == "127.0.0.1" and info["port"] > 0 and info["readonly"] is True
        assert [p["root"] for p in info["projects"]] == [str(fixture_project.resolve()), str(empty_project.resolve())]
        base = info["url"].rstrip("/")
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(base + "/api/projects", timeout=30)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert len(r.json()["projects"]) == 2
        assert httpx.post(base + "/api/specs", json={"name": "x"}, timeout=30).json()["error"]["code"] == "readonly"
        # a second server on the same port fails cleanly
        import subprocess
        import sys

        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "leanspec",
                "--project",
                str(fixture_project),
                "ui",
                "--port",
                str(info["port"]),
                "--no-open",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert busy.returncode == 2 and "cannot listen" in busy.stderr
    finally:
        code, out = _stop_ui(proc)
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["stopped"] is True


def test_ui_command_outside_a_project(tmp_path: Path, cli: Any) -> None:
    run = cli(None, "ui", "--project", str(tmp_path / "missing"), "--no-open", "--json")
    assert run.code == 3
    assert json.loads(run.out)["error"]["code"] == "project_not_found"


def test_board_cards_badges_and_list_readiness(c: TestClient, fixture_project: Path) -> None:
    """What the UI's live patches, badges and Ready/Blocked filters read."""
    from leanspec.project import Project
    from leanspec.workflows import claims

    claims.claim(Project.open(fixture_project), "147", holder="alice")
    body = c.get("/api/specs").json()
    assert body["blocked"] == {
        "150-tag-management": [
            {"name": "134-ui-metadata-editing", "status": "missing", "done": False},
            {"name": "124-advanced-search-capabilities", "status": "missing", "done": False},
        ]
    }
    assert body["ready"] == [s["name"] for s in c.get("/api/specs?ready=true").json()["specs"]]
    assert "147-json-config-format" not in body["ready"] and body["leases"]["147-json-config-format"]["holder"] == "alice"
    # cards of the specs a change touched, plus their dependents; gone folders; leases
    Project.open(fixture_project).link("152", ["147"])
    r = c.get("/api/board/cards", params=[("path", "specs/147-json-config-format/README.md"), ("path", "specs/999-gone/README.md")]).json()
    names = {x["name"]: x for x in r["cards"]}
    assert set(names) == {"147-json-config-format", "152-link-required-by-syntax"}
    assert names["147-json-config-format"]["lease"]["holder"] == "alice" and names["147-json-config-format"]["status"] == "in-progress"
    assert names["152-link-required-by-syntax"]["blocked"] is True
    assert names["152-link-required-by-syntax"]["open_dependencies"] == [{"name": "147-json-config-format", "status": "in-progress", "done": False}]
    assert r["removed"] == ["999-gone"] and set(r["leases"]) == {"147-json-config-format"}
    assert c.get("/api/board/cards", params=[("spec", "152")]).json()["cards"][0]["name"] == "152-link-required-by-syntax"
    too_many = [("spec", f"x{i}") for i in range(201)]
    assert c.get("/api/board/cards", params=too_many).status_code == 400
    # badges agree with the per-spec routes
    b = c.get("/api/badges").json()["specs"]
    tok = c.get("/api/specs/150/tokens").json()["total"]
    val = c.get("/api/validate?spec=150").json()["summary"]
    assert b["150-tag-management"]["tokens"] == tok
    assert (b["150-tag-management"]["errors"], b["150-tag-management"]["warnings"]) == (val["errors"], val["warnings"])
    one = c.get("/api/badges?spec=150-tag-management").json()["specs"]
    assert list(one) == ["150-tag-management"] and one["150-tag-management"] == b["150-tag-management"]
