"""The plain classes that replaced dataclasses on the start-up path behave like them.

Spec, Entry, UpdateOps, ListResult, Document and Filter were dataclasses; importing
``dataclasses`` (with inspect, ast, dis, tokenize, copy) cost every run ~6-10 ms. Each
test here rebuilds the original dataclass definition and checks the plain class against
it on the same values: constructor signature, defaults (fresh containers), repr,
equality (also against other classes), hashing, frozenness, slots, match args, pickling.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leanspec.core.frontmatter import Document
from leanspec.core.listing import Filter
from leanspec.core.model import ListResult, LoadProblem, Spec
from leanspec.core.refs import Entry
from leanspec.rules.update import UpdateOps

F = dataclasses.field
M = dataclasses.MISSING

# name -> (plain class, dataclass options, [(field, default or MISSING, factory or
# MISSING, dataclasses.field options, value A, value B)]). A and B differ in every field.
_spec_a = ("001-a", 1, "specs/001-a/README.md", {"status": "planned"}, "# A\n", "h1")
CASES: dict[str, tuple[type, dict[str, Any], list[tuple[Any, ...]]]] = {
    "Spec": (
        Spec,
        {"slots": True},
        [
            ("name", M, M, {}, "001-a", "002-b"),
            ("number", M, M, {}, 1, None),
            ("path", M, M, {}, "specs/001-a/README.md", "specs/002-b/README.md"),
            ("frontmatter", M, M, {}, {"status": "planned", "tags": ["x"]}, {}),
            ("body", M, M, {}, "# A\n\n- [ ] x\n", ""),
            ("content_hash", M, M, {}, "ab" * 32, "cd" * 32),
            ("archived_dir", False, M, {}, False, True),
            ("group", None, M, {}, None, "g/h"),
            ("sub_specs", M, list, {}, ["DESIGN.md"], []),
            ("size", 0, M, {}, 12, 0),
            ("mtime", 0.0, M, {}, 1.5, 0.0),
        ],
    ),
    "Entry": (
        Entry,
        {"frozen": True, "slots": True},
        [
            ("name", M, M, {}, "001-a", "20250101-002-b"),
            ("number", M, M, {}, 1, None),
            ("dir", M, M, {}, Path("/p/specs/001-a"), Path("/p/specs/archived/x")),
            ("rel", M, M, {}, "001-a", "archived/x"),
            ("archived", M, M, {}, False, True),
            ("group", M, M, {}, None, "g"),
        ],
    ),
    "UpdateOps": (
        UpdateOps,
        {},
        [
            ("status", None, M, {}, "complete", None),
            ("priority", None, M, {}, None, "high"),
            ("assignee", None, M, {}, "", "ann"),
            ("tags", None, M, {}, ["a"], None),
            ("add_tags", M, list, {}, ["b"], []),
            ("remove_tags", M, list, {}, [], ["c"]),
            ("fields", M, dict, {}, {"epic": None}, {"epic": "E"}),
            ("replacements", M, list, {}, [("o", "n", "unique")], []),
            ("checks", M, list, {}, [], [("item", True)]),
            ("sections", M, list, {}, [("Plan", "x", "replace")], []),
            ("content", None, M, {}, None, "---\nstatus: x\n---\n"),
            ("add_depends", M, list, {}, ["001"], []),
            ("remove_depends", M, list, {}, [], ["002"]),
            ("clear_depends", False, M, {}, False, True),
            ("parent", None, M, {}, "", "003"),
            ("title", None, M, {}, "T", None),
        ],
    ),
    "ListResult": (
        ListResult,
        {},
        [
            ("specs", M, M, {}, [Spec(*_spec_a)], []),
            ("problems", M, M, {}, [], [LoadProblem("specs/x", "malformed_spec", "bad")]),
        ],
    ),
    "Document": (
        Document,
        {},
        [
            ("bom", M, M, {}, "", "\ufeff"),
            ("newline", M, M, {}, "\n", "\r\n"),
            ("open_line", M, M, {}, "---", "--- "),
            ("fm_lines", M, M, {}, ["status: planned"], []),
            ("close_line", M, M, {}, "---", "..."),
            ("body", M, M, {}, "# T\n", ""),
            ("data", M, M, {}, {"status": "planned"}, {}),
            ("has_frontmatter", True, M, {}, True, False),
            ("close_newline", True, M, {}, False, True),
            ("_span_cache", None, M, {"compare": False, "repr": False}, None, {}),
        ],
    ),
    "Filter": (
        Filter,
        {},
        [
            ("status", M, list, {}, ["planned"], []),
            ("tags", M, list, {}, [], ["a", "b"]),
            ("priority", M, list, {}, ["high"], []),
            ("assignee", None, M, {}, None, "Ann"),
            ("fields", M, dict, {}, {"epic": "E"}, {}),
            ("include_archived", False, M, {}, False, True),
        ],
    ),
}


def original(name: str) -> type:
    """The dataclass the plain class replaced, as it was defined."""
    _, opts, fields = CASES[name]
    specs = []
    for fname, default, factory, extra, _a, _b in fields:
        specs.append((fname, Any, F(default=default, default_factory=factory, **extra)))
    return dataclasses.make_dataclass(name, specs, **opts)


def values(name: str, which: int) -> list[Any]:
    return [copy.deepcopy(row[4 + which]) for row in CASES[name][2]]


NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_the_dataclass_signature(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    ps = list(inspect.signature(plain).parameters.values())
    os_ = list(inspect.signature(orig).parameters.values())
    assert [(p.name, p.kind) for p in ps] == [(p.name, p.kind) for p in os_]
    for p, o in zip(ps, os_, strict=True):
        assert (p.default is inspect.Parameter.empty) == (o.default is inspect.Parameter.empty), p.name
        if o.default is not inspect.Parameter.empty and not repr(o.default).startswith("<factory>"):
            assert p.default == o.default, p.name
    assert plain.__match_args__ == orig.__match_args__  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_fresh_and_equal(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    fields = CASES[name][2]
    required = [row[4] for row in fields if row[1] is M and row[2] is M]
    p1, p2, o1 = plain(*required), plain(*required), orig(*required)
    for fname, _default, factory, *_ in fields:
        assert getattr(p1, fname) == getattr(o1, fname)
        assert type(getattr(p1, fname)) is type(getattr(o1, fname))
        if factory is not M:
            assert getattr(p1, fname) is not getattr(p2, fname), fname
    # An explicit value is kept as passed (the very object), None included.
    a = values(name, 0)
    p = plain(*a)
    for fname, v in zip([row[0] for row in fields], a, strict=True):
        assert getattr(p, fname) is v


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_the_dataclass_repr(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    for which in (0, 1):
        assert repr(plain(*values(name, which))) == repr(orig(*values(name, which)))
    kw = {row[0]: row[5] for row in CASES[name][2]}
    assert repr(plain(**kw)) == repr(orig(**copy.deepcopy(kw)))

    # A subclass (as cache.CachedSpec is of Spec) shows its own name.
    class Sub(plain):  # type: ignore[valid-type, misc]
        __slots__ = ()

    class OSub(orig):  # type: ignore[valid-type, misc]
        __slots__ = ()

    Sub.__qualname__ = OSub.__qualname__ = "Sub"
    assert repr(Sub(*values(name, 0))) == repr(OSub(*values(name, 0)))


@pytest.mark.parametrize("name", NAMES)
def test_equality_is_the_dataclass_equality(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    a, b = values(name, 0), values(name, 1)
    assert plain(*a) == plain(*values(name, 0))
    assert (plain(*a) != plain(*values(name, 0))) is False
    # Changing any one field: equal exactly when the dataclass says so (a compare=False
    # field changes nothing).
    for i in range(len(a)):
        mixed = list(a)
        mixed[i] = b[i]
        want = orig(*a) == orig(*copy.deepcopy(mixed))
        assert (plain(*a) == plain(*mixed)) is want, CASES[name][2][i][0]
        assert (plain(*a) != plain(*mixed)) is (not want)
    # Other classes: NotImplemented, so == falls back to identity.
    other = plain(*a)
    for x in (object(), None, 1, "x", tuple(a)):
        assert plain.__eq__(other, x) is NotImplemented
        assert orig.__eq__(orig(*values(name, 0)), x) is NotImplemented
        assert other != x
        assert (other == x) is False
    assert plain.__eq__(other, orig(*values(name, 0))) is NotImplemented
    assert other != orig(*values(name, 0))

    class Sub(plain):  # type: ignore[valid-type, misc]
        __slots__ = ()

    assert plain.__eq__(plain(*a), Sub(*values(name, 0))) is NotImplemented
    assert plain(*a) != Sub(*values(name, 0))


@pytest.mark.parametrize("name", NAMES)
def test_hashing_is_the_dataclass_hashing(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    assert (plain.__hash__ is None) == (orig.__hash__ is None)
    if orig.__hash__ is None:
        with pytest.raises(TypeError):
            hash(plain(*values(name, 0)))
    else:
        for which in (0, 1):
            assert hash(plain(*values(name, which))) == hash(orig(*values(name, which)))
        assert len({plain(*values(name, 0)), plain(*values(name, 0)), plain(*values(name, 1))}) == 2


@pytest.mark.parametrize("name", NAMES)
def test_slots_are_the_dataclass_slots(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    assert ("__slots__" in plain.__dict__) == ("__slots__" in orig.__dict__)
    p, o = plain(*values(name, 0)), orig(*values(name, 0))
    assert hasattr(p, "__dict__") == hasattr(o, "__dict__")
    assert hasattr(p, "__weakref__") == hasattr(o, "__weakref__")
    if "__slots__" in orig.__dict__:
        # Entry keeps its folder in "_dir" (a Path, or the path string until a Path is
        # asked for) behind the read-only property "dir": the same fields otherwise.
        renamed = {"_dir": "dir"} if name == "Entry" else {}
        assert tuple(renamed.get(x, x) for x in plain.__slots__) == tuple(orig.__slots__)
        with pytest.raises(AttributeError):
            p.not_a_field = 1


@pytest.mark.parametrize("name", NAMES)
def test_frozen_like_the_dataclass(name: str) -> None:
    plain, orig = CASES[name][0], original(name)
    frozen = CASES[name][1].get("frozen", False)
    fname = CASES[name][2][0][0]
    p, o = plain(*values(name, 0)), orig(*values(name, 0))
    if not frozen:
        setattr(p, fname, values(name, 1)[0])
        assert getattr(p, fname) == values(name, 1)[0]
        return
    for target in (p, o):
        with pytest.raises(AttributeError) as err:
            setattr(target, fname, "x")
        with pytest.raises(AttributeError) as derr:
            delattr(target, fname)
        assert getattr(target, fname) == values(name, 0)[0]
    with pytest.raises(AttributeError) as perr:
        setattr(p, fname, "x")
    with pytest.raises(AttributeError) as oerr:
        setattr(o, fname, "x")
    assert str(perr.value) == str(oerr.value)
    assert str(err.value) == str(oerr.value)
    with pytest.raises(AttributeError) as pderr:
        delattr(p, fname)
    assert str(pderr.value) == str(derr.value)


@pytest.mark.parametrize("name", ["Spec", "Entry", "UpdateOps", "Filter", "Document", "ListResult"])
def test_pickle_and_copy_round_trip(name: str) -> None:
    plain = CASES[name][0]
    p = plain(*values(name, 1))
    for clone in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
        assert type(clone) is plain
        assert clone == p
        assert repr(clone) == repr(p)


def test_update_ops_replace_is_dataclasses_replace() -> None:
    orig = original("UpdateOps")
    a = values("UpdateOps", 0)
    p, o = UpdateOps(*a), orig(*copy.deepcopy(a))
    pr, orr = p.replace(status="archived", title=None), dataclasses.replace(o, status="archived", title=None)
    assert repr(pr) == repr(orr)
    assert pr.status == "archived" and p.status == "complete"  # the original is untouched
    assert pr.add_tags is p.add_tags  # other values are shared, as dataclasses.replace does
    with pytest.raises(TypeError):
        p.replace(nope=1)


def test_update_ops_is_empty() -> None:
    assert UpdateOps().is_empty()
    assert UpdateOps(fields={}, add_tags=[]).is_empty()
    assert not UpdateOps(status="planned").is_empty()
    assert not UpdateOps(fields={"a": None}).is_empty()
    assert not UpdateOps(clear_depends=True).is_empty()


def test_document_span_cache_is_out_of_eq_and_repr() -> None:
    d = Document.parse("---\nstatus: planned\ntags: [a]\n---\n# T\n")
    fresh = Document.parse("---\nstatus: planned\ntags: [a]\n---\n# T\n")
    assert d._spans  # builds the cache on one of them only
    assert d._span_cache is not None and fresh._span_cache is None
    assert d == fresh
    assert repr(d) == repr(fresh) and "_span" not in repr(d)
    assert Document("", "\n", "", [], "", "x", {}, has_frontmatter=False).render() == "x"


def test_spec_slot_descriptors_and_cached_subclass() -> None:
    # cache.CachedSpec wraps these descriptors; its properties must see them as before.
    for f in ("body", "frontmatter", "sub_specs"):
        assert type(Spec.__dict__[f]).__name__ == "member_descriptor"
    from leanspec.store.cache import CachedSpec

    assert CachedSpec.__eq__ is Spec.__eq__ and CachedSpec.__repr__ is Spec.__repr__
    s = Spec(*_spec_a)
    assert s.sub_specs == [] and s.title == "A" and s.slug == "a"


def test_start_up_modules_do_not_import_dataclasses() -> None:
    code = (
        "import sys\n"
        "import leanspec.project, leanspec.cli._main, leanspec.cli.cmd_specs, leanspec.cli._render\n"
        "bad = [m for m in ('dataclasses', 'inspect', 'ast', 'dis', 'tokenize') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"


def test_entry_with_a_path_string_is_the_entry_with_its_path() -> None:
    """A listing hands Entry its folder's path string; ``dir`` is then the Path made from
    it (made once), and the entry equals, hashes, pickles and reprs as the Path one."""
    import pickle

    from leanspec.core.refs import Entry

    p = Path("/p/specs/012-x")
    a, b = Entry("012-x", 12, str(p), "012-x", False, None), Entry("012-x", 12, p, "012-x", False, None)
    assert a.dir_str == b.dir_str == str(p)
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    assert a.dir == p and a.dir is a.dir
    assert pickle.loads(pickle.dumps(Entry("012-x", 12, str(p), "012-x", False, None))) == b
    with pytest.raises(AttributeError):
        a.dir = p  # type: ignore[misc]
