"""refs: folder names, slugify, and the resolution order folder -> number -> slug ->
title, with ambiguity reported, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from leanspec.core import refs
from leanspec.core.errors import AmbiguousSpec, InvalidInput, SpecNotFound
from leanspec.core.refs import Entry


def E(name: str, rel: str | None = None, archived: bool = False) -> Entry:
    parsed = refs.parse_dir_name(name)
    return Entry(name, parsed[0] if parsed else None, Path("/p/specs") / (rel or name), rel or name, archived, None)


ENTRIES = [
    E("001-alpha"),
    E("002-beta"),
    E("010-shared-slug"),
    E("011-shared-slug"),
    E("038-one", "archived/038-one", True),
    E("038-two", "archived/038-two", True),
    E("045-unified-dashboard"),
    E("20251107-046-prefixed"),
    E("050-group-member", "v1/050-group-member"),
    E("050-group-member", "v2/050-group-member"),
]
TITLES = {"001-alpha": "The First Spec", "002-beta": "Shared Title", "045-unified-dashboard": "Shared Title"}


def title_of(e: Entry) -> str:
    return TITLES.get(e.name, "")


def test_parse_dir_name() -> None:
    assert refs.parse_dir_name("045-unified-dashboard") == (45, "unified-dashboard")
    assert refs.parse_dir_name("20251107-046-prefixed") == (46, "prefixed")
    assert refs.parse_dir_name("1000-big") == (1000, "big")
    assert refs.parse_dir_name("archived") is None
    assert refs.parse_dir_name("5-too-short") is None


@pytest.mark.parametrize(
    "ref,name",
    [
        ("001-alpha", "001-alpha"),
        ("specs/001-alpha", "001-alpha"),
        ("./specs/001-alpha/", "001-alpha"),
        ("specs/001-alpha/README.md", "001-alpha"),
        ("1", "001-alpha"),
        ("001", "001-alpha"),
        ("0001", "001-alpha"),
        ("46", "20251107-046-prefixed"),
        ("alpha", "001-alpha"),
        ("ALPHA", "001-alpha"),
        ("the first spec", "001-alpha"),
        ("038-two", "038-two"),
        ("archived/038-one", "038-one"),
        ("  45 ", "045-unified-dashboard"),
    ],
)
def test_resolve_order(ref: str, name: str) -> None:
    assert refs.resolve(ref, ENTRIES, title_of).name == name


def test_folder_beats_number_and_slug() -> None:
    # A slug that looks like another spec's folder name still resolves by folder first.
    ents = [E("001-002-beta"), E("002-beta")]
    assert refs.resolve("002-beta", ents).name == "002-beta"


def test_path_disambiguates_same_folder_name_in_groups() -> None:
    assert refs.resolve("v2/050-group-member", ENTRIES).rel == "v2/050-group-member"
    with pytest.raises(AmbiguousSpec) as ei:
        refs.resolve("050-group-member", ENTRIES)
    assert ei.value.details["candidates"] == ["v1/050-group-member", "v2/050-group-member"]


@pytest.mark.parametrize(
    "ref,candidates",
    [
        ("038", ["archived/038-one", "archived/038-two"]),
        ("38", ["archived/038-one", "archived/038-two"]),
        ("shared-slug", ["010-shared-slug", "011-shared-slug"]),
        ("Shared Title", ["002-beta", "045-unified-dashboard"]),
    ],
)
def test_ambiguity_lists_candidates(ref: str, candidates: list[str]) -> None:
    with pytest.raises(AmbiguousSpec) as ei:
        refs.resolve(ref, ENTRIES, title_of)
    assert ei.value.details["candidates"] == candidates
    for c in candidates:
        assert c in ei.value.message
    assert ei.value.code == "ambiguous_spec"


def test_not_found_suggests() -> None:
    with pytest.raises(SpecNotFound) as ei:
        refs.resolve("dash", ENTRIES, title_of)
    assert ei.value.details["suggestions"] == ["045-unified-dashboard"]
    assert "did you mean" in (ei.value.hint or "")
    with pytest.raises(SpecNotFound):
        refs.resolve("999", ENTRIES)
    with pytest.raises(InvalidInput):
        refs.resolve("  ", ENTRIES)


def test_title_lookup_only_when_needed() -> None:
    calls: list[str] = []

    def spy(e: Entry) -> str:
        calls.append(e.name)
        return title_of(e)

    refs.resolve("045", ENTRIES, spy)
    refs.resolve("alpha", ENTRIES, spy)
    assert calls == []  # numbers and slugs never read a file


def test_nfd_ref_matches_nfc_folder() -> None:
    import unicodedata

    ents = [E("007-café")]
    assert refs.resolve(unicodedata.normalize("NFD", "café"), ents).name == "007-café"
    assert refs.resolve(unicodedata.normalize("NFD", "007-café"), ents).name == "007-café"


# ------------------------------------------------------------------ slugify
@pytest.mark.parametrize(
    "name,slug",
    [
        ("User Auth", "user-auth"),
        ("user_auth  v2!", "user-auth-v2"),
        ("001-existing-name", "existing-name"),
        ("Ünïcødé 日本", "ünïcødé-日本"),
        ("--trim--", "trim"),
        ("a.b.c", "a-b-c"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert refs.slugify(name) == slug


@pytest.mark.parametrize("bad", ["", "  ", "../x", "a/b", "a\\b", "~x", "x..y", "a\x00b", "!!!", "x" * 121])
def test_slugify_refuses(bad: str) -> None:
    with pytest.raises(InvalidInput):
        refs.slugify(bad)


def test_title_from_slug() -> None:
    assert refs.title_from_slug("api-gateway") == "Api Gateway"


def test_parse_dir_name_reads_folder_names_as_the_spec_dir_pattern_does() -> None:
    """parse_dir_name replaces SPEC_DIR on the listing path (no ``re`` import there):
    the same answer on random names built from the characters that matter (ASCII and
    other decimal digits, '-', newlines, superscript digits that are not decimal)."""
    import random
    import re

    from leanspec.core.refs import parse_dir_name

    pattern = re.compile(r"^(?:(\d{8})-)?(\d{2,})-(.+)$")
    alphabet = ["0", "1", "7", "9", "-", "-", "a", "Z", "\n", "\u0663", "\u00b2", " ", "."]
    rnd = random.Random(15)
    names = ["20240101-12-x", "20240101-x", "12345678-ab", "123456789-ab", "12-", "1-ab", "12-ab\n", "12-a\nb"]
    for _ in range(100_000):
        name = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        names.append(("20231231-" + name) if rnd.random() < 0.3 else name)
    for name in names:
        m = pattern.match(name)
        want = (int(m.group(2)), m.group(3)) if m else None
        assert parse_dir_name(name) == want, repr(name)
