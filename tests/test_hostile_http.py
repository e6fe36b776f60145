"""Hostile requests against real servers: a real ``lean-spec ui`` (HTTP) and a real
``lean-spec mcp`` (raw JSON-RPC lines over stdio), plus the CLI, on a project with a
20 MB spec. Every call must answer within 5 s, the server's peak RSS (VmHWM) stays
under 300 MB, nothing outside the project changes, the other specs keep working, and
SIGTERM stops either server within 2 s even mid-request (docs/security.md)."""

from __future__ import annotations

import http.client
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CALL_S = 5.0
RSS_MB = 300
FUZZY_500 = " ".join(f"wordy{i}~2" for i in range(500))
DEEP = "(" * 5000 + "api" + ")" * 5000


def make_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    rnd = random.Random(7)
    words = ["alpha", "beta", "gateway", "dashboard", "token", "limit", "search", "stream", "api", "auth"]
    lines, size = [], 0
    while size < 20 * 1024 * 1024:
        ln = " ".join(f"{rnd.choice(words)}{rnd.randint(0, 99999)}" if rnd.random() < 0.5 else rnd.choice(words) for _ in range(12))
        lines.append(ln)
        size += len(ln) + 1
    big = root / "specs" / "001-big"
    big.mkdir()
    (big / "README.md").write_text("---\nstatus: planned\ncreated: 2025-01-01\n---\n# Big\n\n" + "\n".join(lines) + "\n")
    for i in (2, 3):
        d = root / "specs" / f"00{i}-small-{i}"
        d.mkdir()
        (d / "README.md").write_text(f"---\nstatus: planned\ncreated: 2025-01-01\n---\n# Small {i}\n\nhello gateway\n")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("hostile") / "proj")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.pop("LEANSPEC_API_KEY", None)
    e["NO_COLOR"] = "1"
    return e


def vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def outside_snapshot(project: Path) -> dict[str, float]:
    parent = project.parent
    return {str(p): p.stat().st_mtime for p in parent.rglob("*") if project not in p.parents and p != project}


# ======================================================================== HTTP
class UI:
    def __init__(self, root: Path, *extra: str, environ: dict[str, str] | None = None) -> None:
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            self.port = sk.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leanspec", "ui", "--port", str(self.port), "--no-open", "--project", str(root), *extra],
            env=environ or env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.origin = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/api/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(self.proc.stderr.read() if self.proc.stderr else "ui did not start")
            time.sleep(0.1)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, float]:
        """(status, JSON body, seconds) of one request on a fresh connection."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CALL_S + 5)
        t = time.monotonic()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        took = time.monotonic() - t
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = data
        return r.status, parsed, took

    def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        status, data, took = self.request(method, path, **kw)
        assert took < CALL_S, f"{method} {path[:80]} took {took:.1f} s"
        return status, data

    def rss_ok(self) -> None:
        assert vmhwm_mb(self.proc.pid) < RSS_MB, f"ui peak RSS {vmhwm_mb(self.proc.pid):.0f} MB"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def ui(project: Path) -> Iterator[UI]:
    u = UI(project)
    yield u
    u.stop()


def q(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="")


def err_code(data: Any) -> str:
    return str(data["error"]["code"]) if isinstance(data, dict) and "error" in data else repr(data)[:200]


def test_http_unbounded_queries_are_refused_or_bounded(ui: UI, project: Path) -> None:
    before = outside_snapshot(project)
    for text, code in (
        (DEEP[:1999], "search_syntax"),  # nesting depth
        ("(" * 30 + "api" + ")" * 30, "search_syntax"),
        (" ".join(f"t{i}" for i in range(60)), "search_syntax"),  # term count
        ("x" * 5000, "search_syntax"),  # length
        (FUZZY_500[:1990], "search_syntax"),  # too many fuzzy terms
    ):
        for path in (f"/api/search?q={q(text)}", f"/api/specs?q={q(text)}", f"/api/board?q={q(text)}"):
            status, data = ui.call("GET", path)
            assert status == 400 and err_code(data) == code, (path[:60], status, data)
    # Fuzzy and phrase work against the 20 MB spec: an answer or a budget error, in time.
    for text in (" OR ".join(f"wordy{i}~2" for i in range(40)), "gatewy~", '"alpha beta gateway"'):
        status, data = ui.call("GET", f"/api/search?q={q(text)}")
        assert status == 200 or (status == 422 and err_code(data) == "search_budget"), (status, data)
    ui.rss_ok()
    assert outside_snapshot(project) == before


def test_http_bodies_are_capped_and_checked_before_parsing(ui: UI) -> None:
    h = {"Origin": ui.origin, "Content-Type": "application/json"}
    bomb = b"[" + b"{}," * 5_000_000 + b"{}]"  # 15 MB
    status, data = ui.call("POST", "/api/specs", body=bomb, headers=h)
    assert status == 400 and err_code(data) == "invalid_input"
    nested = b'{"name": "x", "fields": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, data = ui.call("POST", "/api/specs", body=nested, headers=h)
    assert status == 413 and err_code(data) == "payload_too_large"
    many = b'{"name": "x", "tags": [' + b'"a",' * 1_000_000 + b'"a"]}'
    status, data = ui.call("POST", "/api/specs", body=many, headers=h)
    assert status == 413 and err_code(data) == "payload_too_large"
    # metadata routes take 256 KiB; content routes 16 MiB
    status, data = ui.call("PATCH", "/api/specs/2", body=b'{"title": "' + b"a" * 300_000 + b'"}', headers={**h, "If-Match": "*"})
    assert status == 413 and err_code(data) == "payload_too_large"
    status, data = ui.call("PUT", "/api/specs/2/content", body=b" " * (17 * 1024 * 1024), headers={**h, "If-Match": "*"})
    assert status == 413
    ui.rss_ok()


def test_http_host_origin_content_type_token_rules(ui: UI, project: Path) -> None:
    for host in ("[::1]evil.com", "evil.com", "127.0.0.1:99999", "localhost:80:80", "a b", "[zz]:1"):
        status, data = ui.call("GET", "/api/specs", headers={"Host": host})
        assert status == 403 and err_code(data) == "forbidden_host", host
    for host in ("[::1]", f"[::1]:{ui.port}", f"localhost:{ui.port}", "localhost.", "127.0.0.1"):
        assert ui.call("GET", "/api/health", headers={"Host": host})[0] == 200, host
    body = json.dumps({"priority": "low"}).encode()
    base = {"Content-Type": "application/json", "If-Match": "*"}
    for extra in ({}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}, {"Origin": "http://evil.com"},
                  {"Origin": ui.origin, "Sec-Fetch-Site": "same-site"}):  # fmt: skip
        status, data = ui.call("PATCH", "/api/specs/2", body=body, headers={**base, **extra})
        assert status == 403 and err_code(data) == "forbidden_origin", extra
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""):
        status, data = ui.call("PATCH", "/api/specs/2", body=body, headers={"If-Match": "*", "Origin": ui.origin, "Content-Type": ctype})
        assert status == 415 and err_code(data) == "unsupported_media_type", ctype
    status, data = ui.call("PATCH", "/api/specs/2", body=body, headers={**base, "Origin": ui.origin, "Content-Type": "application/json; charset=utf-8"})
    assert status == 200, data
    # The other specs still list, view and update normally.
    status, data = ui.call("GET", "/api/specs")
    assert status == 200 and {s["name"] for s in data["specs"]} >= {"002-small-2", "003-small-3"}
    assert ui.call("GET", "/api/specs/3")[0] == 200


def test_access_token_only_on_events_and_nonloopback_needs_a_key(project: Path) -> None:
    e = env()
    e["LEANSPEC_API_KEY"] = "s3cret-key"
    u = UI(project, environ=e)
    try:
        assert u.call("GET", "/api/specs?access_token=s3cret-key")[0] == 401
        assert u.call("GET", "/api/specs/events?access_token=s3cret-key")[0] == 401
        assert u.call("GET", "/api/specs", headers={"Authorization": "Bearer s3cret-key"})[0] == 200
        # with the token, a script's write needs no Origin
        status, data = u.call(
            "PATCH", "/api/specs/3", body=b'{"priority": "high"}',
            headers={"Authorization": "Bearer s3cret-key", "Content-Type": "application/json", "If-Match": "*"},
        )  # fmt: skip
        assert status == 200, data
        c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=5)
        c.request("GET", "/api/events?access_token=s3cret-key")
        r = c.getresponse()
        assert r.status == 200 and b"hello" in b"".join(r.fp.readline() for _ in range(8))
        c.close()
    finally:
        u.stop()
    # A non-loopback host without a key is refused, before anything listens.
    t = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "leanspec", "ui", "--host", "0.0.0.0", "--port", "0", "--no-open", "--project", str(project)],
        env=env(), capture_output=True, text=True, timeout=CALL_S + 10,
    )  # fmt: skip
    assert r.returncode != 0 and "LEANSPEC_API_KEY" in r.stderr and time.monotonic() - t < CALL_S + 5


def test_disconnect_abandons_the_search_and_sigterm_stops_mid_request(project: Path) -> None:
    u = UI(project)
    try:
        text = " OR ".join(f"wordy{i}~3" for i in range(40))
        # A client that goes away: the server stays responsive and lean.
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", u.port))
            s.sendall(f"GET /api/search?q={q(text)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            time.sleep(0.3)
            s.close()
        assert u.call("GET", "/api/specs/2")[0] == 200
        u.rss_ok()
        # SIGTERM while a search runs: gone within 2 s.
        s = socket.create_connection(("127.0.0.1", u.port))
        s.sendall(f"GET /api/search?q={q(text)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(0.5)
        t = time.monotonic()
        u.proc.send_signal(signal.SIGTERM)
        u.proc.wait(10)
        assert time.monotonic() - t < 2.0, f"ui took {time.monotonic() - t:.1f} s to stop"
        s.close()
    finally:
        u.stop()


# ========================================================================= MCP
class MCP:
    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leanspec", "mcp", "--project", str(root)],
            env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.n = 0
        self.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}, timeout=60)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, msg: dict[str, Any] | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(msg if isinstance(msg, bytes) else json.dumps(msg).encode() + b"\n")
        self.proc.stdin.flush()

    def wait(self, rid: int, timeout: float = CALL_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no answer to request {rid} within {timeout} s"
            msg = json.loads(self.lines.get(timeout=left))
            if msg.get("id") == rid:
                return dict(msg)

    def rpc(self, method: str, params: dict[str, Any], timeout: float = CALL_S) -> dict[str, Any]:
        self.n += 1
        self.send({"jsonrpc": "2.0", "id": self.n, "method": method, "params": params})
        return self.wait(self.n, timeout)

    def tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.rpc("tools/call", {"name": name, "arguments": args})["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tool_code(result: dict[str, Any]) -> str:
    assert result.get("isError"), result
    return str(payload(result)["error"]["code"])


def payload(result: dict[str, Any]) -> Any:
    """A tool result's JSON (sent once, as text: docs/mcp.md)."""
    return json.loads(result["content"][0]["text"])


def test_mcp_bounded_queries_and_messages(project: Path) -> None:
    m = MCP(project)
    try:
        for text in (DEEP[:1999], FUZZY_500[:1990], "x" * 5000):
            assert "search_syntax" in tool_code(m.tool("search", {"query": text}))
        res = m.tool("search", {"query": " OR ".join(f"wordy{i}~2" for i in range(40))})
        assert not res.get("isError") or "search_budget" in tool_code(res)
        # 15 MB of [{},{},…] as a tool argument: refused before parsing, with the request's id.
        m.n += 1
        bomb = b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"update","arguments":{"spec":"2","content":[' % m.n
        m.send(bomb + b"{}," * 5_000_000 + b"{}]}}}\n")
        assert "payload_too_large" in tool_code(m.wait(m.n)["result"])
        m.n += 1
        m.send(b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"view","arguments":{"spec":"' % m.n + b"a" * (17 * 1024 * 1024) + b'"}}}\n')
        assert "payload_too_large" in tool_code(m.wait(m.n)["result"])
        # the other specs still work
        assert payload(m.tool("view", {"spec": "2"}))["spec"]["name"] == "002-small-2"
        assert vmhwm_mb(m.proc.pid) < RSS_MB, f"mcp peak RSS {vmhwm_mb(m.proc.pid):.0f} MB"
        # a cancelled search stops; SIGTERM mid-request ends the server within 2 s
        m.n += 1
        rid = m.n
        m.send({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "search", "arguments": {"query": " OR ".join(f"wordy{i}~3" for i in range(40))}}})
        time.sleep(0.3)
        m.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": rid}})
        assert payload(m.tool("view", {"spec": "3"}))["spec"]["name"] == "003-small-3"
        m.n += 1
        m.send({"jsonrpc": "2.0", "id": m.n, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "gatewy~3 OR alpah~3"}}})
        time.sleep(0.3)
        t = time.monotonic()
        m.proc.send_signal(signal.SIGTERM)
        m.proc.wait(10)
        assert time.monotonic() - t < 2.0
    finally:
        m.stop()


# ========================================================================= CLI
def test_cli_search_is_bounded(project: Path) -> None:
    for text, codes in ((DEEP[:1999], {1}), (FUZZY_500[:1990], {1}), (" OR ".join(f"wordy{i}~2" for i in range(40)), {0, 1})):
        t = time.monotonic()
        r = subprocess.run(
            [sys.executable, "-m", "leanspec", "--project", str(project), "--json", "search", text],
            env=env(), capture_output=True, text=True, timeout=CALL_S + 10,
        )  # fmt: skip
        assert time.monotonic() - t < CALL_S, f"cli search took {time.monotonic() - t:.1f} s"
        assert r.returncode in codes, r.stderr
        if r.returncode:
            assert '"search_syntax"' in r.stdout + r.stderr or '"search_budget"' in r.stdout + r.stderr


# ================================================ plain words over the 20 MB spec
def fresh_copy(project: Path, dest: Path) -> Path:
    """The project without its caches: the first search builds the index."""
    import shutil

    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("cache"))
    assert not (dest / ".lean-spec" / "cache").exists()
    return dest


def run_measured(*args: str) -> tuple[int, str, float, float]:
    """(exit code, stdout, seconds, the child's own peak RSS in MB)."""
    import tempfile

    with tempfile.TemporaryFile() as out:
        t = time.monotonic()
        p = subprocess.Popen([sys.executable, "-m", "leanspec", *args], env=env(), stdout=out, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(p.pid, 0)
        took = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return p.returncode, out.read().decode(), took, usage.ru_maxrss / 1024


def big_result(res: dict[str, Any]) -> None:
    assert res["capped"] == ["001-big"], res.get("capped")
    assert any(r["spec"]["name"] == "001-big" for r in res["results"])


def test_plain_word_search_over_a_20mb_spec_is_bounded(project: Path, tmp_path: Path) -> None:
    """A plain-word search builds the index on first use and ranks and snips the 20 MB
    spec by its first MiB (``textmatch.MAX_BODY_CHARS``; ``capped`` names it): through
    the CLI, ``GET /api/search`` and MCP ``search``, from a cold index and a warm one,
    within 5 s and under 300 MB (docs/security.md)."""
    root = fresh_copy(project, tmp_path / "cli")
    for args in (["search", "gateway"], ["search", "gateway"], ["search", "alpha OR token -beta", "--limit", "50"]):
        code, out, took, rss = run_measured("--project", str(root), "--json", *args)
        assert code == 0 and took < CALL_S and rss < RSS_MB, (args, code, f"{took:.1f} s", f"{rss:.0f} MB")
        big_result(json.loads(out))
    code, out, took, rss = run_measured("--project", str(root), "search", "dashboard")
    assert code == 0 and took < CALL_S and rss < RSS_MB and "001-big" in out, (code, took, rss)

    u = UI(fresh_copy(project, tmp_path / "http"))
    try:
        for path in ("/api/search?q=gateway", "/api/search?q=gateway", "/api/search?q=stream%20OR%20auth"):
            status, data = u.call("GET", path)
            assert status == 200, (path, status, data)
            big_result(data)
        status, data = u.call("GET", "/api/specs?q=gateway")
        assert status == 200 and "001-big" in json.dumps(data)
        u.rss_ok()
    finally:
        u.stop()

    m = MCP(fresh_copy(project, tmp_path / "mcp"))
    try:
        for query in ("gateway", "gateway", "limit OR search"):
            t = time.monotonic()
            res = m.tool("search", {"query": query, "limit": 5})
            assert time.monotonic() - t < CALL_S and not res.get("isError"), res
            big_result(payload(res))
        assert vmhwm_mb(m.proc.pid) < RSS_MB, f"mcp peak RSS {vmhwm_mb(m.proc.pid):.0f} MB"
    finally:
        m.stop()
