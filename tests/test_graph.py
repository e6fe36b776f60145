"""The dependency graph: resolution, upstream/downstream/impact, cycles, layers,
critical path, on hand-made projects, the real fixture and 1,000 generated specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from insight_helpers import generate_project, new_project, read_frontmatters, write_spec
from leanspec.core.errors import AmbiguousSpec, InvalidInput, SpecNotFound
from leanspec.insight.graph import DependencyGraph
from leanspec.project import Project


def _load(root: Path) -> list:
    res = Project.open(root).load()
    assert not res.problems, res.problems
    return res.specs


def _chain_project(root: Path) -> Path:
    """a(001) -> b(002) -> c(003) -> d(004); e(005) -> b; f(006) -> e.
    (x -> y means x depends on y.)"""
    new_project(root)
    write_spec(root, 4, "d", {"status": "complete", "created": "2025-01-01"})
    write_spec(root, 3, "c", {"status": "in-progress", "created": "2025-01-01", "depends_on": ["004-d"]})
    write_spec(root, 2, "b", {"status": "planned", "created": "2025-01-01", "depends_on": ["003-c"]})
    write_spec(root, 1, "a", {"status": "planned", "created": "2025-01-01", "depends_on": ["002-b"]})
    write_spec(root, 5, "e", {"status": "planned", "created": "2025-01-01", "depends_on": ["2"]})  # bare number
    write_spec(root, 6, "f", {"status": "planned", "created": "2025-01-01", "depends_on": ["005-e"]})
    return root


def test_upstream_downstream_on_a_chain(tmp_path: Path) -> None:
    g = DependencyGraph(_load(_chain_project(tmp_path / "p")))
    up = g.deps("001", mode="upstream", depth=3)
    assert [(d["name"], d["depth"]) for d in up["depends_on"]] == [("002-b", 1), ("003-c", 2), ("004-d", 3)]
    assert up["required_by"] == []
    assert [d["status"] for d in up["depends_on"]] == ["planned", "in-progress", "complete"]
    up2 = g.deps("a", mode="upstream", depth=2)  # slug ref
    assert [d["name"] for d in up2["depends_on"]] == ["002-b", "003-c"]
    assert up2["chain"]["depends_on"][0]["depends_on"][0]["name"] == "003-c"
    assert up2["chain"]["depends_on"][0]["depends_on"][0].get("truncated") is True

    down = g.deps("004-d", mode="downstream", depth=10)
    assert [(d["name"], d["depth"]) for d in down["required_by"]] == [
        ("003-c", 1),
        ("002-b", 2),
        ("001-a", 3),
        ("005-e", 3),
        ("006-f", 4),
    ]
    assert down["depends_on"] == []


def test_impact_counts(tmp_path: Path) -> None:
    g = DependencyGraph(_load(_chain_project(tmp_path / "p")))
    im = g.deps("002-b", mode="impact", depth=1)
    # direct dependents of b: a and e (e by bare number); transitive: f
    assert im["impact"] == {"direct": 2, "transitive": 1, "total": 3}
    assert sorted(d["name"] for d in im["required_by"]) == ["001-a", "005-e", "006-f"]  # impact ignores depth
    assert g.deps("006", mode="impact")["impact"] == {"direct": 0, "transitive": 0, "total": 0}
    assert g.deps("004")["impact"]["total"] == 5


def test_complete_mode_both_directions(tmp_path: Path) -> None:
    g = DependencyGraph(_load(_chain_project(tmp_path / "p")))
    d = g.deps("003-c", depth=1)
    assert d["mode"] == "complete"
    assert [x["name"] for x in d["depends_on"]] == ["004-d"]
    assert [x["name"] for x in d["required_by"]] == ["002-b"]
    assert d["tree"]["required_by"][0]["name"] == "002-b"


def test_bad_input(tmp_path: Path) -> None:
    g = DependencyGraph(_load(_chain_project(tmp_path / "p")))
    with pytest.raises(SpecNotFound):
        g.deps("999")
    with pytest.raises(InvalidInput):
        g.deps("001", mode="sideways")
    with pytest.raises(InvalidInput):
        g.deps("001", depth=0)


def test_cycles_detected_and_traversals_terminate(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(root, 1, "x", {"status": "planned", "depends_on": ["002-y"]})
    write_spec(root, 2, "y", {"status": "planned", "depends_on": ["003-z"]})
    write_spec(root, 3, "z", {"status": "planned", "depends_on": ["001-x"]})
    write_spec(root, 4, "selfish", {"status": "planned", "depends_on": ["004-selfish"]})
    write_spec(root, 5, "tail", {"status": "planned", "depends_on": ["001-x"]})
    write_spec(root, 6, "free", {"status": "planned"})
    g = DependencyGraph(_load(root))
    assert g.cycles() == [["001-x", "002-y", "003-z"], ["004-selfish"]]
    d = g.deps("002-y", depth=50)
    assert {x["name"] for x in d["depends_on"]} == {"001-x", "003-z"}
    assert d["cycles"] == [["001-x", "002-y", "003-z"]]
    # The tree marks the back edge instead of looping.
    node = d["chain"]
    seen = []
    while node.get("depends_on"):
        node = node["depends_on"][0]
        seen.append(node["name"])
    assert seen == ["003-z", "001-x", "002-y"] and node.get("cycle") is True
    layers = g.layers()
    layer_of = {n: i for i, layer in enumerate(layers) for n in layer}
    assert layer_of["001-x"] == layer_of["002-y"] == layer_of["003-z"]
    assert layer_of["005-tail"] > layer_of["001-x"]
    assert g.to_dict()["cycles"] == g.cycles()


def test_unresolved_and_ambiguous_refs_are_reported(fixture_project: Path) -> None:
    specs = _load(fixture_project)
    g = DependencyGraph(specs)
    bad = {(u["spec"], u["ref"]) for u in g.unresolved}
    # Independently: every depends_on ref naming a folder that does not exist.
    names = {fm["_name"] for fm in read_frontmatters(fixture_project)}
    expected = {
        (fm["_name"], ref)
        for fm in read_frontmatters(fixture_project)
        for ref in fm.get("depends_on") or []
        if ref not in names
    }
    assert bad == expected and expected
    assert all(u["reason"] == "not found" for u in g.unresolved)
    # 018 depends on 012 (which lives in archived/) — resolved.
    assert g.deps("018", mode="upstream")["depends_on"][0]["name"] == "012-sub-spec-files"
    # Two folders are numbered 038: a bare number ref is ambiguous, never guessed.
    with pytest.raises(AmbiguousSpec):
        g.deps("038")
    root = fixture_project
    write_spec(root, 200, "needs-038", {"status": "planned", "depends_on": ["038"]})
    g2 = DependencyGraph(_load(root))
    (u,) = [u for u in g2.unresolved if u["spec"] == "200-needs-038"]
    assert u["reason"].startswith("ambiguous") and "038-mcp-frontmatter-bug-fix" in u["reason"]


def test_to_dict_nodes_edges_and_parents(tmp_path: Path) -> None:
    root = _chain_project(tmp_path / "p")
    write_spec(root, 7, "umbrella", {"status": "planned", "tags": ["epic"], "priority": "high"})
    write_spec(root, 8, "kid", {"status": "planned", "parent": "7"})
    write_spec(root, 9, "orphan", {"status": "planned", "parent": "404-nope"})
    g = DependencyGraph(_load(root))
    d = g.to_dict()
    assert [n["id"] for n in d["nodes"]] == [f"{i:03d}-{s}" for i, s in enumerate("abcdef", 1)] + [
        "007-umbrella",
        "008-kid",
        "009-orphan",
    ]
    um = next(n for n in d["nodes"] if n["id"] == "007-umbrella")
    assert um["tags"] == ["epic"] and um["priority"] == "high" and um["number"] == 7 and um["title"] == "Umbrella"
    dep_edges = {(e["from"], e["to"]) for e in d["edges"] if e["type"] == "depends_on"}
    assert dep_edges == {
        ("001-a", "002-b"),
        ("002-b", "003-c"),
        ("003-c", "004-d"),
        ("005-e", "002-b"),
        ("006-f", "005-e"),
    }
    assert [e for e in d["edges"] if e["type"] == "parent"] == [
        {"from": "008-kid", "to": "007-umbrella", "type": "parent"}
    ]
    assert d["unresolved"] == [{"spec": "009-orphan", "field": "parent", "ref": "404-nope", "reason": "not found"}]
    assert g.deps("007")["children"][0]["name"] == "008-kid"
    assert g.deps("008")["parent"]["name"] == "007-umbrella"
    # Layers: every dependency sits in a lower layer than its dependent.
    assert d["layers"][0] == ["004-d", "007-umbrella", "008-kid", "009-orphan"]
    assert d["layers"][1:] == [["003-c"], ["002-b"], ["001-a", "005-e"], ["006-f"]]


def test_critical_path_on_a_known_dag(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    # 1 <- 2 <- 3 <- 5 (length 4) and 1 <- 4 <- 5 (length 3); 6 is done; 7 stands alone.
    write_spec(root, 1, "base", {"status": "planned"})
    write_spec(root, 2, "two", {"status": "planned", "depends_on": ["001-base"]})
    write_spec(root, 3, "three", {"status": "in-progress", "depends_on": ["002-two"]})
    write_spec(root, 4, "four", {"status": "planned", "depends_on": ["001-base"]})
    write_spec(root, 5, "five", {"status": "planned", "depends_on": ["003-three", "004-four", "006-done"]})
    write_spec(root, 6, "done", {"status": "complete", "depends_on": []})
    write_spec(root, 7, "alone", {"status": "planned"})
    g = DependencyGraph(_load(root))
    assert g.critical_path() == ["001-base", "002-two", "003-three", "005-five"]
    # Among incomplete specs only, completing 002 breaks the long chain.
    todo = ["001-base", "003-three", "004-four", "005-five", "007-alone"]
    assert g.critical_path(todo) == ["001-base", "004-four", "005-five"]


def test_long_chain_does_not_hit_recursion_limits(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    n = 2500
    for i in range(1, n + 1):
        fm = {"status": "planned"}
        if i > 1:
            fm["depends_on"] = [f"{i - 1:03d}-s"]
        write_spec(root, i, "s", fm)
    g = DependencyGraph(_load(root))
    assert g.cycles() == []
    assert len(g.layers()) == n
    assert len(g.critical_path()) == n
    assert g.deps("001", mode="impact")["impact"]["total"] == n - 1
    d = g.deps(f"{n:03d}", mode="upstream", depth=10_000)  # clamped, still answers
    assert len(d["depends_on"]) == 200


def test_generated_1000_spec_graph(tmp_path: Path) -> None:
    root = generate_project(tmp_path / "big", 1000)
    specs = _load(root)
    fms = read_frontmatters(root)
    by_name = {fm["_name"]: fm for fm in fms}
    by_number: dict[int, list[str]] = {}
    for name in by_name:
        by_number.setdefault(int(name.split("-", 1)[0]), []).append(name)
    # Independent resolution: exact folder name, or a bare number naming exactly one spec.
    expected: set[tuple[str, str]] = set()
    missing = 0
    for fm in fms:
        for ref in fm.get("depends_on") or []:
            ref = str(ref)
            if ref in by_name:
                expected.add((fm["_name"], ref))
            elif ref.isdigit() and len(by_number.get(int(ref), [])) == 1:
                expected.add((fm["_name"], by_number[int(ref)][0]))
            else:
                missing += 1
    g = DependencyGraph(specs)
    d = g.to_dict()
    got = {(e["from"], e["to"]) for e in d["edges"] if e["type"] == "depends_on"}
    assert got == expected
    assert len(g.unresolved) == missing + sum(1 for fm in fms if fm.get("parent") and fm["parent"] not in by_name)
    assert len(d["nodes"]) == 1000
    assert d["cycles"] == []  # generated deps always point to lower numbers
    layer_of = {n: i for i, layer in enumerate(d["layers"]) for n in layer}
    assert len(layer_of) == 1000
    assert all(layer_of[a] > layer_of[b] for a, b in got)
    # Impact of a spec == independently computed reverse reachability.
    rev: dict[str, set[str]] = {}
    for a, b in got:
        rev.setdefault(b, set()).add(a)
    target = max(rev, key=lambda n: len(rev[n]))
    seen: set[str] = set()
    stack = [target]
    while stack:
        for w in rev.get(stack.pop(), ()):
            if w not in seen:
                seen.add(w)
                stack.append(w)
    im = g.deps(target, mode="impact")["impact"]
    assert im["total"] == len(seen) and im["direct"] == len(rev[target])


def test_refs_by_slug_title_path_and_number(tmp_path: Path) -> None:
    root = new_project(tmp_path / "p")
    write_spec(root, 1, "auth-core", {"status": "planned"}, title="Authentication Core")
    write_spec(root, 2, "login", {"status": "planned"})
    write_spec(root, 3, "old-thing", {"status": "complete"}, archived=True)
    write_spec(
        root,
        4,
        "uses-all",
        {"status": "planned", "depends_on": ["auth-core", "Login", "specs/archived/003-old-thing", "0002"]},
    )
    write_spec(root, 5, "by-title", {"status": "planned", "depends_on": ["authentication core"]})
    g = DependencyGraph(_load(root))
    assert g.upstream["004-uses-all"] == ["001-auth-core", "002-login", "003-old-thing"]
    assert g.upstream["005-by-title"] == ["001-auth-core"]
    assert g.unresolved == []
    assert g.deps("Authentication Core", mode="downstream")["impact"]["direct"] == 2
