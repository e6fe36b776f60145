"""``lean-spec mcp`` answers ``initialize`` before the SDK is imported (mcp/handshake.py):
the early answer must be exactly the SDK's, for every revision it answers, and
everything else must still reach the SDK. Real ``lean-spec mcp`` processes over stdio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from leanspec.mcp import handshake

TIMEOUT = 120


def _init(version: Any, rid: Any = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }


def start(root: Path, early: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEANSPEC_MCP_EARLY_INIT": "1" if early else "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "leanspec", "mcp"],
        cwd=root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def session(p: subprocess.Popen[bytes], first: dict[str, Any] | str) -> tuple[list[dict[str, Any]], str]:
    """Send ``first``, then initialized + tools/list + an unknown method; return every
    message the server wrote (ordered by id) and its stderr. Stdin stays open until
    the last answer came: the SDK may drop requests still running at end-of-file."""
    assert p.stdin and p.stdout
    line = first if isinstance(first, str) else json.dumps(first)
    rest = [
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {}},
    ]
    p.stdin.write(("\n".join([line, *(json.dumps(m) for m in rest)]) + "\n").encode())
    p.stdin.flush()
    got: list[dict[str, Any]] = []
    while {2, 3} - {m.get("id") for m in got}:
        out = p.stdout.readline()
        assert out, "server closed its output"
        got.append(json.loads(out))
    out_rest, err = p.communicate(timeout=TIMEOUT)
    got += [json.loads(x) for x in out_rest.decode().splitlines() if x.strip()]
    return sorted(got, key=lambda m: str(m.get("id"))), err.decode()


def test_early_answers_equal_the_sdk_answers(empty_project: Path) -> None:
    firsts: list[dict[str, Any] | str] = [_init(v) for v in handshake.EARLY_VERSIONS]
    firsts += [
        _init("2099-01-01", "s-1"),  # unknown revision: the SDK negotiates
        _init(7),  # malformed: the SDK's error
        "{not json",
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},  # not initialize first
    ]
    procs = [(f, start(empty_project, True), start(empty_project, False)) for f in firsts]
    for first, on, off in procs:
        got, err_on = session(on, first)
        ref, _ = session(off, first)
        assert got == ref, first
        assert "differed" not in err_on, err_on
        assert on.returncode == 0 and off.returncode == 0
        if isinstance(first, dict) and first.get("params", {}).get("protocolVersion") in handshake.EARLY_VERSIONS:
            v = first["params"]["protocolVersion"]
            assert got[0] == {"jsonrpc": "2.0", "id": 1, "result": handshake.initialize_result(v)}
            assert len(got) == 3
            tools = next(m for m in got if m.get("id") == 2)
            assert len(tools["result"]["tools"]) == 21  # 18 + claim, release, next
            assert next(m for m in got if m.get("id") == 3)["error"]["code"] == -32601


def test_early_answer_only_for_wellformed_initialize() -> None:
    ok = json.dumps(_init("2025-06-18")).encode()
    assert handshake.early_answer(ok) == (1, handshake.initialize_result("2025-06-18"))
    assert handshake.early_answer(json.dumps(_init("2025-06-18", None)).encode()) is None
    assert handshake.early_answer(json.dumps(_init("1999-01-01")).encode()) is None
    bad = _init("2025-06-18")
    bad["params"]["clientInfo"] = {"name": "x"}
    assert handshake.early_answer(json.dumps(bad).encode()) is None
    assert handshake.early_answer(b"[1, 2]") is None
    assert handshake.early_answer(b"\xff") is None


def test_sdk_revisions_match() -> None:
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

    assert set(handshake.EARLY_VERSIONS) <= set(HANDSHAKE_PROTOCOL_VERSIONS)
