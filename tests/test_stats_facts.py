"""The per-spec facts the metadata cache records (``facts.facts_key``, record slot 10)
give board, stats, insights, timeline and gantt exactly the results of the same specs
read without the cache (``LEANSPEC_NO_CACHE=1``: plain ``Spec`` objects whose facts are
computed from the frontmatter), on the real fixture, a generated bench corpus and random
frontmatters with messy timestamps; and a cached listing never unpickles a frontmatter
for them."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, cli_inprocess
from leanspec.core import facts
from leanspec.core.model import Spec
from leanspec.insight import stats, timeline
from leanspec.insight.board import build_board
from leanspec.project import Project
from leanspec.store import cache

UTC = _dt.UTC
NOWS = ("2025-07-15T12:00:00Z", "2025-09-30", "2026-01-01T00:00:00.5+02:00", "2025-06-01T00:00:00Z", "2030-01-01")


# ================================================================ random projects
def _messy_time(rng: random.Random) -> Any:
    """A timestamp as real files hold them (or junk)."""
    base = _dt.datetime(2025, 5, 1, tzinfo=UTC)
    t = base + _dt.timedelta(seconds=rng.randint(-86400 * 30, 86400 * 200), microseconds=rng.randint(0, 999999))
    off = _dt.timezone(_dt.timedelta(minutes=rng.choice([-480, -90, 0, 60, 330, 840])))
    return rng.choice(
        [
            t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",  # what the store writes
            t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",  # nanoseconds (the Rust port)
            t.strftime("%Y-%m-%dT%H:%M:%Sz"),
            t.astimezone(off).isoformat(),
            t.astimezone(off).strftime("%Y-%m-%dT%H:%M:%S%z"),  # +0530, no colon
            t.strftime("%Y-%m-%d"),
            f" {t.strftime('%Y-%m-%d')} ",
            t.date(),  # a YAML date
            t.replace(tzinfo=None),  # a naive YAML timestamp
            t.astimezone(off),  # a YAML timestamp with an offset
            t,
            "0001-01-01T00:00:00+05:00",  # outside the datetime range in UTC
            "2025-13-01",
            "junk",
            "",
            None,
            True,
            12,
            [1],
        ]
    )


def _random_frontmatter(rng: random.Random) -> dict[str, Any]:
    fm: dict[str, Any] = {
        "status": rng.choice(
            ["planned", "in-progress", "complete", "archived", "draft", " Complete ", "Archived", "weird", 3]
        )
    }
    if rng.random() < 0.1:
        del fm["status"]
    if rng.random() < 0.7:
        fm["priority"] = rng.choice(["critical", "high", "High", "medium", "low", "none"])
    for k in ("created_at", "created", "updated_at", "updated", "completed_at", "completed", "due"):
        if rng.random() < 0.55:
            fm[k] = _messy_time(rng)
    if rng.random() < 0.8:
        fm["transitions"] = [
            rng.choice(
                [
                    {
                        "status": rng.choice(["planned", "in-progress", "complete", " In-Progress ", "draft"]),
                        "at": _messy_time(rng),
                    },
                    {"status": "complete", "at": fm.get("created_at")},  # ties with created
                    "junk",
                    {"at": _messy_time(rng)},
                    {"status": 5, "at": _messy_time(rng)},
                    None,
                ]
            )
            for _ in range(rng.randint(0, 7))
        ]
    elif rng.random() < 0.3:
        fm["transitions"] = rng.choice(["not a list", {"status": "complete"}, None])
    if rng.random() < 0.4:
        fm["tags"] = rng.sample(["api", "ui", "perf", "docs"], rng.randint(0, 3))
    if rng.random() < 0.3:
        fm["assignee"] = rng.choice(["ann", "bob"])
    return fm


def random_project(root: Path, n: int, seed: int) -> Path:
    """``n`` specs with random frontmatters; about one in six in ``specs/archived/``."""
    rng = random.Random(seed)
    (root / ".lean-spec").mkdir(parents=True)
    for i in range(1, n + 1):
        folder = root / "specs" / ("archived" if rng.random() < 0.17 else "") / f"{i:03d}-spec-{i}"
        folder.mkdir(parents=True)
        text = yaml.safe_dump(_random_frontmatter(rng), sort_keys=False, allow_unicode=True)
        (folder / "README.md").write_text(f"---\n{text}---\n\n# Spec {i}\n\n- [ ] a task\n")
    return root


# ==================================================================== snapshots
def _specs(root: Path, monkeypatch: pytest.MonkeyPatch, *, use_cache: bool) -> list[Spec]:
    if use_cache:
        monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    return list(Project.open(root).load(include_archived=True).specs)


def analyses(specs: list[Spec]) -> dict[str, Any]:
    """Every output built on the per-spec facts, at several moments."""
    out: dict[str, Any] = {}
    for now in NOWS:
        out[now] = {
            "stats": stats.compute_stats(specs, now=now),
            "stats_weeks": stats.compute_stats(specs, now=now, weeks=13)["velocity"],
            "board": build_board(specs, now=now, include_archived=True),
            "board_tag": build_board(specs, now=now, group_by="tag"),
            "insights": stats.insights(specs, now=now),
            "timeline": timeline.timeline(specs, now=now, days=400),
            "timeline_tag": timeline.timeline(specs, now=now, days=90, by="tag"),
            "timeline_months": timeline.timeline(specs, now=now, months=24, by="assignee"),
            "gantt": timeline.gantt(specs, now=now, weeks=52, show_complete=True),
            "gantt_open": timeline.gantt(specs, now=now, weeks=8),
        }
    return json.loads(json.dumps(out, default=str))


def cli_outputs(root: Path, monkeypatch: pytest.MonkeyPatch, *, use_cache: bool) -> list[str]:
    # One frozen "now" for every command (they all ask stats.as_now for the clock).
    real_as_now = stats.as_now

    def frozen(now: Any = None) -> _dt.datetime:
        return real_as_now("2025-08-20T09:30:00.250Z" if now is None else now)

    monkeypatch.setattr(stats, "as_now", frozen)
    monkeypatch.setattr(facts, "as_now", frozen)
    monkeypatch.setattr(timeline, "as_now", frozen)
    if use_cache:
        monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    out = []
    for args in (
        ("board",),
        ("board", "--json"),
        ("board", "--complete", "--archived"),
        ("board", "--group-by", "priority", "--json"),
        ("stats", "--full"),
        ("stats", "--json"),
        ("timeline", "--json"),
        ("gantt", "--json", "--show-complete"),
    ):
        r = cli_inprocess(root, *args)
        assert r.code == 0, (args, r.err)
        out.append(r.out)
    monkeypatch.setattr(stats, "as_now", real_as_now)
    monkeypatch.setattr(timeline, "as_now", real_as_now)
    return out


def assert_cached_same(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[Spec]:
    # Files written just now are "racy" and re-read on every load: trust them at once,
    # so the warm pass really takes every spec from its record.
    monkeypatch.setattr(cache, "RACY_NS", 0)
    cache.forget(Project.open(root).store)
    first = _specs(root, monkeypatch, use_cache=True)  # cold: every README a miss
    cold = analyses(first)
    cache.forget(Project.open(root).store)  # a new process: records from the file
    warm_specs = _specs(root, monkeypatch, use_cache=True)
    assert all(isinstance(s, cache.CachedSpec) and not _frontmatter_loaded(s) for s in warm_specs)  # hits
    warm = analyses(warm_specs)
    plain = _specs(root, monkeypatch, use_cache=False)
    assert not any(isinstance(s, cache.CachedSpec) for s in plain)
    ref = analyses(plain)
    assert cold == ref
    assert warm == ref
    return warm_specs


# ======================================================================== tests
def test_facts_key_recorded_equals_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_project(tmp_path / "p", 300, seed=5)
    monkeypatch.setattr(cache, "RACY_NS", 0)
    cache.forget(Project.open(root).store)
    _specs(root, monkeypatch, use_cache=True)
    cache.forget(Project.open(root).store)
    warm = {s.name: s for s in _specs(root, monkeypatch, use_cache=True)}
    plain = {s.name: s for s in _specs(root, monkeypatch, use_cache=False)}
    assert warm.keys() == plain.keys()
    for name, s in warm.items():
        assert isinstance(s, cache.CachedSpec) and not _frontmatter_loaded(s)  # from its record
        assert s.cached_facts is not None
        assert s.cached_facts == facts.facts_key(plain[name]), name
        assert facts.spec_facts(s) == facts.spec_facts(plain[name])
        assert all(v is None or type(v) in (int, str) for v in s.cached_facts)  # cheap to unpickle


def test_random_frontmatters_same_with_and_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = random_project(tmp_path / "p", 400, seed=17)
    specs = assert_cached_same(root, monkeypatch)
    # The analyses above never needed a frontmatter: it is still pickled in every spec.
    assert all(not _frontmatter_loaded(s) for s in specs)
    assert cli_outputs(root, monkeypatch, use_cache=True) == cli_outputs(root, monkeypatch, use_cache=False)


def test_fixture_same_with_and_without_cache(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_cached_same(fixture_project, monkeypatch)
    cached = cli_outputs(fixture_project, monkeypatch, use_cache=True)
    assert cached == cli_outputs(fixture_project, monkeypatch, use_cache=False)


def test_bench_corpus_same_with_and_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_gen", REPO / "bench" / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules["bench_gen"] = gen
    try:
        spec.loader.exec_module(gen)
        root = tmp_path / "bench"
        gen.generate(root, 150, seed=3)
    finally:
        sys.modules.pop("bench_gen", None)
    assert_cached_same(root, monkeypatch)
    assert cli_outputs(root, monkeypatch, use_cache=True) == cli_outputs(root, monkeypatch, use_cache=False)


def test_changed_file_refreshes_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached spec whose README changed after the listing moves to the new version
    when its body is read: its facts follow (never the listed version's)."""
    root = random_project(tmp_path / "p", 3, seed=1)
    monkeypatch.setattr(cache, "RACY_NS", 0)
    _specs(root, monkeypatch, use_cache=True)
    cache.forget(Project.open(root).store)
    s = next(s for s in _specs(root, monkeypatch, use_cache=True) if s.name.startswith("001-"))
    assert isinstance(s, cache.CachedSpec) and s.cached_facts is not None
    readme = root / s.path
    readme.write_text(
        "---\nstatus: complete\ncreated_at: '2025-01-01T00:00:00Z'\ncompleted_at: '2025-01-03T12:00:00Z'\n"
        "due: 2025-02-01\n---\n\n# Changed\n"
    )
    assert s.body.startswith("\n# Changed")
    assert s.cached_facts is None
    k = facts.spec_facts(s)
    assert k[1] == facts.to_us(_dt.datetime(2025, 1, 1, tzinfo=UTC))
    assert facts.completed_us(k, s.archived) == facts.to_us(_dt.datetime(2025, 1, 3, 12, tzinfo=UTC))
    assert _dt.date.fromordinal(k[6]) == _dt.date(2025, 2, 1)


def test_facts_datetimes_round_trip() -> None:
    """``facts()`` (datetimes) is the integer facts converted exactly, and the integer
    arithmetic gives the floats timedelta arithmetic gives."""
    rng = random.Random(3)
    for i in range(500):
        s = Spec(f"{i:03d}-s", i, "x", _random_frontmatter(rng), "", "", archived_dir=rng.random() < 0.2)
        f = facts.facts(s)
        k = facts.facts_key(s)
        assert f.created == (None if k[1] is None else facts.EPOCH + _dt.timedelta(microseconds=k[1]))
        for t in (f.created, f.planned, f.started, f.completed, f.last_activity):
            assert t is None or t.tzinfo is UTC
        if f.created is not None and f.completed is not None:
            c = facts.completed_us(k, s.archived)
            assert c is not None and k[1] is not None
            assert (c - k[1]) / facts.US / facts.DAY == (f.completed - f.created).total_seconds() / facts.DAY
            assert (c - k[1]) // facts.US_DAY == (f.completed - f.created) // _dt.timedelta(days=1)


def _frontmatter_loaded(s: Spec) -> bool:
    try:
        Spec.__dict__["frontmatter"].__get__(s, Spec)
    except AttributeError:
        return False
    return True
